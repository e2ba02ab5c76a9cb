"""Administration for the `admin` role: branches, staff accounts, booths (`/api/v1/admin/...`).

The same use cases as `bilik-hub branch|user|booth enroll` (hub.services.accounts, enrollment).
"""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import AdminAuth, DbSession, Hub, ReadDb, ReleasingRoute
from hub.api.schemas import (
    BoothIn,
    BranchesAnswer,
    BranchIn,
    BranchOut,
    EnrollCodeAnswer,
    PasswordIn,
    UserAnswer,
    UserIn,
    UsersAnswer,
)
from hub.errors import ApiError
from hub.services import accounts
from hub.services.enrollment import EnrollmentError, issue_code

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=ReleasingRoute)


def _refused(err: ValueError) -> ApiError:
    conflict = isinstance(err, accounts.AccountError) and err.conflict
    return ApiError("conflict" if conflict else "invalid_request", {"message": str(err)})


@router.get("/branches", response_model=BranchesAnswer)
def list_branches(admin: AdminAuth, db: ReadDb) -> dict:
    return {"branches": [accounts.branch_row(b) for b in accounts.list_branches(db)]}


@router.post("/branches", status_code=201, response_model=BranchOut)
def add_branch(body: BranchIn, admin: AdminAuth, db: DbSession, hub: Hub) -> dict:
    try:
        branch = accounts.add_branch(
            db,
            body.id,
            body.name,
            body.timezone,
            body.mode,
            body.max_capacity,
            admin.actor,
            hub.clock.now(),
        )
    except ValueError as err:
        raise _refused(err) from None
    db.commit()
    return accounts.branch_row(branch)


@router.get("/users", response_model=UsersAnswer)
def list_users(admin: AdminAuth, db: ReadDb, branch_id: str | None = None) -> dict:
    return {"users": [accounts.user_row(a) for a in accounts.list_users(db, branch_id)]}


@router.post("/users", status_code=201, response_model=UserAnswer)
def add_user(body: UserIn, admin: AdminAuth, db: DbSession, hub: Hub) -> dict:
    try:
        agent = accounts.add_user(
            db,
            body.username,
            body.name,
            body.role,
            body.branch_id,
            body.password,
            admin.actor,
            hub.clock.now(),
        )
    except accounts.AccountError as err:
        raise _refused(err) from None
    db.commit()
    return {"user": accounts.user_row(agent)}


@router.post("/users/{user_id}/disable", response_model=UserAnswer)
def disable_user(user_id: str, admin: AdminAuth, db: DbSession, hub: Hub) -> dict:
    try:
        agent = accounts.disable_user(db, user_id, admin.actor, hub.clock.now())
    except accounts.AccountError as err:
        raise ApiError("not_found", {"message": str(err)}) from None
    db.commit()
    return {"user": accounts.user_row(agent)}


@router.post("/users/{user_id}/password", response_model=UserAnswer)
def reset_password(
    user_id: str, body: PasswordIn, admin: AdminAuth, db: DbSession, hub: Hub
) -> dict:
    try:
        accounts.find_user(db, user_id)
    except accounts.AccountError as err:
        raise ApiError("not_found", {"message": str(err)}) from None
    try:
        agent = accounts.reset_password(db, user_id, body.password, admin.actor, hub.clock.now())
    except accounts.AccountError as err:
        raise _refused(err) from None
    db.commit()
    return {"user": accounts.user_row(agent)}


@router.post("/booths", status_code=201, response_model=EnrollCodeAnswer)
def enroll_booth(body: BoothIn, admin: AdminAuth, db: DbSession, hub: Hub) -> dict:
    """A booth (created if new) and a one-time enrollment code for `kiosk provision`."""
    minutes = hub.settings.enroll_code_minutes
    try:
        code, expires_at, created = issue_code(
            db,
            hub.secret,
            body.branch_id,
            body.booth_id,
            body.name,
            minutes,
            hub.clock.now(),
            actor=admin.actor,
        )
    except EnrollmentError as err:
        raise _refused(err) from None
    db.commit()
    return {
        "booth_id": body.booth_id,
        "code": code,
        "expires_at": expires_at.isoformat(),
        "new_booth": created,
    }
