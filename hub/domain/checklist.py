"""The JHT checklist and the rules for closing a session with an outcome (DESIGN.md, "The call").

The console checks the same rules before it asks, but the hub decides: a `verified` close with
documents not ticked is refused with the missing items, whoever sends it.
"""

from __future__ import annotations

from typing import Any

from contract.states import DOCUMENTS, Document, Outcome
from hub.errors import ApiError

#: NPWP is required when the JHT balance is over this (Rp50 million).
NPWP_THRESHOLD_RUPIAH = 50_000_000
ALWAYS_REQUIRED = (Document.EKTP, Document.KK, Document.SAVINGS_BOOK, Document.LEAVING_PROOF)


def empty_checklist() -> dict[str, Any]:
    return {"items": dict.fromkeys(DOCUMENTS, False), "balance_over_50m": False}


def required_documents(balance_over_50m: bool) -> list[str]:
    extra = [Document.NPWP.value] if balance_over_50m else []
    return [d.value for d in ALWAYS_REQUIRED] + extra


def not_ticked(checklist: dict[str, Any] | None) -> list[str]:
    """Required documents the CS has not ticked, in the checklist's order."""
    checklist = checklist or empty_checklist()
    items = checklist.get("items") or {}
    required = required_documents(bool(checklist.get("balance_over_50m")))
    return [doc for doc in required if not items.get(doc)]


def close_terms(
    outcome: Outcome, missing: list[str], reason: str, checklist: dict[str, Any] | None
) -> tuple[list[str], str]:
    """What a close stores, or `ApiError`: `incomplete` names documents, `rejected` a reason,
    `verified` needs every required document ticked (`409 checklist_incomplete`)."""
    missing = list(dict.fromkeys(missing))  # once each, in the order given
    reason = reason.strip()
    if outcome == Outcome.INCOMPLETE and not missing:
        raise ApiError("invalid_request", {"fields": ["missing"]})
    if outcome == Outcome.REJECTED and not reason:
        raise ApiError("invalid_request", {"fields": ["reason"]})
    if outcome == Outcome.VERIFIED:
        absent = not_ticked(checklist)
        if absent:
            raise ApiError("checklist_incomplete", {"missing": absent})
        return [], ""
    return missing, reason
