"""Fixtures shared by the whole suite.

``database_url`` is parametrised over SQLite and PostgreSQL, so every test that
touches the database runs on both backends. PostgreSQL tests are skipped only
when the server is unreachable and ``CI`` is unset; in CI they fail instead.

``start_platform`` runs the whole platform (embedded chain, relayer, indexer) for the
test modules that share one across their tests, and ``server`` the same behind uvicorn for the
clients (SDK, CLI, browser).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sebrus.db.engine import make_engine, make_session_factory
from sebrus.platform import ChainServices
from sebrus.testing.databases import (
    empty_postgres_tables,
    migrated_sqlite_template,
    postgres_schema,
    postgres_server_url,
    postgres_unreachable_reason,
    sqlite_copy,
)
from tests.support.live_server import LiveServer, live_server
from tests.support.platform import StartPlatform, cheap_settings, started

# ``s3_server``: moto's S3 server as a child process, for the S3 blob store's tests.
pytest_plugins = ["tests.support.s3"]

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = postgres_server_url()
    reason = postgres_unreachable_reason(server)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
        pytest.skip(reason)
    with postgres_schema(server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield sqlite_copy(template, tmp_path / "sebrus.db")
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url)
    try:
        empty_postgres_tables(engine)
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """0022, the usual default, under which a new file is 0644 unless its creator says otherwise: tests
    of private files use it so that they cannot pass merely because the machine's umask is strict."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture(scope="module")
def start_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartPlatform]:
    """Builds and starts the whole platform on SQLite in a fresh data dir; stopped when the module ends.

    Module-scoped because starting the chain and its loops costs seconds: the modules that use it keep
    their tests apart by giving each its own users and datasets. Keyword arguments override the cheap
    test ``Settings`` (password hashing at its minimum, a 20 s upload wait).
    """
    with ExitStack() as running:

        def start(**overrides: Any) -> tuple[FastAPI, ChainServices]:
            settings = cheap_settings(tmp_path_factory.mktemp("platform"), **overrides)
            return running.enter_context(started(settings))

        yield start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The whole platform behind uvicorn on a free local port, for the client and browser tests."""
    with live_server(cheap_settings(tmp_path_factory.mktemp("live-server"))) as running:
        yield running
