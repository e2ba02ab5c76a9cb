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


def run_import(url: str, path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BILIK_HUB), "import-tickets", str(path), "--database-url", url, *options],
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


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("utf-8 with BOM", lambda text: text.encode("utf-8-sig")),
        ("utf-16 with BOM (Excel's Unicode text)", lambda text: text.encode("utf-16")),
    ],
)
def test_utf8_and_utf16_with_a_bom_are_read_without_options(
    database: str, tmp_path: Path, name: str, encode
):
    path = tmp_path / "day.csv"
    path.write_bytes(encode(HEADER + GOOD[0].replace("Budi Santoso", "Budi Santoso Daeng Situ")))
    result = run_import(database, path)
    assert result.returncode == 0, (name, result.stderr)
    assert tickets(database)["TGC4K7QX"].name == "Budi Santoso Daeng Situ"


def test_a_latin1_file_is_one_line_with_the_fix_and_imports_with_encoding(
    database: str, tmp_path: Path
):
    path = tmp_path / "day.csv"
    path.write_bytes((HEADER + GOOD[0].replace("Budi", "Budé")).encode("latin-1"))
    result = run_import(database, path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "line 2 is not utf-8-sig" in result.stderr and "--encoding cp1252" in result.stderr
    assert tickets(database) == {}
    result = run_import(database, path, "--encoding", "latin-1")
    assert result.returncode == 0, result.stderr
    assert tickets(database)["TGC4K7QX"].name == "Budé Santoso"


def test_a_semicolon_separated_file_excel_in_indonesian_is_imported(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    rows = [HEADER, *GOOD]
    path.write_text("".join(row.replace(",", ";") for row in rows).replace("\n", "\r\n"))
    result = run_import(database, path)
    assert result.returncode == 0, result.stderr
    assert set(tickets(database)) == {"TGC4K7QX", "TGC4K7QY"}


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("missing", lambda d: d / "nope.csv", "nope.csv: no such file; check the path"),
        ("a folder", lambda d: d, "is a folder; give the CSV file inside it"),
        ("an unknown encoding", None, "--encoding 'utf-99' is not an encoding Python knows"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line_saying_what_to_do(
    database: str, tmp_path: Path, name: str, make, expected: str
):
    if make is None:
        path = tmp_path / "day.csv"
        path.write_text(HEADER + GOOD[0])
        result = run_import(database, path, "--encoding", "utf-99")
    else:
        result = run_import(database, make(tmp_path))
    assert result.returncode == 2, name
    assert expected in result.stderr, (name, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr


def test_overlong_values_and_broken_csv_are_refused_by_line(database: str, tmp_path: Path):
    path = tmp_path / "day.csv"
    long_name = "A" * 100_000
    path.write_text(
        HEADER
        + GOOD[0].replace("Budi Santoso", long_name)  # line 2
        + GOOD[1].replace("tgc,", "t" * 70 + ",")  # line 3
    )
    result = run_import(database, path)
    assert result.returncode == 1
    assert "line 2: name is 100000 characters, at most 200" in result.stderr
    assert "line 3: branch_id is 70 characters, at most 64" in result.stderr
    assert long_name not in result.stderr
    path.write_text(HEADER + GOOD[0] + GOOD[1].replace("Siti", "S" * 200_000))  # over csv's limit
    result = run_import(database, path)
    assert result.returncode == 1
    assert "line 3: not readable as CSV" in result.stderr, result.stderr
    assert tickets(database) == {}
