"""Load a model a user uploads, in formats that cannot run code when read.

Accepted, recognised by content rather than by file name:

* TorchScript archives (``torch.jit.save``): a graph, not Python objects; ``torch.jit.load`` reads them
  with TorchScript's own restricted deserialiser. Export an ``embed`` method (``@torch.jit.export``) to
  give the detectors a hidden layer; otherwise the logits are used.
* safetensors weights for a named architecture (``reference_cnn``): a JSON header plus raw tensors,
  parsed here without any extra dependency.
* a ``torch.save``'d state dict for a named architecture, read with ``torch.load(weights_only=True)``.
* ONNX, only when ``onnxruntime`` is installed (it is not a dependency of SeBRUS).

Anything that looks like a pickle is refused outright: unpickling runs arbitrary code (design invariant 5).
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import torch

from sebrus.detect.models import ImageClassifier, ReferenceCNN, TorchImageClassifier

MAX_MODEL_BYTES = 256 * 1024 * 1024
ARCHITECTURES = ("reference_cnn",)

_SAFETENSORS_DTYPES = {
    "F32": np.float32,
    "F64": np.float64,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "U8": np.uint8,
}


class UnsafeModelError(ValueError):
    """The file is in a format that could execute code when loaded (pickle)."""


class ModelFormatError(ValueError):
    """The file is not a model in any accepted format, or does not fit the data."""


def read_safetensors(data: bytes) -> dict[str, torch.Tensor]:
    """Parse the safetensors layout: u64 header length, JSON header, then raw little-endian buffers."""
    if len(data) < 8:
        raise ModelFormatError("file too short to be safetensors")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8 or header_len > 100_000_000:
        raise ModelFormatError("safetensors header length is out of range")
    try:
        header = json.loads(data[8 : 8 + header_len])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"safetensors header is not valid JSON: {exc}") from exc
    body = memoryview(data)[8 + header_len :]
    tensors: dict[str, torch.Tensor] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(spec.get("dtype"))
        if dtype is None:
            raise ModelFormatError(f"tensor {name!r} has unsupported dtype {spec.get('dtype')!r}")
        start, end = spec["data_offsets"]
        shape = tuple(int(d) for d in spec["shape"])
        if (
            not 0 <= start <= end <= len(body)
            or end - start != int(np.prod(shape)) * np.dtype(dtype).itemsize
        ):
            raise ModelFormatError(f"tensor {name!r} has inconsistent offsets")
        arr = np.frombuffer(body[start:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        tensors[name] = torch.from_numpy(arr.astype(dtype, copy=True))
    return tensors


def write_safetensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Write tensors in the safetensors layout (used by tests and to export the reference model)."""
    names = {np.dtype(v): k for k, v in _SAFETENSORS_DTYPES.items()}
    header: dict[str, object] = {}
    chunks: list[bytes] = []
    offset = 0
    for name, tensor in tensors.items():
        arr = tensor.detach().cpu().numpy()
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": names[arr.dtype],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


def _looks_like_pickle(head: bytes) -> bool:
    # Protocol 2+ pickles start with PROTO (0x80); protocol 0/1 start with an opcode such as '(' or ']'
    # and end with '.'; we refuse the common openings and anything with a pickle extension.
    return head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c")


def _named_architecture(
    state: dict[str, torch.Tensor], architecture: str, n_classes: int, in_channels: int
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
    if channels != in_channels:
        raise ModelFormatError(f"the weights expect {channels} input channels, the images have {in_channels}")
    module = ReferenceCNN(channels, k, width=width, embed_dim=embed_dim)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelFormatError(f"weights do not fit the {architecture} architecture: {exc}") from exc
    module.eval()
    return TorchImageClassifier(module, k)


class _OnnxClassifier:
    def __init__(self, path: Path, n_classes: int) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
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
    data = path.read_bytes()
    if path.suffix.lower() in (".pkl", ".pickle", ".joblib") or _looks_like_pickle(data[:2]):
        raise UnsafeModelError(
            f"{path.name} is a pickle; pickles can run code when loaded and are never accepted. "
            "Upload TorchScript (torch.jit.save), safetensors weights, or a state dict."
        )
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile as exc:
            raise ModelFormatError(f"{path.name} is a damaged zip archive") from exc
        if any("/code/" in n or n.endswith("constants.pkl") for n in names):
            module = torch.jit.load(str(path), map_location="cpu")
            module.eval()
            return TorchImageClassifier(module, n_classes)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises UnpicklingError and others for non-weight content
            raise UnsafeModelError(
                f"{path.name} is a torch checkpoint that holds more than plain weights; refused"
            ) from exc
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ModelFormatError(f"{path.name} is not a state dict of tensors")
        return _named_architecture(state, architecture, n_classes, in_channels)
    if path.suffix.lower() == ".onnx":
        try:
            return _OnnxClassifier(path, n_classes)
        except ImportError as exc:
            raise ModelFormatError("ONNX models need onnxruntime, which is not installed") from exc
    if len(data) >= 9 and data[8:9] == b"{":
        return _named_architecture(read_safetensors(data), architecture, n_classes, in_channels)
    raise ModelFormatError(
        f"{path.name} is not TorchScript, safetensors, a torch state dict or ONNX; cannot load it"
    )
