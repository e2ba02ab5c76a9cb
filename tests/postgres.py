"""A private PostgreSQL cluster for the tests, from Debian's `postgresql` package.

`initdb` into a fresh temporary directory, `pg_ctl start` on a free loopback port with its socket
in that directory, and `stop()` ends exactly that server and removes the directory: no system
service, no Docker, nothing left behind (a detached watchdog does the same if the test run is
killed before it can call `stop()`). Durability is switched off (`fsync`, synchronous commit,
full-page writes): a test cluster never survives a crash, and it starts and commits faster.

PostgreSQL refuses to run as root. As root (CI, a developer's container) the cluster runs as an
unprivileged system user (`postgres`, created by the package; `nobody` otherwise), the data
directory chowned to it, every server command run through `setpriv`; as a normal user it simply
runs as that user. Clients always connect over TCP as the cluster's superuser `bilik` (trust
authentication, loopback only), so the hub and the tests connect the same way in both cases.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

#: The cluster's superuser, whatever OS user runs the server.
SUPERUSER = "bilik"
#: Several hub processes (each pools ~50 connections), their seeders and CLI runs at once.
MAX_CONNECTIONS = 400
#: Users that may own the cluster when the tests run as root, in order of preference.
UNPRIVILEGED_USERS = ("postgres", "nobody")

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": str(MAX_CONNECTIONS),
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "shared_buffers": "128MB",
    "log_min_duration_statement": "-1",
}


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries or the psycopg driver are not installed."""


def find_bindir() -> Path:
    """The newest `/usr/lib/postgresql/<major>/bin` (Debian's layout), else `initdb` on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: _major(Path(p).parent.parent.name))
        return Path(newest).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `make install`"
    )


def _major(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """One `postgres` server of our own: `start()`, `new_database(name)`, `stop()`."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        #: Who runs the server: None for this process's own user (not root).
        self._owner = _unprivileged_user() if os.geteuid() == 0 else None
        self.directory = Path(tempfile.mkdtemp(prefix="bilik-pg-", dir=_temp_root(self._owner)))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.port = 0
        self.started_in = 0.0  # seconds from initdb to accepting connections
        self._databases: set[str] = set()
        self._watchdog: subprocess.Popen[bytes] | None = None

    # the server ---------------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        try:
            import psycopg  # noqa: F401  (the hub's driver: fail here, once, when missing)
        except ImportError as err:
            raise PostgresUnavailable(
                "psycopg is not installed in this environment: run `make install`"
            ) from err
        if self._owner:
            os.chown(self.directory, self._owner.pw_uid, self._owner.pw_gid)
        self._run(
            "initdb",
            "--pgdata", str(self.data),
            "--username", SUPERUSER,
            "--auth", "trust",
            "--encoding", "UTF8",
            "--no-locale",  # byte order, like SQLite's BINARY collation; no locale to install
            "--no-sync",
        )  # fmt: skip
        self._write_settings()
        for attempt in range(5):  # another process may take the free port before we bind it
            self.port = _free_port()
            done = self._run(
                "pg_ctl", "start", "--wait", "--timeout", "60",
                "--pgdata", str(self.data), "--log", str(self.log_path),
                "--options", f"-p {self.port}",
                check=False,
            )  # fmt: skip
            if done.returncode == 0:
                self.started_in = time.monotonic() - started
                self._watch()
                return
            if "already in use" not in self._log_tail() or attempt == 4:
                raise RuntimeError(
                    f"PostgreSQL did not start: {done.stdout}{done.stderr}\n{self._log_tail()}"
                )

    def stop(self, keep_log: Path | None = None) -> None:
        """Stop the server (fast, then immediate) and remove its directory; `keep_log` is where
        to copy the server's log first (deadlocks and errors are reported there)."""
        if (self.data / "postmaster.pid").exists():  # also after a start that timed out
            for mode in ("fast", "immediate"):
                done = self._run(
                    "pg_ctl", "stop", "--wait", "--timeout", "30", "--mode", mode,
                    "--pgdata", str(self.data),
                    check=False,
                )  # fmt: skip
                if done.returncode == 0:
                    break
        self._unwatch()
        if keep_log and self.log_path.exists():
            shutil.copyfile(self.log_path, keep_log)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # databases ----------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for `database` on this cluster (psycopg 3, TCP on loopback)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """Create an empty database and give its URL; `name` is made unique and SQL-safe."""
        import psycopg

        base = re.sub(r"[^a-z0-9_]", "_", name.lower())[:40] or "db"
        database, n = base, 1
        while database in self._databases:
            n += 1
            database = f"{base}_{n}"
        self._databases.add(database)
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    # helpers ------------------------------------------------------------------------------

    def _write_settings(self) -> None:
        """Append ours to initdb's postgresql.conf (a later line wins); the port is given at
        start, since it may take more than one try."""
        settings = {**SETTINGS, "unix_socket_directories": f"'{self.directory}'"}
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# tests/postgres.py\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        if self._owner:  # as root: the same command as the unprivileged owner of the cluster
            command = [
                "setpriv",
                f"--reuid={self._owner.pw_uid}",
                f"--regid={self._owner.pw_gid}",
                "--init-groups",
                "--",
                *command,
            ]
        return command

    def _env(self) -> dict[str, str]:
        env = {**os.environ, "LC_ALL": "C"}  # English messages: start() reads the log
        if self._owner:
            env.update(HOME=str(self.directory), USER=self._owner.pw_name)
        return env

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            self._command(program, *args),
            cwd=self.directory,  # readable by the owner, unlike root's working directory
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")
        return done

    def _watch(self) -> None:
        """A detached shell that stops the server and removes its directory once this process
        is gone without calling stop() (pytest killed by SIGTERM or SIGKILL, a `timeout`), so
        no orphaned server keeps running; stop() ends it first."""
        script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; "$@"; rm -rf "$BILIK_PG_DIR"'
        stop = self._command("pg_ctl", "stop", "--mode", "immediate", "--pgdata", str(self.data))
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script, str(os.getpid()), *stop],
            cwd=self.directory,
            env={**self._env(), "BILIK_PG_DIR": str(self.directory)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # never hold the test run's output open
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives a signal sent to the test run's process group
        )

    def _unwatch(self) -> None:
        if self._watchdog and self._watchdog.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._watchdog.pid, signal.SIGKILL)  # the shell and its `sleep`
            self._watchdog.wait(5)
        self._watchdog = None

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _temp_root(owner: pwd.struct_passwd | None) -> str:
    """The temporary directory, or /tmp when the cluster's owner could not reach into it (a
    TMPDIR under root's home)."""
    root = tempfile.gettempdir()
    if owner is None:
        return root
    for directory in [Path(root), *Path(root).parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH and directory.stat().st_uid != owner.pw_uid:
            return "/tmp"
    return root


def _unprivileged_user() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable(
        f"running as root and none of the users {UNPRIVILEGED_USERS} exists to own the cluster"
        " (PostgreSQL refuses root): run `make install`"
    )
