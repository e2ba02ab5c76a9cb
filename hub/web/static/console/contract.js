// The documents and outcomes of a JHT claim, as the hub lists them (GET /api/v1/contract): the
// hub, the booth and this console share one source, so the console keeps no list of its own.
// Their names join the string catalog as `doc_<id>` and `outcome_<id>` (strings.js).

import { hub } from "./api.js";
import { addStrings } from "./strings.js";

export class Contract {
  /** @param {{documents: {id, id_text, en_text, required}[], outcomes: {id, id_text, en_text}[],
   *           npwp_threshold_rupiah: number}} answer  the hub's ContractAnswer */
  constructor({ documents, outcomes, npwp_threshold_rupiah: threshold }) {
    this.documents = documents.map((doc) => doc.id);
    this.outcomes = outcomes.map((outcome) => outcome.id);
    this.onlyOverThreshold = new Set(
      documents.filter((doc) => doc.required === "balance_over_50m").map((doc) => doc.id),
    );
    this.thresholdMillions = (threshold / 1_000_000).toLocaleString("id-ID");
    addStrings(Object.fromEntries([
      ...documents.map((doc) => [`doc_${doc.id}`, [doc.id_text, doc.en_text]]),
      ...outcomes.map((outcome) => [`outcome_${outcome.id}`, [outcome.id_text, outcome.en_text]]),
    ]));
  }

  /** Is the document needed only when the balance is over the threshold (NPWP)? */
  conditional(doc) {
    return this.onlyOverThreshold.has(doc);
  }

  /** The documents a claim needs, in checklist order. */
  required(balanceOver50m) {
    return this.documents.filter((doc) => balanceOver50m || !this.conditional(doc));
  }

  /** Required documents not ticked in `checklist` (`{"items": {doc: bool}, "balance_over_50m"}`).
   * The hub checks the same at close; this only pre-ticks the "missing" list for the CS. */
  notTicked(checklist) {
    const items = checklist?.items ?? {};
    return this.required(Boolean(checklist?.balance_over_50m)).filter((doc) => !items[doc]);
  }

  /** The checklist as the hub stores it: only the documents that count. */
  normalize(checklist) {
    const balance = Boolean(checklist?.balance_over_50m);
    const items = {};
    for (const doc of this.required(balance)) items[doc] = Boolean(checklist?.items?.[doc]);
    return { items, balance_over_50m: balance };
  }
}

/** The hub's contract, asked again with a growing pause until the hub answers; `onError(err)`
 * says why it is not there yet. */
export async function loadContract(onError) {
  for (let pauseMs = 1000; ; pauseMs = Math.min(pauseMs * 2, 8000)) {
    try {
      return new Contract(await hub.contract());
    } catch (err) {
      onError(err);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
