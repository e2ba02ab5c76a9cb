"""sd_notify over a real `AF_UNIX`/`SOCK_DGRAM` socket, and when the watchdog pinger pings.

The pinger is driven by an injected clock: no sleeping, no timers.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

from kiosk.watchdog import SystemdNotifier, WatchdogPinger, watchdog_interval


class NotifySocket:
    """What systemd listens on: received datagrams, read without blocking."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address

    def received(self) -> list[str]:
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return messages


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield NotifySocket(sock, str(path))
    sock.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_notifier_sends_each_message_to_notify_socket(notify_socket):
    notifier = SystemdNotifier.from_env()
    assert notifier.address == notify_socket.address

    assert notifier.ready()
    assert notifier.status("Menunggu peserta")
    assert notifier.watchdog_ping()
    assert notifier.stopping()
    notifier.close()

    assert notify_socket.received() == [
        "READY=1",
        "STATUS=Menunggu peserta",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_ready_can_carry_a_status(notify_socket):
    SystemdNotifier.from_env().ready(status="booth up")
    assert notify_socket.received() == ["READY=1\nSTATUS=booth up"]


def test_abstract_socket_name(monkeypatch: pytest.MonkeyPatch):
    name = f"bilik-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)  # how systemd's "@name" is spelt in the socket API
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
    try:
        assert SystemdNotifier.from_env().ready()
        assert sock.recv(4096) == b"READY=1"
    finally:
        sock.close()


def test_without_notify_socket_everything_is_a_no_op(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SystemdNotifier.from_env()
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog_ping()
    assert not notifier.stopping()


def test_a_missing_socket_is_logged_not_raised(tmp_path: Path):
    notifier = SystemdNotifier(str(tmp_path / "nobody-listens"))
    assert notifier.ready() is False


def test_watchdog_interval_from_environment():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    mine = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(mine) == 30.0
    # under cage systemd's main process (and so WATCHDOG_PID) is our parent
    parent = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getppid())}
    assert watchdog_interval(parent) == 30.0
    other = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "999999999"}
    assert watchdog_interval(other) is None


def test_pinger_pings_every_half_interval_while_ticked(notify_socket):
    clock = FakeClock()
    env = {"WATCHDOG_USEC": "30000000", "NOTIFY_SOCKET": notify_socket.address}
    pinger = WatchdogPinger(SystemdNotifier.from_env(env), watchdog_interval(env), clock=clock)
    assert pinger.ping_every == 15.0
    assert pinger.tick_seconds == 7.5

    pinged_at = []
    for _ in range(9):  # ticks at 0, 7.5, 15, ... 60 seconds
        if pinger.tick():
            pinged_at.append(clock.now - 1000.0)
        clock.now += pinger.tick_seconds

    assert pinged_at == [0.0, 15.0, 30.0, 45.0, 60.0]
    assert notify_socket.received() == ["WATCHDOG=1"] * 5

    # ticks more often than that do not ping more often
    clock.now = 1060.0  # the last ping
    for _ in range(14):
        clock.now += 1.0
        assert not pinger.tick()
    clock.now += 1.0
    assert pinger.tick()
    assert notify_socket.received() == ["WATCHDOG=1"]


def test_pinger_goes_quiet_when_the_loop_stops_ticking(notify_socket):
    """A frozen UI loop = no ticks = no pings: the pinger has no thread or timer of its own."""
    clock = FakeClock()
    threads_before = threading.active_count()
    pinger = WatchdogPinger(SystemdNotifier(notify_socket.address), 30.0, clock=clock)
    assert pinger.tick()
    assert notify_socket.received() == ["WATCHDOG=1"]

    clock.now += 120.0  # two minutes pass without a tick: nothing may be sent
    assert notify_socket.received() == []
    assert threading.active_count() == threads_before
    assert pinger.pings == 1

    assert pinger.tick()  # a loop that comes back pings at once
    assert notify_socket.received() == ["WATCHDOG=1"]


def test_pinger_without_watchdog_or_socket_never_pings(notify_socket):
    clock = FakeClock()
    no_watchdog = WatchdogPinger(SystemdNotifier(notify_socket.address), None, clock=clock)
    no_socket = WatchdogPinger(SystemdNotifier(None), 30.0, clock=clock)
    for _ in range(5):
        assert not no_watchdog.tick()
        assert not no_socket.tick()
        clock.now += 60.0
    assert no_watchdog.tick_seconds is None
    assert notify_socket.received() == []
