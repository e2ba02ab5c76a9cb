// Closing a session with an outcome of the hub's contract: verified (every required document
// ticked), incomplete (which documents are missing) or rejected (why). The dialog asks for what
// each outcome needs; the hub decides whether the checklist allows "verified" and its refusal
// (409 checklist_incomplete) names the documents, shown here and ticked as missing.

import { documentName, errorText, setLabel, t } from "./strings.js";

/**
 * What the form lacks, as `[{key, field}]` (empty: fine to send).
 * @param {{outcome: string|null, missing: string[], reason: string}} form
 * @param {string[]} outcomes  the outcomes of the contract
 */
export function validateClose({ outcome, missing, reason }, outcomes) {
  if (!outcomes.includes(outcome)) return [{ key: "err_outcome_required", field: "outcome" }];
  if (outcome === "incomplete" && !(missing?.length > 0)) {
    return [{ key: "err_missing_required", field: "missing" }];
  }
  if (outcome === "rejected" && !reason?.trim()) {
    return [{ key: "err_reason_required", field: "reason" }];
  }
  return [];
}

/** A <label> holding an <input> and its text (a string or a node). */
function choice(type, name, value, text) {
  const label = document.createElement("label");
  const input = document.createElement("input");
  input.type = type;
  input.name = name;
  input.value = value;
  label.append(input, " ", text);
  return label;
}

export class CloseDialog {
  /**
   * @param {HTMLDialogElement} dialog
   * @param {import("./contract.js").Contract} contract
   * @param {{submit: (sessionId: number, outcome: string, missing: string[], reason: string)
   *          => Promise<unknown>}} hooks
   */
  constructor(dialog, contract, { submit }) {
    this.dialog = dialog;
    this.contract = contract;
    this.submit = submit;
    this.form = dialog.querySelector("form");
    this.title = dialog.querySelector("[data-role=title]");
    this.missingBox = dialog.querySelector("[data-role=missing]");
    this.missingList = dialog.querySelector("[data-role=missing-list]");
    this.reasonBox = dialog.querySelector("[data-role=reason]");
    this.errorLine = dialog.querySelector("[data-role=error]");
    this.sendButton = dialog.querySelector("[data-role=send]");
    this.sessionId = null;
    const outcomes = dialog.querySelector("[data-role=outcomes]");
    for (const outcome of contract.outcomes) {
      const text = document.createElement("span");
      setLabel(text, `outcome_${outcome}`);
      const label = choice("radio", "outcome", outcome, text);
      label.className = `outcome ${outcome}`;
      outcomes.append(label);
    }
    this.form.addEventListener("change", () => this.sync());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    dialog.querySelector("[data-role=cancel]").addEventListener("click", () => dialog.close());
  }

  values() {
    const data = new FormData(this.form);
    return {
      outcome: data.get("outcome"),
      missing: data.getAll("missing"),
      reason: String(data.get("reason") ?? ""),
    };
  }

  /** Show only the fields the chosen outcome needs. */
  sync() {
    const outcome = new FormData(this.form).get("outcome");
    this.missingBox.hidden = outcome !== "incomplete";
    this.reasonBox.hidden = outcome !== "rejected";
    this.errorLine.hidden = true;
  }

  /** Open for a session; missing documents are pre-ticked from the checklist. */
  open(sessionId, boothName, checklist) {
    this.sessionId = sessionId;
    this.form.reset();
    setLabel(this.title, "close_title", { booth: boothName });
    this.missingList.replaceChildren();
    for (const doc of this.contract.required(Boolean(checklist?.balance_over_50m))) {
      const label = choice("checkbox", "missing", doc, documentName(doc));
      label.className = "check";
      this.missingList.append(label);
    }
    this.tickMissing(this.contract.notTicked(checklist));
    this.sync();
    this.sendButton.disabled = false;
    this.dialog.showModal();
    this.form.querySelector("input[name=outcome]")?.focus();
  }

  tickMissing(docs) {
    for (const box of this.missingList.querySelectorAll("input")) {
      box.checked = docs.includes(box.value);
    }
  }

  showError(text, field, code = "") {
    this.errorLine.textContent = text;
    this.errorLine.dataset.code = code;
    this.errorLine.hidden = false;
    const target = {
      outcome: this.form.querySelector("input[name=outcome]:checked") ?? this.form.querySelector("input[name=outcome]"),
      missing: this.missingList.querySelector("input"),
      reason: this.reasonBox.querySelector("textarea"),
    }[field];
    target?.focus();
  }

  async send() {
    const form = this.values();
    const problems = validateClose(form, this.contract.outcomes);
    if (problems.length > 0) {
      const [first] = problems;
      this.showError(t(first.key, first.params ?? {}), first.field);
      return;
    }
    this.sendButton.disabled = true;
    try {
      await this.submit(this.sessionId, form.outcome, form.missing, form.reason.trim());
      this.dialog.close();
    } catch (err) {
      if (err?.code === "checklist_incomplete") this.tickMissing(err.params?.missing ?? []);
      this.showError(errorText(err), "outcome", err?.code);
    } finally {
      this.sendButton.disabled = false;
    }
  }
}
