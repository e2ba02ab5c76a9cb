"""The one error shape for every refusal, FastAPI's own 404/405/422 answers included."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract.errors import ErrorCode
from hub.errors import RETRY_AFTER, ApiError, error_body

log = logging.getLogger(__name__)

_CODE_OF_STATUS = {
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
}


def _response(code: str, params: dict[str, Any], status: int, headers: Any = None) -> JSONResponse:
    return JSONResponse(error_body(code, params), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = None
        if exc.code == ErrorCode.RATE_LIMITED:
            headers = {"Retry-After": str(exc.params.get("retry_after", 60))}
        return _response(exc.code, exc.params, exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            ".".join(str(p) for p in err.get("loc", ()) if p != "body") for err in exc.errors()
        ]
        return _response(ErrorCode.INVALID_REQUEST, {"fields": fields}, 422)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _database(_request: Request, exc: Exception) -> JSONResponse:
        # Unreachable, read-only or full: the client retries; the pool replaces the connection
        # (hub.store.engine), so the hub recovers by itself once the cause is gone.
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:300])
        return _response(
            ErrorCode.UNAVAILABLE,
            {"retry_after": RETRY_AFTER},
            503,
            {"Retry-After": str(RETRY_AFTER)},
        )

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> JSONResponse:
        log.error("fault in %s %s", request.method, request.url.path, exc_info=exc)
        return _response(ErrorCode.INTERNAL, {}, 500)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_OF_STATUS.get(exc.status_code, ErrorCode.INVALID_REQUEST)
        # FastAPI answers an unparsable body (e.g. JSON nested past the parser's depth) with 400:
        # the contract's code for it is invalid_request, whose status is 422.
        status = 422 if code == ErrorCode.INVALID_REQUEST else exc.status_code
        return _response(code, {}, status)
