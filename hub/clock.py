"""The hub's one clock: aware UTC, injected through the app's container so tests can move it.

Rules in hub.domain take the time as an argument; services and jobs read it from
`HubContext.clock`; nothing else calls `datetime.now()`. `FakeClock` lets an in-process test
(FastAPI's TestClient) play out grace periods, retention and slot windows in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

UTC = dt.UTC


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FakeClock:
    """A clock that stands still until told to move (tests only)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when.astimezone(UTC)


SYSTEM_CLOCK = SystemClock()


def utc_now() -> dt.datetime:
    """The real time, for code that runs outside the app (the CLI, demo data, scripts)."""
    return SYSTEM_CLOCK.now()
