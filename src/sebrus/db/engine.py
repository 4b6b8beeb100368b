"""Engines and session factories, configured per backend."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from sebrus.primitives import PRIVATE_FILE_MODE, private_dir, private_file


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings the platform relies on.

    SQLite needs foreign keys switched on per connection (cascades depend on
    them), WAL so readers do not block the writer, and a busy timeout so that
    concurrent writers wait rather than fail.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_sqlite_files(Path(database))
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    if parsed.get_backend_name() == "postgresql":
        _require_driver(parsed.get_driver_name())
    return create_engine(url, pool_pre_ping=True, **kwargs)


#: What SQLite keeps beside the database file; each holds the same rows (password hashes, keystores).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_sqlite_files(database: Path) -> None:
    """The database file exists with mode 0600 before SQLite opens it, and so do the files beside it.

    SQLite creates its -wal, -shm and -journal files with the database file's own mode, so making the
    database 0600 first covers them too; files left by an older version are tightened here. A missing
    parent is created 0700 (an existing one is the deployment's to choose; the platform's own data
    directory is made private by ``create_app``).
    """
    if not database.parent.exists():
        private_dir(database.parent)
    private_file(database)
    for suffix in SQLITE_SIDE_FILES:
        side = database.with_name(database.name + suffix)
        if side.exists():
            os.chmod(side, PRIVATE_FILE_MODE)


def _require_driver(driver: str) -> None:
    """PostgreSQL is an extra: say how to install it instead of failing inside SQLAlchemy's import."""
    import importlib.util

    if driver == "psycopg" and importlib.util.find_spec("psycopg") is None:
        raise RuntimeError(
            "A postgresql+psycopg database URL needs the PostgreSQL driver: pip install 'sebrus[postgres]'."
        )


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


#: What background work is handed: something that opens a session (a sessionmaker, or a test's stand-in).
SessionFactory = Callable[[], Session]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services return ORM objects that faces read after the commit.
    return sessionmaker(engine, expire_on_commit=False)
