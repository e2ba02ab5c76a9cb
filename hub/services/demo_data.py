"""Demo data that always works: branches, booths, CS accounts and tickets relative to *now*.

Run `bilik-hub demo` before a demonstration: ticket slots are placed around the current time
in the branch's time zone (WIB for Tangerang Cikokol), so there are always tickets that check
in, one that is too early, one that has expired, and so on. Re-running replaces the demo tickets
(and their sessions). Near midnight some cases cannot exist "today" (a slot in three hours would
be tomorrow): each ticket's `expect` is therefore computed with the real rules, never assumed.

All names and NIKs are made up; the NIKs are merely well-formed (Kota Tangerang, 3671…).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from hub.clock import utc_now
from hub.domain.checkin_rules import (
    BranchFacts,
    TicketFacts,
    Tolerances,
    evaluate_checkin,
    make_ticket_token,
)
from hub.services import audit
from hub.services.accounts import ensure_agent, ensure_booth, ensure_branch
from hub.settings import HubSettings
from hub.store.models import ServiceSession, Ticket

BRANCHES = [
    # id, name, time zone, mode, capacity per CS
    ("tgc", "Tangerang Cikokol", "Asia/Jakarta", "one_to_many", 5),
    ("jks", "Jakarta Salemba", "Asia/Jakarta", "one_to_many", 5),
]
BOOTHS = [(f"tgc-0{i}", "tgc", f"Bilik {i}") for i in range(1, 6)] + [("jks-01", "jks", "Bilik 1")]
AGENTS = [
    # id, username, password, name, branch
    ("tgc-cs1", "cs1", "demo-cs1", "Rina Marlina", "tgc"),
    ("tgc-cs2", "cs2", "demo-cs2", "Hendra Gunawan", "tgc"),
]


def booth_token(booth_id: str) -> str:
    return f"demo-booth-{booth_id}"


@dataclass(frozen=True)
class DemoTicket:
    booking_code: str
    kind: str  # what the ticket demonstrates
    name: str
    nik: str
    branch_id: str
    date: str
    slot_start: str
    slot_end: str
    status: str
    priority: bool
    qr_payload: str
    expect: str  # what a check-in at a tgc booth answers right now: "ok" or a refusal code


# code, kind, name, NIK, branch, status, priority
TICKETS = [
    ("TGCNOW01", "valid_now", "Budi Santoso", "3671011508850001", "tgc", "booked", False),
    ("TGCNOW02", "valid_now", "Siti Rahmawati", "3671025203900002", "tgc", "booked", False),
    ("TGCNOW03", "valid_now", "Agus Setiawan", "3671030107880003", "tgc", "booked", False),
    ("TGCPRIO4", "priority", "Sri Wahyuni", "3671046110580004", "tgc", "booked", True),
    ("TGCNIK05", "nik_lookup", "Rudi Hartono", "3671052304870005", "tgc", "booked", False),
    ("TGCEARLY", "too_early", "Dewi Lestari", "3671064712920006", "tgc", "booked", False),
    ("TGCLATE1", "too_late", "Ahmad Fauzi", "3671070903830007", "tgc", "booked", False),
    ("TGCCANCL", "cancelled", "Nur Aini", "3671085506950008", "tgc", "cancelled", False),
    ("TGCSERVD", "already_served", "Joko Susilo", "3671091711800009", "tgc", "served", False),
    ("JKSOTHER", "wrong_branch", "Ratna Sari", "3171016408910010", "jks", "booked", False),
    ("TGCTMRW1", "wrong_day", "Made Wirawan", "3671101002860011", "tgc", "booked", False),
]
# The NIK printed for the NIK look-up demo (its ticket is today's, valid now).
NIK_LOOKUP_CODE = "TGCNIK05"


def _clamp_day(start: dt.datetime, end: dt.datetime, day: dt.date) -> tuple[dt.time, dt.time]:
    """Keep a slot inside `day`, so the ticket's date stays today."""
    first = dt.datetime.combine(day, dt.time(0, 0), tzinfo=start.tzinfo)
    last = dt.datetime.combine(day, dt.time(23, 59), tzinfo=start.tzinfo)
    start, end = max(first, min(start, last)), max(first, min(end, last))
    if end <= start:
        start = max(first, end - dt.timedelta(minutes=15))
        end = start + dt.timedelta(minutes=15) if start < last else last

    def minute(value: dt.datetime) -> dt.time:
        return value.time().replace(second=0, microsecond=0)

    return minute(start), minute(end)


def slot_for(kind: str, local_now: dt.datetime) -> tuple[dt.date, dt.time, dt.time]:
    """A ticket date and slot (branch local) that demonstrates `kind` at `local_now`."""
    today = local_now.date()
    base = local_now.replace(minute=(local_now.minute // 15) * 15, second=0, microsecond=0)
    hour, minutes = dt.timedelta(hours=1), dt.timedelta(minutes=1)
    if kind == "too_early":
        start = base + 3 * hour
        return (today, *_clamp_day(start, start + 30 * minutes, today))
    if kind == "too_late":
        end = base - 2 * hour
        return (today, *_clamp_day(end - 30 * minutes, end, today))
    if kind == "wrong_day":
        return today + dt.timedelta(days=1), dt.time(9, 0), dt.time(9, 30)
    start = base - 15 * minutes
    return (today, *_clamp_day(start, start + hour, today))


def load_demo(
    sessions: sessionmaker[Session],
    settings: HubSettings,
    secret: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Write the demo data and describe it (booth tokens, CS logins, tickets with QR payloads)."""
    now = now or utc_now()
    codes = [t[0] for t in TICKETS]
    tolerances = Tolerances(settings.early_tolerance_minutes, settings.late_tolerance_minutes)
    tickets: list[DemoTicket] = []
    with sessions.begin() as db:
        branches = {b[0]: ensure_branch(db, *b) for b in BRANCHES}
        for booth_id, branch_id, name in BOOTHS:
            ensure_booth(db, booth_id, branch_id, name, booth_token(booth_id))
        for agent_id, username, password, name, branch_id in AGENTS:
            ensure_agent(db, agent_id, username, name, branch_id, password)
        db.flush()
        old_ids = select(Ticket.id).where(Ticket.booking_code.in_(codes))
        db.execute(delete(ServiceSession).where(ServiceSession.ticket_id.in_(old_ids)))
        db.execute(delete(Ticket).where(Ticket.booking_code.in_(codes)))
        tgc = branches["tgc"]
        here = BranchFacts(tgc.id, tgc.name, tgc.timezone)
        for code, kind, name, nik, branch_id, status, priority in TICKETS:
            branch = branches[branch_id]
            local_now = now.astimezone(ZoneInfo(branch.timezone))
            date, start, end = slot_for(kind, local_now)
            db.add(
                Ticket(
                    booking_code=code, nik=nik, name=name, service="JHT", branch_id=branch_id,
                    date=date, slot_start=start, slot_end=end, status=status, priority=priority,
                )
            )  # fmt: skip
            facts = TicketFacts(code, branch_id, branch.name, date, start, end, status)
            verdict = evaluate_checkin(facts, here, "tgc-01", now, tolerances)
            tickets.append(
                DemoTicket(
                    code, kind, name, nik, branch_id, date.isoformat(),
                    start.strftime("%H:%M"), end.strftime("%H:%M"), status, priority,
                    make_ticket_token(secret, code), "ok" if verdict.ok else verdict.code or "",
                )
            )  # fmt: skip
        audit.record(db, "cli", "demo_loaded", "tickets", {"tickets": len(tickets)}, now)
    return {
        "branches": [
            {"id": b[0], "name": b[1], "timezone": b[2], "mode": b[3], "max_capacity": b[4]}
            for b in BRANCHES
        ],
        "booths": [
            {"booth_id": b, "branch_id": br, "name": n, "token": booth_token(b)}
            for b, br, n in BOOTHS
        ],
        "agents": [
            {"agent_id": a, "username": u, "password": p, "name": n, "branch_id": br}
            for a, u, p, n, br in AGENTS
        ],
        "tickets": [asdict(t) for t in tickets],
        "nik_lookup": next(t.nik for t in tickets if t.booking_code == NIK_LOOKUP_CODE),
    }


def write_qr_codes(demo: dict[str, Any], directory: Path) -> list[Path]:
    """One PNG per ticket, named after its booking code, holding the signed token."""
    import segno

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for ticket in demo["tickets"]:
        path = directory / f"{ticket['booking_code']}.png"
        segno.make(ticket["qr_payload"], error="m", micro=False).save(str(path), scale=8, border=4)
        paths.append(path)
    return paths


def describe(demo: dict[str, Any]) -> str:
    """Human-readable summary for the terminal."""
    lines = ["Booths (token):"]
    lines += [f"  {b['booth_id']:<8} {b['token']}" for b in demo["booths"]]
    lines.append("CS accounts (username / password):")
    lines += [f"  {a['username']} / {a['password']}  ({a['name']})" for a in demo["agents"]]
    lines.append("Tickets (code, slot, expected answer at a tgc booth now):")
    lines += [
        f"  {t['booking_code']}  {t['date']} {t['slot_start']}-{t['slot_end']}  "
        f"{t['kind']:<15} -> {t['expect']}"
        for t in demo["tickets"]
    ]
    lines.append(f"NIK look-up: {demo['nik_lookup']}")
    return "\n".join(lines)
