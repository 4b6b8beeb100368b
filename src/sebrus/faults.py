"""Test-only crash points on the upload path, so crash tests can kill the server at an exact step.

``SEBRUS_FAULT`` names one point; when execution reaches it the process kills itself with SIGKILL,
as a power cut would: no ``finally`` blocks, no flushed buffers, no committed transactions beyond
those already committed. ``SEBRUS_FAULT=after-chain-send@3`` waits for the third time the point is
reached. Unset (always, outside the crash tests) the call is a dictionary lookup and nothing else.

Points:

- ``after-blob-put``: the blob is stored, the outbox entry is not (the upload was not acknowledged).
- ``after-outbox-commit``: the signed contribution is committed (the upload is durable) but the
  client has not been answered.
- ``after-chain-send``: a batch is mined on chain but the outbox does not know it yet.
"""

from __future__ import annotations

import os
import signal
import threading

ENV_VAR = "SEBRUS_FAULT"
POINTS = frozenset({"after-blob-put", "after-outbox-commit", "after-chain-send"})

_hits: dict[str, int] = {}
_lock = threading.Lock()


def maybe_crash(point: str) -> None:
    """Die here, at once, when ``SEBRUS_FAULT`` names this point (and its hit count is reached)."""
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r}; expected one of {sorted(POINTS)}")
    wanted = os.environ.get(ENV_VAR)
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name != point:
        return
    with _lock:
        _hits[point] = _hits.get(point, 0) + 1
        reached = _hits[point] >= (int(nth) if nth.isascii() and nth.isdigit() else 1)
    if reached:
        os.kill(os.getpid(), signal.SIGKILL)
