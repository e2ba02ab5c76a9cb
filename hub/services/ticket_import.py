"""Tickets from a CSV export of the online queue: all rows or none.

Columns: booking_code,nik,name,branch_id,date,slot_start,slot_end[,priority]
(date YYYY-MM-DD and times HH:MM in the branch's local time). Every row is checked first and
every problem is reported with its line number; only a clean file is written, in one
transaction, so a half-imported day never reaches the booths. A booking code that already exists
is updated while its ticket is still `booked`; one that is in use is refused.
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


def _time(value: str) -> dt.time:
    return dt.datetime.strptime(value.strip(), "%H:%M").time()


def parse_rows(text: str, branch_ids: set[str]) -> tuple[list[TicketRow], list[str]]:
    """Check every row; returns the good rows and one message per problem."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [
            f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED)}"
        ]
    reader.fieldnames = header
    rows: list[TicketRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        get = {k: (v or "").strip() for k, v in record.items() if k}
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


def import_file(db: Session, path: Path) -> ImportReport:
    return import_tickets(db, path.read_text(encoding="utf-8-sig"))
