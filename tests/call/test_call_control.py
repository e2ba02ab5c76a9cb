"""CallControl between a real hub and a real BoothCall: the console's offer answered through the
hub, the call's state reported to it, and the work nobody awaits held until it ends.

The hub is a real `bilik-hub serve`; the CS is a Python aiortc peer that reads the booth's answer
from its own event stream on the hub, as the console does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kiosk import flow
from kiosk.call import BoothCall
from kiosk.call_control import CallControl
from kiosk.devices.camera import SharedCamera
from kiosk.devices.headset import Headset
from kiosk.hub_client import HubClient
from tests.call.conftest import run
from tests.call.console_peer import ConsolePeer
from tests.call.waiting import until
from tests.hub.calls import accept, agent_stream, go_online, session_as_booth, waiting
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder, free_port, write_config

pytestmark = [pytest.mark.sound, pytest.mark.timeout(60)]


@dataclass
class Hub:
    server: HubProcess
    seeder: Seeder
    api: Api


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    directory = tmp_path_factory.mktemp("call-control-hub")
    database = f"sqlite:///{directory / 'hub.db'}"
    port = free_port()
    server = HubProcess(
        write_config(directory / "hub.toml", database, port), port, directory / "hub.log"
    )
    seeder = Seeder(database)
    try:
        yield Hub(server, seeder, Api(server.base_url))
    finally:
        seeder.close()
        server.stop()


def booth_client(hub: Hub, branch: BranchInfo) -> HubClient:
    booth = branch.booths[0]
    return HubClient(hub.server.base_url, booth.token, booth.id)


def test_offer_is_answered_through_the_hub_and_aclose_releases_the_headset(
    hub: Hub, camera: SharedCamera, headset: Headset
) -> None:
    branch = hub.seeder.branch(booths=1, agents=1)
    cs_token = go_online(hub.api, branch, 0)
    session_id = waiting(hub.api, hub.seeder, branch, 0)["id"]
    accept(hub.api, cs_token, session_id)
    events: list[flow.Event] = []
    calls: list[BoothCall] = []

    def make_call(**kw) -> BoothCall:
        calls.append(BoothCall(camera, headset, **kw))
        return calls[-1]

    async def scenario() -> None:
        control = CallControl(booth_client(hub, branch), make_call, events.append)
        cs = ConsolePeer()
        console = agent_stream(hub.server, branch, 0, cs_token)
        try:
            control.on_signal(session_id, {"kind": "offer", "sdp": await cs.offer()})
            answer = await asyncio.to_thread(
                console.next, lambda m: m["type"] == "signal" and m["session_id"] == session_id
            )
            await cs.accept(answer["data"]["sdp"])
            await until(lambda: flow.CallConnected() in events, 10, "the flow hears connected")
            await until(
                lambda: session_as_booth(hub.api, branch, 0, session_id)["state"] == "in_call",
                5,
                "the hub hears connected",
            )
            assert len(headset.streams) == 2, "microphone and earphones open during the call"
            call = control.call
            # what the app does when it stops: hang up, and wait for that to end
            await control.aclose()
            assert control.call is None and call is not None and call.state.final
            assert headset.streams == [], "aclose() returns with the headset released"
        finally:
            console.close()
            await cs.close()

    run(scenario())
    assert len(calls) == 1


def test_a_call_task_that_fails_is_logged_with_its_traceback(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    branch = hub.seeder.branch(booths=1)

    def broken_call(**_kw) -> BoothCall:  # a bug in setting the call up
        raise RuntimeError("the call could not be built")

    async def scenario() -> None:
        control = CallControl(booth_client(hub, branch), broken_call, lambda _event: None)
        control.on_signal(7, {"kind": "offer", "sdp": "v=0\r\n"})
        await control.aclose()

    with caplog.at_level(logging.ERROR):
        run(scenario())
    failures = [r for r in caplog.records if r.name == "kiosk.call_control"]
    assert [r.getMessage() for r in failures] == ["call-answer failed"]
    assert failures[0].exc_info is not None
    assert str(failures[0].exc_info[1]) == "the call could not be built"
