"""SQL statements per read: the pages people load most must not grow a query per row.

Each read is counted with a SQLAlchemy ``before_cursor_execute`` listener on the app's engine, once
with a short page and once with a long one; an N+1 pattern shows as a count that grows with the page.
The upper bounds are today's counts, so a change that adds a query to a hot read fails here first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from sebrus.config import Settings
from tests.support.api import Person, sign_up_and_log_in
from tests.support.reads import add_datasets, add_items, add_release, build_reads_app

SMALL, LARGE = 10, 50


@pytest.fixture
def reads_app(settings: Settings) -> Iterator[FastAPI]:
    app = build_reads_app(settings)
    yield app
    app.state.platform.engine.dispose()


@pytest.fixture
def owner(reads_app: FastAPI) -> Person:
    return sign_up_and_log_in(TestClient(reads_app), "owner")


class StatementCounter:
    """Counts the SQL statements the engine runs while ``counting()`` is open."""

    def __init__(self, app: FastAPI) -> None:
        self.statements: list[str] = []
        self._engine = app.state.platform.engine
        self._on = False
        event.listen(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._on:
            self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.statements = []
        self._on = True
        try:
            yield self.statements
        finally:
            self._on = False

    def count(self, client: TestClient, url: str, **kwargs: Any) -> int:
        with self.counting() as statements:
            response = client.get(url, **kwargs)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        return len(statements)


@pytest.fixture
def counter(reads_app: FastAPI) -> StatementCounter:
    return StatementCounter(reads_app)


def test_dataset_list_runs_the_same_statements_for_10_and_50_datasets(
    reads_app: FastAPI, owner: Person, counter: StatementCounter
) -> None:
    client = TestClient(reads_app)
    add_datasets(reads_app, owner.user_id, SMALL)
    small = counter.count(client, "/api/dataset", params={"limit": SMALL})
    add_datasets(reads_app, owner.user_id, LARGE - SMALL)
    large = counter.count(client, "/api/dataset", params={"limit": LARGE})
    assert small == large <= 3  # the page and its total, and the page's owner names in one query


def test_items_page_runs_the_same_statements_for_10_and_50_items(
    reads_app: FastAPI, owner: Person, counter: StatementCounter
) -> None:
    client = TestClient(reads_app)
    [dataset_id] = add_datasets(reads_app, owner.user_id, 1)
    add_items(reads_app, dataset_id, LARGE)
    small = counter.count(client, f"/api/dataset/{dataset_id}/items", params={"limit": SMALL})
    large = counter.count(client, f"/api/dataset/{dataset_id}/items", params={"limit": LARGE})
    assert small == large <= 2  # the dataset, the page with its total


def test_an_image_costs_one_statement(reads_app: FastAPI, owner: Person, counter: StatementCounter) -> None:
    [dataset_id] = add_datasets(reads_app, owner.user_id, 1)
    [content_hash] = add_items(reads_app, dataset_id, 1)
    url = f"/api/dataset/{dataset_id}/items/{content_hash}/image"
    assert counter.count(TestClient(reads_app), url) <= 1


def test_dashboard_runs_the_same_statements_for_10_and_50_datasets(
    reads_app: FastAPI, owner: Person, counter: StatementCounter
) -> None:
    # Every dataset has items, so the per-dataset counts are really drawn.
    for dataset_id in add_datasets(reads_app, owner.user_id, SMALL):
        add_items(reads_app, dataset_id, 1, first_seed=dataset_id)
    small = counter.count(owner.client, "/dashboard", headers={"Accept": "text/html"})
    for dataset_id in add_datasets(reads_app, owner.user_id, LARGE - SMALL):
        add_items(reads_app, dataset_id, 1, first_seed=dataset_id)
    # The dashboard shows 20 a page; 50 datasets fill the page where 10 did not.
    large = counter.count(owner.client, "/dashboard", headers={"Accept": "text/html"})
    assert small == large <= 3  # the session, its user, the page with owners, counts and total


def test_release_list_runs_the_same_statements_for_2_and_6_releases(
    reads_app: FastAPI, owner: Person, counter: StatementCounter
) -> None:
    client = TestClient(reads_app)
    [dataset_id] = add_datasets(reads_app, owner.user_id, 1)
    add_items(reads_app, dataset_id, 3)
    for version in (1, 2):
        add_release(reads_app, dataset_id, version)
    small = counter.count(client, f"/api/dataset/{dataset_id}/releases")
    for version in (3, 4, 5, 6):
        add_release(reads_app, dataset_id, version)
    large = counter.count(client, f"/api/dataset/{dataset_id}/releases")
    assert small == large <= 3  # the dataset, the releases, all their removals


def test_release_items_page_runs_the_same_statements_for_10_and_50_items(
    reads_app: FastAPI, owner: Person, counter: StatementCounter
) -> None:
    client = TestClient(reads_app)
    [dataset_id] = add_datasets(reads_app, owner.user_id, 1)
    add_items(reads_app, dataset_id, LARGE)
    add_release(reads_app, dataset_id, 1)
    url = f"/api/dataset/{dataset_id}/releases/1/items"
    small = counter.count(client, url, params={"limit": SMALL})
    large = counter.count(client, url, params={"limit": LARGE})
    assert small == large <= 5  # the dataset, the release, the page, its items' votes and suspicion
