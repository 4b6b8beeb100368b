"""Gas per anchored image, against a paper-faithful baseline, and images anchored per second.

The baseline (benchmarks/contracts/PaperBaseline.sol) follows the paper's design: a new DataImage
contract per image holding the image as base64 and its label as a string. SeBRUS anchors only the
sha256 and a label index in one storage slot (or many items per transaction with submitBatch).

    .venv/bin/python benchmarks/gas_and_throughput.py --out gas.json          # full run, a few minutes
    .venv/bin/python benchmarks/gas_and_throughput.py --smoke --out gas.json  # CI's small version

Needs Node and node_modules (npm ci) to compile the baseline and to start anvil on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from eth_account import Account
from eth_account.signers.local import LocalAccount
from PIL import Image
from sklearn.datasets import load_digits
from web3 import Web3

from sebrus.chain.backends import ChainHandle, open_chain
from sebrus.chain.operators import write_keystore
from sebrus.chain.types import Submission
from sebrus.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # local dev node only


def digit_pngs(count: int, side: int) -> list[tuple[bytes, str]]:
    """sklearn's bundled 8x8 digits as 8-bit grayscale PNG, ``side`` pixels square, with their classes.

    side=28 renders them at MNIST's size, which the paper names as its target; side=8 keeps them
    native. The baseline's cost grows with the image, SeBRUS's does not (it anchors a hash).
    """
    digits = load_digits()
    images = []
    for pixels, target in zip(digits.images[:count], digits.target[:count], strict=True):
        grey = Image.fromarray(np.clip(pixels * (255.0 / 16.0), 0, 255).astype(np.uint8), mode="L")
        if side != grey.width:
            grey = grey.resize((side, side), Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        grey.save(buffer, format="PNG", optimize=True)
        images.append((buffer.getvalue(), str(int(target))))
    return images


def compile_baseline() -> dict[str, dict[str, Any]]:
    out = Path(tempfile.mkdtemp(prefix="sebrus-baseline-"))
    subprocess.run(
        ["node", str(ROOT / "scripts/compile_contracts.mjs"), "--with-benchmarks", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return {
        name: json.loads((out / f"{name}.json").read_text())
        for name in ("PaperDatasetManager", "PaperDataset")
    }


def measure_baseline(
    handle: ChainHandle, images: list[tuple[bytes, str]], artifacts: dict[str, Any]
) -> float:
    ledger, sender = handle.ledger, handle.operators.deployer
    w3 = ledger.w3
    manager_art = artifacts["PaperDatasetManager"]
    factory = w3.eth.contract(abi=manager_art["abi"], bytecode=manager_art["bytecode"])
    manager = ledger.created_address(ledger.transact(sender, data=factory.constructor().data_in_transaction))
    manager_contract = w3.eth.contract(address=manager, abi=manager_art["abi"])  # type: ignore[call-overload]
    create = manager_contract.encode_abi("createDataset", args=["digits", "paper baseline"])
    ledger.transact(sender, to=manager, data=create)
    dataset = manager_contract.functions.getDataset(0).call()
    dataset_contract = w3.eth.contract(address=dataset, abi=artifacts["PaperDataset"]["abi"])  # type: ignore[call-overload]
    gas = []
    for png, label in images:
        call = dataset_contract.encode_abi("createDataImage", args=[base64.b64encode(png).decode(), label])
        gas.append(ledger.transact(sender, to=dataset, data=call).gas_used)
    return statistics.mean(gas)


def fresh_account(handle: ChainHandle) -> LocalAccount:
    account: LocalAccount = Account.create()
    handle.ledger.transfer(handle.operators.deployer, account.address, 10**20)
    return account


def measure_sebrus(handle: ChainHandle, images: list[tuple[bytes, str]], tag: str) -> dict[str, float]:
    ledger = handle.ledger
    owner, contributor, relayer = fresh_account(handle), fresh_account(handle), fresh_account(handle)
    labels = [str(d) for d in range(10)]
    results: dict[str, float] = {}

    def dataset(name: str) -> str:
        return ledger.create_dataset(owner, name=f"{name}-{tag}", description="bench", labels=labels).address

    target = dataset("submit")
    results["submit"] = statistics.mean(
        ledger.submit(contributor, target, hashlib.sha256(png).digest(), label).gas_used
        for png, label in images
    )
    target = dataset("submitFor")
    results["submitFor"] = statistics.mean(
        ledger.submit_for(
            relayer,
            target,
            ledger.sign_contribution(contributor, target, hashlib.sha256(png).digest(), label),
        ).gas_used
        for png, label in images
    )
    target = dataset("submitBatch")
    batch = [Submission(hashlib.sha256(png).digest(), int(label)) for png, label in images]
    results["submitBatch"] = ledger.submit_batch(contributor, target, batch).gas_used / len(batch)
    target = dataset("submitBatchFor")
    signed = [ledger.sign_contribution(contributor, target, s.content_hash, s.label) for s in batch]
    results["submitBatchFor"] = ledger.submit_batch_for(relayer, target, signed).gas_used / len(signed)
    return results


def measure_throughput(handle: ChainHandle, count: int, tag: str) -> dict[str, float]:
    """Images anchored per second: one transaction per image, and batches of up to 256."""
    ledger = handle.ledger
    owner = fresh_account(handle)
    labels = [str(d) for d in range(10)]
    target = ledger.create_dataset(owner, name=f"single-{tag}", description="bench", labels=labels).address
    hashes = [hashlib.sha256(f"{tag}-single-{i}".encode()).digest() for i in range(count)]
    started = time.perf_counter()
    for i, digest in enumerate(hashes):
        ledger.submit(owner, target, digest, i % 10)
    single = count / (time.perf_counter() - started)

    target = ledger.create_dataset(owner, name=f"batch-{tag}", description="bench", labels=labels).address
    batch_total = count * 10
    items = [
        Submission(hashlib.sha256(f"{tag}-batch-{i}".encode()).digest(), i % 10) for i in range(batch_total)
    ]
    started = time.perf_counter()
    for start in range(0, batch_total, 256):
        ledger.submit_batch(owner, target, items[start : start + 256])
    batched = batch_total / (time.perf_counter() - started)
    return {"submit_images_per_s": round(single, 1), "submitBatch_images_per_s": round(batched, 1)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_anvil() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = ROOT / "node_modules/.bin/anvil"
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if Web3(Web3.HTTPProvider(url)).is_connected():
                return process, url
        except Exception:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("anvil did not start within 20 s")


def open_anvil(url: str) -> ChainHandle:
    data_dir = Path(tempfile.mkdtemp(prefix="sebrus-bench-anvil-"))
    password = "bench"
    write_keystore(data_dir / "keystores", "deployer", ANVIL_KEY_0, password)
    settings = Settings(
        data_dir=data_dir, chain_url=url, keystore_dir=data_dir / "keystores", keystore_password=password
    )
    handle = open_chain(settings)
    handle.init()
    return handle


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    parser.add_argument("--images", type=int, default=100, help="images to anchor per method (max 256)")
    parser.add_argument("--smoke", action="store_true", help="a small, quick run for CI")
    parser.add_argument("--no-anvil", action="store_true", help="skip the anvil throughput figures")
    args = parser.parse_args()
    count = min(32 if args.smoke else args.images, 256)

    images = digit_pngs(count, 28)
    native = digit_pngs(count, 8)
    artifacts = compile_baseline()
    data_dir = Path(tempfile.mkdtemp(prefix="sebrus-bench-embedded-"))
    embedded = open_chain(Settings(data_dir=data_dir))
    embedded.init()
    try:
        baseline = measure_baseline(embedded, images, artifacts)
        baseline_native = measure_baseline(embedded, native, artifacts)
        sebrus = measure_sebrus(embedded, images, "embedded")
        throughput = {"embedded": measure_throughput(embedded, count, "embedded")}
    finally:
        embedded.close()

    anvil_process = None
    if not args.no_anvil:
        anvil_process, url = start_anvil()
        try:
            anvil = open_anvil(url)
            throughput["anvil"] = measure_throughput(anvil, count, "anvil")
            anvil.close()
        finally:
            anvil_process.terminate()
            anvil_process.wait(timeout=10)

    gas = {"paper_baseline": round(baseline), **{k: round(v) for k, v in sebrus.items()}}
    ratios = {k: round(baseline / v, 1) for k, v in sebrus.items()}
    report = {
        "images": {
            "count": count,
            "source": "sklearn load_digits rendered to 28x28 grayscale PNG (MNIST's size)",
            "mean_png_bytes": round(statistics.mean(len(p) for p, _ in images), 1),
        },
        "gas_per_image": gas,
        "ratio_vs_paper": ratios,
        "native_8x8": {
            "mean_png_bytes": round(statistics.mean(len(p) for p, _ in native), 1),
            "paper_baseline_gas_per_image": round(baseline_native),
            "ratio_vs_paper": {k: round(baseline_native / v, 1) for k, v in sebrus.items()},
        },
        "throughput": throughput,
        "targets": {"submit_ratio_min": 10, "submitBatch_ratio_min": 25},
        "targets_met": {"submit": ratios["submit"] >= 10, "submitBatch": ratios["submitBatch"] >= 25},
    }
    print(f"{'method':<16}{'gas/image':>12}{'x less than paper':>20}")
    print(f"{'paper baseline':<16}{gas['paper_baseline']:>12}{'1.0':>20}")
    for method, ratio in ratios.items():
        print(f"{method:<16}{gas[method]:>12}{ratio:>20}")
    print(
        f"at native 8x8 ({report['native_8x8']['mean_png_bytes']} bytes/PNG) the baseline costs "
        f"{round(baseline_native)} gas/image: "
        + ", ".join(f"{k} {v}x" for k, v in report["native_8x8"]["ratio_vs_paper"].items())
    )
    for where, figures in throughput.items():
        print(f"throughput on {where}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
