"""A database made before the call columns existed gains them when the hub opens it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from hub.store.database import open_database
from hub.store.engine import make_engine


def test_opening_an_older_database_adds_the_missing_columns(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_database(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        for column in ("rating", "checklist", "on_hold"):
            connection.exec_driver_sql(f"ALTER TABLE sessions DROP COLUMN {column}")
    engine.dispose()

    open_database(url)  # what `bilik-hub serve` does at start

    columns = {c["name"] for c in inspect(make_engine(url)).get_columns("sessions")}
    assert {"rating", "checklist", "on_hold", "outcome_missing", "started_at"} <= columns
