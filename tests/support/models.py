"""Small models to upload as a dataset's scan model: TorchScript (with an exported ``embed``) and
safetensors weights of the reference CNN."""

from __future__ import annotations

import io

import torch

from sebrus.detect.models import ReferenceCNN


class Exported(torch.nn.Module):
    """A TorchScript-able wrapper that exports the hidden layer as ``embed``."""

    def __init__(self, inner: ReferenceCNN) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)

    @torch.jit.export
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.features(x)


def net(n_classes: int = 3, channels: int = 1) -> ReferenceCNN:
    torch.manual_seed(0)
    return ReferenceCNN(channels, n_classes).eval()


def torchscript_bytes(module: ReferenceCNN) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(Exported(module)), buffer)
    return buffer.getvalue()


def safetensors_bytes(module: ReferenceCNN) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in module.state_dict().items()})
