"""Migrations (hub/store/migrations): a database made by release 0.1 upgrades to exactly the
schema of a fresh one and keeps its rows, the models need no revision that is not written, hub
processes starting at once take turns, and the CLI upgrades or refuses in one line.

When `test_the_models_match_the_newest_revision` fails, hub.store.models changed without a
migration. Write one:

    bilik-hub db revision -m "what changed"

(`alembic revision --autogenerate` against a scratch SQLite database at the current head), read
the file it writes in hub/store/migrations/versions (autogenerate sees no renames and fills no
existing rows; keep it runnable on SQLite in batch mode and on PostgreSQL), `make lint`, and run
this file again: on both databases.

The SQLite database of release 0.1 is tests/hub/data/schema-0.1-sqlite.sql, dumped once from
its `create_all`; on PostgreSQL it is made from revision 0001's frozen tables, which are what
that `create_all` emitted there.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, create_engine, inspect, text

from hub.store.database import (
    BASELINE,
    baseline,
    connect,
    head_revision,
    model_differences,
    open_database,
    schema_state,
    upgrade_schema,
)
from hub.store.models import Base
from tests.hub.harness import BILIK_HUB, free_port, write_config

RELEASE_0_1 = Path(__file__).parent / "data" / "schema-0.1-sqlite.sql"
DDL, ROWS = RELEASE_0_1.read_text().split("\n-- rows\n")
HOW_TO_FIX = (
    "hub.store.models and the migrations differ: write a revision with"
    " `bilik-hub db revision -m '...'` (see tests/hub/test_migrations.py)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """`new_database(name)` → the URL of an empty database (an SQLite file, or one on the
    private PostgreSQL cluster of tests/postgres.py)."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_cluster").new_database
    return lambda name: f"sqlite:///{tmp_path / name}.db"


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    """Plain engines (no hub set-up), disposed at the end so PostgreSQL databases let go."""
    made: list[Engine] = []

    def engine(url: str) -> Engine:
        made.append(create_engine(url))
        return made[-1]

    yield engine
    for each in made:
        each.dispose()


def make_release_0_1_database(url: str) -> None:
    """The way release 0.1 made its database (`create_all`, no migrations), with a few rows."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.executescript(DDL + ROWS)
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        baseline().create_all(connection)
        for statement in filter(str.strip, ROWS.split(";\n")):
            connection.exec_driver_sql(statement)
    engine.dispose()


def schema_of(engine: Engine) -> dict[str, dict[str, Any]]:
    """Tables, columns (type, nullable, default), keys, indexes, unique constraints."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }


def sqlite_master(engine: Engine) -> dict[str, str]:
    """SQLite's own record of the DDL: also shows what inspection does not (AUTOINCREMENT)."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT IN"
            " ('sqlite_sequence', 'alembic_version')"
        )
        return {name: " ".join(sql.split()) for name, sql in rows}


def revision_of(engine: Engine) -> str | None:
    return schema_state(engine).revision


def test_revision_0001_is_the_schema_release_0_1_made(tmp_path: Path, engines):
    released, migrated = f"sqlite:///{tmp_path / 'released.db'}", f"sqlite:///{tmp_path / 'r.db'}"
    make_release_0_1_database(released)
    upgrade_schema(connect(migrated), target=BASELINE)
    assert sqlite_master(engines(migrated)) == sqlite_master(engines(released))


def test_a_release_0_1_database_upgrades_to_the_schema_of_a_fresh_one_and_keeps_its_rows(
    new_database, engines
):
    released, fresh = new_database("released"), new_database("fresh")
    make_release_0_1_database(released)
    assert schema_state(connect(released)).revision is None

    open_database(released)  # what every command and `serve` do first
    open_database(fresh)

    assert revision_of(engines(released)) == revision_of(engines(fresh)) == head_revision()
    assert schema_of(engines(released)) == schema_of(engines(fresh))
    if released.startswith("sqlite"):
        assert sqlite_master(engines(released)) == sqlite_master(engines(fresh))
    with engines(released).connect() as db:
        assert db.execute(text("SELECT name, role FROM agents ORDER BY id")).all() == [
            ("Kantor Pusat", "hq"),
            ("Dewi Lestari", "cs"),
        ]
        assert db.execute(text("SELECT outcome, rating FROM sessions")).all() == [("verified", 5)]
        assert db.execute(text("SELECT booking_code FROM tickets")).scalar() == "AB12CD34"
        assert db.execute(text("SELECT seq FROM audit_head")).scalar() == 1
        assert db.execute(text("SELECT value FROM hub_meta")).scalar().endswith("release-0.1")


def test_the_models_match_the_newest_revision(new_database, engines):
    """A change to hub.store.models without a revision fails here (module docstring: how to
    write one), for a database upgraded from release 0.1 and for a fresh one alike."""
    released, fresh = new_database("released"), new_database("fresh")
    make_release_0_1_database(released)
    for url in (released, fresh):
        open_database(url)
        with engines(url).connect() as connection:
            assert model_differences(connection) == [], HOW_TO_FIX
    if fresh.startswith("sqlite"):  # autogenerate does not compare sqlite_autoincrement
        ddl = sqlite_master(engines(fresh))
        for table in Base.metadata.sorted_tables:
            wanted = bool(table.dialect_options["sqlite"]["autoincrement"])
            assert ("AUTOINCREMENT" in ddl[table.name]) == wanted, f"{table.name}: {HOW_TO_FIX}"


def test_a_database_older_than_0_1_is_repaired_before_it_is_stamped(new_database, engines):
    """Before 0.1 the hub added new columns by hand (nullable, NULL in old rows, no index) and
    agents.branch_id was NOT NULL: adopting such a database gives the same schema as a fresh one,
    and the NULLs get the defaults new rows get."""
    older, fresh = new_database("older"), new_database("fresh")
    make_release_0_1_database(older)
    with engines(older).begin() as db:
        db.execute(text("DELETE FROM agents WHERE branch_id IS NULL"))  # no HQ accounts then
        db.execute(text("DROP INDEX ix_stills_created_at"))
        for table, column in [("sessions", "on_hold"), ("sessions", "rating"),
                              ("agents", "role"), ("agents", "disabled")]:  # fmt: skip
            db.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        for table, column, kind in [("sessions", "on_hold", "BOOLEAN"),
                                    ("agents", "role", "VARCHAR(16)")]:  # fmt: skip
            db.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))  # as 0.1 did
        if older.startswith("sqlite"):
            sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name = 'agents'")).scalar()
            db.execute(text("PRAGMA writable_schema = ON"))  # NOT NULL, as before roles
            db.execute(
                text("UPDATE sqlite_master SET sql = :sql WHERE name = 'agents'"),
                {"sql": sql.replace("branch_id VARCHAR(32),", "branch_id VARCHAR(32) NOT NULL,")},
            )
            db.execute(text("PRAGMA writable_schema = OFF"))
        else:
            db.execute(text("ALTER TABLE agents ALTER COLUMN branch_id SET NOT NULL"))
    assert not inspect(engines(older)).get_columns("agents")[3]["nullable"]

    open_database(older)
    open_database(fresh)

    assert schema_of(engines(older)) == schema_of(engines(fresh))
    with engines(older).connect() as db:
        assert db.execute(text("SELECT username, role, disabled FROM agents")).all() == [
            ("dewi", "cs", False)
        ]
        assert db.execute(text("SELECT on_hold, rating FROM sessions")).all() == [(False, None)]


@pytest.mark.parametrize("start", ["empty", "release 0.1"])
def test_hub_processes_starting_at_once_take_turns_upgrading(new_database, engines, start):
    url = new_database("racing")
    if start == "release 0.1":
        make_release_0_1_database(url)
    go = time.time() + 3  # every process imports the hub first, then all open at once
    script = (
        "import sys, time\n"
        "from hub.store.database import open_database\n"
        f"time.sleep(max(0, {go} - time.time()))\n"
        "open_database(sys.argv[1])\n"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [(racer.wait(60), racer.stdout.read() if racer.stdout else "") for racer in racers]
    assert outcomes == [(0, "")] * 3
    assert revision_of(engines(url)) == head_revision()
    with engines(url).connect() as connection:
        assert model_differences(connection) == []
        if start == "release 0.1":
            assert connection.execute(text("SELECT count(*) FROM sessions")).scalar() == 1


def bilik_hub(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BILIK_HUB), *args], capture_output=True, text=True, timeout=timeout)


def test_db_upgrade_and_db_current_from_the_command_line(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    make_release_0_1_database(url)
    behind = bilik_hub("db", "current", "--database-url", url)
    assert behind.returncode == 1 and "made before migrations" in behind.stdout

    upgraded = bilik_hub("db", "upgrade", "--database-url", url)

    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from release 0.1 (made before migrations) to revision {head_revision()}" in (
        upgraded.stdout
    )
    current = bilik_hub("db", "current", "--database-url", url)
    assert current.returncode == 0 and f"revision {head_revision()} (head)" in current.stdout
    again = bilik_hub("db", "upgrade", "--database-url", url)
    assert again.returncode == 0 and "already at revision" in again.stdout


def test_serve_no_upgrade_refuses_a_database_that_is_behind_and_serves_one_at_the_head(
    tmp_path: Path, engines
):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    make_release_0_1_database(url)
    port = free_port()
    config = write_config(tmp_path / "hub.toml", url, port)

    refused = bilik_hub("serve", "--config", str(config), "--no-upgrade")

    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "not starting (--no-upgrade)" in refused.stderr
    assert "`bilik-hub db upgrade`" in refused.stderr
    assert revision_of(engines(url)) is None  # untouched

    assert bilik_hub("db", "upgrade", "--config", str(config)).returncode == 0
    server = subprocess.Popen(
        [str(BILIK_HUB), "serve", "--config", str(config), "--no-upgrade"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert healthy(port, server), "serve --no-upgrade did not serve a database at the head"
    finally:
        server.terminate()
        server.wait(10)


def healthy(port: int, server: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "url, says",
    [
        ("sqlite:///{tmp}/a-file/hub.db", "writable by the user the hub runs as"),
        ("nosuchdb://host/db", "unknown database kind 'nosuchdb'"),
        ("postgresql+psycopg://bilik:secret@127.0.0.1:{port}/bilik", "check that the server runs"),
    ],
    ids=["folder-not-writable", "unknown-kind", "server-down"],
)
def test_a_database_the_hub_cannot_use_is_one_line_with_the_fix(tmp_path: Path, url, says):
    (tmp_path / "a-file").write_text("a file where the database's folder should be")
    url = url.format(tmp=tmp_path, port=free_port())
    for command in (["db", "upgrade"], ["serve", "--port", str(free_port())], ["branch", "list"]):
        done = bilik_hub(*command, "--database-url", url)
        assert done.returncode == 2, (command, done.stderr)
        assert done.stderr.startswith("bilik-hub: ") and done.stderr.count("\n") == 1, done.stderr
        assert says in done.stderr
        assert "secret" not in done.stderr
