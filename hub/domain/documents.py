"""The JHT documents a CS checks (DESIGN.md, "The call"), by the ids the API uses."""

from __future__ import annotations

from typing import Literal, get_args

#: A document id as the API accepts it (checklist items, missing documents, still requests).
Document = Literal["ektp", "kk", "savings_book", "leaving_proof", "npwp"]

#: Every document id, in the checklist's order. `npwp` is needed only when the balance is over
#: Rp50 million; `leaving_proof` is the paklaring / surat keterangan berhenti bekerja.
DOCUMENTS: tuple[str, ...] = get_args(Document)
