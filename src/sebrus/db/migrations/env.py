"""Alembic environment: always driven from code with a connection handed in by ``upgrade_database``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import sebrus.db.models  # noqa: F401  (registers every table on the metadata)
from sebrus.db.base import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through sebrus.db.migrate.upgrade_database, not the alembic CLI")
run_with(connection)
