// Document stills: the CS asks a booth for a still of one document (POST …/still-requests), the
// booth captures and uploads it, the hub announces it on the agent's event stream
// (`{"type":"still"}`). Stills already on the hub are listed again (GET …/stills) when a session
// appears in the console and when its event stream is back, so a reload loses none. Each still
// is fetched once as a Blob (every access is audited on the hub) and shown from a blob: URL in
// the tile, the side panel and the zoomable viewer.

import { hub } from "./api.js";
import { documentName, setLabel, t } from "./strings.js";

export class Stills {
  /** @param {{onChange: (sessionId: number) => void}} hooks */
  constructor({ onChange }) {
    this.onChange = onChange;
    // sessionId -> {pending: Map(doc -> request_id), items: [], known: Set(still id)}
    this.sessions = new Map();
  }

  of(sessionId) {
    let entry = this.sessions.get(sessionId);
    if (!entry) {
      entry = { pending: new Map(), items: [], known: new Set() };
      this.sessions.set(sessionId, entry);
    }
    return entry;
  }

  items(sessionId) {
    return this.sessions.get(sessionId)?.items ?? [];
  }

  isPending(sessionId, doc) {
    return this.sessions.get(sessionId)?.pending.has(doc) ?? false;
  }

  latest(sessionId) {
    const items = this.items(sessionId);
    return items.length ? items[items.length - 1] : null;
  }

  async request(sessionId, doc) {
    const { request_id: requestId } = await hub.requestStill(sessionId, doc);
    this.of(sessionId).pending.set(doc, requestId);
    this.onChange(sessionId);
    return requestId;
  }

  /** A still arrived (event stream or list); returns the stored item, or null if already known
   * (a still announced live while the list is loading is fetched once). */
  async arrived(sessionId, still) {
    const entry = this.of(sessionId);
    if (entry.known.has(still.id)) return null;
    entry.known.add(still.id);
    let blob;
    try {
      blob = await hub.stillBlob(still.id);
    } catch (err) {
      entry.known.delete(still.id); // try again with the next list
      throw err;
    }
    if (this.sessions.get(sessionId) !== entry) return null; // session ended meanwhile
    const item = { ...still, url: URL.createObjectURL(blob) };
    entry.items.push(item);
    entry.items.sort((a, b) => a.id - b.id); // oldest first, however they arrived
    entry.pending.delete(still.document);
    this.onChange(sessionId);
    return item;
  }

  /** The stills the hub holds for a session, added like ones that arrive live (not announced). */
  async load(sessionId) {
    const entry = this.of(sessionId);
    const { stills } = await hub.stills(sessionId);
    for (const still of stills) {
      if (this.sessions.get(sessionId) !== entry) return; // session ended meanwhile
      await this.arrived(sessionId, still);
    }
  }

  forget(sessionId) {
    for (const item of this.items(sessionId)) URL.revokeObjectURL(item.url);
    this.sessions.delete(sessionId);
  }
}

/** A thumbnail button that opens `item` in the viewer. */
export function thumbnail(item, onOpen) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "thumb";
  button.dataset.stillId = item.id;
  button.title = t("open_still", { doc: documentName(item.document) });
  button.setAttribute("aria-label", button.title);
  const img = document.createElement("img");
  img.src = item.url;
  img.alt = documentName(item.document);
  const caption = document.createElement("span");
  caption.textContent = documentName(item.document);
  button.append(img, caption);
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    onOpen(item);
  });
  return button;
}

const MIN_SCALE = 0.25;
const MAX_SCALE = 8;

/** Zoom (wheel, buttons, + − 0), pan (drag, arrow keys) and rotate (R) one still. */
export class StillViewer {
  /** @param {HTMLDialogElement} dialog */
  constructor(dialog) {
    this.dialog = dialog;
    this.stage = dialog.querySelector("[data-role=stage]");
    this.image = dialog.querySelector("[data-role=image]");
    this.title = dialog.querySelector("[data-role=title]");
    this.zoomText = dialog.querySelector("[data-role=zoom]");
    this.reset();
    dialog.querySelector("[data-role=zoom-in]").addEventListener("click", () => this.zoomBy(1.25));
    dialog.querySelector("[data-role=zoom-out]").addEventListener("click", () => this.zoomBy(0.8));
    dialog.querySelector("[data-role=zoom-reset]").addEventListener("click", () => this.reset());
    dialog.querySelector("[data-role=rotate]").addEventListener("click", () => this.rotate());
    dialog.querySelector("[data-role=close]").addEventListener("click", () => dialog.close());
    this.stage.addEventListener("wheel", (event) => this.wheel(event), { passive: false });
    this.stage.addEventListener("pointerdown", (event) => this.dragStart(event));
    this.stage.addEventListener("pointermove", (event) => this.dragMove(event));
    this.stage.addEventListener("pointerup", (event) => this.dragEnd(event));
    this.stage.addEventListener("pointercancel", (event) => this.dragEnd(event));
    dialog.addEventListener("keydown", (event) => this.key(event));
  }

  open(item, boothName) {
    this.image.src = item.url;
    this.image.alt = documentName(item.document);
    setLabel(this.title, "doc_" + item.document);
    if (boothName) this.title.prepend(`${boothName} \u00b7 `);
    this.dialog.dataset.stillId = item.id;
    this.reset();
    this.dialog.showModal();
  }

  reset() {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.angle = 0;
    this.apply();
  }

  apply() {
    this.image.style.transform =
      `translate(${this.x}px, ${this.y}px) scale(${this.scale}) rotate(${this.angle}deg)`;
    this.dialog.dataset.scale = this.scale.toFixed(2);
    if (this.zoomText) this.zoomText.textContent = `${Math.round(this.scale * 100)}%`;
  }

  /** Zoom by `factor` keeping the point (cx, cy) of the stage (default: centre) in place. */
  zoomBy(factor, cx = 0, cy = 0) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const applied = scale / this.scale;
    this.x = cx - (cx - this.x) * applied;
    this.y = cy - (cy - this.y) * applied;
    this.scale = scale;
    this.apply();
  }

  rotate() {
    this.angle = (this.angle + 90) % 360;
    this.apply();
  }

  wheel(event) {
    event.preventDefault();
    const rect = this.stage.getBoundingClientRect();
    const cx = event.clientX - rect.left - rect.width / 2;
    const cy = event.clientY - rect.top - rect.height / 2;
    this.zoomBy(event.deltaY < 0 ? 1.15 : 1 / 1.15, cx, cy);
  }

  dragStart(event) {
    this.drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
    this.stage.setPointerCapture(event.pointerId);
    this.stage.classList.add("dragging");
  }

  dragMove(event) {
    if (!this.drag || this.drag.id !== event.pointerId) return;
    this.x += event.clientX - this.drag.x;
    this.y += event.clientY - this.drag.y;
    this.drag.x = event.clientX;
    this.drag.y = event.clientY;
    this.apply();
  }

  dragEnd(event) {
    if (this.drag?.id !== event.pointerId) return;
    this.drag = null;
    this.stage.classList.remove("dragging");
  }

  key(event) {
    const step = 40;
    const actions = {
      "+": () => this.zoomBy(1.25),
      "=": () => this.zoomBy(1.25),
      "-": () => this.zoomBy(0.8),
      0: () => this.reset(),
      r: () => this.rotate(),
      R: () => this.rotate(),
      ArrowLeft: () => { this.x += step; this.apply(); },
      ArrowRight: () => { this.x -= step; this.apply(); },
      ArrowUp: () => { this.y += step; this.apply(); },
      ArrowDown: () => { this.y -= step; this.apply(); },
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
}
