"""The client: trains on a local ImageFolder that never leaves the machine, reports an ε-LDP loss.

Each round the server sends the global weights and the federation config; the client trains the
reference CNN locally, sends its weights back (FedAvg's update) and a loss report: its mean training
loss over the round, clipped to [0, L] and noised by the config's mechanism, signed by its wallet.
The noise is drawn from the OS's entropy unless a seed is given (the experiment seeds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from eth_account.signers.local import LocalAccount
from flwr.client import NumPyClient
from flwr.common import Scalar
from torch import nn

from sebrus.detect.models import to_tensor, torch_threads
from sebrus.federated.config import FederationConfig, build_model, load_ndarrays, model_ndarrays
from sebrus.federated.ldp import privatise_loss
from sebrus.federated.reports import params_sha256, sign_report

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


class DataError(ValueError):
    """The local data cannot be used for this federation; the message says why."""


def read_image_folder(root: Path, config: FederationConfig) -> tuple[np.ndarray, np.ndarray]:
    """``root/<label>/<image>`` as arrays in the federation's label order, size and colour mode.

    Folders must be labels of the federation (a client with some classes missing is normal under
    non-IID data; an unknown label is an error, not something to drop silently).
    """
    from PIL import Image, UnidentifiedImageError

    if not root.is_dir():
        raise DataError(f"data directory not found: {root}")
    index = {name: i for i, name in enumerate(config.labels)}
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in folders if p.name not in index]
    if unknown:
        raise DataError(f"folders {', '.join(unknown)} in {root} are not labels of this federation")
    mode = "L" if config.in_channels == 1 else "RGB"
    images, labels = [], []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(path) as img:
                    pic = img.convert(mode).resize((config.image_size, config.image_size))
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"cannot read image {path}: {exc}") from exc
            images.append(np.asarray(pic, dtype=np.float32) / 255.0)
            labels.append(index[folder.name])
    if not images:
        raise DataError(f"no images in {root} (expected {root}/<label>/<image>)")
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def train_locally(
    module: nn.Module, images: np.ndarray, labels: np.ndarray, config: FederationConfig, seed: int
) -> float:
    """Local Adam epochs; returns the mean per-example training loss over the round (the reported loss)."""
    x, y = to_tensor(images), torch.from_numpy(labels)
    optimiser = torch.optim.Adam(module.parameters(), lr=config.lr)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    generator = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    module.train()
    for _ in range(config.local_epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config.batch_size):
            idx = order[start : start + config.batch_size]
            optimiser.zero_grad()
            loss = loss_fn(module(x[idx]), y[idx])
            (loss / len(idx)).backward()
            optimiser.step()
            total += float(loss.detach())
            count += len(idx)
    module.eval()
    return total / max(count, 1)


@dataclass
class LocalData:
    """Where a client's data comes from: an ImageFolder (``sebrus federate join``) or arrays (experiment)."""

    folder: Path | None = None
    images: np.ndarray | None = None
    labels: np.ndarray | None = None

    def load(self, config: FederationConfig) -> tuple[np.ndarray, np.ndarray]:
        if self.images is None or self.labels is None:
            if self.folder is None:
                raise DataError("no local data given")
            self.images, self.labels = read_image_folder(self.folder, config)
        return self.images, self.labels


class SebrusClient(NumPyClient):
    """One wallet's participation in one federation."""

    def __init__(
        self,
        data: LocalData,
        account: LocalAccount,
        federation_id: int | None = None,
        *,
        noise_seed: int | None = None,
        train_seed: int = 0,
    ) -> None:
        self.data = data
        self.account = account
        self.federation_id = federation_id
        self.rng = np.random.default_rng(noise_seed)
        self.train_seed = train_seed
        self.last_loss: float | None = None  # the true (un-noised) loss: stays on this machine
        self.rounds_done = 0
        self.last_round = 0  # the last round this client trained in, and how many the config plans:
        self.planned_rounds = 0  # fewer at the end means the server stopped the federation early

    def get_parameters(self, config: dict[str, Scalar]) -> list[np.ndarray]:
        return model_ndarrays(build_model(FederationConfig.from_json(str(config["federation"]))))

    def fit(
        self, parameters: list[np.ndarray], config: dict[str, Scalar]
    ) -> tuple[list[np.ndarray], int, dict[str, Scalar]]:
        fed = FederationConfig.from_json(str(config["federation"]))
        server_round = int(config["round"])
        if self.federation_id is not None and fed.federation_id != self.federation_id:
            raise DataError(
                f"server runs federation {fed.federation_id}, this client joined {self.federation_id}"
            )
        images, labels = self.data.load(fed)
        module = build_model(fed)
        load_ndarrays(module, parameters)
        with torch_threads(1):
            loss = train_locally(module, images, labels, fed, self.train_seed * 1000 + server_round)
        self.last_loss = loss
        update = model_ndarrays(module)
        noisy = privatise_loss(
            loss,
            clip=fed.loss_clip,
            epsilon=fed.epsilon,
            mechanism=fed.mechanism,
            delta=fed.delta,
            rng=self.rng,
        )
        report = sign_report(
            self.account, fed.federation_id, server_round, noisy, len(labels), params_sha256(update)
        )
        metrics: dict[str, Scalar] = {
            "wallet": report.wallet,
            "noisy_loss": report.noisy_loss,
            "signature": report.signature,
        }
        self.rounds_done += 1
        self.last_round, self.planned_rounds = server_round, fed.rounds
        return update, len(labels), metrics
