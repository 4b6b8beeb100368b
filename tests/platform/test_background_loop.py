"""The background loop that drives the relayer and the indexer."""

from __future__ import annotations

import threading

from sebrus.jobs.loop import BackgroundLoop


def test_a_stopped_loop_runs_again_when_restarted() -> None:
    ran = threading.Event()

    def step() -> int:
        ran.set()
        return 0

    loop = BackgroundLoop("test", step, idle_seconds=0.01)
    loop.start()
    assert ran.wait(5)
    loop.stop()
    ran.clear()
    loop.start()
    try:
        assert ran.wait(5), "the restarted loop never ran its step"
    finally:
        loop.stop()
