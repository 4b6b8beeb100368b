"""Read throughput: requests per second for the pages and API answers people read most.

Starts ``sebrus serve`` as a subprocess on a free 127.0.0.1 port with a fresh data directory (embedded
chain, SQLite, local blobs: the defaults), seeds a few datasets and one with a few hundred items
through the REST API (as ``benchmarks/ingest.py`` does), then loads these reads at 1, 10 and 50
concurrent clients:

    datasets        GET /api/dataset                                  the dataset list
    items           GET /api/dataset/{id}/items                       a page of items (the default size)
    image           GET /api/dataset/{id}/items/{sha256}/image        an image's bytes
    image_304       the same with If-None-Match: its ETag, when the answer carries one (else left out)
    dashboard       GET /dashboard with a session cookie              the page a logged-in user sees

The baseline is an empty ASGI app (one fixed 200 answer) served in the same run by uvicorn with the
settings ``sebrus serve`` uses, so every figure also reads as a ratio to what the server and the
machine can do at all; on a shared machine the ratio is the figure to compare between runs.

The load comes from ``wrk`` when it is installed (``apt-get install wrk``), otherwise from an asyncio
httpx client in a separate process; the report names which. Besides requests per second and latency
percentiles, the report gives the server process's CPU time per request (from /proc), which other
work on the machine disturbs less than the throughput.

    .venv/bin/python benchmarks/reads.py --out reads.json            # full run, a few minutes
    .venv/bin/python benchmarks/reads.py --smoke --out reads.json    # CI's version, seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# ingest.py holds the server start-up and seeding every benchmark of the running server shares.
from ingest import (
    SERVER_ENV,
    Server,
    create_dataset,
    digit_pngs,
    free_port,
    sign_up,
    start_server,
    upload_all,
)

CLIENT_LEVELS = (1, 10, 50)
ENDPOINTS = ("datasets", "items", "image", "image_304", "dashboard")
TARGET_REQUESTS_PER_SECOND = 1000
TARGETED = ("datasets", "image")


@dataclass(frozen=True)
class Target:
    """One read to load: a path and the headers every request carries."""

    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


# ---------------------------------------------------------------------------------------- load generators


def _wrk_ms(text: str) -> float:
    """wrk prints durations as ``812.00us``, ``1.20ms`` or ``1.03s``."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"unreadable wrk duration {text!r}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match.group(2)]
    return float(match.group(1)) * scale


def run_wrk(url: str, target: Target, clients: int, seconds: float) -> Load:
    """``wrk --latency`` with ``clients`` connections; its summary is parsed, non-2xx/3xx count as errors."""
    threads = min(clients, 2)
    command = ["wrk", "--latency", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(
        [*command, url + target.path], capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    out = completed.stdout
    total = re.search(r"(\d+) requests in ([\d.]+\w+),", out)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.MULTILINE)
    if total is None or p50 is None or p99 is None:
        raise RuntimeError(f"unreadable wrk output:\n{out}\n{completed.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(
        requests=int(total.group(1)),
        seconds=_wrk_ms(total.group(2)) / 1000,
        errors=errors,
        p50_ms=_wrk_ms(p50.group(1)),
        p99_ms=_wrk_ms(p99.group(1)),
    )


async def _httpx_load(url: str, target: Target, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` keep-alive connections, each sending its next request when the last is answered."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    connections = [httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    async def client(connection: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await connection.get(target.path, headers=target.headers)
                await response.aread()
                ok = response.status_code < 400
            except httpx.TransportError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client(c) for c in connections))
    finally:
        for connection in connections:
            await connection.aclose()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "seconds": elapsed,
        "errors": errors,
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
    }


def run_httpx(url: str, target: Target, clients: int, seconds: float) -> Load:
    """The httpx generator in its own process, so that its CPU is not the server's or this script's."""
    job = json.dumps(
        {"url": url, "path": target.path, "headers": target.headers, "clients": clients, "seconds": seconds}
    )
    completed = subprocess.run(
        [sys.executable, __file__, "--load-job", job],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    )
    return Load(**json.loads(completed.stdout))


def choose_generator(wanted: str) -> tuple[str, Callable[[str, Target, int, float], Load]]:
    if wanted == "wrk" or (wanted == "auto" and shutil.which("wrk")):
        if not shutil.which("wrk"):
            raise SystemExit("wrk is not installed (apt-get install -y wrk), or pass --generator httpx")
        return "wrk", run_wrk
    return "httpx", run_httpx


# ---------------------------------------------------------------------------------------- the servers


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def empty_app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """The baseline: answers every request with the same 2-byte JSON body and does nothing else."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})


def serve_empty(port: int) -> None:
    """Serve the empty app with the uvicorn settings of ``sebrus serve`` (cli/serve_cmd.py)."""
    import uvicorn

    uvicorn.run(empty_app, host="127.0.0.1", port=port, log_level="info")  # type: ignore[arg-type]


@contextmanager
def empty_server(log_dir: Path) -> Iterator[Server]:
    port = free_port()
    log_path = log_dir / "empty.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve-empty", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the empty app did not start:\n{log_path.read_text()[-3000:]}")
            try:
                httpx.get(server.url + "/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Seeded:
    dataset_id: int
    content_hash: str
    token: str
    items: int
    datasets: int


def seed(server: Server, items: int, datasets: int) -> Seeded:
    """``datasets`` datasets, the first holding ``items`` uploaded (anchored and indexed) images."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        owner = sign_up(client, "owner")
        dataset_id = create_dataset(client, owner, "reads-0")
        for n in range(1, datasets):
            create_dataset(client, owner, f"reads-{n}")
    outcome, _ = asyncio.run(upload_all(server.url, dataset_id, digit_pngs(items), [owner], 20))
    if set(outcome.statuses) != {201}:
        raise RuntimeError(f"seeding uploads answered {outcome.statuses}")
    with httpx.Client(base_url=server.url, timeout=60) as client:
        listed = client.get(f"/api/dataset/{dataset_id}/items", params={"limit": 1})
        listed.raise_for_status()
        content_hash: str = listed.json()["items"][0]["content_hash"]
    token = owner["Authorization"].removeprefix("Bearer ")
    return Seeded(dataset_id, content_hash, token, items, datasets)


def targets(server: Server, seeded: Seeded) -> dict[str, Target]:
    image = f"/api/dataset/{seeded.dataset_id}/items/{seeded.content_hash}/image"
    found = {
        "datasets": Target("/api/dataset", {}),
        "items": Target(f"/api/dataset/{seeded.dataset_id}/items", {}),
        "image": Target(image, {}),
        "dashboard": Target("/dashboard", {"Cookie": f"session={seeded.token}", "Accept": "text/html"}),
    }
    etag = httpx.get(server.url + image, timeout=10).headers.get("etag")
    if etag:
        found["image_304"] = Target(image, {"If-None-Match": etag})
    for name, target in found.items():  # every read must answer before it is timed
        answer = httpx.get(server.url + target.path, headers=target.headers, timeout=10)
        if answer.status_code not in (200, 304):
            raise RuntimeError(f"{name}: {target.path} answered {answer.status_code}: {answer.text[:300]}")
    return found


# ---------------------------------------------------------------------------------------- measuring


def measure(
    server: Server,
    target: Target,
    generate: Callable[[str, Target, int, float], Load],
    seconds: float,
) -> dict[str, Any]:
    """Each client count in turn; the figures per count and the best throughput among them."""
    by_clients: dict[str, dict[str, Any]] = {}
    for clients in CLIENT_LEVELS:
        cpu_before = cpu_seconds(server.process.pid)
        load = generate(server.url, target, clients, seconds)
        cpu_used = cpu_seconds(server.process.pid) - cpu_before
        if load.requests == 0:
            raise RuntimeError(f"{target.path}: no request was answered with {clients} clients")
        if load.errors:
            raise RuntimeError(f"{target.path}: {load.errors} failed requests with {clients} clients")
        by_clients[str(clients)] = {
            "requests_per_second": round(load.requests_per_second, 1),
            "p50_ms": round(max(load.p50_ms, 0.001), 3),
            "p99_ms": round(max(load.p99_ms, 0.001), 3),
            "requests": load.requests,
            # CPU ticks are 10 ms; a short run of a cheap read can see none, so the floor is one tick.
            "server_cpu_ms_per_request": round(max(cpu_used, 0.01) * 1000 / load.requests, 4),
        }
    best = max(by_clients.values(), key=lambda level: float(level["requests_per_second"]))
    return {
        "path": target.path,
        "requests_per_second": best["requests_per_second"],
        "p99_ms": best["p99_ms"],
        "server_cpu_ms_per_request": min(
            float(level["server_cpu_ms_per_request"]) for level in by_clients.values()
        ),
        "by_clients": by_clients,
    }


def print_table(report: dict[str, Any]) -> None:
    baseline = report["baseline"]
    rows = [("read", *(f"{c} clients req/s (p99 ms)" for c in CLIENT_LEVELS), "CPU ms/req", "vs baseline")]
    named = [*report["endpoints"].items(), ("baseline: empty ASGI app", baseline)]
    for name, figures in named:
        levels = [figures["by_clients"][str(c)] for c in CLIENT_LEVELS]
        cells = [f"{level['requests_per_second']:.0f} ({level['p99_ms']:.1f})" for level in levels]
        ratio = figures["requests_per_second"] / baseline["requests_per_second"]
        rows.append((name, *cells, f"{figures['server_cpu_ms_per_request']:.3f}", f"{ratio:.2f}"))
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
    for name in TARGETED:
        figures = report["endpoints"][name]
        verdict = "meets" if figures["requests_per_second"] >= TARGET_REQUESTS_PER_SECOND else "misses"
        print(
            f"{name}: {figures['requests_per_second']:.0f} requests/s, {verdict} the target of "
            f"{TARGET_REQUESTS_PER_SECOND}; {report['ratio_vs_baseline'][name]:.2f}x the empty app"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=300, help="items in the read dataset")
    parser.add_argument("--datasets", type=int, default=12, help="datasets in the list")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per read and client count")
    parser.add_argument("--generator", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--smoke", action="store_true", help="a second or so of each, for CI")
    parser.add_argument(
        "--baseline-only", action="store_true", help="measure only the empty app (checks a load generator)"
    )
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    parser.add_argument("--serve-empty", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load-job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_empty is not None:
        serve_empty(args.serve_empty)
        return 0
    if args.load_job is not None:
        job = json.loads(args.load_job)
        target = Target(job["path"], job["headers"])
        print(json.dumps(asyncio.run(_httpx_load(job["url"], target, job["clients"], job["seconds"]))))
        return 0
    if args.smoke:
        args.items, args.datasets, args.seconds = 40, 3, 1.0
    generator, generate = choose_generator(args.generator)

    report: dict[str, Any] = {
        "config": {
            "items": args.items,
            "datasets": args.datasets,
            "seconds_per_run": args.seconds,
            "client_levels": list(CLIENT_LEVELS),
            "load_generator": generator,
            "server_env": SERVER_ENV,
            "cpus": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "endpoints": {},
    }
    with tempfile.TemporaryDirectory(prefix="sebrus-reads-") as directory:
        if args.baseline_only:
            with empty_server(Path(directory)) as empty:
                report["baseline"] = measure(empty, Target("/", {}), generate, args.seconds)
            print(f"baseline: {report['baseline']['requests_per_second']} requests/s")
            if args.out is not None:
                args.out.write_text(json.dumps(report, indent=2) + "\n")
            return 0
        server = start_server(Path(directory) / "data")
        try:
            seeded = seed(server, args.items, args.datasets)
            for name, target in targets(server, seeded).items():
                report["endpoints"][name] = measure(server, target, generate, args.seconds)
                print(
                    f"{name}: {report['endpoints'][name]['requests_per_second']} requests/s", file=sys.stderr
                )
        except BaseException:
            server.stop()
            print(f"--- end of the server's log ---\n{server.log_path.read_text()[-6000:]}", file=sys.stderr)
            raise
        server.stop()
        with empty_server(Path(directory)) as empty:
            report["baseline"] = measure(empty, Target("/", {}), generate, args.seconds)
    base = report["baseline"]["requests_per_second"]
    report["ratio_vs_baseline"] = {
        name: round(figures["requests_per_second"] / base, 3) for name, figures in report["endpoints"].items()
    }
    report["config"]["load_average_at_end"] = list(os.getloadavg())
    report["summary"] = {
        "target_requests_per_second": TARGET_REQUESTS_PER_SECOND,
        "meets_target": {
            n: report["endpoints"][n]["requests_per_second"] >= TARGET_REQUESTS_PER_SECOND for n in TARGETED
        },
        "median_ratio_vs_baseline": round(statistics.median(report["ratio_vs_baseline"].values()), 3),
    }
    print_table(report)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
