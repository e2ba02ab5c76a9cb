// The side panel of the focused booth: document still requests (one per document of the hub's
// contract, with its shortcut letter and state), the stills that arrived, the checklist and the
// close button. It only draws; main.js decides.

import { STILL_KEYS } from "./keyboard.js";
import { thumbnail } from "./stills.js";
import { boothName } from "./tiles.js";
import { documentName, setLabel, t } from "./strings.js";

const KEY_OF_DOCUMENT = Object.fromEntries(
  Object.entries(STILL_KEYS).map(([key, doc]) => [doc, key.toUpperCase()]),
);

export class SidePanel {
  /**
   * @param {import("./contract.js").Contract} contract
   * @param {{onRequestStill: (doc: string) => void, onOpenStill: (item: object) => void}} hooks
   */
  constructor(contract, { onRequestStill, onOpenStill }) {
    this.onOpenStill = onOpenStill;
    this.title = document.querySelector("#panel-title");
    this.empty = document.querySelector("#panel-empty");
    this.body = document.querySelector("#panel-body");
    this.gallery = document.querySelector("#panel-stills");
    this.noStills = document.querySelector("#panel-no-stills");
    this.docButtons = {};
    const list = document.querySelector("#doc-requests");
    for (const doc of contract.documents) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "doc-name";
      name.textContent = documentName(doc);
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.document = doc;
      setLabel(button, "request_still");
      if (KEY_OF_DOCUMENT[doc]) {
        const kbd = document.createElement("kbd");
        kbd.textContent = KEY_OF_DOCUMENT[doc];
        button.append(" ", kbd);
      }
      button.addEventListener("click", () => onRequestStill(doc));
      const status = document.createElement("span");
      status.className = "doc-status";
      item.append(name, button, status);
      list.append(item);
      this.docButtons[doc] = { button, status };
    }
  }

  /**
   * @param {{session: object|null, inCall: boolean, stills: object[],
   *          isPending: (doc: string) => boolean}} view
   */
  render({ session, inCall, stills, isPending }) {
    this.empty.hidden = Boolean(session);
    this.body.hidden = !session;
    if (!session) {
      this.title.textContent = "";
      return;
    }
    const text = `${boothName(session)} \u00b7 ${session.ticket?.name_masked ?? ""}`;
    if (this.title.textContent !== text) this.title.textContent = text;
    for (const [doc, { button, status }] of Object.entries(this.docButtons)) {
      button.disabled = !inCall;
      const got = stills.some((item) => item.document === doc);
      const statusText = isPending(doc) ? t("still_pending") : got ? "\u2713" : "";
      if (status.textContent !== statusText) status.textContent = statusText;
    }
    const ids = stills.map((item) => item.id).join(",");
    if (this.gallery.dataset.ids !== ids || this.gallery.dataset.session !== String(session.id)) {
      this.gallery.dataset.ids = ids;
      this.gallery.dataset.session = String(session.id);
      this.gallery.replaceChildren(...stills.map((item) => thumbnail(item, this.onOpenStill)));
    }
    this.noStills.hidden = stills.length > 0;
  }
}
