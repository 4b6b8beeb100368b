"""Request bodies and answers of the scan and seed-set routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from sebrus.api.schemas.common import Answer, PageAnswer, StatusAnswer
from sebrus.db.models import DatasetSeed, Scan
from sebrus.primitives import DATASET_MAX_LABEL_BYTES
from sebrus.services.scans import model as scan_model
from sebrus.services.scans import queries as scan_queries
from sebrus.services.scans import seeds


class ScanStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["all", "new-since-last"] = Field(
        default="all",
        description="`all` gives every item a result; `new-since-last` only the items added since the last "
        "finished scan (the detectors still learn from every item).",
    )
    fdr: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="False-discovery rate: at most this share of the flagged items is expected to be clean. "
        "The default operating point (0.05 when neither `fdr` nor `fpr` is given).",
    )
    fpr: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="An explicit per-item false-positive rate instead of `fdr`: flags every item whose "
        "calibrated p-value is at most this, whatever the data holds (about this share of a clean set).",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed for every model and split.")


class SeedImage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(
        min_length=1, max_length=DATASET_MAX_LABEL_BYTES, description="A label from the dataset's set."
    )
    data: str = Field(min_length=1, description="The image file's bytes in standard base64.")


class SeedAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    images: list[SeedImage] = Field(
        default_factory=list,
        max_length=5000,
        description="Seed files: vetted images, never anchored as items.",
    )
    items: list[str] = Field(
        default_factory=list,
        max_length=5000,
        description="sha256 of existing items the owner vouches for; each keeps its item label.",
    )


class ScanModelOut(BaseModel):
    """Which model the dataset's scans use: the owner's upload, or the reference CNN they train."""

    source: Literal["uploaded", "reference"] = Field(
        description="`uploaded`: the owner's model; `reference`: scans train the reference CNN."
    )
    sha256: str | None = Field(description="The uploaded model's sha256, its key in the blob store.")
    format: str | None = Field(description="`torchscript`, `safetensors`, `state_dict` or `onnx`.")
    size: int | None = Field(description="The model file's size in bytes.")
    name: str | None = Field(description="The file name it was uploaded with (shown only).")
    set_at: datetime | None = Field(description="When the owner set it.")
    n_classes: int = Field(description="Outputs the model must have: one per dataset label.")
    classes: list[str] = Field(description="The dataset's labels, in output order.")
    checked_on: str | None = Field(
        default=None, description="On upload: the dataset's images the model was tried on (none yet: null)."
    )

    @classmethod
    def of(cls, info: scan_model.ScanModelInfo) -> ScanModelOut:
        return cls(
            source="uploaded" if info.uploaded else "reference",
            sha256=info.sha256,
            format=info.format,
            size=info.size,
            name=info.name,
            set_at=info.set_at,
            n_classes=len(info.classes),
            classes=info.classes,
            checked_on=info.checked_on,
        )


class ScanModelEnvelope(BaseModel):
    status: str
    scan_model: ScanModelOut


def prepare_images(images: list[SeedImage], limits: seeds.SeedLimits) -> list[seeds.SeedFile]:
    """Decode and validate seed files from a request body (also used by dataset creation)."""
    decoded = [
        (image.label, seeds.decode_base64_image(image.data, f"seed image {index}"))
        for index, image in enumerate(images)
    ]
    return seeds.prepare_seed_files(decoded, limits)


# ---------------------------------------------------------------------------------------------- answers


class QuarantineCountsOut(Answer):
    pending: int
    sent: int
    skipped: int
    failed: int


class ScanLinks(Answer):
    self: str
    flagged: str
    report_json: str
    report_html: str


class ScanOut(Answer):
    id: int
    dataset_id: int
    state: str
    scope: str
    backend: str
    progress: float
    message: str
    insufficient_data: bool
    error: str | None
    fdr: float | None
    fpr: float | None
    expected_false_positives: float | None
    expected_precision: float | None
    trusted_message: str | None
    seed: int
    threshold: float | None
    model_sha256: str | None = Field(description="The owner's scan model; null: the reference CNN.")
    n_items: int
    n_context: int
    n_trusted: int
    n_flagged: int
    quarantine: QuarantineCountsOut
    report_sha256: str | None
    report_html_sha256: str | None
    requested_by: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    links: ScanLinks


def scan_json(db: Session, scan: Scan) -> dict[str, Any]:
    counts = scan_queries.quarantine_counts(db, scan)
    base = f"/api/scans/{scan.id}"
    return {
        "id": scan.id,
        "dataset_id": scan.dataset_id,
        "state": scan.state.value,
        "scope": scan.scope.value,
        "backend": scan.backend,
        "progress": scan.progress,
        "message": scan.message,
        "insufficient_data": scan.insufficient_data,
        "error": scan.error,
        "fdr": scan.fdr,
        "fpr": scan.fpr,
        "expected_false_positives": scan.expected_false_positives,
        "expected_precision": scan.expected_precision,
        "trusted_message": scan.trusted_message,
        "seed": scan.random_seed,
        "threshold": scan.threshold,
        "model_sha256": scan.model_sha256,
        "n_items": scan.n_items,
        "n_context": scan.n_context,
        "n_trusted": scan.n_trusted,
        "n_flagged": scan.n_flagged,
        "quarantine": {
            "pending": counts.pending,
            "sent": counts.sent,
            "skipped": counts.skipped,
            "failed": counts.failed,
        },
        "report_sha256": scan.report_sha256,
        "report_html_sha256": scan.report_html_sha256,
        "requested_by": scan.requested_by_user_id,
        "created_at": scan.created_at.isoformat(),
        "started_at": scan.started_at.isoformat() if scan.started_at else None,
        "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
        "links": {
            "self": base,
            "flagged": f"{base}/flagged",
            "report_json": f"{base}/report.json",
            "report_html": f"{base}/report.html",
        },
    }


class ScanFound(StatusAnswer):
    scan: ScanOut


class ScanList(PageAnswer):
    scans: list[ScanOut]


class FlaggedItemOut(Answer):
    sha256: str
    label: str
    contributor: str
    status: str
    suspicion: float
    reasons: list[dict[str, Any]] = Field(description="The detectors that flagged it, with their scores.")
    quarantine: str | None
    quarantine_tx: str | None
    quarantine_note: str | None


class FlaggedItems(PageAnswer):
    scan_id: int
    report_sha256: str | None
    items: list[FlaggedItemOut]


class SeedOut(Answer):
    sha256: str
    label: str
    source: str
    added_at: str
    heldout_for_monitoring: bool = Field(
        description="In the share release monitoring measures on, which scans never use."
    )


def seed_json(seed: DatasetSeed, held_out: set[str] | None = None) -> dict[str, Any]:
    return {
        "sha256": seed.content_hash,
        "label": seed.label,
        "source": seed.source.value,
        "added_at": seed.created_at.isoformat(),
        "heldout_for_monitoring": seed.content_hash in (held_out or set()),
    }


class SeedAdded(StatusAnswer):
    added: list[SeedOut]
    total: int


class SeedList(StatusAnswer):
    seed: list[SeedOut]
    total: int
    heldout_for_monitoring: int
