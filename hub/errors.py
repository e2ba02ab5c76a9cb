"""`ApiError`: raised by services and routers, answered as the contract's JSON error shape.

The codes and their HTTP status are `contract.errors.ErrorCode`; the handlers that turn this into
a response are in hub.api.error_handlers.
"""

from __future__ import annotations

from typing import Any

from contract.errors import ErrorCode

#: Seconds a client waits before retrying an `unavailable` answer (HTTP Retry-After, streams).
RETRY_AFTER = 5


class ApiError(Exception):
    """Raise anywhere in a request; the handler turns it into `{"error": {code, params}}`."""

    def __init__(self, code: ErrorCode | str, params: dict[str, Any] | None = None):
        self.code = ErrorCode(code)  # an unknown code is a bug: fail loudly here, not in JSON
        super().__init__(self.code.value)
        self.params = params or {}
        self.status = self.code.status


def error_body(code: ErrorCode | str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": str(code), "params": params or {}}}
