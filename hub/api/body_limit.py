"""Limits before work: a request body is capped per route, and a route that needs a token is
refused 401 before its body is read when the request carries no credential at all.

Pure ASGI, in front of FastAPI: a Content-Length over the cap is refused without reading a byte,
and a chunked body is counted as it streams in, so a hostile client costs at most the cap (the
JSON routes' cap is small; the still upload's is the still size limit). An invalid token still
gets its 401 from the route's own check, after at most the small cap was read."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract.errors import ErrorCode
from hub.errors import error_body
from hub.services import stills

JSON_MAX_BYTES = 64 * 1024
_STILL_UPLOAD = re.compile(r"^/api/v1/sessions/[^/]+/stills/?$")
# Routes that take no token: they only get the small cap.
_PUBLIC = frozenset({"/api/v1/agents/login", "/api/v1/enroll"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_cap(method: str, path: str) -> int:
    """The most bytes this route's body may have."""
    if method == "POST" and _STILL_UPLOAD.match(path):
        return stills.MAX_BYTES
    return JSON_MAX_BYTES


class _TooLarge(HTTPException):
    """Raised from `receive`: an HTTPException so FastAPI's body parsing passes it on (it turns
    any other error there into a 400) and the error handlers answer `413 too_large`."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _has_credential(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return True
        elif name == b"cookie":
            return True  # the console's session cookie; checked (with CSRF) by the route
    return False


async def _refuse(send: Send, status: int, code: str, params: dict[str, Any]) -> None:
    body = json.dumps(error_body(code, params), separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/api/") and path not in _PUBLIC and not _has_credential(scope):
            await _refuse(send, 401, ErrorCode.UNAUTHORIZED, {})
            return
        cap = body_cap(scope["method"], path)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _refuse(send, 413, ErrorCode.TOO_LARGE, {"max_bytes": cap})
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await _refuse(send, 413, ErrorCode.TOO_LARGE, {"max_bytes": cap})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
