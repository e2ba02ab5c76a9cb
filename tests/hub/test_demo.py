"""`bilik-hub demo`: demo data that works whenever it is loaded, answered by a real hub."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.hub.harness import BILIK_HUB, Api, HubProcess


def run_demo(hub_server: HubProcess, hub_db: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BILIK_HUB), "demo", "--config", str(hub_server.config), "--database-url", hub_db,
         *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(hub_server: HubProcess, hub_db: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    qr_dir = tmp_path_factory.mktemp("qr")
    first = run_demo(hub_server, hub_db)
    assert first.returncode == 0, first.stderr
    second = run_demo(hub_server, hub_db, "--json", "--qr-dir", str(qr_dir))  # re-run: replaces
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    data["qr_dir"] = qr_dir
    return data


def test_demo_lists_booth_tokens_and_cs_logins(demo: dict):
    booths = {b["booth_id"]: b["token"] for b in demo["booths"]}
    assert {f"tgc-0{i}" for i in range(1, 6)} <= set(booths)
    assert booths["tgc-01"] == "demo-booth-tgc-01"
    assert [(a["username"], a["password"]) for a in demo["agents"]] == [
        ("cs1", "demo-cs1"),
        ("cs2", "demo-cs2"),
    ]


def test_every_demo_ticket_gets_the_answer_the_demo_promises(demo: dict, api: Api):
    kinds = {t["kind"] for t in demo["tickets"]}
    assert {"valid_now", "too_early", "too_late", "cancelled", "already_served", "wrong_branch",
            "wrong_day", "priority", "nik_lookup"} <= kinds  # fmt: skip
    for i, ticket in enumerate(demo["tickets"]):
        booth = f"demo-booth-tgc-0{i % 5 + 1}"  # spread refusals: each booth is rate-limited
        status, body = api.lookup(booth, token=ticket["qr_payload"])
        answer = "ok" if status == 200 else body["error"]["code"]
        assert answer == ticket["expect"], ticket


def test_demo_ticket_is_found_by_nik_and_cs_can_log_in(demo: dict, api: Api):
    status, body = api.lookup("demo-booth-tgc-04", nik=demo["nik_lookup"])
    assert (status, body["ticket"]["booking_code"]) == (200, "TGCNIK05")
    assert api.login("cs1", "demo-cs1")


def test_rerunning_the_demo_keeps_one_ticket_per_code(demo: dict):
    codes = [t["booking_code"] for t in demo["tickets"]]
    assert len(codes) == len(set(codes)) == 11
    assert all(len(c) == 8 and c.isalnum() and c.isupper() for c in codes)


def test_qr_png_per_ticket_holds_the_signed_token(demo: dict):
    cv2 = pytest.importorskip("cv2")
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    files = sorted(Path(demo["qr_dir"]).glob("*.png"))
    assert len(files) == len(demo["tickets"])
    image = cv2.imread(str(Path(demo["qr_dir"]) / "TGCNOW01.png"), cv2.IMREAD_GRAYSCALE)
    decoded = pyzbar.decode(image)
    payload = next(t["qr_payload"] for t in demo["tickets"] if t["booking_code"] == "TGCNOW01")
    assert [d.data.decode() for d in decoded] == [payload]
