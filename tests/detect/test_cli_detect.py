"""``sebrus detect``: scans a generated ImageFolder, writes the reports, and refuses bad input by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sebrus.cli import app
from tests.support.synthetic import blob_images

runner = CliRunner()


def _write_folder(root: Path, n_per_class: int = 12, seed: int = 0, size: int = 16) -> list[str]:
    images, labels = blob_images(n_per_class=n_per_class, side=size, seed=seed)
    names = ["bar", "col", "low"]
    paths = []
    for i, (img, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"img{i:03d}.png")
        paths.append(f"{names[label]}/img{i:03d}.png")
    return paths


def test_scan_writes_json_and_html_reports(tmp_path: Path) -> None:
    data, trusted = tmp_path / "data", tmp_path / "trusted"
    paths = _write_folder(data)
    _write_folder(trusted, n_per_class=20, seed=1)
    # One odd-sized image: it must be resized, and the report must say so.
    Image.fromarray(np.zeros((20, 20), dtype=np.uint8)).save(data / "bar" / "odd.png")
    paths.append("bar/odd.png")
    csv_path = tmp_path / "who.csv"
    csv_path.write_text("path,contributor\n" + "\n".join(f"{p},u{i % 4}" for i, p in enumerate(paths)) + "\n")
    report, html = tmp_path / "r.json", tmp_path / "r.html"
    result = runner.invoke(
        app,
        [
            "detect",
            str(data),
            "--trusted",
            str(trusted),
            "--contributors",
            str(csv_path),
            "--report",
            str(report),
            "--html",
            str(html),
            "--fpr",
            "0.05",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(report.read_text())
    assert sorted(i["path"] for i in body["items"]) == sorted(paths)
    item = body["items"][0]
    assert set(item) >= {"path", "label", "suspicion", "flagged", "reasons", "embedding"}
    assert item["label"] in {"bar", "col", "low"} and item["path"].startswith(item["label"] + "/")
    assert {c["id"] for c in body["contributors"]} == {"u0", "u1", "u2", "u3"}
    assert all(set(c) >= {"id", "score", "flagged"} for c in body["contributors"])
    assert body["summary"]["n_items"] == len(paths)
    assert any("resized to 16x16" in n for n in body["summary"]["notes"])
    assert html.read_text().lstrip().lower().startswith("<!doctype html")


def test_json_to_stdout(tmp_path: Path) -> None:
    _write_folder(tmp_path / "d", n_per_class=8)
    result = runner.invoke(app, ["detect", str(tmp_path / "d"), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["items"]) == 24


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "DIR directory not found"),
        ("unreadable", "cannot read image bar/broken.png"),
        ("empty_class", "class 'empty' in"),
        ("unknown_label", "unknown label 'zebra'"),
        ("not_in_dir", "'bar/ghost.png' is not an image in DIR"),
        ("no_columns", "must have the columns path,contributor"),
        ("trusted_extra_class", "--trusted has classes not in DIR: extra"),
    ],
)
def test_bad_input_is_named_and_exits_nonzero(tmp_path: Path, setup: str, message: str) -> None:
    data = tmp_path / "data"
    paths = _write_folder(data, n_per_class=4)
    args = ["detect", str(data)]
    csv_path = tmp_path / "who.csv"
    if setup == "missing":
        args = ["detect", str(tmp_path / "nope")]
    elif setup == "unreadable":
        (data / "bar" / "broken.png").write_bytes(b"this is not a png")
    elif setup == "empty_class":
        (data / "empty").mkdir()
    elif setup == "unknown_label":
        csv_path.write_text("path,contributor\nzebra/x.png,u1\n")
        args += ["--contributors", str(csv_path)]
    elif setup == "not_in_dir":
        csv_path.write_text(f"path,contributor\n{paths[0]},u1\nbar/ghost.png,u2\n")
        args += ["--contributors", str(csv_path)]
    elif setup == "no_columns":
        csv_path.write_text("file,who\nx,y\n")
        args += ["--contributors", str(csv_path)]
    elif setup == "trusted_extra_class":
        trusted = tmp_path / "trusted"
        _write_folder(trusted, n_per_class=2)
        (trusted / "extra").mkdir()
        Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(trusted / "extra" / "a.png")
        args += ["--trusted", str(trusted)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())


def test_pickled_model_is_refused(tmp_path: Path) -> None:
    import pickle

    _write_folder(tmp_path / "d", n_per_class=4)
    model = tmp_path / "model.pt"
    model.write_bytes(pickle.dumps({"a": 1}))
    result = runner.invoke(app, ["detect", str(tmp_path / "d"), "--model", str(model)])
    assert result.exit_code == 1
    assert "pickle" in result.output
