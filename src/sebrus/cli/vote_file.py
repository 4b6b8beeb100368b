"""Reading a reviewer's decisions from a file for ``sebrus review vote --from-file``.

Two formats, told apart by the first entry: CSV lines ``hash-or-prefix,approve|reject`` (a
``sha256,decision`` header line is allowed), or JSON lines, each ``{"sha256": ..., "decision": ...}`` or
``["hash", "approve"]``. Blank lines and lines starting with ``#`` are skipped. Anything else is an
error naming the file's line, so a typo is fixed before a single vote is sent.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 1024 * 1024
SIDES = {"approve": True, "reject": False}


class VoteFileError(ValueError):
    """The file cannot be read as decisions; the message names the line."""


def read_decisions(path: Path) -> list[tuple[str, bool]]:
    """(hash or prefix, approve) per entry, in file order."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise VoteFileError(f"{path} is larger than 1 MiB; a bulk vote takes at most 100 entries.")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise VoteFileError(f"Cannot read {path}: {exc}") from exc
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    entries = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not entries:
        raise VoteFileError(f"{path} holds no decisions (one `hash,approve|reject` a line).")
    as_json = entries[0][1][0] in "{["
    found: list[tuple[str, bool]] = []
    for number, line in entries:
        where = f"{path.name} line {number}"
        if as_json:
            found.append(_json_entry(line, where))
        elif number == entries[0][0] and line.replace(" ", "").lower() == "sha256,decision":
            continue
        else:
            found.append(_csv_entry(line, where))
    if not found:
        raise VoteFileError(f"{path} holds a header but no decisions.")
    return found


def _csv_entry(line: str, where: str) -> tuple[str, bool]:
    fields = [f.strip() for f in next(csv.reader([line]))]
    if len(fields) != 2:
        raise VoteFileError(f"{where}: expected `hash-or-prefix,approve|reject`, got {line[:80]!r}.")
    return _checked(fields[0], fields[1], where)


def _json_entry(line: str, where: str) -> tuple[str, bool]:
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise VoteFileError(f"{where}: not JSON ({exc.msg}).") from exc
    if isinstance(value, dict) and set(value) == {"sha256", "decision"}:
        return _checked(value["sha256"], value["decision"], where)
    if isinstance(value, list) and len(value) == 2:
        return _checked(value[0], value[1], where)
    raise VoteFileError(f'{where}: expected {{"sha256": ..., "decision": ...}} or ["hash", "approve"].')


def _checked(ref: Any, decision: Any, where: str) -> tuple[str, bool]:
    if not isinstance(ref, str) or not isinstance(decision, str):
        raise VoteFileError(f"{where}: the hash and the decision must both be text.")
    digest = ref.strip().lower().removeprefix("0x")
    if not 0 < len(digest) <= 64 or any(c not in "0123456789abcdef" for c in digest):
        raise VoteFileError(f"{where}: {ref[:70]!r} is not a sha256 or the start of one.")
    side = SIDES.get(decision.strip().lower())
    if side is None:
        raise VoteFileError(f"{where}: the decision must be approve or reject, not {decision[:20]!r}.")
    return digest, side
