// The JHT document checklist of the focused session. NPWP is required (and shown) only when the
// balance is over Rp50 million. Every change is saved to the hub (PUT …/checklist) after a short
// pause; while a change is unsaved, updates pushed by the hub do not overwrite what the CS ticked.

import { documentName, setLabel, t } from "./strings.js";

export const BASE_DOCUMENTS = ["ektp", "kk", "savings_book", "leaving_proof"];
export const ALL_DOCUMENTS = [...BASE_DOCUMENTS, "npwp"];

const SAVE_DELAY_MS = 300;

/** The documents a JHT claim needs, in checklist order. */
export function requiredDocuments(balanceOver50m) {
  return balanceOver50m ? [...ALL_DOCUMENTS] : [...BASE_DOCUMENTS];
}

/** Required documents not ticked in `checklist` (`{"items": {doc: bool}, "balance_over_50m"}`). */
export function missingDocuments(checklist) {
  const items = checklist?.items ?? {};
  return requiredDocuments(Boolean(checklist?.balance_over_50m)).filter((doc) => !items[doc]);
}

/** The checklist as the hub stores it: only the documents that count. */
export function normalizeChecklist(checklist) {
  const balance = Boolean(checklist?.balance_over_50m);
  const items = {};
  for (const doc of requiredDocuments(balance)) items[doc] = Boolean(checklist?.items?.[doc]);
  return { items, balance_over_50m: balance };
}

export class ChecklistPanel {
  /**
   * @param {HTMLElement} root  the checklist <fieldset>
   * @param {{save: (sessionId: number, checklist: object) => Promise<unknown>,
   *          onChange: (sessionId: number) => void, onError: (err: Error) => void}} hooks
   */
  constructor(root, { save, onChange, onError }) {
    this.root = root;
    this.save = save;
    this.onChange = onChange ?? (() => {});
    this.onError = onError ?? (() => {});
    this.local = new Map(); // sessionId -> checklist as the CS sees it
    this.dirty = new Set(); // sessions with a change not yet confirmed by the hub
    this.timers = new Map();
    this.sessionId = null;
    this.build();
  }

  build() {
    this.root.replaceChildren();
    const legend = document.createElement("legend");
    setLabel(legend, "checklist");
    this.root.append(legend);
    this.boxes = {};
    const addBox = (name, labelText, extraClass) => {
      const label = document.createElement("label");
      label.className = `check ${extraClass ?? ""}`.trim();
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = name;
      box.addEventListener("change", () => this.changed());
      label.append(box, " ", labelText);
      this.root.append(label);
      this.boxes[name] = box;
      return label;
    };
    for (const doc of BASE_DOCUMENTS) addBox(doc, documentName(doc));
    const balanceLabel = document.createElement("span");
    setLabel(balanceLabel, "balance_over_50m");
    addBox("balance_over_50m", balanceLabel, "balance");
    this.npwpLabel = addBox("npwp", documentName("npwp"), "npwp");
    this.status = document.createElement("p");
    this.status.className = "save-status";
    this.status.setAttribute("aria-live", "polite");
    this.root.append(this.status);
  }

  /** The checklist the CS sees for `sessionId` (local edits first, then the hub's). */
  get(sessionId) {
    return this.local.get(sessionId) ?? normalizeChecklist(null);
  }

  /** The hub's view of a session arrived; adopt it unless the CS has unsaved changes. */
  fromHub(sessionId, checklist) {
    if (this.dirty.has(sessionId)) return;
    this.local.set(sessionId, normalizeChecklist(checklist));
    if (sessionId === this.sessionId) this.render();
  }

  forget(sessionId) {
    clearTimeout(this.timers.get(sessionId));
    this.timers.delete(sessionId);
    this.local.delete(sessionId);
    this.dirty.delete(sessionId);
  }

  show(sessionId) {
    this.sessionId = sessionId;
    this.root.disabled = sessionId === null;
    this.render();
  }

  render() {
    const checklist = this.sessionId === null ? normalizeChecklist(null) : this.get(this.sessionId);
    for (const doc of ALL_DOCUMENTS) this.boxes[doc].checked = Boolean(checklist.items[doc]);
    this.boxes.balance_over_50m.checked = checklist.balance_over_50m;
    this.npwpLabel.hidden = !checklist.balance_over_50m;
  }

  changed() {
    const sessionId = this.sessionId;
    if (sessionId === null) return;
    const balance = this.boxes.balance_over_50m.checked;
    const items = {};
    for (const doc of requiredDocuments(balance)) items[doc] = this.boxes[doc].checked;
    this.local.set(sessionId, { items, balance_over_50m: balance });
    this.dirty.add(sessionId);
    this.npwpLabel.hidden = !balance;
    this.status.textContent = t("checklist_saving");
    this.onChange(sessionId);
    clearTimeout(this.timers.get(sessionId));
    this.timers.set(sessionId, setTimeout(() => this.flush(sessionId).catch(this.onError), SAVE_DELAY_MS));
  }

  /** Save now (also used before closing a session). */
  async flush(sessionId) {
    clearTimeout(this.timers.get(sessionId));
    this.timers.delete(sessionId);
    if (!this.dirty.has(sessionId)) return;
    const checklist = this.get(sessionId);
    try {
      await this.save(sessionId, checklist);
      if (this.local.get(sessionId) === checklist) this.dirty.delete(sessionId);
      if (sessionId === this.sessionId) this.status.textContent = t("checklist_saved");
    } catch (err) {
      if (sessionId === this.sessionId) this.status.textContent = t("checklist_failed");
      throw err;
    }
  }
}
