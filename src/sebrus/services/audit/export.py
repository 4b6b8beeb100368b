"""Export a dataset's part of the append-only audit log as JSON Lines or CSV.

A dataset's entries are those whose subject is ``dataset:<id>``: every owner action on it (settings,
roles, seed set, scans, releases, review policy and pool, revocations) and every automated decision
(scan outcomes, quarantines, review resolutions, monitoring measurements and alerts). Rows are streamed
in id order, which is the order they were committed, in pages, so a long log never sits in memory.
Each line carries the entry's id, so an export can be resumed (``after``) and two exports compared.

CSV is meant to be opened in a spreadsheet, and Excel or LibreOffice evaluate a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula: a username such as ``-2-3`` is
allowed and would run. So every text cell in the CSV that begins with one of those characters gets a
single quote in front (OWASP's advice against CSV injection), which the spreadsheet shows as text; a
reader who needs the exact value strips one leading ``'`` from such a cell. Numbers, and ``details``
(one JSON object, so it begins with ``{``), never start a formula. Lines end in CRLF (RFC 4180), so a
cell holding a carriage return is quoted too. The JSONL export is exact: no value is changed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import AuditLogEntry, Dataset, User

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")
PAGE = 500
CSV_COLUMNS = ("id", "at", "action", "subject", "actor_user_id", "actor", "details")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def entries(sessions: Callable[[], Session], dataset: Dataset, after: int = 0) -> Iterator[dict[str, Any]]:
    """The dataset's entries as plain dicts, oldest first, read a page per short session."""
    subject = f"dataset:{dataset.id}"
    last = after
    names: dict[int, str | None] = {}
    while True:
        with sessions() as db:
            rows = list(
                db.scalars(
                    select(AuditLogEntry)
                    .where(AuditLogEntry.subject == subject, AuditLogEntry.id > last)
                    .order_by(AuditLogEntry.id)
                    .limit(PAGE)
                )
            )
            for actor in {r.actor_user_id for r in rows if r.actor_user_id is not None} - names.keys():
                user = db.get(User, actor)
                names[actor] = user.username if user is not None else None
        for row in rows:
            yield {
                "id": row.id,
                "at": row.at.isoformat(),
                "action": row.action,
                "subject": row.subject,
                "actor_user_id": row.actor_user_id,
                "actor": names.get(row.actor_user_id) if row.actor_user_id is not None else None,
                "details": row.details,
            }
        if len(rows) < PAGE:
            return
        last = rows[-1].id


def render(rows: Iterator[dict[str, Any]], fmt: ExportFormat) -> Iterator[str]:
    """Lines of the export; CSV keeps ``details`` as one JSON cell so no field is lost."""
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = {**row, "details": json.dumps(row["details"], sort_keys=True, ensure_ascii=False)}
        writer.writerow(["" if cells[c] is None else inert(cells[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail


def inert(cell: object) -> object:
    """The cell as a spreadsheet will show it rather than evaluate it: text that could start a formula
    gets a leading single quote (see the module's docstring)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
