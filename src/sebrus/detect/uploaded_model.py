"""Load a model a user uploads, in formats that cannot run code when read.

Accepted, recognised by content rather than by file name:

* TorchScript archives (``torch.jit.save``): a graph, not Python objects; ``torch.jit.load`` reads them
  with TorchScript's own restricted deserialiser. Export an ``embed`` method (``@torch.jit.export``) to
  give the detectors a hidden layer; otherwise the logits are used.
* safetensors weights for a named architecture (``reference_cnn``): a JSON header plus raw tensors,
  read with the ``safetensors`` library (which never runs code from the file).
* a ``torch.save``'d state dict for a named architecture, read with ``torch.load(weights_only=True)``.
* ONNX, only when ``onnxruntime`` is installed (it is not a dependency of SeBRUS).

Anything that looks like a pickle is refused outright: unpickling runs arbitrary code (design invariant 5).

:func:`load_uploaded_model` reads a file (``sebrus detect --model``); :func:`load_model_bytes` reads
bytes already in memory (the platform's per-dataset scan model, kept in the blob store) and also says
which format it found.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save_file as safetensors_save_file

from sebrus.detect.models import ImageClassifier, ReferenceCNN, TorchImageClassifier

MAX_MODEL_BYTES = 256 * 1024 * 1024
ARCHITECTURES = ("reference_cnn",)
#: What :func:`load_model_bytes` reports as the format it recognised.
FORMATS = ("torchscript", "safetensors", "state_dict", "onnx")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


class UnsafeModelError(ValueError):
    """The file is in a format that could execute code when loaded (pickle)."""


class ModelFormatError(ValueError):
    """The file is not a model in any accepted format, or does not fit the data."""


@dataclass(frozen=True)
class LoadedModel:
    classifier: ImageClassifier
    format: str  # one of FORMATS


def read_safetensors(data: bytes) -> dict[str, torch.Tensor]:
    """Parse safetensors bytes with the ``safetensors`` library; damage becomes :class:`ModelFormatError`."""
    try:
        return safetensors_load(bytes(data))
    except SafetensorError as exc:
        raise ModelFormatError(f"not a valid safetensors file: {exc}") from exc


def write_safetensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Write tensors as safetensors (used by tests and to export the reference model)."""
    safetensors_save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path))


def _looks_like_safetensors(data: bytes) -> bool:
    # u64 little-endian header length, then a JSON object that fits in the file.
    if len(data) < 9 or data[8:9] != b"{":
        return False
    return int.from_bytes(data[:8], "little") <= len(data) - 8


def _looks_like_pickle(head: bytes) -> bool:
    # Protocol 2+ pickles start with PROTO (0x80); protocol 0/1 start with an opcode such as '(' or ']'
    # and end with '.'; we refuse the common openings and anything with a pickle extension.
    return head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c")


def _named_architecture(
    state: dict[str, torch.Tensor], architecture: str, n_classes: int, in_channels: int | None
) -> TorchImageClassifier:
    if architecture not in ARCHITECTURES:
        raise ModelFormatError(f"unknown architecture {architecture!r}; known: {', '.join(ARCHITECTURES)}")
    try:
        width = int(state["features.0.weight"].shape[0])
        embed_dim = int(state["head.weight"].shape[1])
        k = int(state["head.weight"].shape[0])
        channels = int(state["features.0.weight"].shape[1])
    except KeyError as exc:
        raise ModelFormatError(f"weights lack tensor {exc} of the {architecture} architecture") from exc
    if k != n_classes:
        raise ModelFormatError(f"the weights have {k} output classes, the data has {n_classes}")
    if in_channels is not None and channels != in_channels:
        raise ModelFormatError(f"the weights expect {channels} input channels, the images have {in_channels}")
    module = ReferenceCNN(channels, k, width=width, embed_dim=embed_dim)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelFormatError(f"weights do not fit the {architecture} architecture: {exc}") from exc
    module.eval()
    return TorchImageClassifier(module, k)


class _OnnxClassifier:
    def __init__(self, data: bytes, n_classes: int) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        self.n_classes = n_classes
        self.input_name = self.session.get_inputs()[0].name

    def _logits(self, images: np.ndarray) -> np.ndarray:
        x = images[:, None] if images.ndim == 3 else np.transpose(images, (0, 3, 1, 2))
        return np.asarray(self.session.run(None, {self.input_name: x.astype(np.float32)})[0])

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        z = self._logits(images)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)

    def embed(self, images: np.ndarray) -> np.ndarray:
        return self._logits(images)


def load_uploaded_model(
    path: Path, *, n_classes: int, in_channels: int = 1, architecture: str = "reference_cnn"
) -> ImageClassifier:
    """Load ``path`` as a classifier for ``n_classes`` classes; raise a clear error for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"model file not found: {path}")
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelFormatError(f"model file is {size} bytes, over the {MAX_MODEL_BYTES}-byte limit")
    loaded = load_model_bytes(
        path.read_bytes(),
        n_classes=n_classes,
        in_channels=in_channels,
        architecture=architecture,
        name=path.name,
    )
    return loaded.classifier


def load_model_bytes(
    data: bytes,
    *,
    n_classes: int,
    in_channels: int | None = 1,
    architecture: str = "reference_cnn",
    name: str = "the model",
) -> LoadedModel:
    """Load ``data`` as a classifier for ``n_classes`` classes, and say which format it was.

    ``in_channels``: the images' channel count, checked against named-architecture weights; ``None``
    when it is not known yet (the weights then decide). ``name`` appears in messages, and a pickle
    file name (``.pkl`` and the like) is refused whatever the content; it is never opened as a path.
    """
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFormatError(f"{name} is {len(data)} bytes, over the {MAX_MODEL_BYTES}-byte limit")
    if name.lower().endswith(_PICKLE_SUFFIXES):
        raise UnsafeModelError(_pickle_refusal(name))
    if _looks_like_safetensors(data):
        state = read_safetensors(data)
        return LoadedModel(_named_architecture(state, architecture, n_classes, in_channels), "safetensors")
    if _looks_like_pickle(data[:2]):
        raise UnsafeModelError(_pickle_refusal(name))
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise ModelFormatError(f"{name} is a damaged zip archive") from exc
        if any("/code/" in n or n.endswith("constants.pkl") for n in names):
            try:
                module = torch.jit.load(io.BytesIO(data), map_location="cpu")
            except Exception as exc:  # torch raises RuntimeError and others for a damaged archive
                raise ModelFormatError(f"{name} is a damaged TorchScript archive: {exc}") from exc
            module.eval()
            return LoadedModel(TorchImageClassifier(module, n_classes), "torchscript")
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises UnpicklingError and others for non-weight content
            raise UnsafeModelError(
                f"{name} is a torch checkpoint that holds more than plain weights; refused"
            ) from exc
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ModelFormatError(f"{name} is not a state dict of tensors")
        return LoadedModel(_named_architecture(state, architecture, n_classes, in_channels), "state_dict")
    if name.lower().endswith(".onnx"):
        try:
            return LoadedModel(_OnnxClassifier(data, n_classes), "onnx")
        except ImportError as exc:
            raise ModelFormatError("ONNX models need onnxruntime, which is not installed") from exc
    raise ModelFormatError(
        f"{name} is not TorchScript, safetensors, a torch state dict or ONNX; cannot load it"
    )


def _pickle_refusal(name: str) -> str:
    return (
        f"{name} is a pickle; pickles can run code when loaded and are never accepted. "
        "Upload TorchScript (torch.jit.save), safetensors weights, or a state dict."
    )
