// Up to five booth tiles. A session keeps its tile number (and so its key 1–5) for as long as it
// is open, reloads included (SlotMemory); a new session takes the lowest free number. A tile is
// named by its booth (the booth's name on the hub), never by its number. Tile elements live as
// long as their session so that the <video> keeps playing while everything around it is updated.

import { thumbnail } from "./stills.js";
import { setLabel, t } from "./strings.js";

export const MAX_TILES = 5;
const CALL_STATES = new Set(["connecting", "in_call"]);

/** Tile numbers for `sessionIds`: kept from `previous` (Map id -> n), new ones lowest free. */
export function assignSlots(previous, sessionIds) {
  const slots = new Map();
  for (const id of sessionIds) if (previous.has(id)) slots.set(id, previous.get(id));
  const used = new Set(slots.values());
  for (const id of sessionIds) {
    if (slots.has(id)) continue;
    let n = 1;
    while (used.has(n)) n += 1;
    if (n > MAX_TILES) continue;
    slots.set(id, n);
    used.add(n);
  }
  return slots;
}

/** The tile numbers of one CS's open sessions, kept in the browser (localStorage) so that a
 * reload or a new tab puts every session back on its key. Storage refused: numbers as before. */
export class SlotMemory {
  constructor(agentId, storage = globalThis.localStorage) {
    this.key = `bilik.console.slots.${agentId}`;
    this.storage = storage;
  }

  /** Map session id -> tile number, as last saved. */
  load() {
    try {
      const saved = JSON.parse(this.storage?.getItem(this.key) ?? "{}");
      return new Map(Object.entries(saved).map(([id, n]) => [Number(id), Number(n)]));
    } catch {
      return new Map();
    }
  }

  save(slots) {
    try {
      this.storage?.setItem(this.key, JSON.stringify(Object.fromEntries(slots)));
    } catch {
      // full or refused: the numbers hold until the next reload
    }
  }
}

/** What the CS calls a session's booth: its name on the hub (its id if it has none). */
export function boothName(session) {
  return session?.booth_name || session?.booth_id || "";
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setData(node, key, value) {
  const text = String(value);
  if (node.dataset[key] !== text) node.dataset[key] = text;
}

class Tile {
  constructor(sessionId, hooks) {
    this.sessionId = sessionId;
    const root = el("article", "tile");
    root.tabIndex = 0;
    root.dataset.sessionId = sessionId;
    root.setAttribute("role", "group");

    const media = el("div", "tile-media");
    this.video = el("video");
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.muted = true;
    this.noVideo = el("div", "no-video", t("no_video"));
    const hold = el("div", "hold-overlay");
    const holdBadge = el("strong");
    setLabel(holdBadge, "badge_on_hold");
    hold.append(holdBadge, el("span", "", t("on_hold_hint")));
    // Badges sit on the picture; "on hold" is the striped overlay itself, not a badge.
    this.badges = el("div", "badges");
    this.badgeTalking = el("span", "badge talking");
    setLabel(this.badgeTalking, "badge_talking");
    this.badgeOffline = el("span", "badge offline");
    setLabel(this.badgeOffline, "badge_offline");
    this.badgePriority = el("span", "badge priority", t("priority"));
    this.badges.append(this.badgeTalking, this.badgeOffline, this.badgePriority);
    media.append(this.video, this.noVideo, hold, this.badges);

    const head = el("header", "tile-head");
    this.key = el("kbd", "slot-key");
    const who = el("div", "who");
    this.name = el("span", "name");
    const ids = el("span", "ids");
    this.nik = el("span", "nik");
    this.code = el("span", "code");
    ids.append(this.nik, this.code);
    who.append(this.name, ids);
    head.append(this.key, who);

    const facts = el("dl", "facts");
    const fact = (labelKey, className) => {
      const dt = el("dt", "", t(labelKey));
      const dd = el("dd", className);
      facts.append(dt, dd);
      return dd;
    };
    this.slot = fact("booth", "slot");
    this.duration = fact("duration", "duration");
    this.quality = fact("quality", "quality");
    this.state = el("span", "state");

    const actions = el("div", "tile-actions");
    this.acceptButton = el("button", "accept primary");
    this.acceptButton.type = "button";
    setLabel(this.acceptButton, "accept");
    this.acceptButton.addEventListener("click", (event) => {
      event.stopPropagation();
      hooks.onAccept(sessionId);
    });
    this.listenButton = el("button", "listen");
    this.listenButton.type = "button";
    this.listenButton.addEventListener("click", (event) => {
      event.stopPropagation();
      hooks.onListen(sessionId);
    });
    actions.append(this.state, this.acceptButton, this.listenButton);

    this.strip = el("div", "still-strip");
    this.stripIds = "";

    root.append(head, media, facts, this.strip, actions);
    root.addEventListener("click", () => hooks.onFocus(sessionId));
    this.root = root;
    this.hooks = hooks;
    this.stream = null;
  }

  setStream(stream) {
    if (this.stream === stream && this.video.srcObject === stream) return;
    this.stream = stream;
    this.video.srcObject = stream;
    if (stream) this.video.play().catch(() => {});
  }

  update(entry, now) {
    const { n, session, focused, listening, stats, stills, micOn } = entry;
    const ticket = session.ticket ?? {};
    const inCall = CALL_STATES.has(session.state);
    const onHold = inCall && Boolean(session.on_hold);
    const boothOnline = session.booth_online !== false;
    const audible = inCall && (focused || listening);

    this.root.classList.toggle("focused", focused);
    this.root.classList.toggle("on-hold", onHold);
    this.root.classList.toggle("booth-offline", !boothOnline);
    if (focused) this.root.setAttribute("aria-current", "true");
    else this.root.removeAttribute("aria-current");
    setData(this.root, "slot", n);
    setData(this.root, "state", session.state);
    setData(this.root, "onHold", onHold);
    setData(this.root, "focused", focused);
    setData(this.root, "boothOnline", boothOnline);
    setData(this.root, "mic", micOn ? "on" : "off");
    setData(this.root, "audio", audible ? "on" : "muted");
    setData(this.root, "framesDecoded", stats?.framesDecoded ?? 0);
    setData(this.root, "quality", stats?.quality ?? "none");
    const booth = boothName(session);
    setData(this.root, "boothName", booth);
    const name = ticket.name_masked ?? session.booking_code ?? "";
    const label = t("tile_label", { n, booth, name });
    if (this.root.getAttribute("aria-label") !== label) this.root.setAttribute("aria-label", label);

    setText(this.key, String(n));
    setText(this.name, ticket.name_masked ?? "");
    setText(this.nik, ticket.nik_masked ?? "");
    setText(this.code, session.booking_code ?? ticket.booking_code ?? "");
    this.badgeTalking.hidden = !(focused && inCall);
    this.badgeOffline.hidden = boothOnline;
    this.badgePriority.hidden = !ticket.priority;

    const slotText = ticket.slot_start
      ? t("slot_time", { start: ticket.slot_start, end: ticket.slot_end })
      : "";
    setText(this.slot, [booth, slotText].filter(Boolean).join(" \u00b7 "));
    const boothId = session.booth_id ?? "";
    if (this.slot.title !== boothId) this.slot.title = boothId;
    const started = Date.parse(session.started_at ?? session.assigned_at ?? "");
    setText(this.duration, Number.isNaN(started) ? "\u2014" : formatDuration((now - started) / 1000));
    const quality = stats?.quality ?? "none";
    setText(this.quality, t(`quality_${quality}`));
    this.quality.className = `quality q-${quality}`;
    this.quality.title = stats
      ? `${stats.width}\u00d7${stats.height} \u00b7 ${stats.fps ?? "\u2014"} fps \u00b7 ` +
        `${stats.lossPct}% loss \u00b7 ${stats.rttMs} ms`
      : "";
    setText(this.state, t(`state_${session.state}`));

    const hasVideo = Boolean(stats && stats.framesDecoded > 0);
    this.noVideo.hidden = hasVideo;
    this.video.muted = !audible;

    this.acceptButton.hidden = session.state !== "assigned";
    this.listenButton.hidden = !inCall || focused;
    this.listenButton.setAttribute("aria-pressed", String(listening));
    const listenKey = listening ? "listening" : "listen";
    if (this.listenButton.dataset.key !== listenKey) {
      this.listenButton.dataset.key = listenKey;
      setLabel(this.listenButton, listenKey);
    }

    const ids = stills.map((item) => item.id).join(",");
    if (ids !== this.stripIds) {
      this.stripIds = ids;
      this.strip.replaceChildren(
        ...stills.map((item) => thumbnail(item, (it) => this.hooks.onOpenStill(this.sessionId, it))),
      );
    }
  }
}

export class TileGrid {
  /**
   * @param {HTMLElement} root
   * @param {{onFocus, onAccept, onListen, onOpenStill}} hooks  each called with a session id
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.tiles = new Map();
    this.empties = new Map();
  }

  tile(sessionId) {
    let tile = this.tiles.get(sessionId);
    if (!tile) {
      tile = new Tile(sessionId, this.hooks);
      this.tiles.set(sessionId, tile);
    }
    return tile;
  }

  setStream(sessionId, stream) {
    this.tile(sessionId).setStream(stream);
  }

  element(sessionId) {
    return this.tiles.get(sessionId)?.root ?? null;
  }

  emptyTile(n, hintKey) {
    let node = this.empties.get(n);
    if (!node) {
      node = el("div", "tile empty");
      node.dataset.slot = n;
      node.append(el("kbd", "slot-key", String(n)), el("p", "empty-title"), el("p", "empty-hint"));
      this.empties.set(n, node);
    }
    setText(node.querySelector(".empty-title"), t("empty_slot", { n }));
    setText(node.querySelector(".empty-hint"), t(hintKey));
    return node;
  }

  /**
   * @param {{capacity: number, online: boolean, now: number,
   *          entries: {n, session, focused, listening, micOn, stats, stills}[]}} view
   */
  render({ capacity, online, now, entries }) {
    const byNumber = new Map(entries.map((entry) => [entry.n, entry]));
    const highest = Math.max(capacity, ...entries.map((entry) => entry.n), 0);
    const children = [];
    for (let n = 1; n <= Math.min(highest, MAX_TILES); n += 1) {
      const entry = byNumber.get(n);
      if (entry) {
        const tile = this.tile(entry.session.id);
        tile.update(entry, now);
        children.push(tile.root);
      } else {
        children.push(this.emptyTile(n, online ? "empty_hint_online" : "empty_hint_offline"));
      }
    }
    const open = new Set(entries.map((entry) => entry.session.id));
    for (const [id, tile] of this.tiles) {
      if (!open.has(id)) {
        tile.setStream(null);
        tile.root.remove();
        this.tiles.delete(id);
      }
    }
    // Reorder only when needed: moving a playing <video> in the DOM pauses it.
    const current = [...this.root.children];
    if (current.length !== children.length || current.some((node, i) => node !== children[i])) {
      this.root.replaceChildren(...children);
      for (const tile of this.tiles.values()) if (tile.stream) tile.video.play().catch(() => {});
    }
    this.root.dataset.count = String(entries.length);
    // Speaker layout: the focused tile takes 2x2 cells at the left, the others two per column
    // at its right, so five booths fit on one screen without scrolling.
    const shown = children.length;
    this.root.style.setProperty("--cols", String(shown <= 1 ? 2 : 2 + Math.ceil((shown - 1) / 2)));
  }
}
