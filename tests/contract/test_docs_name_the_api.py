"""docs/hub-api.md and docs/call-api.md name every route and every error code the hub has.

The OpenAPI document and `contract.errors.ErrorCode` are the truth; the docs are what a booth,
console or integration developer reads. A route or code the docs do not name fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.errors import ErrorCode
from hub.app import create_app
from hub.settings import HubSettings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0])


@pytest.fixture(scope="module")
def docs_text() -> str:
    return "\n".join((DOCS / name).read_text() for name in ("hub-api.md", "call-api.md"))


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    db = tmp_path_factory.mktemp("spec") / "hub.db"
    return create_app(HubSettings().with_overrides(database_url=f"sqlite:///{db}")).openapi()


def test_every_route_is_named_with_its_method(spec: dict, docs_text: str):
    named = {  # "`GET /path`": the method and the path, up to a space, a query or the backtick
        (m, _normalise(p)) for m, p in re.findall(r"`(GET|POST|PUT|DELETE|WS) (/[^` ]+)", docs_text)
    }
    missing = [
        f"{method.upper()} {path}"
        for path, methods in spec["paths"].items()
        for method in methods
        if (method.upper(), _normalise(path)) not in named
    ]
    assert missing == [], "name these in docs/hub-api.md or docs/call-api.md"


def test_every_error_code_is_in_an_errors_table_with_its_status(docs_text: str):
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", docs_text, re.M))
    assert {code.value: str(code.status) for code in ErrorCode} == {
        code: status for code, status in rows.items() if code in set(ErrorCode)
    }
    assert set(rows) <= set(ErrorCode), "the docs name a code the hub does not have"
