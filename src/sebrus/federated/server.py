"""The platform's entry point to the engine: run a federation's Flower server from its stored config.

``sebrus federate start`` (provenance side) opens the federation through the API, then calls
``run_federation_server(config, sink)`` with the stored config (the API's field names and values:
``elimination`` ``high-loss-cluster``/``none``, ``model`` ``reference``/``uploaded``, ``epsilon`` a
number or ``"inf"``) plus ``federation_id`` and ``server_address``. This module maps that onto
``FederationConfig`` (``platform_config``, which the platform also calls before opening anything)
and blocks until the last round; each round's record goes to ``sink``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sebrus.federated.config import initial_ndarrays
from sebrus.federated.platform_config import ELIMINATION, check_platform_config, federation_config
from sebrus.federated.records import RoundSink
from sebrus.federated.strategy import EliminatingFedAvg
from sebrus.federated.transport import serve

__all__ = ["ELIMINATION", "check_platform_config", "federation_config", "run_federation_server"]


def run_federation_server(
    config: Mapping[str, Any], sink: RoundSink, *, initial_weights: bytes | None = None
) -> None:
    """Run every round of the federation on ``config["server_address"]``, handing each record to ``sink``."""
    fed = federation_config(config)
    strategy = EliminatingFedAvg(fed, initial_ndarrays(fed, initial_weights), sink)
    serve(strategy, str(config.get("server_address", "0.0.0.0:8080")))
