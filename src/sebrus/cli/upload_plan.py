"""Which files an upload sends, and with which label: one file, a folder under one label, or
ImageFolder style (``DIR/<label>/<file>``, the label taken from the folder's name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PlanError(Exception):
    """The command line names nothing uploadable; the message says what to change."""


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    shown: str  # the path as the user will recognise it, relative to the folder they named
    label: str


@dataclass(frozen=True)
class UploadPlan:
    files: list[PlannedFile]
    skipped: list[str]  # files outside any label folder, which ImageFolder ignores too

    @property
    def labels(self) -> set[str]:
        return {f.label for f in self.files}


def _visible_files(folder: Path) -> list[Path]:
    """Every file below ``folder``, in a stable order, leaving out hidden ones (.DS_Store, .git/...)."""
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


def plan_upload(target: Path, label: str | None) -> UploadPlan:
    if target.is_file():
        if label is None:
            raise PlanError(f"{target} is a file: say which label it gets with --label.")
        return UploadPlan(files=[PlannedFile(target, str(target), label)], skipped=[])
    if not target.is_dir():
        raise PlanError(f"{target} is neither a file nor a folder.")
    if label is not None:
        files = [PlannedFile(p, str(p.relative_to(target)), label) for p in _visible_files(target)]
        if not files:
            raise PlanError(f"No files in {target}.")
        return UploadPlan(files=files, skipped=[])
    folders = sorted(p for p in target.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise PlanError(
            f"{target} has no label folders: put each image in {target}/<label>/, or pass --label."
        )
    files = [
        PlannedFile(p, str(p.relative_to(target)), folder.name)
        for folder in folders
        for p in _visible_files(folder)
    ]
    skipped = sorted(p.name for p in target.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise PlanError(f"The label folders in {target} hold no files.")
    return UploadPlan(files=files, skipped=skipped)
