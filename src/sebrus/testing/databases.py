"""Throwaway, migrated databases for tests, on SQLite and PostgreSQL.

PostgreSQL runs share one server, so every run works in a schema of its own
(random name, dropped at the end) and never collides with another run.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, inspect, make_url, text

from sebrus.db.engine import make_engine
from sebrus.db.migrate import upgrade_database

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    return os.environ.get("SEBRUS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_unreachable_reason(url: str) -> str | None:
    """None when the server answers, else why not (for a skip or failure message)."""
    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not usable here"
        return f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)} unreachable: {exc}"
    finally:
        engine.dispose()
    return None


def url_with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url)
    query = dict(parsed.query)
    query["options"] = f"-csearch_path={schema}"
    rebuilt: URL = parsed.set(query=query)
    return rebuilt.render_as_string(hide_password=False)


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """Create a fresh schema, migrate it, yield a URL whose connections live in it, drop it after."""
    schema = f"sebrus_test_{secrets.token_hex(6)}"
    admin = make_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = url_with_search_path(server_url, schema)
        engine = make_engine(url)
        try:
            upgrade_database(engine)
        finally:
            engine.dispose()
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def empty_postgres_tables(engine: Engine) -> None:
    """Return a migrated schema to empty between tests.

    The append-only triggers would refuse this, which is the point in
    production; here replica mode switches triggers (foreign-key checks
    included) off for this transaction only. DELETE rather than TRUNCATE:
    on a handful of rows it is several times faster.
    """
    tables = [name for name in inspect(engine).get_table_names() if name != "alembic_version"]
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for name in tables:
            # Table names come from the database's own catalogue, not from input.
            connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608


def migrated_sqlite_template(directory: Path) -> Path:
    """Migrate once into a file that each test then copies, which is much faster than migrating each time."""
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade_database(engine)
    finally:
        engine.dispose()  # closing the last connection checkpoints WAL into the main file
    return path


def sqlite_copy(template: Path, destination: Path) -> str:
    shutil.copyfile(template, destination)
    return f"sqlite:///{destination}"
