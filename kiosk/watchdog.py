"""systemd readiness and watchdog (sd_notify) without dependencies.

`SystemdNotifier` sends sd_notify datagrams to `$NOTIFY_SOCKET` (a path, or an abstract socket
written with a leading `@`); without `$NOTIFY_SOCKET` (a terminal, the tests, `make run`) every
call is a no-op. Sending never raises: a lost notification must not take the booth down.

`WatchdogPinger` decides when to send `WATCHDOG=1`. It has no thread and no timer of its own: the
app calls `tick()` from a Kivy Clock callback on the UI thread, and `tick()` pings when half of
the `WatchdogSec=` interval has passed since the last ping. A frozen UI loop stops ticking, so
the pings stop and systemd restarts the booth (`Restart=always`).

Under cage the booth is cage's child, not the service's main process: systemd sets
`$WATCHDOG_PID` to cage's pid, so unlike `sd_watchdog_enabled()` the pinger also accepts its
parent's pid (the unit needs `NotifyAccess=all` for the same reason, see
systemd/bilik-kiosk.service).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping

from common.sd_notify import SystemdNotifier

log = logging.getLogger(__name__)

__all__ = ["SystemdNotifier", "WatchdogPinger", "watchdog_interval"]


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """`WatchdogSec=` in seconds from `$WATCHDOG_USEC`, or None when there is no watchdog for
    this process (unset, not a positive number, or `$WATCHDOG_PID` names another process than
    this one or its parent -- the parent being cage)."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid not in (str(os.getpid()), str(os.getppid())):
        return None
    return usec / 1_000_000


class WatchdogPinger:
    """Sends `WATCHDOG=1` from `tick()`, at most every half watchdog interval.

    `interval` is the full `WatchdogSec=` in seconds (None: no watchdog, `tick()` does nothing).
    `clock` is injectable for tests. Call `tick()` every `tick_seconds` from the loop that must
    stay alive; the longest gap between pings is then interval/2 + interval/4 < interval.
    """

    def __init__(
        self,
        notifier: SystemdNotifier,
        interval: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.notifier = notifier
        self.interval = interval if interval and interval > 0 else None
        self.clock = clock
        self.last_ping: float | None = None
        self.pings = 0

    @classmethod
    def from_env(
        cls, notifier: SystemdNotifier, env: Mapping[str, str] | None = None
    ) -> WatchdogPinger:
        return cls(notifier, watchdog_interval(env))

    @property
    def enabled(self) -> bool:
        return self.interval is not None and self.notifier.enabled

    @property
    def ping_every(self) -> float | None:
        return None if self.interval is None else self.interval / 2

    @property
    def tick_seconds(self) -> float | None:
        """How often to call `tick()`: a quarter of the interval (None: don't bother)."""
        return self.interval / 4 if self.enabled and self.interval else None

    def tick(self) -> bool:
        """The loop is alive: ping if half the interval has passed. True when it pinged."""
        if not self.enabled or self.interval is None:
            return False
        now = self.clock()
        if self.last_ping is not None and now - self.last_ping < self.interval / 2:
            return False
        self.last_ping = now
        if self.notifier.watchdog_ping():
            self.pings += 1
            return True
        return False
