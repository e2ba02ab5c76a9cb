"""sd_notify(3) without dependencies, for the booth and the hub alike.

`SystemdNotifier` sends datagrams to `$NOTIFY_SOCKET` (a path, or an abstract socket written with
a leading `@`); without `$NOTIFY_SOCKET` (a terminal, the tests, `make run`) every call is a no-op.
Sending never raises: a lost notification must not take a booth or a hub down.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    """sd_notify(3) over an `AF_UNIX`/`SOCK_DGRAM` socket; no-op without an address."""

    def __init__(self, address: str | None) -> None:
        self.address = address or None
        self._socket: socket.socket | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemdNotifier:
        return cls((os.environ if env is None else env).get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, message: str) -> bool:
        """Send one datagram (`KEY=value` lines); True when it was sent."""
        if self.address is None:
            return False
        if self.address.startswith("@"):  # abstract namespace: leading NUL instead of '@'
            target = "\0" + self.address[1:]
        elif self.address.startswith("/"):
            target = self.address
        else:
            log.warning("NOTIFY_SOCKET=%r is neither a path nor @abstract; ignored", self.address)
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.sendto(message.encode(), target)
        except OSError as err:
            log.warning("sd_notify %r failed: %s", message.split("\n", 1)[0], err)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def watchdog_ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
