"""Fixtures for the CS console tests: one real `bilik-hub serve` on loopback, Debian chromium
driven by Playwright (never a downloaded browser), a fresh browser context per test with camera
and microphone allowed (Chromium's fake devices), and a fresh branch per test.

The hub and the browser live as long as this package's tests (scope "package": one launch for
the whole console suite). Not "session": a sync Playwright left running would make the next
package's own `sync_playwright()` (tests/e2e) fail in the same pytest run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.chromium import chromium
from tests.console.helpers import Console
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder, free_port, write_config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="package")
def console_hub_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('console-hub') / 'hub.db'}"


@pytest.fixture(scope="package")
def console_hub(
    tmp_path_factory: pytest.TempPathFactory, console_hub_db: str
) -> Iterator[HubProcess]:
    directory: Path = tmp_path_factory.mktemp("console-hub-server")
    port = free_port()
    config = write_config(directory / "hub.toml", console_hub_db, port)
    server = HubProcess(config, port, directory / "hub.log")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def console_seeder(console_hub_db: str, console_hub: HubProcess) -> Seeder:
    return Seeder(console_hub_db)


@pytest.fixture
def api(console_hub: HubProcess) -> Api:
    return Api(console_hub.base_url)


@pytest.fixture
def branch(console_seeder: Seeder) -> BranchInfo:
    """A fresh branch with five booths and one CS: tests never share a queue."""
    return console_seeder.branch(booths=5, agents=1)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package scope: Playwright's sync API allows one running instance per thread, and the
    e2e package starts its own."""
    try:
        with chromium() as browser:
            yield browser
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture
def context(browser: Browser, console_hub: HubProcess) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=console_hub.base_url,
        permissions=["camera", "microphone"],
        viewport={"width": 1440, "height": 900},
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    assert not errors, f"uncaught errors in the console page: {errors}"


@pytest.fixture
def console(
    page: Page, api: Api, branch: BranchInfo, console_seeder: Seeder, console_hub: HubProcess
) -> Console:
    """The console page of the branch's CS (not yet logged in) plus ways to make participants."""
    return Console(page, api, branch, console_seeder, console_hub)
