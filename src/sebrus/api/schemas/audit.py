"""The answer of ``GET /api/dataset/{id}/audit``: where database, chain and blob store disagree."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sebrus.api.schemas.common import Answer, StatusAnswer
from sebrus.services.audit.consistency import AuditReport


class FindingOut(Answer):
    kind: str
    content_hash: str | None
    expected: Any = Field(description="What the chain (or the key) says.")
    found: Any = Field(description="What the copy holds.")
    detail: str


class OutboxNoteOut(Answer):
    content_hash: str
    state: str
    attempts: int
    age_seconds: int
    error: str | None


class ReadMismatchOut(Answer):
    content_hash: str
    found: str | None = Field(description="The sha256 the served bytes had; null when the stream was cut.")
    at: str


class AuditOut(StatusAnswer):
    dataset_id: int
    dataset_address: str
    ok: bool = Field(description="True only when database, chain and blob store all agree.")
    checked_at: str
    from_block: int
    indexed_to_block: int
    head_block: int
    counts: dict[str, int]
    findings_by_kind: dict[str, int]
    findings: list[FindingOut]
    outbox: list[OutboxNoteOut] = Field(
        description="Uploads acknowledged but not anchored yet, given up, or taken "
        "(anchored first by another wallet)."
    )
    orphan_blobs: list[str] = Field(
        description="Store-wide: blobs no item, outbox, seed, model or report row references (what a crash "
        "between storing bytes and committing their row leaves); the first 100, `counts.orphan_blobs` "
        "counts them all. An upload being stored at that moment may appear once."
    )
    read_mismatches: list[ReadMismatchOut] = Field(
        description="Image reads refused because the stored bytes no longer hashed to their key, newest "
        "first (the first 100; `counts.read_mismatches` counts them all), from the audit log."
    )
    age_seconds: float = Field(
        description="0 for a run made for this request; anonymous callers share a recent run."
    )

    @classmethod
    def of(cls, report: AuditReport, *, age_seconds: float = 0.0) -> AuditOut:
        status = "Audit clean." if report.ok else "Audit found mismatches."
        return cls.model_validate(
            {"status": status, **report.to_json(), "age_seconds": round(age_seconds, 3)}
        )
