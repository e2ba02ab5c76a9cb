"""Fixtures: one real hub process for the whole hub suite, and fresh branches per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder, free_port, write_config


@pytest.fixture(scope="session")
def hub_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('hub') / 'hub.db'}"


@pytest.fixture(scope="session")
def hub_server(tmp_path_factory: pytest.TempPathFactory, hub_db: str) -> Iterator[HubProcess]:
    directory: Path = tmp_path_factory.mktemp("hub-server")
    port = free_port()
    config = write_config(directory / "hub.toml", hub_db, port)
    server = HubProcess(config, port, directory / "hub.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeder(hub_db: str) -> Seeder:
    return Seeder(hub_db)


@pytest.fixture
def api(hub_server: HubProcess) -> Api:
    return Api(hub_server.base_url)


@pytest.fixture
def branch(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    """A fresh branch with two booths and no CS: tests never share a booth or a queue."""
    return seeder.branch(booths=2)
