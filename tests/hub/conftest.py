"""Fixtures: one real hub process per database kind for the whole hub suite, fresh branches per
test.

Every test that uses the shared hub (`hub_db`, `hub_server`, `seeder`, `api`, `branch`) runs
twice, `[sqlite]` (a branch hub) and `[postgresql]` (a central hub, on the private cluster from
tests/postgres.py). Tests that need a hub of their own ask `new_hub_database` for an empty
database of the same kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder, free_port, write_config

DATABASES = ["sqlite", "postgresql"]


def _database_factory(request: pytest.FixtureRequest, kind: str) -> Callable[[str], str]:
    if kind == "postgresql":  # the cluster starts the first time a test needs it
        return request.getfixturevalue("postgres_cluster").new_database
    tmp_path_factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return lambda name: f"sqlite:///{tmp_path_factory.mktemp(name) / 'hub.db'}"


@pytest.fixture(scope="session", params=DATABASES)
def hub_db(request: pytest.FixtureRequest) -> str:
    """The shared hub's database URL."""
    return _database_factory(request, request.param)("hub")


@pytest.fixture(scope="session")
def new_hub_database(hub_db: str, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """`new_hub_database(name)` → the URL of an empty database of the same kind as `hub_db`."""
    return _database_factory(request, "sqlite" if hub_db.startswith("sqlite") else "postgresql")


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory, hub_db: str) -> Iterator[HubProcess]:
    directory: Path = tmp_path_factory.mktemp("hub-server")
    port = free_port()
    config = write_config(directory / "hub.toml", hub_db, port)
    server = HubProcess(config, port, directory / "hub.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeder(hub_db: str) -> Iterator[Seeder]:
    seeder = Seeder(hub_db)
    yield seeder
    seeder.close()


@pytest.fixture
def api(hub_server: HubProcess) -> Api:
    return Api(hub_server.base_url)


@pytest.fixture
def branch(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    """A fresh branch with two booths and no CS: tests never share a booth or a queue."""
    return seeder.branch(booths=2)
