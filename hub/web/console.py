"""The CS console web page: `GET /console` and its static files under `/console/`.

The page is plain HTML, CSS and JavaScript ES modules from `hub/static/console/` (no build step);
everything it does goes through the API of docs/call-api.md with the login cookie. Files are
served by a route instead of a `StaticFiles` mount so that the router can be included like every
other hub module, and so that only the files of that one directory, with known types, can leave
the hub.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from hub.api.deps import ReleasingRoute
from hub.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent / "static" / "console"

#: Suffixes the console ships, with explicit types: ES modules need a JavaScript MIME type and
#: the platform's mimetypes table is not to be trusted with that.
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

#: The page talks only to its own hub: scripts, styles, stills (blob: URLs), the agent event
#: stream (same-origin ws/wss) and camera streams; it may not be framed by another site.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self)",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["console"], include_in_schema=False, route_class=ReleasingRoute)


def _static_file(name: str) -> Path:
    """The file `name` inside STATIC_DIR, refusing anything outside it or of an unknown type."""
    if "\x00" in name:  # resolve() raises ValueError on a NUL: a 500 with a traceback
        raise ApiError("not_found")
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or path.suffix not in MEDIA_TYPES or not path.is_file():
        raise ApiError("not_found")
    return path


def _file_response(path: Path) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=PAGE_HEADERS)


@router.get("/console")
def console_page() -> FileResponse:
    """The page itself; it asks `GET /api/v1/agents/me` whether to show the login form."""
    return _file_response(_static_file("index.html"))


@router.get("/console/")
def console_slash() -> RedirectResponse:
    return RedirectResponse("/console", status_code=308)


@router.get("/console/{name:path}")
def console_static(name: str) -> FileResponse:
    return _file_response(_static_file(name))
