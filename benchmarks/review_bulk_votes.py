"""Wall time per vote of ``sebrus review vote --from-file`` against the platform on its embedded chain,
beside single ``sebrus review vote`` runs (docs/review.md, "Voting in bulk").

The whole platform (embedded chain, relayer, indexer) is served by uvicorn in this process; an owner
creates a dataset, a contributor uploads ``--votes + --singles`` small PNGs, and a reviewer votes on
``--votes`` of them in one ``--from-file`` run of the CLI (a subprocess, so process start counts), then
on the rest one command at a time.

    .venv/bin/python benchmarks/review_bulk_votes.py [--votes 50] [--singles 5]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image

from sebrus.config import Settings
from sebrus.platform import build_platform
from sebrus.sdk import Client

PASSWORD = "benchmark passphrase"


def _png(seed: int) -> bytes:
    image = Image.new("RGB", (8, 8), color=(seed % 256, (seed // 256) % 256, 7))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _serve(app: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=50, help="decisions in the one --from-file run (<= 100)")
    parser.add_argument("--singles", type=int, default=5, help="single-vote commands to compare with")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sebrus-bulk-bench-"))
    settings = Settings(
        data_dir=work / "data",
        password_time_cost=1,
        password_memory_cost_kib=8,
        password_parallelism=1,
        signup_per_hour=0,
        upload_rate_per_minute=10_000,
    )
    app, services = build_platform(settings)
    services.start()
    url, server, thread = _serve(app)
    try:
        tokens = {}
        with Client(url) as client:
            for role in ("owner", "contributor", "reviewer"):
                client.register(role, PASSWORD)
                tokens[role] = client.login(role, PASSWORD)
        with Client(url, token=tokens["owner"]) as client:
            policy = {"x": 3, "stake_wei": 10**15}
            dataset = client.create_dataset("bench", "bulk votes", ["cat", "dog"], review_policy=policy).id
        with Client(url, token=tokens["contributor"]) as client:
            items = [
                client.upload(dataset, _png(n), "cat").content_hash for n in range(args.votes + args.singles)
            ]
        decisions = work / "decisions.csv"
        decisions.write_text("".join(f"{sha[:13]},approve\n" for sha in items[: args.votes]))
        sebrus = shutil.which("sebrus") or str(Path(sys.executable).with_name("sebrus"))
        env = {**os.environ, "SEBRUS_URL": url, "XDG_CONFIG_HOME": str(work / "config")}
        common = ["--token", tokens["reviewer"]]
        started = time.perf_counter()
        bulk = subprocess.run(
            [sebrus, "review", "vote", "-d", str(dataset), "--from-file", str(decisions), *common],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        print("\n".join(bulk.stdout.splitlines()[-2:]))
        each = wall / args.votes
        print(f"bulk: {args.votes} votes in {wall:.2f} s wall, process start included: {each:.3f} s a vote")
        started = time.perf_counter()
        for sha in items[args.votes :]:
            subprocess.run(
                [sebrus, "review", "vote", str(dataset), sha[:13], "--approve", *common],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
        wall = time.perf_counter() - started
        each = wall / max(1, args.singles)
        print(f"one by one: {args.singles} single votes in {wall:.2f} s wall: {each:.3f} s a vote")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        services.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
