"""What a route may ask for with `Depends`: the container, a database session, the caller.

A route names the roles that may call it at all with `allow(...)`; which object a caller may
touch is decided by the service through hub.domain.access. Booths use a bearer token; the console
may send its login token as a cookie instead (hub.api.console_auth, with a CSRF check).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from contract.states import STAFF_ROLES, Role
from hub.api.console_auth import check_csrf, session_cookie
from hub.container import HubContext
from hub.domain.access import AccessDenied, Principal
from hub.errors import ApiError
from hub.services.credentials import authenticate, touch_booth


def get_hub(request: Request) -> HubContext:
    return request.app.state.hub


def get_db(request: Request) -> Iterator[Session]:
    """A database session per request; handlers commit, anything unfinished rolls back."""
    db = request.app.state.hub.sessions()
    try:
        yield db
    finally:
        db.close()


DbSession = Annotated[Session, Depends(get_db)]
Hub = Annotated[HubContext, Depends(get_hub)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def presented_token(request: Request) -> str | None:
    """The token this request authenticated with (bearer first, as in `require_principal`)."""
    return bearer_token(request) or session_cookie(request)


def require_principal(request: Request, db: DbSession, hub: Hub) -> Principal:
    """A bearer token, else the console's session cookie (staff only, with CSRF check)."""
    now = hub.clock.now()
    token = bearer_token(request)
    if token is not None:
        principal = authenticate(db, token, now)
    else:
        token = session_cookie(request)
        if token is None:
            raise ApiError("unauthorized")
        principal = authenticate(db, token, now)
        if principal.is_booth:
            raise ApiError("unauthorized")  # the hub never gives a booth a cookie
        check_csrf(request, hub.secret, token)
    if principal.is_booth:
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
