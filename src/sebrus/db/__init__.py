"""The metadata store: SQLAlchemy models, engines and migrations applied at start."""

from sebrus.db.base import Base, utcnow
from sebrus.db.engine import make_engine, make_session_factory
from sebrus.db.migrate import upgrade_database

__all__ = ["Base", "make_engine", "make_session_factory", "upgrade_database", "utcnow"]
