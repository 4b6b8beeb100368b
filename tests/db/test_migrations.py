from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from sebrus.db.base import Base
from sebrus.db.engine import make_engine
from sebrus.db.migrate import current_revision, head_revision, upgrade_database
from sebrus.db.models import ItemStatus


def test_migrated_schema_has_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) == head_revision()


def test_upgrade_is_idempotent(engine):
    upgrade_database(engine)
    upgrade_database(engine)
    assert current_revision(engine) == head_revision()


def test_fresh_sqlite_file_is_created_and_migrated(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'new.db'}")
    try:
        upgrade_database(engine)
        assert "items" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migration_matches_models(engine):
    """A model change without a migration would make this comparison report differences."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_item_status_values_are_lowercase_strings():
    assert [s.value for s in ItemStatus] == ["pending", "quarantined", "approved", "rejected"]
