// The JHT document checklist of the focused session, with the documents of the hub's contract
// (contract.js). NPWP is required (and shown) only when the balance is over Rp50 million. Every
// change is saved to the hub (PUT …/checklist) after a short pause; while a change is unsaved,
// updates pushed by the hub do not overwrite what the CS ticked.

import { documentName, setLabel, t } from "./strings.js";

const SAVE_DELAY_MS = 300;

export class ChecklistPanel {
  /**
   * @param {HTMLElement} root  the checklist <fieldset>
   * @param {import("./contract.js").Contract} contract
   * @param {{save: (sessionId: number, checklist: object) => Promise<unknown>,
   *          onChange: (sessionId: number) => void, onError: (err: Error) => void}} hooks
   */
  constructor(root, contract, { save, onChange, onError }) {
    this.root = root;
    this.contract = contract;
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
    const { contract } = this;
    for (const doc of contract.documents.filter((d) => !contract.conditional(d))) {
      addBox(doc, documentName(doc));
    }
    const balanceLabel = document.createElement("span");
    setLabel(balanceLabel, "balance_over_50m", { millions: contract.thresholdMillions });
    addBox("balance_over_50m", balanceLabel, "balance");
    // the documents needed only over the threshold, shown only then
    this.overThreshold = contract.documents
      .filter((doc) => contract.conditional(doc))
      .map((doc) => addBox(doc, documentName(doc), "conditional"));
    this.status = document.createElement("p");
    this.status.className = "save-status";
    this.status.setAttribute("aria-live", "polite");
    this.root.append(this.status);
  }

  /** The checklist the CS sees for `sessionId` (local edits first, then the hub's). */
  get(sessionId) {
    return this.local.get(sessionId) ?? this.contract.normalize(null);
  }

  /** The hub's view of a session arrived; adopt it unless the CS has unsaved changes. */
  fromHub(sessionId, checklist) {
    if (this.dirty.has(sessionId)) return;
    this.local.set(sessionId, this.contract.normalize(checklist));
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
    const checklist = this.get(this.sessionId);
    for (const doc of this.contract.documents) {
      this.boxes[doc].checked = Boolean(checklist.items[doc]);
    }
    this.boxes.balance_over_50m.checked = checklist.balance_over_50m;
    this.showOverThreshold(checklist.balance_over_50m);
  }

  showOverThreshold(balanceOver50m) {
    for (const label of this.overThreshold) label.hidden = !balanceOver50m;
  }

  changed() {
    const sessionId = this.sessionId;
    if (sessionId === null) return;
    const balance = this.boxes.balance_over_50m.checked;
    const items = {};
    for (const doc of this.contract.required(balance)) items[doc] = this.boxes[doc].checked;
    this.local.set(sessionId, { items, balance_over_50m: balance });
    this.dirty.add(sessionId);
    this.showOverThreshold(balance);
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
