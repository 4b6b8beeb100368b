"""``sebrus detect DIR``: scan an ImageFolder for poisoned items, with no server, chain or database.

DIR holds one folder per class (``DIR/<label>/<file>``). Images are read with Pillow, all converted to
grayscale or all to RGB (grayscale only when every image is grey), and resized to the most common size
when sizes differ; the report says which. Exit codes: 0 scanned (flagged items are a finding, not an
error), 1 bad input (the message names the file or row), 2 bad command line.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from sebrus.cli.output import console, fail, print_json

THUMBNAILS = 30
THUMBNAIL_SIDE = 96


@dataclass
class Folder:
    """An ImageFolder read into arrays, with everything the report must say about how."""

    paths: list[str]
    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    notes: list[str] = field(default_factory=list)


class InputError(Exception):
    """Bad input; the message is shown to the user as is."""


def _list_folder(root: Path, what: str) -> tuple[list[str], list[str], list[Path]]:
    if not root.exists():
        raise InputError(f"{what} directory not found: {root}")
    if not root.is_dir():
        raise InputError(f"{what} is not a directory: {root}")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise InputError(f"{what} directory {root} has no class folders (expected {root}/<label>/<image>)")
    rel_paths: list[str] = []
    files: list[Path] = []
    for name in classes:
        class_files = sorted(
            p
            for p in (root / name).rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        if not class_files:
            raise InputError(f"class {name!r} in {root} has no images")
        files.extend(class_files)
        rel_paths.extend(p.relative_to(root).as_posix() for p in class_files)
    return classes, rel_paths, files


def _open_image(path: Path, shown: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"cannot read image {shown}: {exc}") from exc


def read_folders(
    root: Path, trusted_root: Path | None, progress: Progress | None = None
) -> tuple[Folder, Folder | None]:
    """Read DIR and the optional trusted DIR into arrays of one size and one colour mode."""
    classes, rel_paths, files = _list_folder(root, "DIR")
    trusted_listing = _list_folder(trusted_root, "--trusted") if trusted_root is not None else None
    if trusted_listing is not None:
        unknown = sorted(set(trusted_listing[0]) - set(classes))
        if unknown:
            raise InputError(f"--trusted has classes not in DIR: {', '.join(unknown)}")
    all_files = files + (trusted_listing[2] if trusted_listing else [])
    shown = rel_paths + ([f"--trusted/{p}" for p in trusted_listing[1]] if trusted_listing else [])
    task = progress.add_task("reading images", total=len(all_files)) if progress else None
    pictures = []
    for path, name in zip(all_files, shown, strict=True):
        pictures.append(_open_image(path, name))
        if progress is not None and task is not None:
            progress.advance(task)
    sizes = Counter(p.size for p in pictures)
    size = sizes.most_common(1)[0][0]
    notes: list[str] = []
    if len(sizes) > 1:
        n_resized = sum(count for s, count in sizes.items() if s != size)
        notes.append(f"{n_resized} images resized to {size[0]}x{size[1]} (the most common size)")
    arrays = [np.asarray(p if p.size == size else p.resize(size), dtype=np.float32) / 255.0 for p in pictures]
    stack = np.stack(arrays)
    grey = bool(np.all(stack[..., 0] == stack[..., 1]) and np.all(stack[..., 1] == stack[..., 2]))
    stack = stack[..., 0] if grey else stack
    notes.append("all images read as grayscale" if grey else "images read as RGB (at least one has colour)")
    index = {name: i for i, name in enumerate(classes)}
    labels = np.array([index[p.split("/", 1)[0]] for p in rel_paths], dtype=np.int64)
    data = Folder(rel_paths, stack[: len(rel_paths)], labels, classes, notes)
    trusted = None
    if trusted_listing is not None:
        t_labels = np.array([index[p.split("/", 1)[0]] for p in trusted_listing[1]], dtype=np.int64)
        trusted = Folder(trusted_listing[1], stack[len(rel_paths) :], t_labels, classes)
    return data, trusted


def read_contributors(csv_path: Path, folder: Folder) -> np.ndarray:
    """Per-item contributor ids from a ``path,contributor`` CSV, paths relative to DIR.

    CSV paths are only ever looked up among the files already found in DIR, never opened.
    """
    if not csv_path.is_file():
        raise InputError(f"contributors file not found: {csv_path}")
    known = {p: i for i, p in enumerate(folder.paths)}
    owners = np.full(len(folder.paths), "", dtype=object)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {csv_path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"path", "contributor"} <= set(reader.fieldnames):
        raise InputError(f"{csv_path.name} must have the columns path,contributor (got {reader.fieldnames})")
    for row_no, row in enumerate(reader, start=2):
        rel = (row.get("path") or "").strip().replace("\\", "/")
        who = (row.get("contributor") or "").strip()
        if not rel or not who:
            raise InputError(f"{csv_path.name} line {row_no}: empty path or contributor")
        label = rel.split("/", 1)[0]
        if label not in folder.classes:
            raise InputError(f"{csv_path.name} line {row_no}: unknown label {label!r} in path {rel!r}")
        if "label" in row and row["label"] and row["label"].strip() != label:
            raise InputError(
                f"{csv_path.name} line {row_no}: label {row['label'].strip()!r} "
                f"does not match the folder {label!r}"
            )
        if rel not in known:
            raise InputError(f"{csv_path.name} line {row_no}: {rel!r} is not an image in DIR")
        if owners[known[rel]]:
            raise InputError(f"{csv_path.name} line {row_no}: {rel!r} is listed twice")
        owners[known[rel]] = who
    missing = int(np.sum(owners == ""))
    if missing:
        folder.notes.append(
            f"{missing} images are not in the contributors CSV; attributed to '(unattributed)'"
        )
        owners[owners == ""] = "(unattributed)"
    return owners.astype(str)


def build_report(folder: Folder, result: Any) -> dict[str, Any]:
    """The scanner's JSON report: items by path, contributors, and the scan summary."""
    base = result.to_dict()
    items = []
    for entry, path, label in zip(base["items"], folder.paths, folder.labels, strict=True):
        items.append(
            {
                "path": path,
                "label": folder.classes[int(label)],
                "suspicion": entry["suspicion"],
                "flagged": entry["flagged"],
                "reasons": entry["reasons"],
                "embedding": entry["embedding"],
            }
        )
    summary = dict(base["summary"])
    summary["classes"] = folder.classes
    summary["notes"] = folder.notes + list(summary.get("notes", []))
    return {"items": items, "contributors": base["contributors"], "summary": summary}


def thumbnails(root: Path, report: dict[str, Any]) -> dict[str, bytes]:
    """PNG thumbnails of the most suspicious flagged items, keyed by their relative path."""
    from PIL import Image

    flagged = sorted((i for i in report["items"] if i["flagged"]), key=lambda i: -i["suspicion"])[:THUMBNAILS]
    out: dict[str, bytes] = {}
    for item in flagged:
        with Image.open(root / item["path"]) as img:
            thumb = img.convert("RGB")
            scale = THUMBNAIL_SIDE / max(thumb.size)
            thumb = thumb.resize(
                (max(1, round(thumb.width * scale)), max(1, round(thumb.height * scale))),
                Image.Resampling.NEAREST,
            )
            buf = io.BytesIO()
            thumb.save(buf, format="PNG")
            out[item["path"]] = buf.getvalue()
    return out


def detect_command(
    directory: Annotated[Path, typer.Argument(help="ImageFolder to scan: DIR/<label>/<image>.")],
    trusted: Annotated[
        Path | None, typer.Option("--trusted", help="Vetted seed set, same layout; calibrates the scan.")
    ] = None,
    contributors: Annotated[
        Path | None,
        typer.Option("--contributors", help="CSV with columns path,contributor (paths relative to DIR)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Your model: TorchScript, safetensors or a state dict.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    fdr: Annotated[
        float,
        typer.Option(
            "--fdr",
            min=1e-6,
            max=0.5,
            help="False-discovery rate: the share of flagged items expected to be clean.",
        ),
    ] = 0.05,
    fpr: Annotated[
        float | None,
        typer.Option(
            "--fpr",
            min=1e-6,
            max=0.5,
            help="Flag at this per-item false-positive rate instead (about this share of a clean set).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for every model and split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report to stdout.")] = False,
) -> None:
    """Scan DIR for poisoned images and explain every flag."""
    from sebrus.detect.scan import scan
    from sebrus.detect.uploaded_model import ModelFormatError, load_uploaded_model

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    )
    try:
        with progress:
            folder, trusted_folder = read_folders(directory, trusted, progress)
            owners = read_contributors(contributors, folder) if contributors is not None else None
            uploaded = None
            if model is not None:
                channels = 1 if folder.images.ndim == 3 else folder.images.shape[3]
                uploaded = load_uploaded_model(model, n_classes=len(folder.classes), in_channels=channels)
            task = progress.add_task("scanning", total=1.0)

            def on_progress(stage: str, fraction: float) -> None:
                progress.update(task, completed=fraction, description=f"scanning: {stage}")

            result = scan(
                folder.images,
                folder.labels,
                contributors=owners,
                trusted_images=trusted_folder.images if trusted_folder else None,
                trusted_labels=trusted_folder.labels if trusted_folder else None,
                model=uploaded,
                fdr=fdr,
                fpr=fpr,
                seed=seed,
                progress=on_progress,
            )
    except (InputError, ModelFormatError) as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"cannot scan {directory}: {exc}")
    payload = build_report(folder, result)
    if report is not None:
        report.write_text(json.dumps(payload, indent=2))
    if html is not None:
        from sebrus.detect.report_html import render_html_report

        render_html_report(payload, thumbnails(directory, payload), html)
    if as_json:
        print_json(payload)
        return
    summary = payload["summary"]
    rule = f"FPR {fpr}" if fpr is not None else f"FDR {fdr}"
    console.print(
        f"scanned {summary['n_items']} images in {summary['seconds']} s: "
        f"[bold]{summary['n_flagged']} flagged[/] at {rule}"
        + (
            f", {summary['n_contributors_flagged']} of {summary['n_contributors']} contributors flagged"
            if owners is not None
            else ""
        )
    )
    if summary.get("expected_false_positives") is not None:
        precision = summary.get("expected_precision")
        console.print(
            f"  about {summary['expected_false_positives']:.1f} clean items expected among the flags"
            + (f" (expected precision {precision:.0%})" if precision is not None else ""),
            highlight=False,
        )
    console.print(f"  seed set: {summary['trusted']['message']}", highlight=False)
    for item in sorted((i for i in payload["items"] if i["flagged"]), key=lambda i: -i["suspicion"])[:10]:
        why = ", ".join(f"{r['detector']} ({r['score']})" for r in item["reasons"])
        console.print(
            f"  {item['path']}  label={item['label']}  suspicion={item['suspicion']:.2f}  {why}",
            highlight=False,
        )
    for note in summary["notes"]:
        console.print(f"  note: {note}", style="dim", highlight=False)
    for target in (report, html):
        if target is not None:
            console.print(f"wrote {target}")
