"""fetch_page: a page and its total in one statement, the same answer the two-query form gave."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, User
from sebrus.services.pagination import PageRequest, fetch_page


def _datasets(db: Session, names: list[str]) -> None:
    owner = User(username="owner", username_key="owner", password_hash="x")
    db.add(owner)
    db.flush()
    db.add_all(
        Dataset(name=name, address="0x" + f"{n + 1:040x}", owner_id=owner.id, labels=["a"])
        for n, name in enumerate(names)
    )
    db.commit()


def _statements(db: Session) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", record)
    return seen


def test_a_page_and_its_total_come_in_one_statement(db: Session) -> None:
    _datasets(db, [f"cat {n}" for n in range(7)] + ["dog"])
    cats = select(Dataset).where(Dataset.name.like("cat%"))
    seen = _statements(db)
    page = fetch_page(db, cats, PageRequest(limit=3, offset=3), Dataset.id.desc())
    assert [d.name for d in page.items] == ["cat 3", "cat 2", "cat 1"]
    assert (page.total, page.limit, page.offset) == (7, 3, 3)
    assert len(seen) == 1
    last = fetch_page(db, cats, PageRequest(limit=3, offset=6), Dataset.id)
    assert ([d.name for d in last.items], last.total) == (["cat 6"], 7)


def test_past_the_end_the_total_is_still_counted(db: Session) -> None:
    _datasets(db, ["cat", "dog", "cow"])
    beyond = fetch_page(db, select(Dataset), PageRequest(limit=10, offset=10), Dataset.id)
    assert (list(beyond.items), beyond.total) == ([], 3)


def test_an_empty_first_page_needs_no_count(db: Session) -> None:
    _datasets(db, ["cat"])
    seen = _statements(db)
    nothing = fetch_page(db, select(Dataset).where(Dataset.name == "dog"), PageRequest(), Dataset.id)
    assert (list(nothing.items), nothing.total) == ([], 0)
    assert len(seen) == 1
