"""CSV import of tickets: all rows or none, problems reported by line number."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.services.accounts import ensure_branch
from hub.store.database import open_database
from hub.store.models import Ticket
from tests.hub.harness import BILIK_HUB

HEADER = "booking_code,nik,name,branch_id,date,slot_start,slot_end,priority\n"
GOOD = [
    "TGC4K7QX,3671011508850001,Budi Santoso,tgc,2025-03-10,10:30,11:00,\n",
    "tgc4-k7qy,3671025203900002,Siti Rahmawati,tgc,2025-03-10,11:00,11:30,ya\n",
]


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    with open_database(url).begin() as db:
        ensure_branch(db, "tgc", "Tangerang Cikokol", "Asia/Jakarta")
    return url


def run_import(url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILIK_HUB), "import-tickets", str(path), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def tickets(url: str) -> dict[str, Ticket]:
    with open_database(url)() as db:
        return {t.booking_code: t for t in db.scalars(select(Ticket))}


def test_clean_file_is_imported_with_normalised_codes_and_priority(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "".join(GOOD))
    result = run_import(database, path)
    assert result.returncode == 0, result.stderr
    assert "imported 2 new ticket(s), updated 0" in result.stdout
    stored = tickets(database)
    assert set(stored) == {"TGC4K7QX", "TGC4K7QY"}
    assert stored["TGC4K7QY"].priority is True and stored["TGC4K7QX"].priority is False
    assert stored["TGC4K7QX"].slot_start.strftime("%H:%M") == "10:30"


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    path.write_text(
        HEADER
        + GOOD[0]
        + "SHORT,3671011508850001,Agus,tgc,2025-03-10,10:30,11:00,\n"  # line 3
        + "TGC00003,3671013208850003,Dewi,tgc,2025-03-10,10:30,11:00,\n"  # line 4: bad NIK
        + "TGC00004,3671011508850004,Rudi,xyz,10-03-2025,11:00,10:30,maybe\n"  # line 5
        + "TGC4K7QX,3671011508850001,Budi Santoso,tgc,2025-03-10,10:30,11:00,\n"  # line 6: repeat
    )
    result = run_import(database, path)
    assert result.returncode == 1
    errors = result.stderr
    assert "line 3: booking_code 'SHORT' is not 8 letters/digits" in errors
    assert "line 4: nik is not valid (birth_date)" in errors
    assert "line 5: branch_id 'xyz' is not a known branch" in errors
    assert "line 5: date '10-03-2025' is not YYYY-MM-DD" in errors
    assert "line 5: slot_end must be after slot_start" in errors
    assert "line 5: priority 'maybe' is not yes/no" in errors
    assert "line 6: booking_code TGC4K7QX repeats line 2" in errors
    assert "nothing imported" in errors
    assert tickets(database) == {}


def test_missing_column_is_named(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    path.write_text("booking_code,nik,name,date,slot_start,slot_end\n")
    result = run_import(database, path)
    assert result.returncode == 1
    assert "missing column(s) branch_id" in result.stderr


def test_reimport_updates_booked_tickets(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "".join(GOOD))
    assert run_import(database, path).returncode == 0
    path.write_text(HEADER + GOOD[0].replace("10:30,11:00", "13:00,13:30"))
    result = run_import(database, path)
    assert "imported 0 new ticket(s), updated 1" in result.stdout
    assert tickets(database)["TGC4K7QX"].slot_start.strftime("%H:%M") == "13:00"
    with open_database(database)() as db:
        assert db.scalar(select(func.count()).select_from(Ticket)) == 2
