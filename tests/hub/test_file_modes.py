"""Files holding personal data are private (issue 9): a real `bilik-hub serve` started with
umask 022 creates its SQLite database (and -wal/-shm) 0600 and its directories 0700.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.hub.harness import Api, HubProcess, Seeder, free_port, write_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve_with_umask_022_creates_private_files_and_directories(tmp_path: Path):
    db_dir = tmp_path / "state" / "bilik"
    data_dir = tmp_path / "data" / "stills-root"
    database = f"sqlite:///{db_dir / 'hub.db'}"
    port = free_port()
    config = write_config(tmp_path / "hub.toml", database, port, data_dir=str(data_dir))
    old = os.umask(0o022)  # the child inherits it, as from a unit without UMask=
    try:
        hub = HubProcess(config, port, tmp_path / "hub.log")
    finally:
        os.umask(old)
    seeder = Seeder(database)
    try:
        branch = seeder.branch(booths=1, agents=1)
        Api(hub.base_url).login(branch.agents[0].username, branch.agents[0].password)  # writes
        for directory in (db_dir, db_dir.parent, data_dir, data_dir.parent):
            assert _mode(directory) == 0o700, (directory, oct(_mode(directory)))
        files = [db_dir / name for name in ("hub.db", "hub.db-wal", "hub.db-shm")]
        assert files[0].exists()
        for path in [*files, *db_dir.glob("*.lock")]:
            if path.exists():
                assert _mode(path) == 0o600, (path, oct(_mode(path)))
        assert (db_dir / "hub.db-wal").exists() or (db_dir / "hub.db-shm").exists()
    finally:
        hub.stop()
        seeder.close()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path):
    from hub.store.database import connect

    path = tmp_path / "hub.db"
    path.touch()
    path.chmod(0o644)
    connect(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600
