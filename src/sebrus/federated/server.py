"""The platform's entry point to the engine: run a federation's Flower server from its stored config.

``sebrus federate start`` (provenance side) opens the federation through the API, then calls
``run_federation_server(config, sink)`` with the stored config (the API's field names and values:
``elimination`` ``high-loss-cluster``/``none``, ``model`` ``reference``/``uploaded``, ``epsilon`` a
number or ``"inf"``) plus ``federation_id`` and ``server_address``. This module maps that onto
``FederationConfig`` and blocks until the last round; each round's record goes to ``sink``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sebrus.federated.config import FederationConfig, initial_ndarrays
from sebrus.federated.records import RoundSink
from sebrus.federated.strategy import EliminatingFedAvg
from sebrus.federated.transport import serve

ELIMINATION = {"high-loss-cluster": "kmeans_gap", "none": "none"}


def federation_config(config: Mapping[str, Any]) -> FederationConfig:
    """The engine's config from the platform's; a value the engine cannot run is a ValueError."""
    if config.get("model", "reference") != "reference":
        raise ValueError(
            "the federated engine trains the reference CNN only (an owner's starting weights as "
            f"safetensors); model {config.get('model')!r} is not supported"
        )
    if config.get("elimination") not in ELIMINATION:
        raise ValueError(
            f"elimination must be one of {', '.join(ELIMINATION)}, got {config.get('elimination')!r}"
        )
    labels = config.get("labels")
    if not labels:
        raise ValueError("the federation config names no labels")
    epsilon = config.get("epsilon")
    return FederationConfig(
        federation_id=int(config["federation_id"]),
        labels=tuple(str(label) for label in labels),
        rounds=int(config["rounds"]),
        epsilon=None if epsilon in (None, "inf") else float(epsilon),
        mechanism=config.get("mechanism", "laplace"),
        elimination=ELIMINATION[config["elimination"]],  # type: ignore[arg-type]
        min_clients=int(config.get("min_clients", 2)),
        image_size=int(config.get("image_size", 28)),
        in_channels=int(config.get("in_channels", 1)),
    )


def run_federation_server(
    config: Mapping[str, Any], sink: RoundSink, *, initial_weights: bytes | None = None
) -> None:
    """Run every round of the federation on ``config["server_address"]``, handing each record to ``sink``."""
    fed = federation_config(config)
    strategy = EliminatingFedAvg(fed, initial_ndarrays(fed, initial_weights), sink)
    serve(strategy, str(config.get("server_address", "0.0.0.0:8080")))
