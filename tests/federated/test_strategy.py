"""The strategy refuses malformed or out-of-range reports, and the round goes on without them."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from eth_account import Account
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters

from sebrus.federated.client import LocalData, SebrusClient
from sebrus.federated.config import FederationConfig, initial_ndarrays
from sebrus.federated.experiment import _InProcessProxy
from sebrus.federated.records import RoundRecord
from sebrus.federated.reports import params_sha256, sign_report
from sebrus.federated.strategy import EliminatingFedAvg


class ListSink:
    def __init__(self) -> None:
        self.rounds: list[RoundRecord] = []
        self.final: list[str] = []

    def record_round(self, record: RoundRecord) -> None:
        self.rounds.append(record)

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None:
        assert hashlib.sha256(model_bytes).hexdigest() == model_sha256
        self.final.append(model_sha256)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from sebrus.detect.datasets import load_digits

    x, y = load_digits()
    return x[:400], y[:400]


def _config() -> FederationConfig:
    return FederationConfig(
        federation_id=7, labels=tuple(str(d) for d in range(10)), rounds=1, epsilon=1.0, image_size=8, width=4
    )


def _account(i: int):  # type: ignore[no-untyped-def]
    return Account.from_key(hashlib.sha256(f"strategy-test-{i}".encode()).digest())


def test_malformed_and_out_of_range_reports_are_refused_and_the_round_goes_on(digits) -> None:  # type: ignore[no-untyped-def]
    x, y = digits
    config = _config()
    sink = ListSink()
    strategy = EliminatingFedAvg(config, initial_ndarrays(config), sink)
    fit_config = strategy._fit_config(1)
    results = []
    for i in range(6):
        client = SebrusClient(LocalData(images=x[i::6], labels=y[i::6]), _account(i), 7, noise_seed=i)
        arrays, n, metrics = client.fit(strategy.current, fit_config)
        if i == 0:  # NaN in the update: the signature would verify, the update must still be refused
            arrays[0][0] = np.nan
            metrics = _resign(config, i, float(metrics["noisy_loss"]), n, arrays)
        elif i == 1:  # wrong shape
            arrays[1] = np.zeros(3, dtype=np.float32)
            metrics = _resign(config, i, float(metrics["noisy_loss"]), n, arrays)
        elif i == 2:  # a loss no honest mechanism produces (far beyond [0, L] plus 20 noise scales)
            metrics = _resign(config, i, 1e6, n, arrays)
        elif i == 3:  # report signed for another round: replay
            report = sign_report(_account(i), 7, 2, float(metrics["noisy_loss"]), n, params_sha256(arrays))
            metrics = {**metrics, "signature": report.signature}
        elif i == 4:  # float64 tensors
            arrays = [a.astype(np.float64) for a in arrays]
        results.append(
            (_InProcessProxy(str(i)), FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, metrics))
        )
    params, _ = strategy.aggregate_fit(1, results, [])
    assert params is not None
    record = sink.rounds[0]
    assert record.participants == (_account(5).address,)
    assert set(record.refused) == {_account(i).address for i in range(5)}
    assert record.excluded == () and not record.separated
    reasons = {w: r for (_, w), r in strategy.refusal_reasons.items()}
    assert "NaN" in reasons[_account(0).address]
    assert "shapes" in reasons[_account(1).address]
    assert "outside" in reasons[_account(2).address]
    assert "signature" in reasons[_account(3).address]
    assert "float32" in reasons[_account(4).address]
    # The aggregate is the one accepted update, hashed over its canonical bytes.
    assert record.aggregate_sha256 == params_sha256(strategy.current)
    assert sink.final and len(record.loss_reports) == 1


def _resign(config: FederationConfig, i: int, loss: float, n: int, arrays: list[np.ndarray]) -> dict:  # type: ignore[type-arg]
    report = sign_report(_account(i), config.federation_id, 1, loss, n, params_sha256(arrays))
    return {"wallet": report.wallet, "noisy_loss": report.noisy_loss, "signature": report.signature}


def test_config_round_trips_and_refuses_bad_values() -> None:
    config = _config()
    assert FederationConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="epsilon"):
        FederationConfig(federation_id=1, labels=("a", "b"), epsilon=0.0)
    with pytest.raises(ValueError, match="unknown keys"):
        FederationConfig.from_json('{"federation_id": 1, "labels": ["a", "b"], "pickle": true}')


def test_owner_weights_are_read_from_safetensors_and_checked_against_the_model() -> None:
    import torch
    from safetensors.torch import save

    from sebrus.federated.config import build_model

    config = _config()
    state = {k: torch.full_like(v, 0.5) for k, v in build_model(config).state_dict().items()}
    arrays = initial_ndarrays(config, bytes(save(state)))
    assert all(np.all(a == 0.5) for a in arrays)
    state["head.weight"] = torch.zeros(3, 3)
    with pytest.raises(ValueError, match=r"head\.weight"):
        initial_ndarrays(config, bytes(save(state)))
    with pytest.raises(ValueError, match="safetensors"):
        initial_ndarrays(config, b"\x80\x04pickle")
