"""Document stills: request, upload, who may see them, the audit trail, retention."""

from __future__ import annotations

import datetime as dt
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from hub.container import HubContext
from hub.jobs.housekeeping import housekeeping
from hub.realtime.broadcast import Broadcaster
from hub.services.audit import verify_chain
from hub.settings import load_settings
from hub.store.models import AuditEvent, Still
from tests.hub.calls import (
    agent_stream,
    booth_stream,
    go_online,
    in_call,
    jpeg,
    session_message,
    tick_all,
)
from tests.hub.harness import Api, BranchInfo, HubProcess, Seeder

MiB = 1024 * 1024


@pytest.fixture
def staffed(seeder: Seeder, hub_server: HubProcess) -> BranchInfo:
    return seeder.branch(booths=2, agents=2)


def request_still(api: Api, cs: str, session_id: int, document: str = "ektp") -> str:
    status, body = api.post(
        f"/api/v1/sessions/{session_id}/still-requests", cs, {"document": document}
    )
    assert status == 201, body
    return body["request_id"]


def upload(
    api: Api,
    booth_token: str,
    session_id: int,
    request_id: str,
    data: bytes,
    content_type: str = "image/jpeg",
):
    return api.raw(
        "POST",
        f"/api/v1/sessions/{session_id}/stills?request_id={request_id}",
        booth_token,
        data=data,
        headers={"Content-Type": content_type},
    )


def audit_actions(seeder: Seeder, subject: str) -> list[tuple[str, str]]:
    with seeder.sessions() as db:
        rows = db.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.subject == subject)
            .order_by(AuditEvent.seq)
        )
        return [tuple(r) for r in rows]


def data_dir(hub_server: HubProcess) -> Path:
    return load_settings(hub_server.config).resolved_data_dir()


def test_requested_still_travels_from_booth_to_the_cs_and_is_stored_privately(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    booth = staffed.booths[0]
    with (
        booth_stream(hub_server, staffed, 0) as booth_events,
        agent_stream(hub_server, staffed, 0, cs) as console,
    ):
        booth_events.next(session_message(lambda s: True))
        console.next(lambda m: m["type"] == "sessions")
        request_id = request_still(api, cs, session["id"], "kk")
        asked = booth_events.next(lambda m: m["type"] == "still_request")
        assert asked == {
            "type": "still_request",
            "session_id": session["id"],
            "request_id": request_id,
            "document": "kk",
        }
        image = jpeg(1280, 720)
        response = upload(api, booth.token, session["id"], request_id, image)
        assert response.status_code == 201, response.text
        still = response.json()["still"]
        assert (still["document"], still["width"], still["height"]) == ("kk", 1280, 720)
        assert still["created_at"] and isinstance(still["id"], int)
        arrived = console.next(lambda m: m["type"] == "still")
        assert arrived == {"type": "still", "session_id": session["id"], "still": still}

    download = api.raw("GET", f"/api/v1/stills/{still['id']}", cs)
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["cache-control"] == "no-store"
    assert download.content == image

    with seeder.sessions() as db:
        row = db.get(Still, still["id"])
    path = data_dir(hub_server) / row.path
    assert path.read_bytes() == image
    assert row.path.startswith(f"stills/{session['id']}/")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit_actions(seeder, f"still:{still['id']}") == [
        (f"booth:{booth.id}", "still_upload"),
        (f"agent:{staffed.agents[0].id}", "still_view"),
    ]


def test_only_the_cs_serving_the_session_sees_a_still_and_every_try_is_audited(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    still = upload(api, staffed.booths[0].token, session["id"], request_id, jpeg()).json()["still"]
    other_cs = api.login(staffed.agents[1].username, staffed.agents[1].password)
    api.http.cookies.clear()  # bearer tokens only from here
    path = f"/api/v1/stills/{still['id']}"
    for token in (other_cs, staffed.booths[0].token, staffed.booths[1].token):
        status, body = api.get(path, token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    assert api.get(path)[0] == 401
    assert api.raw("GET", path, cs).status_code == 200
    actions = [action for _actor, action in audit_actions(seeder, f"still:{still['id']}")]
    assert actions == ["still_upload"] + ["still_view_refused"] * 3 + ["still_view"]
    with seeder.sessions() as db:
        assert verify_chain(db).ok


def test_upload_over_8_mib_is_too_large(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    big = jpeg() + b"\0" * (8 * MiB)
    response = upload(api, staffed.booths[0].token, session["id"], request_id, big)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("png", lambda: _png()),
        ("text", lambda: b"not an image at all"),
        ("truncated", lambda: jpeg()[:3000]),
        ("header only", lambda: jpeg()[:600]),
        ("garbled", lambda: jpeg()[:400] + bytes(range(256)) * 40),
        ("empty", lambda: b""),
    ],
)
def test_upload_that_does_not_decode_as_jpeg_is_not_an_image(
    api: Api, seeder: Seeder, staffed: BranchInfo, name: str, make
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    response = upload(api, staffed.booths[0].token, session["id"], request_id, make())
    assert (response.status_code, response.json()["error"]["code"]) == (415, "not_an_image"), name


def test_a_jpeg_declaring_a_giant_picture_is_refused_without_decoding_it(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    data = bytearray(jpeg(64, 48))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    response = upload(api, staffed.booths[0].token, session["id"], request_id, bytes(data))
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")


def test_a_small_jpeg_whose_header_claims_a_large_picture_is_not_an_image(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    """640x480 of data under a header saying 4000x3000 (within the size limit): decoders pad
    the missing rows with grey; the hub refuses it instead of storing a 12-megapixel still."""
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    data = bytearray(jpeg(640, 480))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (3000).to_bytes(2, "big") + (4000).to_bytes(2, "big")
    response = upload(api, staffed.booths[0].token, session["id"], request_id, bytes(data))
    assert (response.status_code, response.json()["error"]["code"]) == (415, "not_an_image")
    real = upload(api, staffed.booths[0].token, session["id"], request_id, jpeg(1920, 1080))
    assert real.status_code == 201, real.text
    assert (real.json()["still"]["width"], real.json()["still"]["height"]) == (1920, 1080)


def test_a_slow_upload_holds_no_lock_while_its_body_arrives(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    """A booth on a poor network sends its still slowly: the branch goes on meanwhile (the hub
    used to hold the write transaction, and on PostgreSQL the branch's lock, across the read)."""
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    data = jpeg()
    started, finished = threading.Event(), threading.Event()

    def trickle():
        yield data[:1000]
        started.set()
        time.sleep(4)  # the rest comes later
        yield data[1000:]

    def send() -> requests.Response:
        try:
            return upload(api, staffed.booths[0].token, session["id"], request_id, trickle())
        finally:
            finished.set()

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(send)
        assert started.wait(10)
        time.sleep(0.5)  # the hub is reading the body now
        status, body = api.checkin(
            staffed.booths[1].token, booking_code=seeder.ticket(staffed).booking_code
        )
        assert status == 201, body
        assert not finished.is_set(), "the check-in waited for the upload"
        assert slow.result(30).status_code == 201


def test_upload_with_another_content_type_is_not_an_image(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    request_id = request_still(api, cs, session["id"])
    response = upload(api, staffed.booths[0].token, session["id"], request_id, jpeg(), "image/png")
    assert response.status_code == 415


def test_upload_needs_a_request_of_that_session(api: Api, seeder: Seeder, staffed: BranchInfo):
    cs = go_online(api, staffed, 0)
    first = in_call(api, seeder, staffed, 0, cs)
    second = in_call(api, seeder, staffed, 1, cs)
    foreign = request_still(api, cs, second["id"])
    for request_id in ("unknown", foreign):
        response = upload(api, staffed.booths[0].token, first["id"], request_id, jpeg())
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    # the other booth may not answer for this session at all
    own = request_still(api, cs, first["id"])
    response = upload(api, staffed.booths[1].token, first["id"], own, jpeg())
    assert (response.status_code, response.json()["error"]["code"]) == (403, "booth_mismatch")


def test_still_requests_only_by_the_sessions_cs_during_the_call(
    api: Api, seeder: Seeder, staffed: BranchInfo
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    other_cs = api.login(staffed.agents[1].username, staffed.agents[1].password)
    path = f"/api/v1/sessions/{session['id']}/still-requests"
    assert api.post(path, other_cs, {"document": "ektp"})[0] == 403
    status, body = api.post(path, cs, {"document": "passport"})
    assert (status, body["error"]["params"]) == (422, {"fields": ["document"]})
    tick_all(api, cs, session["id"])
    api.post(f"/api/v1/sessions/{session['id']}/close", cs, {"outcome": "verified"})
    status, body = api.post(path, cs, {"document": "ektp"})
    assert (status, body["error"]["params"]) == (409, {"state": "closed"})


def test_housekeeping_deletes_stills_past_retention_and_audits_it(
    api: Api, seeder: Seeder, staffed: BranchInfo, hub_server: HubProcess
):
    cs = go_online(api, staffed, 0)
    session = in_call(api, seeder, staffed, 0, cs)
    stills = []
    for _ in range(2):
        request_id = request_still(api, cs, session["id"])
        response = upload(api, staffed.booths[0].token, session["id"], request_id, jpeg())
        stills.append(response.json()["still"]["id"])
    old, recent = stills
    settings = load_settings(hub_server.config)
    with seeder.sessions.begin() as db:
        db.execute(
            update(Still)
            .where(Still.id == old)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
        )
        old_path = data_dir(hub_server) / db.get(Still, old).path
    # the same pass the hub runs every few seconds, on the hub's own database and data directory
    # asked: the suite's hub server may hold the housekeeping lease on this database
    housekeeping(HubContext(settings, seeder.sessions, Broadcaster(), secret="x" * 16), asked=True)
    assert not old_path.exists()
    assert api.get(f"/api/v1/stills/{old}", cs)[0] == 404
    assert api.raw("GET", f"/api/v1/stills/{recent}", cs).status_code == 200
    assert ("system", "still_purged") in audit_actions(seeder, f"still:{old}")


def _png() -> bytes:
    import cv2
    import numpy as np

    ok, encoded = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    assert ok
    return encoded.tobytes()
