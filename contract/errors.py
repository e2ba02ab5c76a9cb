"""Every error code the hub answers with, and its HTTP status (docs/hub-api.md, docs/call-api.md).

The error shape is `{"error": {"code": ..., "params": {...}}}`: the booth words the message from
`code` + `params` in the participant's language; the hub never sends participant text.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # the ticket (a participant sees these, worded by the booth)
    MALFORMED_PAYLOAD = "malformed_payload"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_NIK = "invalid_nik"
    UNKNOWN_TICKET = "unknown_ticket"
    WRONG_BRANCH = "wrong_branch"
    WRONG_DAY = "wrong_day"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    CANCELLED = "cancelled"
    ALREADY_SERVED = "already_served"
    NO_SHOW = "no_show"
    CHECKED_IN_ELSEWHERE = "checked_in_elsewhere"
    RATE_LIMITED = "rate_limited"
    # who is calling
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    BOOTH_MISMATCH = "booth_mismatch"
    CSRF = "csrf"
    # the request
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INVALID_STATE = "invalid_state"
    INVALID_REQUEST = "invalid_request"
    CHECKLIST_INCOMPLETE = "checklist_incomplete"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    # booth enrollment (branch IT sees these, worded by `kiosk provision`)
    UNKNOWN_CODE = "unknown_code"
    CODE_USED = "code_used"
    CODE_EXPIRED = "code_expired"
    # the hub itself (the client retries later; the hub recovers by itself)
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.MALFORMED_PAYLOAD: 400,
    ErrorCode.INVALID_SIGNATURE: 400,
    ErrorCode.INVALID_NIK: 400,
    ErrorCode.UNKNOWN_TICKET: 404,
    ErrorCode.WRONG_BRANCH: 409,
    ErrorCode.WRONG_DAY: 409,
    ErrorCode.TOO_EARLY: 409,
    ErrorCode.TOO_LATE: 409,
    ErrorCode.CANCELLED: 409,
    ErrorCode.ALREADY_SERVED: 409,
    ErrorCode.NO_SHOW: 409,
    ErrorCode.CHECKED_IN_ELSEWHERE: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BOOTH_MISMATCH: 403,
    ErrorCode.CSRF: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.INVALID_REQUEST: 422,
    ErrorCode.CHECKLIST_INCOMPLETE: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.NOT_AN_IMAGE: 415,
    ErrorCode.UNKNOWN_CODE: 404,
    ErrorCode.CODE_USED: 409,
    ErrorCode.CODE_EXPIRED: 410,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}

#: Codes about who is calling or how the request was made: never shown to a participant as a
#: ticket problem (the booth shows its generic "something went wrong, press Bantuan").
NOT_FOR_PARTICIPANTS = frozenset(
    {
        ErrorCode.UNAUTHORIZED,
        ErrorCode.FORBIDDEN,
        ErrorCode.BOOTH_MISMATCH,
        ErrorCode.CSRF,
        ErrorCode.NOT_FOUND,
        ErrorCode.METHOD_NOT_ALLOWED,
        ErrorCode.INVALID_STATE,
        ErrorCode.INVALID_REQUEST,
        ErrorCode.CHECKLIST_INCOMPLETE,
        ErrorCode.CONFLICT,
        ErrorCode.TOO_LARGE,
        ErrorCode.NOT_AN_IMAGE,
        ErrorCode.UNKNOWN_CODE,
        ErrorCode.CODE_USED,
        ErrorCode.CODE_EXPIRED,
        ErrorCode.UNAVAILABLE,
        ErrorCode.INTERNAL,
    }
)
