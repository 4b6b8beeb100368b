"""What an owner may start a federation with, checked before anything is sent or stored.

The configuration is kept as canonical JSON (sorted keys, no spaces) and its sha256 goes on chain
when the federation opens, so anyone holding the JSON the API shows can check it is what was opened.
ε may be infinite (no noise: the clients' true losses), written ``"inf"`` because JSON has no infinity.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sebrus.db.models import Dataset
from sebrus.services.errors import InvalidInput

MAX_ROUNDS = 500
MECHANISMS = ("laplace", "gaussian")
MODELS = ("reference", "uploaded")
#: ``high-loss-cluster``: K-Means (k = 2) over the round's noisy losses, the high cluster left out when
#: the gap test separates the two; ``none``: everybody is aggregated (a baseline to compare with).
ELIMINATION_RULES = ("high-loss-cluster", "none")
MIN_CLIENTS_BOUNDS = (1, 10_000)
#: The engine resizes every client's images to ``image_size`` squared in ``in_channels`` (1 grey, 3 RGB).
IMAGE_SIZE_BOUNDS = (8, 256)
CHANNELS = (1, 3)
DEFAULT_IMAGE_SIZE = 28


@dataclass(frozen=True)
class FederationConfig:
    labels: tuple[str, ...]
    rounds: int
    epsilon: float  # math.inf for no noise
    mechanism: str
    model: str
    model_sha256: str | None  # the dataset's uploaded model when model == "uploaded"
    elimination: str
    min_clients: int
    image_size: int
    in_channels: int

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["epsilon"] = "inf" if math.isinf(self.epsilon) else self.epsilon
        return data

    @property
    def canonical(self) -> bytes:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode("utf-8")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical).hexdigest()


def checked_config(dataset: Dataset, raw: Mapping[str, Any]) -> FederationConfig:
    """The owner's request as a configuration, or InvalidInput naming the first problem."""
    labels = _labels(dataset, raw.get("labels"))
    rounds = raw.get("rounds")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise InvalidInput(f"`rounds` must be a whole number from 1 to {MAX_ROUNDS}.", field="rounds")
    epsilon = _epsilon(raw.get("epsilon"))
    mechanism = raw.get("mechanism", "laplace")
    if mechanism not in MECHANISMS:
        raise InvalidInput(f"`mechanism` must be one of {', '.join(MECHANISMS)}.", field="mechanism")
    elimination = raw.get("elimination", ELIMINATION_RULES[0])
    if elimination not in ELIMINATION_RULES:
        raise InvalidInput(
            f"`elimination` must be one of {', '.join(ELIMINATION_RULES)}.", field="elimination"
        )
    min_clients = raw.get("min_clients", 2)
    low, high = MIN_CLIENTS_BOUNDS
    if isinstance(min_clients, bool) or not isinstance(min_clients, int) or not low <= min_clients <= high:
        raise InvalidInput(f"`min_clients` must be a whole number from {low} to {high}.", field="min_clients")
    model = raw.get("model", "reference")
    if model not in MODELS:
        raise InvalidInput(f"`model` must be one of {', '.join(MODELS)}.", field="model")
    image_size = raw.get("image_size", default_image_size(dataset))
    low, high = IMAGE_SIZE_BOUNDS
    if isinstance(image_size, bool) or not isinstance(image_size, int) or not low <= image_size <= high:
        raise InvalidInput(
            f"`image_size` (the side the clients resize images to) must be a whole number from {low} to "
            f"{high}.",
            field="image_size",
        )
    in_channels = raw.get("in_channels", 1)
    if isinstance(in_channels, bool) or in_channels not in CHANNELS:
        raise InvalidInput("`in_channels` must be 1 (greyscale) or 3 (colour).", field="in_channels")
    model_sha256 = None
    if model == "uploaded":
        if dataset.scan_model_sha256 is None:
            raise InvalidInput(
                "This dataset has no uploaded model: upload one (TorchScript, safetensors or a weights-only "
                "state dict) as its scan model first, or train the reference CNN.",
                field="model",
            )
        if list(labels) != list(dataset.labels):
            raise InvalidInput(
                "The uploaded model has one output per dataset label, so it trains on all of them: "
                "leave `labels` out or list every label.",
                field="labels",
            )
        model_sha256 = dataset.scan_model_sha256
    return FederationConfig(
        labels=labels,
        rounds=rounds,
        epsilon=epsilon,
        mechanism=mechanism,
        model=model,
        model_sha256=model_sha256,
        elimination=elimination,
        min_clients=min_clients,
        image_size=image_size,
        in_channels=in_channels,
    )


def default_image_size(dataset: Dataset) -> int:
    """The side of the dataset's images when its bounds fix one square size, else the engine's 28.

    The platform records each dataset's width and height bounds, not its images' colour mode, so the
    size is derived and the channels are the owner's choice (greyscale by default).
    """
    sides = {dataset.min_width, dataset.max_width, dataset.min_height, dataset.max_height}
    if len(sides) == 1 and None not in sides:
        side = int(next(iter(sides)))  # type: ignore[arg-type]
        low, high = IMAGE_SIZE_BOUNDS
        return min(max(side, low), high)
    return DEFAULT_IMAGE_SIZE


def _labels(dataset: Dataset, value: object) -> tuple[str, ...]:
    known = list(dataset.labels)
    if value is None:
        return tuple(known)
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not all(isinstance(v, str) for v in value)
    ):
        raise InvalidInput("`labels` must be a list of the dataset's label names.", field="labels")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise InvalidInput(
            f"{', '.join(repr(u) for u in unknown[:5])} {'is' if len(unknown) == 1 else 'are'} not "
            f"among this dataset's labels ({', '.join(known)}).",
            field="labels",
        )
    if len(set(value)) != len(value):
        raise InvalidInput("`labels` names a label twice.", field="labels")
    if len(value) < 2:
        raise InvalidInput("A classifier needs at least two labels.", field="labels")
    return tuple(label for label in known if label in value)  # the dataset's order: stable class indices


def _epsilon(value: object) -> float:
    if value == "inf":
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput('`epsilon` must be a positive number, or "inf" for no noise.', field="epsilon")
    epsilon = float(value)
    if math.isnan(epsilon) or epsilon <= 0:
        raise InvalidInput('`epsilon` must be greater than 0 (or "inf" for no noise).', field="epsilon")
    return epsilon
