"""Which files `sebrus upload` sends, and under which label."""

from __future__ import annotations

from pathlib import Path

import pytest

from sebrus.cli.upload_plan import PlanError, plan_upload


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_a_file_needs_a_label(tmp_path: Path) -> None:
    image = touch(tmp_path / "a.png")
    with pytest.raises(PlanError, match="--label"):
        plan_upload(image, None)
    plan = plan_upload(image, "cat")
    assert [(f.path, f.label) for f in plan.files] == [(image, "cat")]


def test_image_folder_labels_come_from_folder_names(tmp_path: Path) -> None:
    touch(tmp_path / "dog" / "b.png")
    touch(tmp_path / "cat" / "a.png")
    touch(tmp_path / "cat" / "nested" / "c.png")
    touch(tmp_path / "cat" / ".hidden.png")
    touch(tmp_path / ".git" / "config")
    touch(tmp_path / "README.md")
    plan = plan_upload(tmp_path, None)
    assert [(f.shown, f.label) for f in plan.files] == [
        ("cat/a.png", "cat"),
        ("cat/nested/c.png", "cat"),
        ("dog/b.png", "dog"),
    ]
    assert plan.skipped == ["README.md"] and plan.labels == {"cat", "dog"}


def test_a_folder_with_a_label_sends_everything_under_it(tmp_path: Path) -> None:
    touch(tmp_path / "x" / "a.png")
    touch(tmp_path / "b.png")
    plan = plan_upload(tmp_path, "cat")
    assert [(f.shown, f.label) for f in plan.files] == [("b.png", "cat"), ("x/a.png", "cat")]


@pytest.mark.parametrize(
    ("layout", "message"),
    [(["a.png"], "no label folders"), ([], "no label folders"), (["cat/.only-hidden"], "hold no files")],
)
def test_nothing_to_send_is_a_plan_error(tmp_path: Path, layout: list[str], message: str) -> None:
    for name in layout:
        touch(tmp_path / name)
    with pytest.raises(PlanError, match=message):
        plan_upload(tmp_path, None)
