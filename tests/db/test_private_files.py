"""The SQLite database holds password hashes, CSRF secrets and encrypted keystores (item 15 of the
audit): it and the files SQLite keeps beside it are 0600, whatever the umask."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from sebrus.db.engine import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    database = tmp_path / "data" / "sebrus.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:  # WAL mode: the write leaves -wal and -shm beside the file
            connection.execute(text("CREATE TABLE secrets (value TEXT)"))
            connection.execute(text("INSERT INTO secrets VALUES ('a password hash')"))
        wal, shm = (database.with_name(database.name + suffix) for suffix in ("-wal", "-shm"))
        assert wal.exists() and shm.exists()
        assert [_mode(p) for p in (database, wal, shm)] == [0o600, 0o600, 0o600]
        assert _mode(database.parent) == 0o700  # made by the engine, so private too
    finally:
        engine.dispose()


@pytest.mark.usefixtures("usual_umask")
def test_files_an_older_version_left_readable_are_tightened(tmp_path: Path) -> None:
    database = tmp_path / "sebrus.db"
    for path in (database, tmp_path / "sebrus.db-journal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600 and _mode(tmp_path / "sebrus.db-journal") == 0o600
