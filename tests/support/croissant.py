"""Load an export's Croissant metadata with the reference client, failing on any warning it gives."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mlcroissant as mlc


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_croissant_records(folder: Path, record_set: str = "items") -> list[dict[str, Any]]:
    """Every record of ``record_set``; AssertionError naming mlcroissant's warnings if it gave any.

    mlcroissant reports through absl logging (a ``@context`` that is not standard) and through the
    metadata's issue list (recommended properties missing), so both are checked.
    """
    handler = _Collect()
    absl_logger = logging.getLogger("absl")
    absl_logger.addHandler(handler)
    try:
        dataset = mlc.Dataset(str(folder / "croissant.json"))
        records = list(dataset.records(record_set))
    finally:
        absl_logger.removeHandler(handler)
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert not handler.messages, handler.messages
    return records
