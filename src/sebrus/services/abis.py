"""Contract ABIs clients fetch by id or name. Stored in the database; no request data reaches a file path."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.db.models import Abi, User
from sebrus.services import audit_log
from sebrus.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sebrus.services.pagination import Page, PageRequest

NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
ENTRY_TYPES = frozenset({"function", "constructor", "receive", "fallback", "event", "error"})
MAX_ABI_ENTRIES = 2000
MAX_ABI_JSON_BYTES = 1_000_000


def validate_name(name: object) -> str:
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None or name in {".", ".."}:
        raise InvalidInput(
            "`name` must be 1 to 64 characters: letters, digits, `_`, `.` or `-`.", field="name"
        )
    return name


def validate_abi(abi: object) -> list[dict[str, Any]]:
    if not isinstance(abi, list):
        raise InvalidInput("`abi` must be a JSON list of ABI entries.", field="abi")
    if len(abi) > MAX_ABI_ENTRIES:
        raise InvalidInput(f"`abi` may hold at most {MAX_ABI_ENTRIES} entries.", field="abi")
    for position, entry in enumerate(abi):
        if not isinstance(entry, dict):
            raise InvalidInput(f"`abi[{position}]` must be an object.", field="abi")
        kind = entry.get("type", "function")  # Solidity's ABI spec lets "function" be implied
        if kind not in ENTRY_TYPES:
            raise InvalidInput(
                f"`abi[{position}].type` must be one of {', '.join(sorted(ENTRY_TYPES))}.", field="abi"
            )
        if kind in {"function", "event", "error"} and not isinstance(entry.get("name"), str):
            raise InvalidInput(f"`abi[{position}]` ({kind}) needs a string `name`.", field="abi")
        for key in ("inputs", "outputs"):
            if key in entry and not isinstance(entry[key], list):
                raise InvalidInput(f"`abi[{position}].{key}` must be a list.", field="abi")
    if len(json.dumps(abi)) > MAX_ABI_JSON_BYTES:
        raise InvalidInput(f"`abi` must be at most {MAX_ABI_JSON_BYTES} bytes of JSON.", field="abi")
    return abi


def create_abi(db: Session, creator: User, name: str, abi: object) -> Abi:
    name = validate_name(name)
    entries = validate_abi(abi)
    if db.scalar(select(Abi.id).where(Abi.name == name)) is not None:
        raise Conflict("ABI already exists.")
    row = Abi(name=name, abi=entries, creator_id=creator.id)
    db.add(row)
    db.flush()
    audit_log.record(db, "abi.create", f"abi:{row.id}", actor_user_id=creator.id, details={"name": name})
    db.commit()
    return row


def get_abi(db: Session, id_or_name: str) -> Abi:
    """Numeric ids first (the prototype's ``/api/abi/<id>``), then a validated name."""
    row: Abi | None = None
    if id_or_name.isascii() and id_or_name.isdigit() and len(id_or_name) < 19:
        row = db.get(Abi, int(id_or_name))
    if row is None and NAME_PATTERN.fullmatch(id_or_name):
        row = db.scalar(select(Abi).where(Abi.name == id_or_name))
    if row is None:
        raise NotFound("ABI not found.")
    return row


def list_abis(db: Session, page: PageRequest) -> Page[Abi]:
    total = db.scalar(select(func.count()).select_from(Abi)) or 0
    rows = db.scalars(select(Abi).order_by(Abi.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


def _require_creator(row: Abi, actor: User, verb: str) -> None:
    if row.creator_id != actor.id:
        raise PermissionDenied(f"Only the ABI's creator may {verb} it.")


def update_abi(db: Session, actor: User, row: Abi, *, name: str | None = None, abi: object = None) -> Abi:
    _require_creator(row, actor, "change")
    if name is None and abi is None:
        raise InvalidInput("Give a new `name` or `abi`.")
    if name is not None:
        name = validate_name(name)
        clash = db.scalar(select(Abi.id).where(Abi.name == name, Abi.id != row.id))
        if clash is not None:
            raise Conflict("ABI already exists.")
        row.name = name
    if abi is not None:
        row.abi = validate_abi(abi)
    audit_log.record(db, "abi.update", f"abi:{row.id}", actor_user_id=actor.id, details={"name": row.name})
    db.commit()
    return row


def delete_abi(db: Session, actor: User, row: Abi) -> None:
    _require_creator(row, actor, "delete")
    audit_log.record(db, "abi.delete", f"abi:{row.id}", actor_user_id=actor.id, details={"name": row.name})
    db.delete(row)
    db.commit()
