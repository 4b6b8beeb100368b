"""Federated training methods of :class:`sebrus.Client`, and ``RemoteRoundSink``.

``RemoteRoundSink`` is the ``RoundSink`` a Flower server uses when it runs beside ``sebrus serve``
rather than inside it: each round and the final model go to the API with the owner's token, and the
server (which holds the chain) anchors them. A round sent again after a lost answer is answered with
the round already anchored, so the sink may retry freely.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sebrus.federated.records import RoundRecord
from sebrus.sdk.errors import SebrusError


@dataclass(frozen=True)
class FederationInfo:
    id: int
    dataset_id: int
    status: str
    config: dict[str, Any]
    chain_id: int
    federation_log: str
    chain_federation_id: int
    model_sha256: str | None
    model_tx_hash: str | None
    rounds: list[dict[str, Any]]
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FederationInfo:
        return cls(
            id=int(data["id"]),
            dataset_id=int(data["dataset_id"]),
            status=str(data["status"]),
            config=dict(data["config"]),
            chain_id=int(data["chain_id"]),
            federation_log=str(data["federation_log"]),
            chain_federation_id=int(data["chain_federation_id"]),
            model_sha256=data.get("model_sha256"),
            model_tx_hash=data.get("model_tx_hash"),
            rounds=list(data.get("rounds", [])),
            raw=data,
        )


class FederationMethods:
    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    def _bytes(self, path: str) -> bytes:
        raise NotImplementedError  # provided by Client

    def start_federation(self, dataset_id: int, **config: Any) -> FederationInfo:
        """Open a federation on the dataset (owner only): ``rounds``, ``epsilon``, ``labels``, ..."""
        body = self._json("POST", f"/api/dataset/{int(dataset_id)}/federations", json=config)
        return FederationInfo.from_json(body["federation"])

    def federations(self, dataset_id: int) -> list[FederationInfo]:
        body = self._json("GET", f"/api/dataset/{int(dataset_id)}/federations")
        return [FederationInfo.from_json(f) for f in body["federations"]]

    def federation(self, federation_id: int) -> FederationInfo:
        return FederationInfo.from_json(
            self._json("GET", f"/api/federations/{int(federation_id)}")["federation"]
        )

    def record_federation_round(self, record: RoundRecord) -> dict[str, Any]:
        body = asdict(record)
        del body["federation_id"]
        path = f"/api/federations/{int(record.federation_id)}/rounds"
        answer: dict[str, Any] = self._json("POST", path, json=body)["round"]
        return answer

    def put_federation_model(
        self, federation_id: int, model_sha256: str, model_bytes: bytes
    ) -> FederationInfo:
        body = self._json(
            "PUT",
            f"/api/federations/{int(federation_id)}/model",
            params={"sha256": model_sha256},
            content=model_bytes,
            headers={"Content-Type": "application/octet-stream"},
        )
        return FederationInfo.from_json(body["federation"])

    def federation_model(self, federation_id: int) -> bytes:
        """The final model's bytes (the server checks them against the chain before sending)."""
        return self._bytes(f"/api/federations/{int(federation_id)}/model")


class RemoteRoundSink:
    """A ``RoundSink`` that hands each record to a SeBRUS server's API.

    A send the server could not finish (unreachable, rate-limited, 5xx: the chain was briefly down)
    is tried again, ``attempts`` times in all with a growing pause; the server answers a round it
    already anchored with that round, so a retry never anchors twice. A refusal (4xx) is raised at
    once: it ends the federation (``transport.serve`` lets the clients go), since a round the
    platform will not anchor cannot be skipped.
    """

    def __init__(self, client: FederationMethods, *, attempts: int = 4, pause: float = 2.0) -> None:
        self._client = client
        self._attempts = max(1, attempts)
        self._pause = pause

    def record_round(self, record: RoundRecord) -> None:
        self._retrying(lambda: self._client.record_federation_round(record))

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None:
        self._retrying(lambda: self._client.put_federation_model(federation_id, model_sha256, model_bytes))

    def _retrying(self, send: Callable[[], object]) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                send()
                return
            except SebrusError as exc:
                transient = exc.status_code is None or exc.status_code == 429 or exc.status_code >= 500
                if not transient or attempt == self._attempts:
                    raise
                time.sleep(self._pause * attempt)
