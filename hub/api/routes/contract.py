"""The contract the console lists from (documents, outcomes): one source, `contract/`."""

from __future__ import annotations

from fastapi import APIRouter

from contract.states import Document, Outcome
from hub.api.deps import ReleasingRoute
from hub.api.schemas import ContractAnswer
from hub.domain.checklist import ALWAYS_REQUIRED, NPWP_THRESHOLD_RUPIAH

router = APIRouter(prefix="/api/v1", tags=["contract"], route_class=ReleasingRoute)

#: The names staff read in the console (Indonesian as the agency names them, then English).
DOCUMENT_LABELS = {
    Document.EKTP: ("e-KTP", "e-KTP (ID card)"),
    Document.KK: ("Kartu Keluarga", "Family card"),
    Document.SAVINGS_BOOK: ("Buku tabungan", "Savings book"),
    Document.LEAVING_PROOF: (
        "Surat keterangan berhenti bekerja (paklaring)",
        "Proof of leaving work",
    ),
    Document.NPWP: ("NPWP", "NPWP (tax number)"),
}
OUTCOME_LABELS = {
    Outcome.VERIFIED: ("Terverifikasi", "Verified"),
    Outcome.INCOMPLETE: ("Belum lengkap", "Incomplete"),
    Outcome.REJECTED: ("Ditolak", "Rejected"),
}


@router.get("/contract", response_model=ContractAnswer)
def contract() -> dict:
    """No authentication: nothing here is secret, and the login page needs it too."""
    return {
        "documents": [
            {
                "id": d.value,
                "id_text": DOCUMENT_LABELS[d][0],
                "en_text": DOCUMENT_LABELS[d][1],
                "required": "always" if d in ALWAYS_REQUIRED else "balance_over_50m",
            }
            for d in Document
        ],
        "outcomes": [
            {"id": o.value, "id_text": OUTCOME_LABELS[o][0], "en_text": OUTCOME_LABELS[o][1]}
            for o in Outcome
        ],
        "npwp_threshold_rupiah": NPWP_THRESHOLD_RUPIAH,
    }
