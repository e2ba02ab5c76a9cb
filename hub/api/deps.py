"""What a route may ask for with `Depends`: the container, a database session, the caller.

`DbSession` is for routes that write, `ReadDb` for routes that only read (no write lock: see
hub.store.engine). The caller is authenticated in a transaction of its own that ends before the
route runs, so no request holds a connection or a lock while it waits for a worker thread.

A route names the roles that may call it at all with `allow(...)`; which object a caller may
touch is decided by the service through hub.domain.access. Booths use a bearer token; the console
may send its login token as a cookie instead (hub.api.console_auth, with a CSRF check).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from contract.states import STAFF_ROLES, Role
from hub.api.console_auth import check_csrf, session_cookie
from hub.container import HubContext
from hub.domain.access import AccessDenied, Principal
from hub.errors import ApiError
from hub.services.credentials import authenticate, touch_booth, touch_due


def get_hub(request: Request) -> HubContext:
    return request.app.state.hub


def get_db(request: Request) -> Iterator[Session]:
    """A database session per request; handlers commit, anything unfinished rolls back."""
    db = request.app.state.hub.sessions()
    try:
        yield db
    finally:
        db.close()


def get_read_db(request: Request) -> Iterator[Session]:
    """A read-only session per request (a write through it fails)."""
    db = request.app.state.hub.read()
    try:
        yield db
    finally:
        db.close()


class ReleasingRoute(APIRoute):
    """A route whose database sessions give their connection back as soon as the route function
    returns. FastAPI validates a sync route's answer on a worker thread *after* the function and
    closes `Depends` sessions only after that: under load, finished requests held every pooled
    connection while waiting for a thread, and the threads waited for a connection (the pool
    timed out, `unavailable`). Answers are views built inside the route, so nothing is read
    after the close."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _closing_sessions(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _closing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()  # the dependency's own close later is a no-op

    return run


DbSession = Annotated[Session, Depends(get_db)]
# Row ids are `Integer` columns: 32-bit signed on PostgreSQL (64 on SQLite). A larger id in a path
# or body is refused with 422 before it reaches a query (SQLite's driver raised OverflowError, a
# 500; PostgreSQL's "integer out of range" answered 503 unavailable).
DB_ID_MAX = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]
ReadDb = Annotated[Session, Depends(get_read_db)]
Hub = Annotated[HubContext, Depends(get_hub)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def presented_token(request: Request) -> str | None:
    """The token this request authenticated with (bearer first, as in `require_principal`)."""
    return bearer_token(request) or session_cookie(request)


def require_principal(request: Request, hub: Hub) -> Principal:
    """A bearer token, else the console's session cookie (staff only, with CSRF check)."""
    now = hub.clock.now()
    bearer = bearer_token(request)
    from_cookie = bearer is None
    token = bearer or session_cookie(request)
    if token is None:
        raise ApiError("unauthorized")
    with hub.read() as db:
        principal = authenticate(db, token, now)
        due = principal.is_booth and touch_due(db, principal.id, now)
    if from_cookie:
        if principal.is_booth:
            raise ApiError("unauthorized")  # the hub never gives a booth a cookie
        check_csrf(request, hub.secret, token)
    if due:
        with hub.sessions() as db:
            touch_booth(db, principal.id, now)
    return principal


AnyPrincipal = Annotated[Principal, Depends(require_principal)]


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only `roles` through (`403 forbidden` for the others)."""

    def check(principal: AnyPrincipal) -> Principal:
        if principal.role not in roles:
            raise ApiError("forbidden")
        return principal

    check.__name__ = "allow_" + "_".join(roles)
    return check


BoothAuth = Annotated[Principal, Depends(allow(Role.BOOTH))]
CsAuth = Annotated[Principal, Depends(allow(Role.CS))]
StaffAuth = Annotated[Principal, Depends(allow(*STAFF_ROLES))]
BoothOrStaff = AnyPrincipal
AdminAuth = Annotated[Principal, Depends(allow(Role.ADMIN))]
ReaderAuth = Annotated[Principal, Depends(allow(Role.CS, Role.SUPERVISOR, Role.HQ))]
SupervisorAuth = Annotated[Principal, Depends(allow(Role.SUPERVISOR))]


def denied(err: AccessDenied) -> ApiError:
    return ApiError(err.code)
