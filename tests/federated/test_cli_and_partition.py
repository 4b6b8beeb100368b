"""`sebrus federate join` refuses bad input with a sentence; the partitions cover every item once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sebrus.cli import app
from sebrus.federated.partition import dirichlet_split, iid_split


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "nohost"], "HOST:PORT"),
        (["--data", "/nonexistent/dir"], "data directory not found"),
        (["--key-file", "BAD"], "does not hold a 0x-hex private key"),
    ],
)
def test_join_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    key = tmp_path / "key.txt"
    key.write_text("0x" + "11" * 32)
    bad = tmp_path / "bad.txt"
    bad.write_text("not a key")
    base = {"--federation": "1", "--data": str(tmp_path), "--server": "127.0.0.1:9", "--key-file": str(key)}
    given = dict(zip(args[::2], args[1::2], strict=True))
    if given.get("--key-file") == "BAD":
        given["--key-file"] = str(bad)
    argv = ["federate", "join"]
    for k, v in {**base, **given}.items():
        argv += [k, v]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # rich wraps the error in a box
    assert message in text


def test_splits_cover_every_item_once() -> None:
    labels = np.repeat(np.arange(10), 100)
    for parts in (iid_split(1000, 20, seed=1), dirichlet_split(labels, 20, 0.5, seed=1)):
        joined = np.concatenate(parts)
        assert sorted(joined.tolist()) == list(range(1000))
        assert min(len(p) for p in parts) >= 10
    # Dirichlet(0.5) is non-IID: most clients are dominated by a few classes.
    shares = [
        np.bincount(labels[p], minlength=10).max() / len(p) for p in dirichlet_split(labels, 20, 0.5, seed=1)
    ]
    assert np.median(shares) > 0.3
