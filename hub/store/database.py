"""The schema: created or brought up to date when the hub opens its database."""

from __future__ import annotations

import contextlib

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from hub.store.engine import make_engine, make_session_factory
from hub.store.models import Base


def create_schema(engine: Engine) -> None:
    """Create missing tables and columns (no migrations yet: the schema only grows)."""
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """`ALTER TABLE … ADD COLUMN` for columns added to a model after its table was created.

    Only nullable columns are ever added to an existing model, so this is all the migration a
    growing schema needs; two processes starting at once may race, the loser finds it done.
    """
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with contextlib.suppress(OperationalError, ProgrammingError), engine.begin() as conn:
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')


def open_database(database_url: str) -> sessionmaker[Session]:
    """Engine + schema + session factory in one call, for the CLI and the app."""
    engine = make_engine(database_url)
    create_schema(engine)
    return make_session_factory(engine)
