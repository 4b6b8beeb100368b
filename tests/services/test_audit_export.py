"""The audit-log export: CSV cells a spreadsheet would run as formulas are made inert; JSONL stays exact."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sebrus.db.engine import make_session_factory
from sebrus.services import audit_log, datasets
from sebrus.services.accounts import users
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.audit import export as audit_export

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class Anchor:
    def anchor(self, spec: datasets.DatasetSpec, owner: object) -> datasets.AnchoredDataset:
        return datasets.AnchoredDataset(
            address="0x5fbdb2315678afecb367f032d93f642f64180aa3",
            chain_id=31337,
            chain_index=0,
            created_block=1,
        )


def row(actor: str | None, action: str = "dataset.update", details: Any = None) -> dict[str, Any]:
    return {
        "id": 1,
        "at": "2026-01-01T00:00:00+00:00",
        "action": action,
        "subject": "dataset:1",
        "actor_user_id": 7,
        "actor": actor,
        "details": details if details is not None else {},
    }


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil","x")', "+1+1", "-1-1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
    ids=["equals", "plus", "minus", "at", "tab", "cr"],
)
def test_a_cell_starting_a_formula_is_prefixed_with_a_quote_in_csv(hostile: str) -> None:
    rows = [row(hostile, action=hostile)]
    [parsed] = parse_csv("".join(audit_export.render(iter(rows), "csv")))
    assert parsed["actor"] == "'" + hostile
    assert parsed["action"] == "'" + hostile


def test_harmless_cells_numbers_and_details_are_left_alone_in_csv() -> None:
    rows = [row("alice", details={"label": "=cmd", "note": "-x"})]
    [parsed] = parse_csv("".join(audit_export.render(iter(rows), "csv")))
    assert (parsed["id"], parsed["actor_user_id"], parsed["actor"]) == ("1", "7", "alice")
    assert parsed["at"] == "2026-01-01T00:00:00+00:00"
    # details is one JSON cell; it starts with "{", so its contents cannot start a formula.
    assert json.loads(parsed["details"]) == {"label": "=cmd", "note": "-x"}


def test_jsonl_keeps_hostile_values_exact() -> None:
    rows = [row("=1+1", action="@x", details={"label": "+y"})]
    [line] = list(audit_export.render(iter(rows), "jsonl"))
    assert json.loads(line) == rows[0]


def test_a_registered_username_starting_with_minus_is_inert_in_the_exported_csv(
    db: Session, engine: Engine
) -> None:
    hostile = users.register_user(db, CHEAP, "-2-3", "a long password")  # the username rules allow it
    dataset = datasets.register_dataset(
        db, hostile, datasets.DatasetSpec(name="pets", labels=["cat"]), Anchor()
    )
    audit_log.record(db, "dataset.update", f"dataset:{dataset.id}", actor_user_id=hostile.id)
    db.commit()

    sessions = make_session_factory(engine)
    as_csv = parse_csv("".join(audit_export.render(audit_export.entries(sessions, dataset), "csv")))
    as_jsonl = [
        json.loads(line) for line in audit_export.render(audit_export.entries(sessions, dataset), "jsonl")
    ]
    assert as_csv and {r["actor"] for r in as_csv} == {"'-2-3"}
    assert as_jsonl and {r["actor"] for r in as_jsonl} == {"-2-3"}
