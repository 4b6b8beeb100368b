"""Offset pagination shared by every list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sebrus.services.errors import InvalidInput

T = TypeVar("T")

# A select of any columns (SQLAlchemy's Select is generic over the tuple of its column types).
AnySelect = Select[*tuple[Any, ...]]

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
    rows, total = fetch_page_rows(db, query, query, page, *order_by)
    return Page(items=[row[0] for row in rows], total=total, limit=page.limit, offset=page.offset)


def fetch_page_rows(
    db: Session, query: AnySelect, counted: AnySelect, page: PageRequest, *order_by: Any
) -> tuple[list[tuple[Any, ...]], int]:
    """``fetch_page`` for a query of several columns: the page's rows (without the total) and the
    number of rows ``counted`` has, which is ``query`` without the columns that cost per row."""
    total = select(func.count()).select_from(counted.order_by(None).subquery())
    found = db.execute(
        query.add_columns(total.scalar_subquery()).order_by(*order_by).limit(page.limit).offset(page.offset)
    ).all()
    if found:
        return [tuple(row[:-1]) for row in found], int(found[0][-1])
    return [], 0 if page.offset == 0 else int(db.scalar(total) or 0)
