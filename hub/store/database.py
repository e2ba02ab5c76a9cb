"""The schema: brought up to date with Alembic (hub/store/migrations) when the hub opens it.

Every `bilik-hub` command and the app at start go through `open_database`, which upgrades the
database to the newest revision; `bilik-hub db upgrade` does only that, and `serve --no-upgrade`
refuses a database that is behind instead of changing it. Three starting points:

- empty: upgraded from nothing;
- made before migrations (release 0.1: its tables, no `alembic_version`): repaired to revision
  0001's shape (`adopt`), stamped 0001, upgraded;
- migrated: upgraded from its revision, or nothing at all when it is at the head.

Several processes may start at once (a central hub's workers, systemd restarting them all).
The check and the upgrade run under one lock, so one process migrates and the others find it
done: on PostgreSQL a transaction-level advisory lock, on an SQLite file an `flock` on
`<file>.migrate.lock` (a lock without a time limit, unlike SQLite's 30 s busy timeout, for a
long table copy) and then `BEGIN IMMEDIATE`. An in-memory database has one user: it just
upgrades.

A model change needs a revision: `bilik-hub db revision -m "what changed"` (see
hub.store.migrations); tests/hub/test_migrations.py fails until there is one.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from hub.store.engine import make_engine, make_session_factory
from hub.store.models import Base

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
#: The revision of a database made before migrations (release 0.1's `create_all`).
BASELINE = "0001"
#: pg_advisory_xact_lock key of schema upgrades ("BILIK"); one-key locks never meet the two-key
#: branch and job locks of hub.store.locks.
UPGRADE_LOCK = 0x42494C494B

EXAMPLE_URLS = "sqlite:////var/lib/bilik/hub.db or postgresql+psycopg://bilik@localhost/bilik"


class DatabaseError(Exception):
    """The database cannot be used as configured: one line for the operator, with the fix."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None: not migrated yet) against this hub's head."""

    revision: str | None
    head: str
    has_tables: bool  # None + tables: made before migrations
    known: bool  # the revision is one of this hub's (False: a newer hub migrated it)

    @property
    def at_head(self) -> bool:
        return self.revision == self.head

    def describe(self) -> str:
        if self.at_head:
            return f"{self.revision} (head)"
        if not self.known:
            return (
                f"{self.revision}, unknown to this hub (head {self.head}): a newer hub upgraded"
                " it; run that version"
            )
        if self.revision is None and self.has_tables:
            return (
                f"none: made before migrations (release 0.1); `bilik-hub db upgrade` adopts it"
                f" as {BASELINE} and upgrades it to {self.head}"
            )
        if self.revision is None:
            return f"none: empty; `bilik-hub db upgrade` creates the schema ({self.head})"
        return f"{self.revision}, behind the head {self.head}: run `bilik-hub db upgrade`"


def open_database(database_url: str) -> sessionmaker[Session]:
    """Engine + up-to-date schema + session factory in one call, for the CLI and the app."""
    engine = connect(database_url)
    upgrade_schema(engine)
    return make_session_factory(engine)


def connect(database_url: str) -> Engine:
    """The write engine (hub.store.engine); a bad URL or a missing driver is a DatabaseError.

    An SQLite file holds personal data: it is made private before SQLite opens it (below)."""
    url = _parse(database_url)
    with _explained(url):
        path = sqlite_path(database_url)
        if path is not None:
            private_file(path)
        return make_engine(database_url)


#: what the hub's own files and directories are made, whatever the umask
FILE_MODE, DIRECTORY_MODE = 0o600, 0o700


def private_directory(path: Path) -> None:
    """Create `path` and its missing parents 0700, whatever the umask (directories that exist
    are left as they are: /var/lib is not ours)."""
    missing = []
    current = path.absolute()
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another hub process made it meanwhile
            directory.mkdir(mode=DIRECTORY_MODE)
            os.chmod(directory, DIRECTORY_MODE)


def private_file(path: Path) -> None:
    """The SQLite database file 0600 (created so when missing, tightened when group or others
    may read it), and its -wal, -shm and migration lock files too. SQLite gives the -wal and
    -shm files it creates the database file's mode."""
    private_directory(path.parent)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another hub process made it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for name in (path, *(Path(f"{path}{suffix}") for suffix in _COMPANIONS)):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if name.stat().st_mode & 0o077:
                os.chmod(name, FILE_MODE)


_COMPANIONS = ("-wal", "-shm", "-journal", ".migrate.lock")


def schema_state(engine: Engine) -> SchemaState:
    """Read-only: the database's revision and whether it has tables."""
    with _explained(engine.url), engine.connect() as connection:
        return _state(connection)


def upgrade_schema(engine: Engine, target: str = "head") -> tuple[SchemaState, SchemaState]:
    """Bring the database to the head (or `target`), under the upgrade lock; (before, after)."""
    before = schema_state(engine)
    if before.at_head and target == "head":
        return before, before  # the common case: no lock, no write
    with _explained(engine.url), _upgrade_lock(engine), _migrating(engine) as connection:
        before = _state(connection)  # again: another process may have done it meanwhile
        if not before.known:
            raise DatabaseError(f"{_shown(engine.url)} is at revision {before.describe()}")
        if before.revision == (before.head if target == "head" else target):
            return before, before
        config = _config(connection)
        if before.revision is None and before.has_tables:
            for change in adopt(connection, baseline()):
                log.info("database made before migrations: %s", change)
            command.stamp(config, BASELINE)
        command.upgrade(config, target)
        after = _state(connection)
    log.info("database schema upgraded from %s to %s", before.revision or "nothing", after.revision)
    return before, after


def head_revision() -> str:
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise DatabaseError(f"no Alembic revisions in {MIGRATIONS}: the hub is installed badly")
    return head


def baseline() -> MetaData:
    """Release 0.1's tables, as revision 0001 keeps them."""
    script = _scripts().get_revision(BASELINE)
    assert script is not None
    schema: MetaData = script.module.schema()
    return schema


def adopt(connection: Connection, target: MetaData) -> list[str]:
    """Repair a database made before migrations to `target`'s shape; what was done, in words.

    Before migrations the hub created missing tables and added missing columns by hand, each
    nullable, without its index, NULL in the rows already there; and it made agents.branch_id
    NOT NULL before HQ accounts existed. So here: missing tables and columns are created,
    missing indexes too, NOT NULL is dropped where the target allows NULL, and the NULLs those
    additions left get the value the models give new rows. Anything else is left as it is.
    """
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    ops = Operations(
        MigrationContext.configure(
            connection, opts={"render_as_batch": connection.dialect.name == "sqlite"}
        )
    )
    done: list[str] = []
    for table in target.sorted_tables:
        if table.name not in present:
            table.create(connection)
            done.append(f"created table {table.name}")
            continue
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in nullable:
                added = column._copy()
                added.nullable = True  # SQLite adds only nullable columns; old rows get NULL
                ops.add_column(table.name, added)
                done.append(f"added {table.name}.{column.name}")
        relax = [c for c in table.columns if c.nullable and nullable.get(c.name) is False]
        if relax:
            with ops.batch_alter_table(table.name) as batch:
                for column in relax:
                    batch.alter_column(column.name, existing_type=column.type, nullable=True)
            done.extend(f"{table.name}.{c.name} may be NULL" for c in relax)
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(connection)
                done.append(f"created index {index.name}")
        for column in table.columns:
            default = column.default
            if column.nullable and default is not None and default.is_scalar:
                value = default.arg  # type: ignore[attr-defined]
                filled = connection.execute(
                    table.update().where(column.is_(None)).values({column.name: value})
                ).rowcount
                if filled:
                    done.append(f"{table.name}.{column.name} = {value!r} in {filled} row(s)")
    return done


def model_differences(connection: Connection) -> list[object]:
    """What Alembic's autogenerate finds between this database and hub.store.models (tests)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def write_revision(message: str) -> Path:
    """`alembic revision --autogenerate` against a scratch SQLite database at the head: a new
    file in hub/store/migrations/versions for what the models changed since the last one."""
    with tempfile.TemporaryDirectory(prefix="bilik-revision-") as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade_schema(engine)
            with engine.begin() as connection:
                if not model_differences(connection):
                    raise DatabaseError(
                        f"the models match revision {head_revision()}: nothing to write"
                    )
                number = max(int(s.revision) for s in _scripts().walk_revisions()) + 1
                script = command.revision(
                    _config(connection), message, autogenerate=True, rev_id=f"{number:04d}"
                )
        finally:
            engine.dispose()
    _scripts.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite URL; None for in-memory SQLite and for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


# the pieces -------------------------------------------------------------------------------


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _state(connection: Connection) -> SchemaState:
    revision = MigrationContext.configure(connection).get_current_revision()
    known = True
    if revision is not None:
        try:
            known = _scripts().get_revision(revision) is not None
        except CommandError:
            known = False
    tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
    return SchemaState(revision, head_revision(), bool(tables), known)


@contextlib.contextmanager
def _upgrade_lock(engine: Engine) -> Iterator[None]:
    """SQLite file: an exclusive flock beside it (PostgreSQL locks inside `_migrating`)."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        yield
        return
    lock = os.open(f"{path}.migrate.lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole upgrade (BEGIN IMMEDIATE on SQLite, hub.store.engine).

    SQLite: foreign keys are off while it runs, since batch mode copies a table, drops the
    original and renames the copy, and the drop must not check the rows that point at it.
    PostgreSQL: the advisory lock is the transaction's first statement, so a second process
    waits there and then reads the revision the first one committed.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection
        if sqlite:
            assert raw is not None
            raw.execute("PRAGMA foreign_keys = OFF")  # outside a transaction, or it is ignored
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK}
                    )
                yield connection
        finally:
            if sqlite:
                assert raw is not None
                raw.execute("PRAGMA foreign_keys = ON")


def _parse(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except ArgumentError as err:
        raise DatabaseError(
            f"database_url {database_url!r} is not a database URL; use e.g. {EXAMPLE_URLS}"
        ) from err


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


@contextlib.contextmanager
def _explained(url: URL) -> Iterator[None]:
    """Turn what goes wrong opening or upgrading a database into one line with the fix."""
    shown = _shown(url)
    path = sqlite_path(url.render_as_string(hide_password=False))
    writable = (
        f"make {path.parent} and the files in it writable by the user the hub runs as"
        " (SQLite writes its journal and lock files beside the database), or set"
        " database_url to another place"
        if path is not None
        else ""
    )
    try:
        yield
    except DatabaseError:
        raise
    except NoSuchModuleError as err:
        raise DatabaseError(
            f"database_url {shown}: unknown database kind {url.drivername!r}; use e.g."
            f" {EXAMPLE_URLS}"
        ) from err
    except ModuleNotFoundError as err:
        raise DatabaseError(
            f"database_url {shown} needs the Python package {err.name!r}, which is not"
            " installed: use the postgresql+psycopg:// form (psycopg is the hub's driver,"
            " `pip install '.[hub]'`)"
        ) from err
    except OSError as err:
        where = err.filename or path or shown
        raise DatabaseError(
            f"cannot use {where}: {err.strerror or err}; {writable or 'check database_url'}"
        ) from err
    except DBAPIError as err:
        reason = (str(err.orig).strip().splitlines() or [repr(err.orig)])[0]
        said = reason.lower()
        if path is None and err.connection_invalidated or "connect" in said:
            fix = (
                "check that the server runs and that database_url (host, port, user, password,"
                " database name) is right"
            )
        elif "locked" in said:
            fix = "another process held its write lock too long; try again"
        elif "disk" in said or "full" in said:
            fix = "free space on the disk that holds it"
        elif path is not None and any(w in said for w in ("open", "readonly", "permission")):
            fix = writable
        else:
            fix = "the schema could not be brought up to date; see `bilik-hub db current`"
        raise DatabaseError(f"cannot use the database {path or shown}: {reason}; {fix}") from err
