"""Offset pagination shared by every list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sebrus.services.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"`limit` must be between 1 and {MAX_PAGE_SIZE}.", field="limit")
        if self.offset < 0:
            raise InvalidInput("`offset` must not be negative.", field="offset")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


def fetch_page(db: Session, query: Select[T], page: PageRequest, *order_by: Any) -> Page[T]:
    """A page of ``query``'s rows in ``order_by`` order, and how many rows it has in all, in one statement.

    The total rides along as an uncorrelated scalar subquery, which SQLite and PostgreSQL evaluate
    once per statement: a page costs one round trip instead of two. Only a page past the end, which
    has no row to carry the total, asks for it separately.
    """
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    rows = db.execute(
        query.add_columns(counted.scalar_subquery()).order_by(*order_by).limit(page.limit).offset(page.offset)
    ).all()
    if rows:
        return Page(
            items=[row[0] for row in rows], total=int(rows[0][-1]), limit=page.limit, offset=page.offset
        )
    total = 0 if page.offset == 0 else int(db.scalar(counted) or 0)
    return Page(items=[], total=total, limit=page.limit, offset=page.offset)
