"""The server strategy: Flower's FedAvg, screening each report and leaving the high-loss cluster out.

Per round (``aggregate_fit``): every result is screened (signature, shapes, dtypes, finiteness,
loss range; see ``screen_result``). A refused client is recorded and the round goes on without it.
The accepted clients' running mean losses go through the gap test (``clustering.gap_test``); when it
finds two clusters, the high one is excluded. FedAvg then averages the rest, weighted by
num_examples, and the decision is handed to the ``RoundSink`` as a ``RoundRecord``.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from eth_utils import is_checksum_address
from flwr.common import FitRes, Parameters, Scalar, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAvg

from sebrus.federated.clustering import gap_test
from sebrus.federated.config import FederationConfig, build_model, load_ndarrays
from sebrus.federated.ldp import report_range
from sebrus.federated.records import LossReport, RoundRecord, RoundSink
from sebrus.federated.reports import loss_reports_sha256, params_sha256, recover_wallet

EvaluateFn = Callable[[int, list[np.ndarray], dict[str, Scalar]], tuple[float, dict[str, Scalar]] | None]


@dataclass(frozen=True)
class Screened:
    """One result after screening: the report and update if accepted, else why not."""

    who: str
    report: LossReport | None
    arrays: list[np.ndarray] | None
    reason: str = ""


def screen_result(
    config: FederationConfig,
    server_round: int,
    shapes: list[tuple[int, ...]],
    arrays: list[np.ndarray],
    num_examples: int,
    metrics: dict[str, Scalar],
    allowed: frozenset[str] | None = None,
) -> Screened:
    """Accept a client's result only if it is well formed, in range and signed by its wallet."""
    wallet = metrics.get("wallet")
    who = wallet if isinstance(wallet, str) and is_checksum_address(wallet) else "unknown"
    if who == "unknown":
        return Screened(who, None, None, "no checksummed wallet address in the report")
    if allowed is not None and who not in allowed:
        return Screened(who, None, None, "wallet is not a member of this federation")
    if len(arrays) != len(shapes) or any(a.shape != s for a, s in zip(arrays, shapes, strict=False)):
        return Screened(who, None, None, "update does not have the model's tensor shapes")
    if any(a.dtype != np.float32 for a in arrays):
        return Screened(who, None, None, "update tensors are not float32")
    if not all(bool(np.isfinite(a).all()) for a in arrays):
        return Screened(who, None, None, "update contains NaN or infinity")
    loss, signature = metrics.get("noisy_loss"), metrics.get("signature")
    if not isinstance(loss, float) or not math.isfinite(loss) or not isinstance(signature, str):
        return Screened(who, None, None, "report lacks a finite noisy_loss or a signature")
    low, high = report_range(config.mechanism, config.loss_clip, config.epsilon, config.delta)
    if not low <= loss <= high:
        return Screened(who, None, None, f"noisy loss {loss:.4g} outside [{low:.4g}, {high:.4g}]")
    if num_examples < 1:
        return Screened(who, None, None, "num_examples must be positive")
    report = LossReport(who, loss, int(num_examples), signature)
    if recover_wallet(report, config.federation_id, server_round, params_sha256(arrays)) != who:
        return Screened(who, None, None, "signature does not verify for this round and update")
    return Screened(who, report, arrays)


def safetensors_bytes(config: FederationConfig, arrays: list[np.ndarray]) -> bytes:
    """The model as safetensors bytes (the project's safe weights format), for the final artefact."""
    from safetensors.torch import save

    module = build_model(config)
    load_ndarrays(module, arrays)
    return bytes(save({k: v.contiguous() for k, v in module.state_dict().items()}))


class EliminatingFedAvg(FedAvg):
    """FedAvg that refuses malformed reports and leaves out the separated high-loss cluster."""

    def __init__(
        self,
        config: FederationConfig,
        initial: list[np.ndarray],
        sink: RoundSink | None = None,
        *,
        allowed_wallets: frozenset[str] | None = None,
        evaluate_fn: EvaluateFn | None = None,
        min_clients: int | None = None,
    ) -> None:
        n = min_clients or config.min_clients
        super().__init__(
            fraction_fit=1.0,
            fraction_evaluate=0.0,
            min_fit_clients=n,
            min_evaluate_clients=n,
            min_available_clients=n,
            evaluate_fn=evaluate_fn,
            on_fit_config_fn=self._fit_config,
            accept_failures=True,
            initial_parameters=ndarrays_to_parameters(initial),
            inplace=False,
        )
        self.config = config
        self.shapes = [tuple(a.shape) for a in initial]
        self.current = [np.asarray(a, dtype=np.float32) for a in initial]
        self.sink = sink
        self.allowed = allowed_wallets
        self.history: dict[str, list[float]] = {}
        self.records: list[RoundRecord] = []
        self.refusal_reasons: dict[tuple[int, str], str] = {}

    def _fit_config(self, server_round: int) -> dict[str, Scalar]:
        return {"federation": self.config.to_json(), "round": server_round}

    def aggregate_fit(
        self,
        server_round: int,
        results: list[tuple[ClientProxy, FitRes]],
        failures: list[tuple[ClientProxy, FitRes] | BaseException],
    ) -> tuple[Parameters | None, dict[str, Scalar]]:
        accepted: list[Screened] = []
        refused: list[str] = []
        seen: set[str] = set()
        for proxy, res in results:
            try:
                arrays = parameters_to_ndarrays(res.parameters)
            except Exception as exc:  # undecodable tensors: numpy raises several types
                named = res.metrics.get("wallet")  # the client's word: kept only if it is an address
                who = named if isinstance(named, str) and is_checksum_address(named) else f"node:{proxy.cid}"
                refused.append(who)
                self.refusal_reasons[(server_round, who)] = f"update could not be decoded: {exc}"
                continue
            s = screen_result(
                self.config, server_round, self.shapes, arrays, res.num_examples, res.metrics, self.allowed
            )
            if s.report is not None and s.who in seen:
                s = Screened(s.who, None, None, "second report from the same wallet in one round")
            if s.report is None:
                who = s.who if s.who != "unknown" else f"node:{proxy.cid}"
                refused.append(who)
                self.refusal_reasons[(server_round, who)] = s.reason
                continue
            seen.add(s.who)
            accepted.append(s)
        accepted.sort(key=lambda s: s.who)
        for s in accepted:
            assert s.report is not None
            self.history.setdefault(s.who, []).append(s.report.noisy_loss)
        excluded, separated = self._eliminate(accepted)
        kept = [s for s in accepted if s.who not in excluded]
        if kept:
            weights = np.array(
                [s.report.num_examples for s in kept if s.report is not None], dtype=np.float64
            )
            weights /= weights.sum()
            self.current = [
                np.sum(
                    [w * s.arrays[i] for w, s in zip(weights, kept, strict=True) if s.arrays], axis=0
                ).astype(np.float32)
                for i in range(len(self.shapes))
            ]
        reports = tuple(s.report for s in accepted if s.report is not None)
        record = RoundRecord(
            federation_id=self.config.federation_id,
            round_index=server_round,
            participants=tuple(s.who for s in accepted),
            excluded=tuple(sorted(excluded)),
            refused=tuple(sorted(refused)),
            separated=separated,
            aggregate_sha256=params_sha256(self.current),
            loss_reports_sha256=loss_reports_sha256(reports),
            loss_reports=reports,
        )
        self.records.append(record)
        if self.sink is not None:
            self.sink.record_round(record)
            if server_round == self.config.rounds:
                model = safetensors_bytes(self.config, self.current)
                self.sink.record_final_model(
                    self.config.federation_id, hashlib.sha256(model).hexdigest(), model
                )
        metrics: dict[str, Scalar] = {"excluded": len(excluded), "refused": len(refused)}
        return ndarrays_to_parameters(self.current), metrics

    def _eliminate(self, accepted: list[Screened]) -> tuple[set[str], bool]:
        if self.config.elimination == "none" or len(accepted) < 3:
            return set(), False
        wallets = [s.who for s in accepted]
        # A flipper left in early pulls the global model toward its labels and its own loss falls
        # with it; a window of recent reports follows that, at the price of averaging less noise.
        window = self.config.loss_window
        recent = [self.history[w][-window:] if window else self.history[w] for w in wallets]
        values = np.array([np.mean(h) for h in recent])
        counts = np.array([len(h) for h in recent])
        decision = gap_test(
            values,
            counts,
            clip=self.config.loss_clip,
            mechanism=None if self.config.epsilon is None else self.config.mechanism,
            min_gap=self.config.min_gap,
            alpha=self.config.alpha,
        )
        if not decision.separated:
            return set(), False
        return {w for w, h in zip(wallets, decision.high, strict=True) if h}, True


def decode_npz(data: bytes) -> list[np.ndarray]:
    """Parameters saved with ``np.savez`` (the experiment's hand-off file), read without pickle."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return [z[f"arr_{i}"] for i in range(len(z.files))]
