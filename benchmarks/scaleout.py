"""Scale-out: two web processes and one worker against one process, on PostgreSQL, anvil and S3.

Both shapes run in the same session on the same services, each with a fresh PostgreSQL schema, a
fresh S3 bucket and its own deployment on one anvil node that the benchmark starts (and stops by
PID), beside moto's S3 server (likewise):

- one process: ``sebrus serve`` (web tier and every loop);
- scaled out: ``sebrus serve --workers 2`` (two stateless web processes) and one ``sebrus worker``.

Each receives the same number of single uploads with ``wait=true`` from ``--clients`` threads (so
an upload's answer means anchored and indexed), then is checked: every acknowledged upload is an
item (``lost``), no content hash is indexed twice (``duplicated``), no transaction of the run
reverted (``reverted_transactions``), and no process logged a nonce error (``nonce_errors``).

    .venv/bin/python benchmarks/scaleout.py --out scaleout.json          # 1,000 uploads each, minutes
    .venv/bin/python benchmarks/scaleout.py --smoke --out scaleout.json  # CI's version

On this 2-core machine the five processes share two cores, so the scaled-out figure shows that the
coordination costs little, not that throughput doubles: docs/scaling.md reads the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from web3 import HTTPProvider, Web3

from sebrus.testing.cluster import (
    Process,
    cluster_environment,
    free_port,
    reverted_transactions,
    start_web,
    start_worker,
    wait_for_log,
    wait_ready,
)
from sebrus.testing.databases import postgres_schema, postgres_server_url
from sebrus.testing.s3_server import FAKE_AWS, moto_server

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
LABELS = ["cat", "dog"]
PAGE = 100  # the API's largest page
NONCE_ERRORS = ("nonce too low", "nonce too high", "replacement transaction underpriced", "already known")


@contextmanager
def anvil(log_path: Path) -> Iterator[str]:
    """An anvil node on a free 127.0.0.1 port (the project's own npm install), stopped by PID."""
    binary = ROOT / "node_modules" / ".bin" / "anvil"
    if not binary.exists():
        raise SystemExit("anvil is not installed: run `make install-node` first")
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", str(port), "--silent", "--balance", "1000000"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                Web3(HTTPProvider(url)).eth.block_number  # noqa: B018 - a liveness probe
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"anvil did not start:\n{log_path.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def png(seed: int) -> bytes:
    """A small PNG whose bytes differ for every seed."""
    import io

    from PIL import Image

    image = Image.new("RGB", (16, 16), color=(seed % 256, (seed // 256) % 256, (seed // 65536) % 256))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def account(url: str, name: str) -> dict[str, str]:
    with httpx.Client(base_url=url, timeout=60) as http:
        assert http.post("/api/user", json={"username": name, "password": PASSWORD}).status_code == 201
        session = http.post("/api/session", json={"username": name, "password": PASSWORD})
        session.raise_for_status()
        return {"Authorization": f"Bearer {session.json()['session']['token']}"}


def run_uploads(url: str, seeds: range, clients: int) -> tuple[dict[str, int], float, int]:
    """Every seed's image uploaded with wait=true; statuses by content hash, seconds, and dataset id."""
    owner = account(url, "owner")
    with httpx.Client(base_url=url, timeout=60) as http:
        created = http.post(
            "/api/dataset",
            json={"datasetName": "scaleout", "description": "", "labels": LABELS},
            headers=owner,
        )
        created.raise_for_status()
        dataset_id = int(created.json()["new_dataset"]["id"])
    tokens = [account(url, f"contributor{n}") for n in range(4)]
    answers: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=clients)) as http:

        def send(seed: int) -> None:
            data = png(seed)
            response = http.post(
                f"/api/dataset/{dataset_id}/items",
                params={"label": LABELS[seed % 2]},
                content=data,
                headers={**tokens[seed % len(tokens)], "Content-Type": "image/png"},
            )
            answers[hashlib.sha256(data).hexdigest()] = response.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(send, seeds))
        elapsed = time.perf_counter() - started
    return answers, elapsed, dataset_id


def check(
    url: str, dataset_id: int, answers: dict[str, int], chain_url: str, first_block: int
) -> dict[str, int]:
    deadline = time.monotonic() + 300
    while True:
        report = httpx.get(f"{url}/api/dataset/{dataset_id}/audit", timeout=120).json()
        counts = report["counts"]
        if counts["outbox_pending"] == 0 and counts["outbox_sent"] == 0:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the outbox never drained: {counts}")
        time.sleep(0.5)
    hashes: list[str] = []
    offset = 0
    while True:
        page = httpx.get(
            f"{url}/api/dataset/{dataset_id}/items", params={"limit": PAGE, "offset": offset}, timeout=60
        ).json()["items"]
        hashes += [item["content_hash"] for item in page]
        if len(page) < PAGE:
            break
        offset += PAGE
    acknowledged = {h for h, status in answers.items() if status in (200, 201, 202)}
    return {
        "acknowledged": len(acknowledged),
        "lost": len(acknowledged - set(hashes)),
        "duplicated": len(hashes) - len(set(hashes)),
        "reverted_transactions": reverted_transactions(chain_url, first_block),
        "audit_ok": int(bool(report["ok"])),
    }


def run_shape(
    name: str, work: Path, chain_url: str, s3_endpoint: str, uploads: range, clients: int
) -> dict[str, Any]:
    import boto3

    first_block = int(Web3(HTTPProvider(chain_url)).eth.block_number) + 1
    bucket = f"sebrus-{name}-{os.getpid()}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    data_dir = work / name
    data_dir.mkdir()
    processes: list[Process] = []
    with postgres_schema(postgres_server_url()) as database_url:
        env = cluster_environment(
            data_dir, database_url, chain_url, blob_url=f"s3://{bucket}/blobs", s3_endpoint=s3_endpoint
        )
        try:
            if name == "one_process":
                port = free_port()
                web = Process("serve", ["serve", "--port", str(port)], env, work)
                processes.append(web)
                url = f"http://127.0.0.1:{port}"
                wait_ready(web, url)
            else:
                web, url = start_web(env, work, workers=2)
                processes.append(web)
                worker = start_worker(env, work, "worker")
                processes.append(worker)
                wait_for_log(worker, "took the relayer lease")
            before = {p.name: p.cpu_seconds() for p in processes}  # start-up (imports) left out
            answers, elapsed, dataset_id = run_uploads(url, uploads, clients)
            result: dict[str, Any] = dict(check(url, dataset_id, answers, chain_url, first_block))
            # CPU per upload, per role: the uploads and the wait for the outbox to drain.
            result["cpu_ms_per_upload"] = {
                p.name: round((p.cpu_seconds() - before[p.name]) * 1000 / len(uploads), 2) for p in processes
            }
        finally:
            for process in processes:
                process.stop()
    logs = "".join(p.log_text() for p in processes).lower()
    result["nonce_errors"] = sum(logs.count(marker) for marker in NONCE_ERRORS)
    result["images_per_second"] = round(len(uploads) / elapsed, 1)
    result["statuses"] = {str(s): list(answers.values()).count(s) for s in sorted(set(answers.values()))}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=1000, help="uploads per shape")
    parser.add_argument("--clients", type=int, default=64, help="uploads in flight")
    parser.add_argument("--smoke", action="store_true", help="CI's short version")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.uploads, args.clients = 60, 12
    os.environ.update({k: os.environ.get(k, v) for k, v in FAKE_AWS.items()})
    with tempfile.TemporaryDirectory(prefix="sebrus-scaleout-") as directory:
        work = Path(directory)
        with anvil(work / "anvil.log") as chain_url, moto_server(work / "moto.log") as (s3_endpoint, _pid):
            one = run_shape("one_process", work, chain_url, s3_endpoint, range(args.uploads), args.clients)
            print(f"one process: {one['images_per_second']} images/s", file=sys.stderr)
            scaled = run_shape(
                "scaled_out",
                work,
                chain_url,
                s3_endpoint,
                range(args.uploads, 2 * args.uploads),
                args.clients,
            )
            print(f"two web processes + a worker: {scaled['images_per_second']} images/s", file=sys.stderr)
    report = {
        "lost": scaled["lost"],
        "duplicated": scaled["duplicated"],
        "reverted_transactions": scaled["reverted_transactions"],
        "nonce_errors": scaled["nonce_errors"],
        "images_per_second": scaled["images_per_second"],
        "one_process_images_per_second": one["images_per_second"],
        "ratio": round(scaled["images_per_second"] / one["images_per_second"], 2),
        "scaled_out": scaled,
        "one_process": one,
        "config": {"uploads": args.uploads, "clients": args.clients, "cpus": os.cpu_count()},
    }
    print(
        f"scaled out: {report['images_per_second']} images/s vs one process "
        f"{report['one_process_images_per_second']} ({report['ratio']}x); lost {report['lost']}, "
        f"duplicated {report['duplicated']}, reverted {report['reverted_transactions']}, "
        f"nonce errors {report['nonce_errors']}"
    )
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    clean = (
        report["lost"]
        == report["duplicated"]
        == report["reverted_transactions"]
        == report["nonce_errors"]
        == 0
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
