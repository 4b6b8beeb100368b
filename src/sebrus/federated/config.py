"""What a federation is: its labels, model, rounds, privacy and elimination rule.

The server sends this config (as JSON) with every round's fit instruction, so a client needs only
the server's address, its data and its key: it builds the same model, reads its ImageFolder with the
same label order and applies the same LDP mechanism the server will account for.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sebrus.federated.ldp import MECHANISMS, Mechanism

if TYPE_CHECKING:  # torch only where a model is built: the platform validates configs without it
    import torch

    from sebrus.detect.models import ReferenceCNN

Elimination = Literal["kmeans_gap", "none"]
ELIMINATIONS: tuple[Elimination, ...] = ("kmeans_gap", "none")
MODELS = ("reference_cnn",)


@dataclass(frozen=True)
class FederationConfig:
    federation_id: int
    labels: tuple[str, ...]
    rounds: int = 20
    epsilon: float | None = 1.0  # per report; None = no noise (ε = ∞)
    mechanism: Mechanism = "laplace"
    delta: float = 1e-5  # Gaussian mechanism only
    loss_clip: float = 3.0  # L: losses are clipped to [0, L], so a report's sensitivity is L
    elimination: Elimination = "kmeans_gap"
    min_gap: float = 0.1  # smallest centre gap worth excluding anyone for, as a fraction of L
    alpha: float = 0.001  # per-round false-separation rate of the gap test
    loss_window: int | None = None  # cluster the mean of each client's last N reports (None: all so far)
    model: str = "reference_cnn"
    image_size: int = 28
    in_channels: int = 1
    width: int = 16
    local_epochs: int = 1
    batch_size: int = 10
    lr: float = 3e-3  # Adam, fresh each round (the reference CNN's own training rate)
    min_clients: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if len(self.labels) < 2 or len(set(self.labels)) != len(self.labels):
            problems.append("labels must name at least two distinct classes")
        if self.rounds < 1:
            problems.append("rounds must be at least 1")
        if self.epsilon is not None and not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            problems.append("epsilon must be positive and finite (omit it for no noise)")
        if self.mechanism not in MECHANISMS:
            problems.append(f"mechanism must be one of {', '.join(MECHANISMS)}")
        if not 0 < self.delta < 1:
            problems.append("delta must lie in (0, 1)")
        if not (self.loss_clip > 0 and math.isfinite(self.loss_clip)):
            problems.append("loss_clip must be positive and finite")
        if self.elimination not in ELIMINATIONS:
            problems.append(f"elimination must be one of {', '.join(ELIMINATIONS)}")
        if not 0 < self.alpha < 0.5:
            problems.append("alpha must lie in (0, 0.5)")
        if self.loss_window is not None and self.loss_window < 1:
            problems.append("loss_window must be at least 1 (or omitted for all rounds)")
        if self.model not in MODELS:
            problems.append(f"model must be one of {', '.join(MODELS)}")
        if self.in_channels not in (1, 3):
            problems.append("in_channels must be 1 or 3")
        if not 8 <= self.image_size <= 256:
            problems.append("image_size must lie in [8, 256]")
        if min(self.width, self.local_epochs, self.batch_size, self.min_clients) < 1 or self.lr <= 0:
            problems.append("width, local_epochs, batch_size, min_clients and lr must be positive")
        if problems:
            raise ValueError("invalid federation config: " + "; ".join(problems))

    @property
    def n_classes(self) -> int:
        return len(self.labels)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FederationConfig:
        """Parse and validate; unknown keys are refused rather than silently ignored."""
        try:
            raw: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"federation config is not JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValueError("federation config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"federation config has unknown keys: {', '.join(unknown)}")
        if "labels" in raw:
            raw["labels"] = tuple(str(x) for x in raw["labels"])
        try:
            return cls(**raw)
        except TypeError as exc:
            raise ValueError(f"invalid federation config: {exc}") from exc


def build_model(config: FederationConfig) -> ReferenceCNN:
    """The federation's model: sebrus.detect's reference CNN, seeded so every party starts equal."""
    import torch

    from sebrus.detect.models import ReferenceCNN

    torch.manual_seed(config.seed)
    return ReferenceCNN(config.in_channels, config.n_classes, width=config.width)


def model_ndarrays(module: torch.nn.Module) -> list[np.ndarray]:
    """The module's parameters in state_dict order as float32 arrays (Flower's wire form)."""
    return [t.detach().cpu().numpy().astype(np.float32, copy=True) for t in module.state_dict().values()]


def load_ndarrays(module: torch.nn.Module, arrays: list[np.ndarray]) -> None:
    import torch

    keys = list(module.state_dict().keys())
    if len(keys) != len(arrays):
        raise ValueError(f"model has {len(keys)} tensors, got {len(arrays)}")
    state = {
        k: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        for k, a in zip(keys, arrays, strict=True)
    }
    module.load_state_dict(state, strict=True)


def initial_ndarrays(config: FederationConfig, safetensors_bytes: bytes | None = None) -> list[np.ndarray]:
    """Starting weights: the seeded reference CNN, or an owner's weights for it in safetensors.

    Only safetensors is accepted here (never pickle): the same reader the detectors use for uploaded
    models, with names and shapes checked against the reference CNN's state_dict.
    """
    module = build_model(config)
    if safetensors_bytes is not None:
        from sebrus.detect.uploaded_model import read_safetensors

        tensors = read_safetensors(safetensors_bytes)
        expected = module.state_dict()
        if set(tensors) != set(expected):
            missing = sorted(set(expected) - set(tensors))
            extra = sorted(set(tensors) - set(expected))
            raise ValueError(f"weights do not fit the reference CNN: missing {missing}, unexpected {extra}")
        for name, tensor in tensors.items():
            if tuple(tensor.shape) != tuple(expected[name].shape):
                raise ValueError(
                    f"weight {name} has shape {tuple(tensor.shape)}, expected {tuple(expected[name].shape)}"
                )
        module.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    return model_ndarrays(module)
