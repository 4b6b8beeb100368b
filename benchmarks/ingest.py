"""End-to-end ingest: uploads per second from HTTP to acknowledged, and to anchored and indexed.

Starts ``sebrus serve`` as a subprocess on a free 127.0.0.1 port with a fresh data directory
(embedded chain, SQLite, local blobs: the defaults; or ``--chain-url`` and ``--database-url`` for an
rpc node and PostgreSQL), signs up contributors, creates a dataset per mode and uploads distinct
small PNGs (sklearn's digits) through the REST API.

    single     each client sends one upload at a time and waits (``wait=true``) for it to be anchored
               and indexed before the next (latency-bound: a block per round of uploads)
    in_flight  many single uploads in flight at once (``wait=true``), so the relayer packs them into
               ``submitBatchFor``
    bulk       ``POST .../uploads`` with many images a request, a few requests in flight. Its
               ``images_per_second`` counts acknowledged images (stored, signed and committed to the
               outbox in one transaction: nothing acknowledged is ever lost); ``anchored_images_per_second``
               counts until every one of them is anchored and indexed.

The baselines, measured in the same run on their own embedded chain: ``paper_flow``, one ``submit``
transaction per image through the ledger directly (the paper's one-transaction-per-image shape,
without HTTP or database), and ``chain_alone``, the chain's own ceiling for ``submitBatchFor`` with
256 pre-signed items a transaction.

The per-contributor upload rate limit is switched off for the run (SEBRUS_UPLOAD_RATE_PER_MINUTE=0):
the benchmark measures the pipeline, not the limiter.

    .venv/bin/python benchmarks/ingest.py --out ingest.json            # full run, a few minutes
    .venv/bin/python benchmarks/ingest.py --smoke --out ingest.json    # CI's version, seconds
    .venv/bin/python benchmarks/ingest.py --chain-url http://127.0.0.1:8545 \
        --database-url postgresql+psycopg://postgres@127.0.0.1/test --out ingest-rpc.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

from sebrus.chain.backends import open_chain
from sebrus.config import Settings
from sebrus.testing.cluster import ANVIL_KEY_0, free_port

PASSWORD = "benchmark password"
MODES = ("single", "in_flight", "bulk")
BULK_TARGET = 500  # images/s acknowledged, embedded defaults, on this 2-core machine
SINGLE_TARGET = 150
LABELS = [str(d) for d in range(10)]
RETRIES = 2
SERVER_ENV = {
    "SEBRUS_UPLOAD_RATE_PER_MINUTE": "0",
    "SEBRUS_SIGNUP_PER_HOUR": "0",  # one address signs up every contributor
    "SEBRUS_DATASET_CREATIONS_PER_HOUR": "0",
    "SEBRUS_UPLOAD_WAIT_SECONDS": "120",
    # Sign-up is not what is measured; cheap argon2 keeps the set-up short.
    "SEBRUS_PASSWORD_TIME_COST": "1",
    "SEBRUS_PASSWORD_MEMORY_COST_KIB": "64",
    "SEBRUS_PASSWORD_PARALLELISM": "1",
}


def digit_pngs(count: int, offset: int = 0) -> list[tuple[bytes, str]]:
    """``count`` distinct 8x8 grayscale PNGs with their digit labels.

    sklearn's 1,797 digits are reused as often as needed; each reuse writes its round number into the
    top row (blank in every digit), so every image has its own sha256.
    """
    digits = load_digits()
    total = len(digits.images)
    out: list[tuple[bytes, str]] = []
    seen: set[str] = set()
    for n in range(offset, offset + count):
        pixels = np.clip(digits.images[n % total] * (255.0 / 16.0), 0, 255).astype(np.uint8)
        round_ = n // total
        pixels[0, 0], pixels[0, 1], pixels[0, 2] = round_ & 255, (round_ >> 8) & 255, 1
        buffer = io.BytesIO()
        Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:  # two identical digits in the set: nudge one pixel
            pixels[0, 3] = 1
            buffer = io.BytesIO()
            Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
            data = buffer.getvalue()
            digest = hashlib.sha256(data).hexdigest()
        seen.add(digest)
        out.append((data, str(int(digits.target[n % total]))))
    assert len(seen) == count, "the generated images must be distinct"
    return out


# ---------------------------------------------------------------------------------------- the server


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


KEYSTORE_PASSWORD = "benchmark keystore password"


def rpc_environment(data_dir: Path, chain_url: str, database_url: str) -> dict[str, str]:
    from sebrus.chain.operators import write_keystore

    keystores = data_dir / "keystores"
    write_keystore(keystores, "deployer", ANVIL_KEY_0, KEYSTORE_PASSWORD)
    return {
        "SEBRUS_CHAIN_URL": chain_url,
        "SEBRUS_DATABASE_URL": database_url,
        "SEBRUS_KEYSTORE_DIR": str(keystores),
        "SEBRUS_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD,
    }


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log_path = data_dir.parent / "serve.log"
    env = {**os.environ, **SERVER_ENV, **(extra_env or {}), "SEBRUS_DATA_DIR": str(data_dir)}
    sebrus = Path(sys.executable).with_name("sebrus")
    command = [str(sebrus)] if sebrus.exists() else [sys.executable, "-m", "sebrus.cli"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"sebrus serve exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{server.url}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"sebrus serve did not answer within 180 s:\n{log_path.read_text()[-3000:]}")


def sign_up(client: httpx.Client, username: str) -> dict[str, str]:
    created = client.post("/api/user", json={"username": username, "password": PASSWORD})
    created.raise_for_status()
    session = client.post("/api/session", json={"username": username, "password": PASSWORD})
    session.raise_for_status()
    client.cookies.clear()
    return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def create_dataset(client: httpx.Client, auth: dict[str, str], name: str) -> int:
    created = client.post(
        "/api/dataset",
        json={"datasetName": name, "description": "ingest benchmark", "labels": LABELS},
        headers=auth,
    )
    created.raise_for_status()
    dataset_id: int = created.json()["new_dataset"]["id"]
    return dataset_id


# ---------------------------------------------------------------------------------------- the clients


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    retries: int = 0

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(seconds)


async def upload_all(
    url: str,
    dataset_id: int,
    images: list[tuple[bytes, str]],
    tokens: list[dict[str, str]],
    concurrency: int,
) -> tuple[Outcome, float]:
    """``concurrency`` workers share the images; each sends one upload at a time and waits for it."""
    outcome = Outcome()
    queue: asyncio.Queue[tuple[int, bytes, str]] = asyncio.Queue()
    for index, (data, label) in enumerate(images):
        queue.put_nowait((index, data, label))
    # One single-connection client per worker: httpx scans its whole pool on every request, which at
    # 256 connections made the client, not the server, the bottleneck (py-spy: is_idle, 50% of it).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=300) for _ in range(concurrency)]
    try:

        async def worker(worker_id: int) -> None:
            client = clients[worker_id]
            auth = {**tokens[worker_id % len(tokens)], "Content-Type": "image/png"}
            while True:
                try:
                    _, data, label = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                for attempt in range(RETRIES + 1):
                    try:
                        response = await client.post(
                            f"/api/dataset/{dataset_id}/items",
                            params={"label": label},
                            content=data,
                            headers=auth,
                        )
                        break
                    except httpx.TransportError:
                        # A pooled keep-alive connection the server closed just as it was reused.
                        # Uploads are idempotent, so resending is safe (and counted).
                        if attempt == RETRIES:
                            raise
                        outcome.retries += 1
                outcome.record(response.status_code, time.perf_counter() - started)
                if response.status_code >= 300:
                    raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return outcome, elapsed


async def upload_bulk(
    url: str,
    dataset_id: int,
    images: list[tuple[bytes, str]],
    tokens: list[dict[str, str]],
    concurrency: int,
    per_request: int,
) -> tuple[Outcome, float]:
    """``concurrency`` clients send bulk requests of ``per_request`` images; one latency per request."""
    outcome = Outcome()
    batches = [images[i : i + per_request] for i in range(0, len(images), per_request)]
    queue: asyncio.Queue[list[tuple[bytes, str]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=300) for _ in range(concurrency)]
    try:

        async def worker(worker_id: int) -> None:
            client = clients[worker_id]
            auth = tokens[worker_id % len(tokens)]
            while True:
                try:
                    batch = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                files = [(label, (f"{n}.png", data, "image/png")) for n, (data, label) in enumerate(batch)]
                started = time.perf_counter()
                response = await client.post(f"/api/dataset/{dataset_id}/uploads", files=files, headers=auth)
                outcome.record(response.status_code, time.perf_counter() - started)
                body = response.json() if response.status_code == 200 else {}
                if response.status_code != 200 or body["refused"] or body["queued"] != len(batch):
                    raise RuntimeError(f"bulk upload refused: {response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    return outcome, elapsed


def summarise(outcome: Outcome, elapsed: float, clients: int) -> dict[str, Any]:
    ordered = sorted(outcome.latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    return {
        "clients": clients,
        "images": len(ordered),
        "seconds": round(elapsed, 3),
        "images_per_second": round(len(ordered) / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(50), 1),
            "p99": round(percentile(99), 1),
            "mean": round(statistics.fmean(ordered) * 1000, 1),
            "max": round(ordered[-1] * 1000, 1),
        },
        "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
        "retried_after_dropped_connection": outcome.retries,
    }


def indexed_total(client: httpx.Client, dataset_id: int) -> int:
    listed = client.get(f"/api/dataset/{dataset_id}/items", params={"limit": 1})
    listed.raise_for_status()
    total: int = listed.json()["total"]
    return total


def run_mode(
    server: Server,
    name: str,
    images: list[tuple[bytes, str]],
    owner: dict[str, str],
    tokens: list[dict[str, str]],
    clients: int,
    per_request: int,
) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        dataset_id = create_dataset(client, owner, f"ingest-{name}")
        started = time.perf_counter()
        if name == "bulk":
            outcome, elapsed = asyncio.run(
                upload_bulk(server.url, dataset_id, images, tokens, clients, per_request)
            )
            deadline = time.monotonic() + 600
            while (indexed := indexed_total(client, dataset_id)) < len(images):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            anchored = time.perf_counter() - started
        else:
            outcome, elapsed = asyncio.run(upload_all(server.url, dataset_id, images, tokens, clients))
            indexed = indexed_total(client, dataset_id)
    if indexed != len(images):
        raise RuntimeError(f"{name}: {indexed} of {len(images)} uploads are indexed")
    summary = summarise(outcome, elapsed, clients)
    summary["indexed"] = indexed
    if name == "bulk":  # latencies are per request; the rates are per image
        summary.update(
            images=len(images),
            files_per_request=per_request,
            requests=len(outcome.latencies),
            images_per_second=round(len(images) / elapsed, 1),
            anchored_images_per_second=round(len(images) / anchored, 1),
            anchored_seconds=round(anchored, 3),
        )
    return summary


# ---------------------------------------------------------------------------------------- baseline


def measure_baseline(
    images: list[tuple[bytes, str]], batch_images: list[tuple[bytes, str]]
) -> dict[str, Any]:
    """One ``submit`` per image, and the chain's own ceiling for ``submitBatchFor``, on a fresh chain."""
    with tempfile.TemporaryDirectory(prefix="sebrus-ingest-baseline-") as directory:
        handle = open_chain(Settings(data_dir=Path(directory)))
        try:
            handle.init()
            ledger, owner, relayer = handle.ledger, handle.operators.deployer, handle.operators.relayer
            target = ledger.create_dataset(owner, name="baseline", description="", labels=LABELS).address
            started = time.perf_counter()
            for data, label in images:
                ledger.submit(owner, target, hashlib.sha256(data).digest(), int(label))
            single = len(images) / (time.perf_counter() - started)

            signed = [
                ledger.sign_contribution(owner, target, hashlib.sha256(data).digest(), int(label))
                for data, label in batch_images
            ]
            started = time.perf_counter()
            for start in range(0, len(signed), 256):
                ledger.submit_batch_for(relayer, target, signed[start : start + 256])
            batched = len(signed) / (time.perf_counter() - started)
        finally:
            handle.close()
    return {
        "paper_flow": {"images": len(images), "images_per_second": round(single, 1)},
        "chain_alone": {"images": len(batch_images), "images_per_second": round(batched, 1)},
    }


# ---------------------------------------------------------------------------------------- main


def print_table(report: dict[str, Any]) -> None:
    rows = [("mode", "clients", "images", "images/s", "anchored/s", "p50 ms", "p99 ms")]
    for name in MODES:
        mode = report.get(name)
        if mode is None:
            continue
        latency = mode["latency_ms"]
        anchored = mode.get("anchored_images_per_second", mode["images_per_second"])
        rows.append(
            (
                name,
                str(mode["clients"]),
                str(mode["images"]),
                f"{mode['images_per_second']:.1f}",
                f"{anchored:.1f}",
                f"{latency['p50']:.0f}",
                f"{latency['p99']:.0f}",
            )
        )
    for name, title in (("paper_flow", "paper flow: 1 tx/image"), ("chain_alone", "chain alone: 256/tx")):
        base = report[name]
        rows.append((title, "1", str(base["images"]), f"{base['images_per_second']:.1f}", "-", "-", "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for name, ratio in report["ratio_vs_paper_flow"].items():
        print(f"{name}: {ratio:.1f}x the paper flow (one transaction per image)")
    bulk = report.get("bulk")
    if bulk is not None:
        verdict = "meets" if bulk["images_per_second"] >= BULK_TARGET else "MISSES"
        rate = bulk["images_per_second"]
        print(f"bulk: {rate:.0f} images/s acknowledged, {verdict} the target of {BULK_TARGET}")
    single = report.get("single")
    if single is not None:
        verdict = "meets" if single["images_per_second"] >= SINGLE_TARGET else "MISSES"
        print(f"single: {single['images_per_second']:.0f} images/s, {verdict} the target of {SINGLE_TARGET}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument("--images", type=int, default=2000, help="uploads per mode")
    parser.add_argument("--single-clients", type=int, default=4, help="concurrent clients in single mode")
    parser.add_argument(
        "--in-flight-clients", type=int, default=256, help="uploads in flight in in_flight mode"
    )
    parser.add_argument("--bulk-clients", type=int, default=4, help="bulk requests in flight")
    parser.add_argument("--bulk-files", type=int, default=250, help="images per bulk request")
    parser.add_argument("--contributors", type=int, default=8, help="accounts the clients upload as")
    parser.add_argument("--baseline-images", type=int, default=200, help="the paper flow's images")
    parser.add_argument("--ceiling-images", type=int, default=512, help="the chain-alone run's images")
    parser.add_argument("--chain-url", help="an rpc node (anvil) instead of the embedded chain")
    parser.add_argument(
        "--database-url", help="PostgreSQL instead of SQLite (with --chain-url); a fresh schema is made"
    )
    parser.add_argument("--smoke", action="store_true", help="a few seconds of each, for CI")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)
    if bool(args.chain_url) != bool(args.database_url):
        parser.error("--chain-url and --database-url go together (anvil + PostgreSQL)")
    if args.smoke:
        args.images, args.single_clients, args.in_flight_clients = 40, 2, 20
        args.bulk_clients, args.bulk_files = 2, 10
        args.contributors, args.baseline_images, args.ceiling_images = 2, 20, 64
    modes = list(MODES) if args.mode == "all" else [args.mode]

    total = args.images * len(modes)
    images = digit_pngs(total + args.baseline_images + args.ceiling_images)
    upload_sets = {name: images[i * args.images : (i + 1) * args.images] for i, name in enumerate(modes)}
    baseline_images = images[total : total + args.baseline_images]
    batch_images = images[total + args.baseline_images :]
    clients = {"single": args.single_clients, "in_flight": args.in_flight_clients, "bulk": args.bulk_clients}

    report: dict[str, Any] = {
        "config": {
            "images_per_mode": args.images,
            "contributors": args.contributors,
            "image_bytes_mean": round(statistics.fmean(len(d) for d, _ in images[:total]), 1),
            "backend": "anvil + PostgreSQL" if args.chain_url else "embedded chain + SQLite",
            "server_env": SERVER_ENV,
            "cpus": os.cpu_count(),
        },
    }
    with (
        tempfile.TemporaryDirectory(prefix="sebrus-ingest-") as directory,
        _database(args.database_url) as url,
    ):
        data_dir = Path(directory) / "data"
        data_dir.mkdir()
        extra = rpc_environment(data_dir, args.chain_url, url) if url is not None else None
        server = start_server(data_dir, extra)
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                owner = sign_up(client, "owner")
                tokens = [sign_up(client, f"contributor{n}") for n in range(args.contributors)]
            for name in modes:
                report[name] = run_mode(
                    server, name, upload_sets[name], owner, tokens, clients[name], args.bulk_files
                )
                print(f"{name}: {report[name]['images_per_second']} images/s", file=sys.stderr)
        except BaseException:
            server.stop()
            print(f"--- end of the server's log ---\n{server.log_path.read_text()[-6000:]}", file=sys.stderr)
            raise
        server.stop()
    report.update(measure_baseline(baseline_images, batch_images))
    paper = report["paper_flow"]["images_per_second"]
    report["ratio_vs_paper_flow"] = {
        name: round(report[name]["images_per_second"] / paper, 2) for name in modes
    }
    print_table(report)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


@contextlib.contextmanager
def _database(server_url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL schema for the run (dropped after), or None for the default SQLite."""
    if server_url is None:
        yield None
        return
    from sebrus.testing.databases import postgres_schema

    with postgres_schema(server_url) as url:
        yield url


if __name__ == "__main__":
    sys.exit(main())
