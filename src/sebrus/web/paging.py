"""Page numbers for long lists, with links that keep the list's filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int = 0
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_page(cls, page: int, size: int) -> Pager:
        return cls(page=min(max(page, 1), MAX_PAGE), size=size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def with_total(self, total: int, params: dict[str, str]) -> Pager:
        return Pager(self.page, self.size, total, tuple(sorted(params.items())))

    def _url(self, page: int) -> str:
        return "?" + urlencode([*self.params, ("page", str(page))])

    @property
    def previous_url(self) -> str | None:
        return self._url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self._url(self.page + 1) if self.page < self.pages else None

    @property
    def first_shown(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.size, self.total)
