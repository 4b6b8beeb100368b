"""Seed 004's federated claim, measured: loss-based elimination of poisoning clients under ε-LDP.

A cell is one federation: MNIST-5k (4,000 training images over the clients, 1,000 held out), an
IID or Dirichlet(0.5) split, an attack on a fraction of clients, a per-report ε, and the defence on
or off. Attacks: ``label_flip`` (every local label y becomes 9 - y) and ``backdoor`` (half of each
attacker's images get sebrus.detect's checkerboard patch and the label 0).

Two transports run the same ``SebrusClient`` and ``EliminatingFedAvg``:

* ``grpc`` (default; ``--quick`` and the CI test): one server process and one process per client,
  talking over Flower's gRPC transport on 127.0.0.1; each client reads its own ImageFolder.
* ``inprocess`` (the full grid): the clients' ``fit`` and the strategy's ``aggregate_fit`` are called
  in one process, with parameters passed through Flower's own (de)serialisation. It skips only the
  network and process start-up, which would cost 20 Python+torch start-ups per cell on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from eth_account import Account
from eth_account.signers.local import LocalAccount
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server.client_proxy import ClientProxy

from sebrus.detect.attacks import patch_trigger
from sebrus.detect.models import to_tensor, torch_threads
from sebrus.federated.client import LocalData, SebrusClient
from sebrus.federated.config import FederationConfig, build_model, initial_ndarrays, load_ndarrays
from sebrus.federated.partition import dirichlet_split, iid_split
from sebrus.federated.records import RoundRecord
from sebrus.federated.strategy import EliminatingFedAvg, decode_npz

Attack = Literal["none", "label_flip", "backdoor"]
Split = Literal["iid", "dirichlet"]
Transport = Literal["grpc", "inprocess"]
BACKDOOR_TARGET = 0
BACKDOOR_RATE = 0.5
DIRICHLET_ALPHA = 0.5
N_TEST = 1000
#: L = ln 10, the loss of a uniform guess over the ten digits. Label-flipping clients' training loss
#: sits near it (~2.2 measured) while honest clients' falls below 1 within a few rounds, so clipping
#: at L wastes little sensitivity (and so little noise) on values no informative report takes.
LOSS_CLIP = math.log(10)


@dataclass(frozen=True)
class Cell:
    attack: Attack
    malicious_fraction: float
    epsilon: float | None
    split: Split
    defence: bool = True
    loss_window: int | None = None
    n_clients: int = 20
    rounds: int = 20
    seed: int = 0

    @property
    def name(self) -> str:
        eps = "inf" if self.epsilon is None else f"{self.epsilon:g}"
        d = "defended" if self.defence else "undefended"
        if self.loss_window:
            d += f"-window{self.loss_window}"
        size = f"{self.n_clients}c{self.rounds}r"
        return f"{self.attack}-{self.malicious_fraction:g}-eps{eps}-{self.split}-{d}-{size}"


@dataclass(frozen=True)
class ClientData:
    images: np.ndarray
    labels: np.ndarray
    malicious: bool


def _account(i: int, seed: int) -> LocalAccount:
    return Account.from_key(hashlib.sha256(f"sebrus-federated-experiment-{seed}-{i}".encode()).digest())


def load_split(cell: Cell) -> tuple[list[ClientData], np.ndarray, np.ndarray]:
    """The clients' (attacked) local sets and the clean held-out test set."""
    from sebrus.detect.datasets import load_mnist5k

    images, labels = load_mnist5k()
    order = np.random.default_rng(1000 + cell.seed).permutation(len(labels))
    test, train = order[:N_TEST], order[N_TEST:]
    x, y = images[train], labels[train]
    parts = (
        iid_split(len(y), cell.n_clients, cell.seed)
        if cell.split == "iid"
        else dirichlet_split(y, cell.n_clients, DIRICHLET_ALPHA, cell.seed)
    )
    n_bad = round(cell.malicious_fraction * cell.n_clients) if cell.attack != "none" else 0
    bad = set(np.random.default_rng(2000 + cell.seed).permutation(cell.n_clients)[:n_bad].tolist())
    rng = np.random.default_rng(3000 + cell.seed)
    clients = []
    for i, idx in enumerate(parts):
        cx, cy = x[idx].copy(), y[idx].copy()
        if i in bad and cell.attack == "label_flip":
            cy = 9 - cy
        elif i in bad and cell.attack == "backdoor":
            pick = rng.permutation(len(cy))[: max(1, round(BACKDOOR_RATE * len(cy)))]
            cx[pick] = patch_trigger(cx[pick])
            cy[pick] = BACKDOOR_TARGET
        clients.append(ClientData(cx, cy, i in bad))
    return clients, images[test], labels[test]


def federation_config(cell: Cell) -> FederationConfig:
    return FederationConfig(
        federation_id=1,
        labels=tuple(str(d) for d in range(10)),
        rounds=cell.rounds,
        epsilon=cell.epsilon,
        loss_clip=LOSS_CLIP,
        loss_window=cell.loss_window,
        elimination="kmeans_gap" if cell.defence else "none",
        min_clients=cell.n_clients,
        seed=cell.seed,
    )


def predict(config: FederationConfig, arrays: list[np.ndarray], images: np.ndarray) -> np.ndarray:
    import torch

    module = build_model(config)
    load_ndarrays(module, arrays)
    module.eval()
    with torch_threads(1), torch.no_grad():
        return np.asarray(module(to_tensor(images)).argmax(dim=1).numpy())


class _InProcessProxy(ClientProxy):
    """Stands in for Flower's per-connection proxy when ``aggregate_fit`` is called in-process."""

    def _unused(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("in-process proxies only label results")

    get_properties = get_parameters = fit = evaluate = reconnect = _unused


def run_inprocess(cell: Cell, clients: list[ClientData]) -> tuple[list[RoundRecord], list[np.ndarray]]:
    config = federation_config(cell)
    strategy = EliminatingFedAvg(config, initial_ndarrays(config))
    actors = [
        SebrusClient(
            LocalData(images=c.images, labels=c.labels),
            _account(i, cell.seed),
            1,
            noise_seed=7919 * cell.seed + i,
            train_seed=i,
        )
        for i, c in enumerate(clients)
    ]
    params = ndarrays_to_parameters(strategy.current)
    for rnd in range(1, cell.rounds + 1):
        fit_config = strategy._fit_config(rnd)
        results: list[tuple[ClientProxy, FitRes]] = []
        for i, actor in enumerate(actors):
            arrays, n, metrics = actor.fit(parameters_to_ndarrays(params), fit_config)
            res = FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, metrics)
            results.append((_InProcessProxy(str(i)), res))
        new, _ = strategy.aggregate_fit(rnd, results, [])
        if new is not None:
            params = new
    return strategy.records, strategy.current


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_image_folder(root: Path, images: np.ndarray, labels: np.ndarray) -> None:
    from PIL import Image

    for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
        folder = root / str(int(lab))
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(img * 255).astype(np.uint8), mode="L").save(folder / f"{i:05d}.png")


def run_grpc(
    config: FederationConfig,
    client_dirs: list[Path],
    keys: list[LocalAccount],
    work: Path,
    *,
    noise_seed: int = 0,
    timeout: float = 600.0,
    extra_client_args: dict[int, list[str]] | None = None,
) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """One server process and one process per client over gRPC on 127.0.0.1; returns records and weights."""
    address = f"127.0.0.1:{_free_port()}"
    (work / "config.json").write_text(config.to_json(), encoding="utf-8")
    records, final = work / "records.jsonl", work / "final.npz"
    py = [sys.executable, "-m", "sebrus.federated.proc"]
    logs = []
    server_log = (work / "server.log").open("w")
    logs.append(server_log)
    server_args = ["--config", str(work / "config.json"), "--address", address]
    server_args += ["--clients", str(len(client_dirs)), "--records", str(records), "--final", str(final)]
    # Our own interpreter running our own module with paths we made: no shell, no outside input.
    server = subprocess.Popen([*py, "server", *server_args], stdout=server_log, stderr=subprocess.STDOUT)  # noqa: S603
    procs = []
    try:
        from sebrus.federated.transport import wait_for_port

        wait_for_port("127.0.0.1", int(address.rsplit(":", 1)[1]))
        for i, (d, key) in enumerate(zip(client_dirs, keys, strict=True)):
            key_file = work / f"key{i}.txt"
            key_file.write_text(
                key.key.to_0x_hex() if hasattr(key.key, "to_0x_hex") else "0x" + key.key.hex()
            )
            log = (work / f"client{i}.log").open("w")
            logs.append(log)
            args = [*py, "client", "--data", str(d), "--key-file", str(key_file), "--address", address]
            args += ["--federation", str(config.federation_id), "--noise-seed", str(noise_seed * 7919 + i)]
            args += ["--train-seed", str(i), *(extra_client_args or {}).get(i, [])]
            procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
        server.wait(timeout=timeout)
        for p in procs:
            p.wait(timeout=60)
    finally:
        for p in [server, *procs]:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    if server.returncode != 0 or not final.exists():
        tail = (work / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"federation server exited with {server.returncode}:\n{tail}")
    from sebrus.federated.proc import read_records

    return read_records(records), decode_npz(final.read_bytes())


def run_cell_grpc(cell: Cell, clients: list[ClientData]) -> tuple[list[RoundRecord], list[np.ndarray]]:
    config = federation_config(cell)
    with tempfile.TemporaryDirectory(prefix="sebrus-fed-") as tmp:
        work = Path(tmp)
        dirs = []
        for i, c in enumerate(clients):
            d = work / f"client{i}"
            write_image_folder(d, c.images, c.labels)
            dirs.append(d)
        keys = [_account(i, cell.seed) for i in range(len(clients))]
        raw, final = run_grpc(config, dirs, keys, work, noise_seed=cell.seed)
    records = [
        RoundRecord(
            federation_id=int(r["federation_id"]),
            round_index=int(r["round_index"]),
            participants=tuple(r["participants"]),
            excluded=tuple(r["excluded"]),
            refused=tuple(r["refused"]),
            separated=bool(r["separated"]),
            aggregate_sha256=str(r["aggregate_sha256"]),
            loss_reports_sha256=str(r["loss_reports_sha256"]),
        )
        for r in raw
    ]
    return records, final


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score(
    cell: Cell, records: list[RoundRecord], final: list[np.ndarray], clients: list[ClientData],
    test_x: np.ndarray, test_y: np.ndarray,
) -> dict[str, Any]:  # fmt: skip
    config = federation_config(cell)
    wallets = [_account(i, cell.seed).address for i in range(len(clients))]
    bad = {w for w, c in zip(wallets, clients, strict=True) if c.malicious}
    honest = set(wallets) - bad
    last = set(records[-1].excluded) if records else set()
    ever = set().union(*(set(r.excluded) for r in records)) if records else set()
    later = [r for r in records if r.round_index >= 2]
    cr_tp = sum(len(set(r.excluded) & bad) for r in later)
    cr_ex = sum(len(r.excluded) for r in later)
    pred = predict(config, final, test_x)
    out: dict[str, Any] = {**asdict(cell), "cell": cell.name}
    out["epsilon"] = "inf" if cell.epsilon is None else cell.epsilon
    out["n_malicious"] = len(bad)
    out["accuracy"] = float(np.mean(pred == test_y))
    if cell.attack == "label_flip":
        out["attack_success"] = float(np.mean(pred == 9 - test_y))
    elif cell.attack == "backdoor":
        keep = test_y != BACKDOOR_TARGET
        out["attack_success"] = float(
            np.mean(predict(config, final, patch_trigger(test_x[keep])) == BACKDOOR_TARGET)
        )
    else:
        out["attack_success"] = None
    out["malicious_recall"] = _ratio(len(last & bad), len(bad))
    out["malicious_precision"] = _ratio(len(last & bad), len(last))
    out["honest_excluded"] = len(ever & honest)
    out["client_round_recall"] = _ratio(cr_tp, len(bad) * len(later))
    out["client_round_precision"] = _ratio(cr_tp, cr_ex)
    full = [r.round_index for r in records if bad and bad <= set(r.excluded)]
    out["first_round_all_malicious_excluded"] = full[0] if full else None
    out["separated_rounds"] = sum(r.separated for r in records)
    out["refused"] = sum(len(r.refused) for r in records)
    out["privacy_spent_per_client"] = None if cell.epsilon is None else cell.epsilon * cell.rounds
    return out


def run_cell(cell: Cell, transport: Transport) -> dict[str, Any]:
    started = time.perf_counter()
    clients, test_x, test_y = load_split(cell)
    runner = run_cell_grpc if transport == "grpc" else run_inprocess
    records, final = runner(cell, clients)
    result = score(cell, records, final, clients, test_x, test_y)
    result["transport"] = transport
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


EPSILONS: tuple[float | None, ...] = (1.0, None, 0.5, 2.0, 5.0)
ATTACKS: tuple[tuple[Attack, float], ...] = (
    ("label_flip", 0.2), ("none", 0.0), ("label_flip", 0.1), ("label_flip", 0.4), ("backdoor", 0.2),
)  # fmt: skip


def quick_cells() -> list[Cell]:
    base = Cell("label_flip", 0.25, 1.0, "iid", n_clients=8, rounds=3)
    return [base, replace(base, defence=False)]


def full_cells(rounds: int = 20) -> list[Cell]:
    """The grid, most informative cells first, so a run stopped early still answers the targets:
    20% label flipping and the all-honest federation at ε = 1 and ∞, IID then Dirichlet; then the
    rest of ε for 20% flipping; then the other attacks; then everything else."""
    order: list[Cell] = []

    def add(attack: Attack, frac: float, eps: float | None, split: Split, defence: bool = True) -> None:
        cell = Cell(attack, frac, eps, split, defence=defence, rounds=rounds)
        if cell not in order:
            order.append(cell)

    splits: tuple[Split, ...] = ("iid", "dirichlet")
    for split in splits:
        add("label_flip", 0.2, None, split, defence=False)
        add("label_flip", 0.2, 1.0, split)
        add("none", 0.0, 1.0, split)
        add("label_flip", 0.2, None, split)
        add("none", 0.0, None, split)
    for more_eps in (0.5, 2.0, 5.0):
        add("label_flip", 0.2, more_eps, "iid")
    for attack, frac in ATTACKS:
        for split in splits:
            add(attack, frac, None, split, defence=False)
            add(attack, frac, 1.0, split)
            add(attack, frac, None, split)
    for eps in EPSILONS:
        for attack, frac in ATTACKS:
            for split in splits:
                add(attack, frac, eps, split)
    return order


def run_study(
    cells: list[Cell],
    transport: Transport,
    out: Path,
    on_cell: Callable[[dict[str, Any]], None] | None = None,
    *,
    resume: bool = False,
) -> list[dict[str, Any]]:
    """Run the cells in order, rewriting the JSON and CSV after each so partial results survive.

    With ``resume``, cells already in ``out``'s JSON (by name) are kept and not rerun.
    """
    from sebrus.federated.experiment_figures import results_markdown, write_csv, write_figures

    results: list[dict[str, Any]] = []
    previous = out / "federated_results.json"
    if resume and previous.exists():
        wanted = {c.name for c in cells}
        results = [
            r for r in json.loads(previous.read_text(encoding="utf-8"))["cells"] if r["cell"] in wanted
        ]
    done = {r["cell"] for r in results}
    for cell in cells:
        if cell.name in done:
            continue
        results.append(run_cell(cell, transport))
        pair_with_baselines(results)
        payload = {"cells": results, "complete": len(results) == len(cells)}
        (out / "federated_results.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
        write_csv(results, out / "federated_results.csv")
        (out / "federated_results.md").write_text(results_markdown(results), encoding="utf-8")
        if on_cell is not None:
            on_cell(results[-1])
    write_figures(results, out)
    return results


def pair_with_baselines(results: list[dict[str, Any]]) -> None:
    """Give each defended cell its undefended twin's numbers and the all-honest federation's accuracy."""

    def key(r: dict[str, Any], *fields: str) -> tuple[Any, ...]:
        return tuple(r[f] for f in fields)

    same = ("attack", "malicious_fraction", "split", "n_clients", "rounds", "seed")
    undefended = {key(r, *same): r for r in results if not r["defence"]}
    honest = {
        key(r, "split", "epsilon", "n_clients", "rounds", "seed"): r for r in results if r["attack"] == "none"
    }
    for r in results:
        if not r["defence"]:
            continue
        base = undefended.get(key(r, *same))
        r["accuracy_without_defence"] = base["accuracy"] if base else None
        r["attack_success_without_defence"] = base["attack_success"] if base else None
        ref = honest.get(key(r, "split", "epsilon", "n_clients", "rounds", "seed"))
        r["accuracy_all_honest"] = ref["accuracy"] if ref else None


def simulate_detection(
    epsilon: float | None,
    rounds: int,
    *,
    n_clients: int = 20,
    n_malicious: int = 4,
    honest_loss: float = 0.5,
    honest_spread: float = 0.15,
    malicious_loss: float = 2.2,
    trials: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """The gap test alone on synthetic true losses: how many rounds a given ε needs.

    No training: each client's true loss is fixed (honest ~ N(honest_loss, honest_spread), malicious
    at malicious_loss, defaults near what the ε = ∞ federations measured after a few rounds), each
    round adds the mechanism's noise, and the final round's decision is scored. This isolates the
    privacy arithmetic from the learning, so it can say what would close a missed target.
    """
    from sebrus.federated.clustering import gap_test
    from sebrus.federated.ldp import noise_scale

    rng = np.random.default_rng(seed)
    scale = noise_scale("laplace", LOSS_CLIP, epsilon)
    tp = fp = flagged = 0
    for _ in range(trials):
        truth = np.r_[
            rng.normal(honest_loss, honest_spread, n_clients - n_malicious),
            np.full(n_malicious, malicious_loss),
        ]
        truth = np.clip(truth, 0.0, LOSS_CLIP)
        noise = (
            rng.laplace(0.0, scale, size=(n_clients, rounds)) if scale > 0 else np.zeros((n_clients, rounds))
        )
        means = truth + noise.mean(axis=1)
        d = gap_test(
            means,
            np.full(n_clients, rounds),
            clip=LOSS_CLIP,
            mechanism=None if epsilon is None else "laplace",
        )
        if d.separated:
            tp += int(d.high[n_clients - n_malicious :].sum())
            fp += int(d.high[: n_clients - n_malicious].sum())
            flagged += int(d.high.sum())
    return {
        "epsilon": float("inf") if epsilon is None else epsilon,
        "rounds": rounds,
        "recall": tp / (trials * n_malicious),
        "precision": tp / flagged if flagged else float("nan"),
        "honest_excluded_per_federation": fp / trials,
    }


SIMULATED_ROUNDS = (3, 10, 20, 50, 100, 200)


def simulate_grid(out: Path, trials: int = 100) -> list[dict[str, float]]:
    """``simulate_detection`` over ε and rounds; writes federated_simulation.json and its figure."""
    from sebrus.federated.experiment_figures import write_simulation_figure

    rows = [simulate_detection(eps, r, trials=trials) for eps in EPSILONS for r in SIMULATED_ROUNDS]
    text = json.dumps(rows, indent=2).replace("NaN", "null")
    (out / "federated_simulation.json").write_text(text, encoding="utf-8")
    write_simulation_figure(rows, out)
    return rows
