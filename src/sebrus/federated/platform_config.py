"""The platform's federation config (the API's names and values) mapped onto the engine's.

Kept apart from ``server`` so it imports neither Flower nor torch: the platform calls
``check_platform_config`` before it opens a federation on chain, so whatever the engine would refuse
when ``sebrus federate start`` runs it is refused first, and nothing half-made is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sebrus.federated.config import FederationConfig

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


def check_platform_config(config: Mapping[str, Any]) -> None:
    """Raise ValueError, naming the problem, if the engine would refuse to run ``config``.

    The federation's id is not known before it is opened; any id checks the rest.
    """
    federation_config({"federation_id": 1, **config})
