"""What console tests do again and again: sign in, go online, send a participant to a booth."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import Locator, Page, expect

from hub.store.models import Booth
from tests.hub.harness import AgentInfo, Api, BoothInfo, BranchInfo, HubProcess, Seeder


class Console:
    """The console page of a branch's first CS, with the hub and the seeder behind it."""

    def __init__(
        self, page: Page, api: Api, branch: BranchInfo, seeder: Seeder, hub: HubProcess
    ) -> None:
        self.page = page
        self.api = api
        self.branch = branch
        self.seeder = seeder
        self.hub = hub
        self.agent: AgentInfo = branch.agents[0]

    # ---- the CS ------------------------------------------------------------------------

    def open(self) -> None:
        self.page.goto("/console")
        expect(self.page.locator("#login-form")).to_be_visible()

    def login(self, password: str | None = None) -> None:
        self.open()
        self.page.fill("#login-username", self.agent.username)
        self.page.fill("#login-password", password or self.agent.password)
        self.page.click("#login-submit")
        if password is None:
            expect(self.page.locator("#console-view")).to_be_visible()

    def go_online(self, capacity: int = 5) -> None:
        self.page.select_option("#capacity", str(capacity))
        self.page.click("button.status[data-status=online]")
        expect(self.page.locator("button.status[data-status=online]")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(self.page.locator("#capacity")).to_have_value(str(capacity))

    def tile(self, n: int) -> Locator:
        return self.page.locator(f"article.tile[data-slot='{n}']")

    def tile_of(self, session_id: int) -> Locator:
        return self.page.locator(f"article.tile[data-session-id='{session_id}']")

    def accept(self, n: int) -> None:
        """Select tile `n` with its key and accept its session with A."""
        expect(self.tile(n)).to_have_attribute("data-state", "assigned")
        self.press(str(n))
        self.press("a")
        expect(self.tile(n)).not_to_have_attribute("data-state", "assigned")

    def press(self, key: str) -> None:
        """A key press on the page body (where a CS's keyboard focus rests between actions)."""
        self.page.keyboard.press(key)

    # ---- participants ------------------------------------------------------------------

    def booth(self, index: int) -> BoothInfo:
        return self.branch.booths[index]

    def name_booth(self, index: int, name: str) -> None:
        """Give a booth a name of its own (the seeder calls booth i "Bilik i", like tile i)."""
        with self.seeder.sessions.begin() as db:
            booth = db.get(Booth, self.booth(index).id)
            assert booth is not None
            booth.name = name

    def contract(self) -> dict[str, Any]:
        """The documents and outcomes as the hub lists them (`GET /api/v1/contract`)."""
        response = requests.get(f"{self.hub.base_url}/api/v1/contract", timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def document_text(self, document: str) -> str:
        """The Indonesian name the hub gives a document."""
        names = {d["id"]: d["id_text"] for d in self.contract()["documents"]}
        return names[document]

    def participant(self, booth_index: int = 0, name: str = "Budi Santoso") -> int:
        """A participant checks in at a booth with a seeded ticket and queues; the session id."""
        booth = self.booth(booth_index)
        ticket = self.seeder.ticket(self.branch, name=name)
        status, body = self.api.checkin(booth.token, booking_code=ticket.booking_code)
        assert status == 201, body
        session_id = body["session"]["id"]
        status, body = self.api.post(f"/api/v1/sessions/{session_id}/enqueue", booth.token)
        assert status == 200, body
        return session_id

    def session(self, session_id: int, booth_index: int) -> dict[str, Any]:
        """The session as its booth sees it (`GET /api/v1/sessions/{id}`)."""
        status, body = self.api.get(f"/api/v1/sessions/{session_id}", self.booth(booth_index).token)
        assert status == 200, body
        return body["session"]

    def agent_token(self) -> str:
        """A bearer token of the same CS (for checks from the test side; no CSRF needed).

        A new login: it ends the console's own login (the console says "signed in elsewhere").
        """
        return self.api.login(self.agent.username, self.agent.password)
