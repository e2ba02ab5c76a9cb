"""Device health in one shape, so heartbeat, ``kiosk doctor`` and the out-of-service screen agree.

The heartbeat body (docs/hub-api.md) is ``{"camera": {"ok": true, "detail": "..."}, ...}``: a
``DeviceStatus`` per device, keyed by ``name``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceStatus:
    """Whether a device works right now, and a sentence branch IT can act on when it does not."""

    name: str
    ok: bool
    detail: str

    def as_heartbeat(self) -> dict[str, bool | str]:
        return {"ok": self.ok, "detail": self.detail}


class DeviceError(Exception):
    """Base of every device failure: callers that only need "broken, say why" catch this."""
