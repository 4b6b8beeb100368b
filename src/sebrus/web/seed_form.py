"""The vetted seed set on the Create a Dataset form: rows of one label and that label's image files.

Seed images are checked one by one with ``services/scans/seeds.py`` (the same checks as the API), so a
refusal names the file and sits beside its row. A browser cannot refill a file input, so when the
form comes back with an error the page asks for the files again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile

from sebrus.db.models import DatasetSeed
from sebrus.http.body_allowances import FORM_UPLOAD_BYTES, describe_bytes
from sebrus.services.errors import InvalidInput
from sebrus.services.scans import seeds
from sebrus.web.forms import FormErrors, text

DEFAULT_ROWS = 3
MAX_ROWS = 20
MAX_FILES = 500
# BodySizeLimit (http/body_limit.py) caps the whole form; the route shows this beside the seeds.
TOO_LARGE = f"Send at most {describe_bytes(FORM_UPLOAD_BYTES)} of seed images at once; add the rest later."
CHOOSE_AGAIN = "Your seed images were not kept because the form had a problem: choose them again."


@dataclass
class SeedRow:
    index: int
    label: str
    files: list[UploadFile] = field(default_factory=list)


def read_rows(form: FormData) -> tuple[list[SeedRow], dict[str, str]]:
    """Every row the form sent, and the labels as typed (to show again)."""
    rows, values = [], {}
    for index in range(MAX_ROWS):
        label = text(form, f"seed_label_{index}").strip()
        files = [f for f in form.getlist(f"seed_files_{index}") if isinstance(f, UploadFile) and f.filename]
        values[f"seed_label_{index}"] = label
        if label or files:
            rows.append(SeedRow(index, label, files))
    return rows, values


def rows_to_show(values: dict[str, str]) -> list[int]:
    """Row indexes for the form: the default few, or as many as the user had filled in."""
    used = [i for i in range(MAX_ROWS) if values.get(f"seed_label_{i}")]
    return list(range(max(DEFAULT_ROWS, used[-1] + 1 if used else 0)))


async def _read(upload: UploadFile, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to know that a file is too large without holding all of it."""
    data = await upload.read(limit + 1)
    await upload.close()
    return data


async def prepare(
    rows: Sequence[SeedRow], limits: seeds.SeedLimits, errors: FormErrors
) -> list[seeds.SeedFile]:
    """Check every seed file; errors go beside the row (label or files) or the whole seed fieldset."""
    images: list[tuple[str, bytes]] = []
    total = sum(len(row.files) for row in rows)
    if total > MAX_FILES:
        errors.add("seed", f"Choose at most {MAX_FILES} seed images at once; add the rest later.")
        return []
    for row in rows:
        if not row.files:
            continue
        if not row.label:
            errors.add(f"seed_label_{row.index}", "Give the label of the images in this row.")
            continue
        if row.label not in limits.labels:
            errors.add(
                f"seed_label_{row.index}", f"{row.label!r} is not one of the labels above; use one of them."
            )
            continue
        for upload in row.files:
            data = await _read(upload, limits.max_bytes)
            try:
                seeds.prepare_seed_files([(row.label, data)], limits)
            except InvalidInput as refused:
                reason = refused.message.split(": ", 1)[-1]
                errors.add(f"seed_files_{row.index}", f"{upload.filename}: {reason}")
                break
            images.append((row.label, data))
    if errors:
        return []
    try:
        return seeds.prepare_seed_files(images, limits)  # also refuses one image under two labels
    except InvalidInput as refused:
        errors.add("seed", refused.message.split(": ", 1)[-1])
        return []


def counts_by_label(rows: Sequence[DatasetSeed]) -> dict[str, int]:
    return dict(sorted(Counter(row.label for row in rows).items()))
