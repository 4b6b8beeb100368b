"""Uploaded models load only from formats that cannot run code; pickles are refused outright."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from sebrus.detect.models import ReferenceCNN
from sebrus.detect.uploaded_model import (
    ModelFormatError,
    UnsafeModelError,
    load_model_bytes,
    load_uploaded_model,
    read_safetensors,
    write_safetensors,
)
from tests.support import models


@pytest.fixture()
def net() -> ReferenceCNN:
    return models.net(n_classes=3, channels=1)


def _images() -> np.ndarray:
    return np.random.default_rng(0).random((5, 12, 12)).astype(np.float32)


def _expected(net: ReferenceCNN) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(net(torch.from_numpy(_images()[:, None])), dim=1).numpy()


def test_pickle_files_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "model.bin"
    evil.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_uploaded_model(evil, n_classes=3)
    named = tmp_path / "model.pkl"
    named.write_bytes(b"not even a pickle")
    with pytest.raises(UnsafeModelError):
        load_uploaded_model(named, n_classes=3)


def test_full_module_checkpoints_are_refused(tmp_path: Path, net: ReferenceCNN) -> None:
    path = tmp_path / "whole.pt"
    torch.save(net, path)  # pickles the class itself: needs unpickling code to load
    with pytest.raises(UnsafeModelError, match="more than plain weights"):
        load_uploaded_model(path, n_classes=3)


def test_safetensors_round_trip(tmp_path: Path, net: ReferenceCNN) -> None:
    path = tmp_path / "w.safetensors"
    write_safetensors(net.state_dict(), path)
    assert set(read_safetensors(path.read_bytes())) == set(net.state_dict())
    model = load_uploaded_model(path, n_classes=3)
    np.testing.assert_allclose(model.predict_proba(_images()), _expected(net), atol=1e-5)
    assert model.embed(_images()).shape == (5, 64)


def test_state_dict_is_read_weights_only(tmp_path: Path, net: ReferenceCNN) -> None:
    path = tmp_path / "w.pt"
    torch.save(net.state_dict(), path)
    model = load_uploaded_model(path, n_classes=3)
    np.testing.assert_allclose(model.predict_proba(_images()), _expected(net), atol=1e-5)


def test_torchscript_with_exported_embedding(tmp_path: Path, net: ReferenceCNN) -> None:
    path = tmp_path / "scripted.pt"
    path.write_bytes(models.torchscript_bytes(net))
    model = load_uploaded_model(path, n_classes=3)
    np.testing.assert_allclose(model.predict_proba(_images()), _expected(net), atol=1e-5)
    assert model.embed(_images()).shape == (5, 64)


def test_mismatches_and_junk_get_clear_errors(tmp_path: Path, net: ReferenceCNN) -> None:
    path = tmp_path / "w.safetensors"
    write_safetensors(net.state_dict(), path)
    with pytest.raises(ModelFormatError, match="3 output classes"):
        load_uploaded_model(path, n_classes=10)
    with pytest.raises(ModelFormatError, match="input channels"):
        load_uploaded_model(path, n_classes=3, in_channels=3)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelFormatError, match="cannot load"):
        load_uploaded_model(junk, n_classes=3)
    with pytest.raises(ModelFormatError, match="not found"):
        load_uploaded_model(tmp_path / "missing.pt", n_classes=3)
    bad_header = tmp_path / "bad.safetensors"
    bad_header.write_bytes((10).to_bytes(8, "little") + b"{not json}")
    with pytest.raises(ModelFormatError, match="JSON"):
        load_uploaded_model(bad_header, n_classes=3)


def _safetensors_with_header_byte(net: ReferenceCNN, first_byte: int) -> bytes:
    """Safetensors bytes whose header length starts with ``first_byte`` (padded via metadata)."""
    from safetensors.torch import save

    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    for pad in range(2048):
        data = save(state, metadata={"pad": "x" * pad})
        if data[0] == first_byte:
            return data
    raise AssertionError("no padding gave that header length")


def test_safetensors_is_read_by_the_library_whatever_its_header_length(net: ReferenceCNN) -> None:
    # A header length of 0x80 or 0x28 ("(") starts the file like a pickle; it is still safetensors,
    # read by the library (which runs no code), never refused as a pickle nor unpickled.
    for first in (0x80, ord("(")):  # the library pads headers to 8 bytes, so these two can occur
        data = _safetensors_with_header_byte(net, first)
        loaded = load_model_bytes(data, n_classes=3, name="weights.safetensors")
        assert loaded.format == "safetensors"
        np.testing.assert_allclose(loaded.classifier.predict_proba(_images()), _expected(net), atol=1e-5)


def test_safetensors_damage_is_a_format_error_from_the_library(net: ReferenceCNN) -> None:
    data = models.safetensors_bytes(net)
    with pytest.raises(ModelFormatError, match="not a valid safetensors file"):
        read_safetensors(data[:-10])  # a truncated tensor buffer
    with pytest.raises(ModelFormatError, match="not a valid safetensors file"):
        load_model_bytes(data[:-10], n_classes=3)


def test_bfloat16_safetensors_weights_load(net: ReferenceCNN) -> None:
    from safetensors.torch import save

    data = save({k: v.to(torch.bfloat16).contiguous() for k, v in net.state_dict().items()})
    loaded = load_model_bytes(data, n_classes=3)
    np.testing.assert_allclose(loaded.classifier.predict_proba(_images()), _expected(net), atol=0.05)


def test_bytes_loader_names_the_format_and_refuses_pickles(tmp_path: Path, net: ReferenceCNN) -> None:
    scripted = tmp_path / "s.pt"
    torch.jit.save(torch.jit.script(net), str(scripted))
    assert load_model_bytes(scripted.read_bytes(), n_classes=3).format == "torchscript"
    state = tmp_path / "w.pt"
    torch.save(net.state_dict(), state)
    assert load_model_bytes(state.read_bytes(), n_classes=3).format == "state_dict"
    # Unknown channels: the weights decide; a known, different count is refused.
    st = tmp_path / "w.safetensors"
    write_safetensors(net.state_dict(), st)
    assert load_model_bytes(st.read_bytes(), n_classes=3, in_channels=None).format == "safetensors"
    with pytest.raises(ModelFormatError, match="input channels"):
        load_model_bytes(st.read_bytes(), n_classes=3, in_channels=3)
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_model_bytes(pickle.dumps({"w": 1}), n_classes=3)
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_model_bytes(st.read_bytes(), n_classes=3, name="weights.pkl")
    whole = tmp_path / "whole.pt"
    torch.save(net, whole)
    with pytest.raises(UnsafeModelError, match="more than plain weights"):
        load_model_bytes(whole.read_bytes(), n_classes=3)
