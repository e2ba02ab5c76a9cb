"""How the CS console (a browser page) authenticates: a session cookie plus a CSRF token.

The login token goes into `bilik_session`, HttpOnly so page scripts (and anything injected
into them) cannot read it, SameSite=Strict so other sites cannot make the browser send it.
`bilik_csrf` is readable by the page, which echoes it in `X-CSRF-Token` on every state-changing
request; it is derived from the session token with the hub's secret, so a cookie planted by
someone else (a sibling subdomain) does not match. Bearer tokens (booths, scripts) need none of
this: a browser never attaches them by itself.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.requests import HTTPConnection

from hub.errors import ApiError

SESSION_COOKIE = "bilik_session"
CSRF_COOKIE = "bilik_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), f"csrf\n{session_token}".encode(), hashlib.sha256).hexdigest()


def session_cookie(connection: HTTPConnection) -> str | None:
    return connection.cookies.get(SESSION_COOKIE) or None


def check_csrf(request: Request, secret: str, session_token: str) -> None:
    """State-changing requests authenticated by cookie must echo the CSRF cookie (`403 csrf`)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = csrf_token(secret, session_token)
    if not (sent and hmac.compare_digest(sent, cookie) and hmac.compare_digest(sent, expected)):
        raise ApiError("csrf")


def check_same_origin(connection: HTTPConnection) -> None:
    """A cookie-authenticated WebSocket must come from a page of this hub.

    Browsers send cookies with cross-site WebSocket handshakes in some set-ups, and WebSockets
    have no CORS: the Origin header is the check.
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return  # not a browser
    if urlsplit(origin).netloc != connection.headers.get("host", ""):
        raise ApiError("forbidden")


def set_login_cookies(
    request: Request, response: Response, secret: str, token: str, max_age: int
) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token(secret, token),
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )


def clear_login_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict")
