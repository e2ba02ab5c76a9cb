"""Fixtures shared by the device, hub and end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from scripts.null_audio import NullSinkServer
from tests.postgres import PostgresCluster, PostgresUnavailable


@pytest.fixture(scope="session")
def pulse_null_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private PulseAudio server whose null sink `booth` is the default sink and its monitor
    the default source (scripts/null_audio.py); yields the server address and points this
    process at it. Fails, never skips, when PulseAudio cannot start: the headset tests must run.
    """
    server = NullSinkServer(tmp_path_factory.mktemp("pulse"))
    try:
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.address
    try:
        from kiosk.devices.headset import Headset, HeadsetMissing, refresh_devices

        refresh_devices()  # PortAudio listed devices at import, before this server existed
        # Warm up: the very first playback stream on a fresh server stalled here once for
        # >1.5 s; later ones start within ~10 ms. Tests measure the steady state.
        for attempt in range(3):
            try:
                Headset("pulse", "pulse").play_tone(440, 0.2, amplitude=0.0)
                break
            except HeadsetMissing as exc:
                if attempt == 2:
                    pytest.fail(f"no audio through the PulseAudio null sink: {exc}")
        yield server.address
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous


def _started_cluster() -> PostgresCluster:
    cluster = PostgresCluster()
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresCluster]:
    """A private PostgreSQL server for the whole run (tests/postgres.py), started the first time
    a test asks for it and removed at the end, its log kept as postgres.log in pytest's base
    temporary directory (beside the hubs' logs); `new_database(name)` gives a fresh database's
    URL. Fails, never skips, when PostgreSQL is not installed: the hub suite must run on it.
    """
    try:
        cluster = _started_cluster()
    except PostgresUnavailable as err:
        missing = str(err)
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)  # one line, outside the except: no chained report
    try:
        yield cluster
    finally:
        cluster.stop(keep_log=tmp_path_factory.getbasetemp() / "postgres.log")
