"""Tickets from a CSV export of the online queue: all rows or none.

Columns: booking_code,nik,name,branch_id,date,slot_start,slot_end[,priority]
(date YYYY-MM-DD and times HH:MM in the branch's local time). Every row is checked first and
every problem is reported with its line number; only a clean file is written, in one
transaction, so a half-imported day never reaches the booths. A booking code that already exists
is updated while its ticket is still `booked`; one that is in use is refused.

The file comes from whatever the branch has: UTF-8 with or without a BOM by default, UTF-16 when
it starts with a BOM (Excel's "Unicode text"), another encoding when told (`--encoding cp1252`);
separated by commas or by semicolons (Excel's default where the decimal mark is a comma, as in
Indonesia), told by the header line. A file that cannot be read is one `ImportFileError` line
saying what to do, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract.nik import normalize_nik, validate_nik
from contract.states import TicketStatus
from contract.ticket_payload import BOOKING_CODE, normalize_booking_code
from hub.clock import utc_now
from hub.services import audit
from hub.store.models import Branch, Ticket

REQUIRED = ("booking_code", "nik", "name", "branch_id", "date", "slot_start", "slot_end")
#: Characters per column: what the database holds (hub.store.models.Ticket), and for the others
#: far more than a real value (booking codes are checked for their exact shape anyway).
MAX_LENGTH = {"booking_code": 32, "nik": 32, "name": 200, "branch_id": 64, "date": 32,
              "slot_start": 16, "slot_end": 16, "priority": 16}  # fmt: skip
MAX_FILE_BYTES = 50 * 1024 * 1024  # a national day is a few MB
SEPARATORS = (",", ";", "\t")
TRUE_WORDS = {"1", "true", "yes", "ya", "y"}
FALSE_WORDS = {"", "0", "false", "no", "tidak", "n"}


@dataclass(frozen=True)
class TicketRow:
    line: int
    booking_code: str
    nik: str
    name: str
    branch_id: str
    date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    priority: bool


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(Exception):
    """The file cannot be read as a ticket CSV: one line, with what to do about it."""


def read_text(path: Path, encoding: str | None = None) -> str:
    """The file's text, decoded as said in the module docstring."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(
                f"{path}: {size // (1024 * 1024)} MB is more than a day's tickets "
                f"(at most {MAX_FILE_BYTES // (1024 * 1024)} MB); split the file by branch"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a folder; give the CSV file inside it") from None
    except PermissionError:
        raise ImportFileError(f"{path}: not readable by this user; check its permissions") from None
    except OSError as err:
        raise ImportFileError(f"{path}: cannot be read ({err.strerror})") from None
    if encoding is None:
        encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except LookupError:
        raise ImportFileError(
            f"--encoding {encoding!r} is not an encoding Python knows; try utf-8, cp1252 or latin-1"
        ) from None
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        byte = data[err.start : err.start + 1].hex()
        hint = (
            "it looks like UTF-16 without a byte-order mark: pass --encoding utf-16-le"
            if b"\x00" in data[:200]
            else 'save it from the spreadsheet as "CSV UTF-8", or pass its encoding, e.g. '
            "--encoding cp1252 (Windows) or --encoding latin-1"
        )
        raise ImportFileError(
            f"{path}: line {line} is not {encoding} (byte 0x{byte}); {hint}"
        ) from None


def separator_of(header_line: str) -> str:
    """The separator the header uses: the one that splits it into the most required columns."""

    def found(sep: str) -> int:
        return len(set(REQUIRED) & {cell.strip() for cell in header_line.split(sep)})

    return max(SEPARATORS, key=found)


def _time(value: str) -> dt.time:
    return dt.datetime.strptime(value.strip(), "%H:%M").time()


def parse_rows(text: str, branch_ids: set[str]) -> tuple[list[TicketRow], list[str]]:
    """Check every row; returns the good rows and one message per problem."""
    separator = separator_of(text.split("\n", 1)[0])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as err:
        return [], [f"line 1: not a CSV header ({err})"]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [
            f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED)}"
            " (separated by , or ;)"
        ]
    reader.fieldnames = header
    rows: list[TicketRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:  # a NUL byte, a field over csv's own limit, a stray quote
            # csv counts the line only once it is parsed: the broken one is the next
            errors.append(f"line {reader.line_num + 1}: not readable as CSV ({err})")
            continue
        line = reader.line_num
        get = {k: (v or "").strip() for k, v in record.items() if k}
        too_long = [k for k, limit in MAX_LENGTH.items() if len(get.get(k, "")) > limit]
        if too_long:
            errors.extend(
                f"line {line}: {k} is {len(get[k])} characters, at most {MAX_LENGTH[k]}"
                for k in too_long
            )
            continue
        problems: list[str] = []
        code = normalize_booking_code(get["booking_code"])
        if not BOOKING_CODE.match(code):
            problems.append(f"booking_code {get['booking_code']!r} is not 8 letters/digits")
        elif code in seen:
            problems.append(f"booking_code {code} repeats line {seen[code]}")
        nik = normalize_nik(get["nik"])
        check = validate_nik(nik)
        if not check.ok:
            problems.append(f"nik is not valid ({check.reason})")
        if not get["name"]:
            problems.append("name is empty")
        if get["branch_id"] not in branch_ids:
            problems.append(f"branch_id {get['branch_id']!r} is not a known branch")
        try:
            date = dt.date.fromisoformat(get["date"])
        except ValueError:
            problems.append(f"date {get['date']!r} is not YYYY-MM-DD")
            date = dt.date.min
        try:
            start, end = _time(get["slot_start"]), _time(get["slot_end"])
            if end <= start:
                problems.append("slot_end must be after slot_start")
        except ValueError:
            problems.append("slot_start/slot_end must be HH:MM")
            start = end = dt.time.min
        priority_word = get.get("priority", "").lower()
        if priority_word not in TRUE_WORDS | FALSE_WORDS:
            problems.append(f"priority {priority_word!r} is not yes/no")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
            continue
        seen[code] = line
        rows.append(
            TicketRow(
                line, code, nik, get["name"], get["branch_id"], date, start, end,
                priority_word in TRUE_WORDS,
            )
        )  # fmt: skip
    return rows, errors


def import_tickets(db: Session, text: str, actor: str = "cli") -> ImportReport:
    """Validate everything, then write everything in the caller's transaction (or nothing)."""
    branch_ids = set(db.scalars(select(Branch.id)))
    rows, errors = parse_rows(text, branch_ids)
    report = ImportReport(errors=errors)
    existing = (
        {
            t.booking_code: t
            for t in db.scalars(
                select(Ticket).where(Ticket.booking_code.in_([r.booking_code for r in rows]))
            )
        }
        if rows
        else {}
    )
    for row in rows:
        ticket = existing.get(row.booking_code)
        if ticket is not None and ticket.status != TicketStatus.BOOKED:
            report.errors.append(
                f"line {row.line}: ticket {row.booking_code} is {ticket.status}; not replaced"
            )
    if report.errors:
        return report
    for row in rows:
        ticket = existing.get(row.booking_code)
        if ticket is None:
            ticket = Ticket(booking_code=row.booking_code, status=TicketStatus.BOOKED)
            db.add(ticket)
            report.imported += 1
        else:
            report.updated += 1
        ticket.nik, ticket.name, ticket.branch_id = row.nik, row.name, row.branch_id
        ticket.date, ticket.slot_start, ticket.slot_end = row.date, row.slot_start, row.slot_end
        ticket.priority, ticket.service = row.priority, "JHT"
    audit.record(
        db, actor, "import_tickets", "tickets",
        {"imported": report.imported, "updated": report.updated}, utc_now(),
    )  # fmt: skip
    return report

