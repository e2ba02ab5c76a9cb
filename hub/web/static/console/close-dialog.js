// Closing a session with an outcome: verified (every required document ticked), incomplete
// (which documents are missing) or rejected (why). The dialog checks this before asking the hub,
// which enforces the same rules for `missing` and `reason` (docs/call-api.md).

import { missingDocuments, requiredDocuments } from "./checklist.js";
import { documentName, errorText, setLabel, t } from "./strings.js";

export const OUTCOMES = ["verified", "incomplete", "rejected"];

/**
 * What is wrong with a close request, as `[{key, params, field}]` (empty: fine to send).
 * @param {{outcome: string|null, missing: string[], reason: string, checklist: object}} form
 */
export function validateClose({ outcome, missing, reason, checklist }) {
  if (!OUTCOMES.includes(outcome)) return [{ key: "err_outcome_required", field: "outcome" }];
  if (outcome === "incomplete" && !(missing?.length > 0)) {
    return [{ key: "err_missing_required", field: "missing" }];
  }
  if (outcome === "rejected" && !reason?.trim()) {
    return [{ key: "err_reason_required", field: "reason" }];
  }
  if (outcome === "verified") {
    const notTicked = missingDocuments(checklist);
    if (notTicked.length > 0) {
      return [{
        key: "err_verified_incomplete",
        params: { docs: notTicked.map(documentName).join(", ") },
        field: "outcome",
      }];
    }
  }
  return [];
}

export class CloseDialog {
  /**
   * @param {HTMLDialogElement} dialog
   * @param {{submit: (sessionId: number, outcome: string, missing: string[], reason: string)
   *          => Promise<unknown>}} hooks
   */
  constructor(dialog, { submit }) {
    this.dialog = dialog;
    this.submit = submit;
    this.form = dialog.querySelector("form");
    this.title = dialog.querySelector("[data-role=title]");
    this.missingBox = dialog.querySelector("[data-role=missing]");
    this.missingList = dialog.querySelector("[data-role=missing-list]");
    this.reasonBox = dialog.querySelector("[data-role=reason]");
    this.errorLine = dialog.querySelector("[data-role=error]");
    this.sendButton = dialog.querySelector("[data-role=send]");
    this.sessionId = null;
    this.checklist = null;
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
      checklist: this.checklist,
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
  open(sessionId, slot, checklist) {
    this.sessionId = sessionId;
    this.checklist = checklist;
    this.form.reset();
    setLabel(this.title, "close_title", { n: slot });
    const notTicked = new Set(missingDocuments(checklist));
    this.missingList.replaceChildren();
    for (const doc of requiredDocuments(Boolean(checklist?.balance_over_50m))) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "missing";
      box.value = doc;
      box.checked = notTicked.has(doc);
      label.append(box, " ", documentName(doc));
      this.missingList.append(label);
    }
    this.sync();
    this.sendButton.disabled = false;
    this.dialog.showModal();
    this.form.querySelector("input[name=outcome]")?.focus();
  }

  showError(text, field) {
    this.errorLine.textContent = text;
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
    const problems = validateClose(form);
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
      this.showError(errorText(err));
    } finally {
      this.sendButton.disabled = false;
    }
  }
}
