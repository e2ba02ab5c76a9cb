"""One error shape for every refusal: `{"error": {"code", "params"}}` (docs/hub-api.md).

The booth words the message from `code` + `params`; the hub never sends participant text.
FastAPI's own 404/405/422 answers are reshaped here too, so clients parse a single format.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

#: HTTP status of every code in the contract.
STATUS_OF: dict[str, int] = {
    "malformed_payload": 400,
    "invalid_signature": 400,
    "invalid_nik": 400,
    "unknown_ticket": 404,
    "wrong_branch": 409,
    "wrong_day": 409,
    "too_early": 409,
    "too_late": 409,
    "cancelled": 409,
    "already_served": 409,
    "no_show": 409,
    "checked_in_elsewhere": 409,
    "rate_limited": 429,
    "unauthorized": 401,
    "forbidden": 403,
    "booth_mismatch": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "invalid_state": 409,
    "invalid_request": 422,
    # docs/call-api.md
    "csrf": 403,
    "too_large": 413,
    "not_an_image": 415,
}


class ApiError(Exception):
    """Raise anywhere in a request; the handler turns it into the contract's JSON."""

    def __init__(self, code: str, params: dict[str, Any] | None = None, status: int | None = None):
        super().__init__(code)
        self.code = code
        self.params = params or {}
        self.status = status or STATUS_OF.get(code, 400)


def error_body(code: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "params": params or {}}}


def _response(code: str, params: dict[str, Any], status: int, headers: Any = None) -> JSONResponse:
    return JSONResponse(error_body(code, params), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = None
        if exc.code == "rate_limited":
            headers = {"Retry-After": str(exc.params.get("retry_after", 60))}
        return _response(exc.code, exc.params, exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            ".".join(str(p) for p in err.get("loc", ()) if p != "body") for err in exc.errors()
        ]
        return _response("invalid_request", {"fields": fields}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return _response(code.get(exc.status_code, f"http_{exc.status_code}"), {}, exc.status_code)
