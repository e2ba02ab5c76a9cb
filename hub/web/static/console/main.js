// The console's wiring: login, the CS's status, the event stream, and which booth is focused.
// Modules do the rest: api.js talks to the hub, contract.js holds the hub's documents and
// outcomes, call.js runs the calls, tiles.js draws the booths, panel.js the focused booth's
// documents, stills.js the stills, checklist.js and close-dialog.js the outcome, notices.js the
// toasts.

import { ApiError, EventStream, hub } from "./api.js";
import { BoothHealth } from "./booth-health.js";
import { Call, LocalMedia } from "./call.js";
import { ChecklistPanel } from "./checklist.js";
import { CloseDialog } from "./close-dialog.js";
import { loadContract } from "./contract.js";
import { shortcutFor } from "./keyboard.js";
import { Notices } from "./notices.js";
import { SidePanel } from "./panel.js";
import { Stills, StillViewer } from "./stills.js";
import { applyStrings, documentName, errorText, outcomeName, setLabel, t } from "./strings.js";
import { assignSlots, boothName, SlotMemory, TileGrid } from "./tiles.js";

const OPEN_STATES = new Set(["assigned", "connecting", "in_call"]);
const CALL_STATES = new Set(["connecting", "in_call"]);
const STATS_EVERY_MS = 1000;
const ANSWER_TIMEOUT_MS = 10000; // no answer to an offer by then: offer again
const REOFFER_PAUSE_MS = 2000; // after a failed connection or a "bye" from the booth
const FOCUS_QUIET_MS = 1000; // after a focus change, hub pushes older than it are ignored

const $ = (selector) => document.querySelector(selector);

class ConsoleApp {
  /** @param {import("./contract.js").Contract} contract  the hub's documents and outcomes */
  constructor(contract) {
    this.contract = contract;
    this.agent = null;
    this.loginId = null; // this console's login (GET /me), to tell it from a newer one
    this.sessions = new Map(); // id -> S (open sessions of this CS)
    this.slots = new Map(); // id -> tile number 1..5
    this.slotMemory = null; // the same, kept across reloads (per CS)
    this.focusedId = null;
    this.focusRequests = 0; // focus POSTs in flight: until they finish, the local choice stands
    this.focusQuietUntil = 0; // ... and until then (pushes sent before the POST may still come)
    this.focusChain = Promise.resolve(); // focus POSTs, one after the other
    this.statusChain = Promise.resolve(); // status POSTs, likewise
    this.statusPending = 0;
    this.wantedCapacity = null; // the capacity the CS chose, until the hub confirms it
    this.wantedFocus = null;
    this.listening = new Set(); // on-hold booths the CS chose to hear
    this.calls = new Map(); // id -> Call
    this.stats = new Map(); // id -> last Call.sample()
    this.media = new LocalMedia();
    this.events = null;
    this.tabs = null; // BroadcastChannel to the console's other tabs in this browser
    this.streamWasDown = false;
    this.timers = [];

    this.grid = new TileGrid($("#tiles"), {
      onFocus: (id) => this.focus(id),
      onAccept: (id) => this.accept(id),
      onListen: (id) => this.toggleListen(id),
      onOpenStill: (id, item) => this.viewer.open(item, this.boothOf(id)),
    });
    this.stills = new Stills({ onChange: () => this.render() });
    this.checklist = new ChecklistPanel($("#checklist"), contract, {
      save: (id, checklist) => hub.putChecklist(id, checklist.items, checklist.balance_over_50m),
      onError: (err) => this.failed(err),
    });
    this.closeDialog = new CloseDialog($("#close-dialog"), contract, {
      submit: (id, outcome, missing, reason) => this.closeSession(id, outcome, missing, reason),
    });
    this.viewer = new StillViewer($("#viewer"));
    this.panel = new SidePanel(contract, {
      onRequestStill: (doc) => this.requestStill(doc),
      onOpenStill: (item) => this.viewer.open(item, this.boothOf(this.focusedId)),
    });
    this.notices = new Notices();
  }

  // ---- start, login, logout -------------------------------------------------------------

  async boot() {
    $("#login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.login();
    });
    for (const button of document.querySelectorAll("button.status")) {
      button.addEventListener("click", () => this.setStatus(button.dataset.status));
    }
    $("#capacity").addEventListener("change", (event) =>
      this.setStatus(this.agent?.status ?? "online", Number(event.target.value)),
    );
    $("#logout").addEventListener("click", () => this.logout());
    $("#help-button").addEventListener("click", () => $("#help-dialog").showModal());
    $("#close-session").addEventListener("click", () => this.openClose());
    document.addEventListener("keydown", (event) => this.onKey(event));
    try {
      this.enter(await hub.me());
    } catch (err) {
      this.showLogin(err instanceof ApiError && err.status === 401 ? "" : errorText(err));
    }
  }

  /** The login form, with `message` (text) or the bilingual notice `noticeKey` above it. */
  showLogin(message = "", noticeKey = null) {
    $("#console-view").hidden = true;
    $("#login-view").hidden = false;
    const error = $("#login-error");
    if (noticeKey) setLabel(error, noticeKey);
    else error.textContent = message;
    error.dataset.reason = noticeKey ?? "";
    error.hidden = !message && !noticeKey;
    document.body.dataset.view = "login";
    $("#login-username").focus();
  }

  async login() {
    const form = $("#login-form");
    const submit = $("#login-submit");
    const error = $("#login-error");
    const data = new FormData(form);
    submit.disabled = true;
    setLabel(submit, "signing_in");
    error.hidden = true;
    try {
      await hub.login(String(data.get("username")), String(data.get("password")));
      const me = await hub.me();
      form.reset();
      this.enter(me);
    } catch (err) {
      error.textContent = err.status === 401 ? t("login_failed") : errorText(err);
      error.hidden = false;
      $("#login-password").select();
    } finally {
      submit.disabled = false;
      setLabel(submit, "sign_in");
    }
  }

  enter(me) {
    this.agent = me.agent;
    this.loginId = me.login_id ?? null;
    this.slotMemory = new SlotMemory(this.agent.id);
    this.slots = this.slotMemory.load();
    $("#login-view").hidden = true;
    $("#console-view").hidden = false;
    document.body.dataset.view = "console";
    $("#agent-name").textContent = this.agent.name ?? "";
    this.applySessions(me.sessions ?? []);
    this.boothHealth ??= new BoothHealth($("#booth-health"));
    this.boothHealth.start(this.agent.branch_id);
    this.events?.stop();
    this.streamWasDown = false;
    this.events = new EventStream(this.agent.id, {
      onMessage: (msg) => this.onMessage(msg),
      onState: (up) => this.streamState(up),
      onRefused: () => this.leave(t("err_unauthorized")),
    });
    this.events.start();
    this.claimTab();
    this.media.start().then((stream) => {
      const self = $("#self-view");
      self.srcObject = stream;
      self.hidden = !stream;
      if (!stream) this.toast(t("camera_off"), true);
    });
    this.timers.push(setInterval(() => this.sampleCalls(), STATS_EVERY_MS));
    this.timers.push(setInterval(() => this.render(), 1000));
    this.render();
  }

  /** Back to the login form; everything of the signed-out CS is dropped from the page: calls
   * closed, timers stopped, no stream, so nothing is offered or sent for them any more. */
  leave(message = "", noticeKey = null) {
    this.tabs?.close();
    this.tabs = null;
    this.boothHealth?.stop();
    this.events?.stop();
    this.events = null;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const id of [...this.sessions.keys()]) this.endSession(id);
    this.sessions.clear();
    this.slots.clear();
    this.media.stop();
    $("#self-view").srcObject = null;
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
    this.agent = null;
    this.loginId = null;
    this.render();
    this.showLogin(message, noticeKey);
  }

  /** The same CS signed in elsewhere and the hub ended this login: stop serving and say so. The
   * stream is stopped here, before the hub's close, so it is not opened again. */
  signedInElsewhere(msg) {
    if (msg.login && msg.login === this.loginId) return; // this console is the new login
    this.leave("", "signed_in_elsewhere");
  }

  /** Tabs of one browser share its login cookie, so the hub cannot tell them apart: the newest
   * console tab serves, the older ones stop as if signed in elsewhere. */
  claimTab() {
    this.tabs?.close();
    this.tabs = new BroadcastChannel("bilik-console");
    this.tabs.onmessage = (event) => {
      if (event.data === "entered") this.leave("", "open_in_other_tab");
    };
    this.tabs.postMessage("entered");
  }

  async logout() {
    try {
      await hub.logout();
    } catch {
      // signed out locally either way
    }
    this.leave();
  }

  /** A refused request: sign out on lost authentication, otherwise say what failed. */
  failed(err) {
    if (err instanceof ApiError && (err.status === 401 || err.code === "csrf")) {
      this.leave(errorText(err));
      return;
    }
    this.toast(errorText(err), true);
  }

  // ---- status --------------------------------------------------------------------------

  /** Status and capacity changes go out one after the other, so the last choice is the one
   * the hub keeps (two requests in flight could land in either order). */
  setStatus(status, capacity) {
    if (!this.agent) return Promise.resolve();
    if (capacity) this.wantedCapacity = capacity;
    const send = async () => {
      if (!this.agent) return;
      try {
        const wanted = this.wantedCapacity ?? this.agent.capacity;
        const { agent } = await hub.setStatus(this.agent.id, status, wanted);
        this.agent = agent;
      } catch (err) {
        this.failed(err);
      }
    };
    this.statusChain = this.statusChain.then(send);
    this.statusPending += 1;
    return this.statusChain.finally(() => {
      this.statusPending -= 1;
      if (this.statusPending === 0) this.wantedCapacity = null;
      this.render();
    });
  }

  streamState(up) {
    // Back after a drop: stills that arrived meanwhile were announced to nobody.
    if (up && this.streamWasDown) for (const id of this.sessions.keys()) this.loadStills(id);
    this.streamWasDown = !up;
    const node = $("#stream-state");
    node.textContent = up ? t("stream_live") : t("stream_down");
    node.dataset.up = String(up);
  }

  // ---- hub events ----------------------------------------------------------------------

  onMessage(msg) {
    if (msg.type === "signed_in_elsewhere") this.signedInElsewhere(msg);
    else if (msg.type === "sessions") this.applySessions(msg.sessions ?? []);
    else if (msg.type === "signal") this.onSignal(msg.session_id, msg.data ?? {});
    else if (msg.type === "still") this.onStill(msg.session_id, msg.still);
    else if (msg.type === "agent" && msg.agent) {
      const was = this.agent?.status;
      this.agent = msg.agent;
      // The hub sets a CS offline after their connection dropped for longer than its grace
      // period (their booths went to other CS): say so, or the CS waits for nobody.
      if (was && was !== "offline" && msg.agent.status === "offline" && this.statusPending === 0) {
        this.toast(t("set_offline_by_hub"), true);
      }
      this.render();
    }
  }

  applySessions(list) {
    const before = this.sessions;
    const open = list.filter((s) => OPEN_STATES.has(s.state));
    this.sessions = new Map(open.map((s) => [s.id, s]));
    this.slots = assignSlots(this.slots, open.map((s) => s.id));
    this.slotMemory?.save(this.slots);
    for (const id of before.keys()) if (!this.sessions.has(id)) this.endSession(id);
    for (const session of open) {
      const previous = before.get(session.id);
      if (!previous && this.agent) {
        this.announce(t("new_session", {
          booth: boothName(session),
          n: this.slots.get(session.id),
          name: session.ticket?.name_masked ?? session.booking_code,
        }));
      }
      if (!previous) this.loadStills(session.id);
      if (session.checklist) this.checklist.fromHub(session.id, session.checklist);
      this.ensureCall(session, previous);
    }
    this.adoptHubFocus();
    this.render();
  }

  /** The hub is the truth about focus, except while the CS's own choice is on its way (a
   * focus POST in flight, and a moment after, for pushes sent before it landed). */
  adoptHubFocus() {
    if (this.focusRequests > 0 || Date.now() < this.focusQuietUntil) return;
    if (this.focusedId !== null && !this.sessions.has(this.focusedId)) this.focusedId = null;
    const live = [...this.sessions.values()].filter((s) => CALL_STATES.has(s.state));
    const talking = live.filter((s) => !s.on_hold);
    let pick = this.focusedId;
    if (talking.length === 1 && live.length > 0) {
      const local = this.sessions.get(this.focusedId);
      if (!local || CALL_STATES.has(local.state)) pick = talking[0].id;
    } else if (this.focusedId === null && this.sessions.size === 1) {
      pick = [...this.sessions.keys()][0]; // a CS with one session focuses it implicitly
    }
    if (pick !== this.focusedId) this.setLocalFocus(pick, false);
  }

  onSignal(sessionId, data) {
    const call = this.calls.get(sessionId);
    if (!call) return;
    if (data.kind === "answer" && typeof data.sdp === "string") {
      call.answer(data.sdp).catch((err) => this.toast(`WebRTC: ${err.message}`, true));
    } else if (data.kind === "bye") {
      call.teardown();
      this.grid.setStream(sessionId, null);
      this.scheduleOffer(sessionId, REOFFER_PAUSE_MS);
    }
  }

  async onStill(sessionId, still) {
    if (!this.sessions.has(sessionId) || !still) return;
    try {
      const item = await this.stills.arrived(sessionId, still);
      if (item) {
        this.announce(t("still_arrived", {
          doc: documentName(item.document),
          booth: this.boothOf(sessionId),
        }));
      }
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stills already on the hub (after a reload, or for a session handed over from another CS). */
  async loadStills(sessionId) {
    try {
      await this.stills.load(sessionId);
    } catch (err) {
      if (this.sessions.has(sessionId)) this.failed(err);
    }
  }

  // ---- calls ---------------------------------------------------------------------------

  ensureCall(session, previous) {
    if (!CALL_STATES.has(session.state)) return;
    const boothOnline = session.booth_online !== false;
    let call = this.calls.get(session.id);
    if (!call) {
      call = new Call(session.id, this.media, {
        sendSignal: (data) => hub.signal(session.id, data),
        onRemoteStream: (stream) => this.grid.setStream(session.id, stream),
        onChange: () => this.callChanged(session.id),
      });
      call.setFocused(session.id === this.focusedId);
      this.calls.set(session.id, call);
      if (boothOnline) this.offer(session.id);
      return;
    }
    const boothBack = previous?.booth_online === false && boothOnline;
    // The booth reported its media failed (in_call -> connecting): the console offers again.
    const callFailed = previous?.state === "in_call" && session.state === "connecting";
    if (boothOnline && (boothBack || callFailed)) this.offer(session.id);
  }

  offer(sessionId) {
    const call = this.calls.get(sessionId);
    if (!call) return;
    call.offer().catch((err) => {
      if (err instanceof ApiError) this.failed(err);
      else this.toast(`WebRTC: ${err.message}`, true);
    });
  }

  scheduleOffer(sessionId, delayMs) {
    setTimeout(() => {
      const session = this.sessions.get(sessionId);
      if (session && CALL_STATES.has(session.state) && session.booth_online !== false) {
        this.offer(sessionId);
      }
    }, delayMs);
  }

  callChanged(sessionId) {
    const call = this.calls.get(sessionId);
    if (call?.connectionState === "failed" && Date.now() - call.offeredAt > REOFFER_PAUSE_MS) {
      call.offeredAt = Date.now();
      this.scheduleOffer(sessionId, REOFFER_PAUSE_MS);
    }
    this.render();
  }

  async sampleCalls() {
    for (const [id, call] of this.calls) {
      try {
        const sample = await call.sample();
        if (sample) this.stats.set(id, sample);
        else this.stats.delete(id);
      } catch {
        this.stats.delete(id);
      }
      const session = this.sessions.get(id);
      const waiting = call.pc?.signalingState === "have-local-offer";
      if (waiting && session?.booth_online !== false && Date.now() - call.offeredAt > ANSWER_TIMEOUT_MS) {
        this.offer(id); // the booth missed the offer (or was restarting): offer again
      }
    }
    this.adoptHubFocus(); // pushes ignored during a focus change are reconciled here
    this.render();
  }

  endSession(id) {
    this.calls.get(id)?.close();
    this.calls.delete(id);
    this.stats.delete(id);
    this.stills.forget(id);
    this.checklist.forget(id);
    this.listening.delete(id);
    if (this.focusedId === id) this.focusedId = null;
    if (this.closeDialog.sessionId === id && this.closeDialog.dialog.open) this.closeDialog.dialog.close();
  }

  // ---- what the CS does ----------------------------------------------------------------

  setLocalFocus(id, moveKeyboardFocus) {
    this.focusedId = id;
    for (const [sid, call] of this.calls) call.setFocused(sid === id);
    if (id !== null) this.listening.delete(id);
    this.render();
    if (moveKeyboardFocus && id !== null) this.grid.element(id)?.focus();
  }

  async focus(id) {
    if (!this.sessions.has(id)) return;
    const changed = id !== this.focusedId;
    this.setLocalFocus(id, true);
    if (!changed && !this.sessions.get(id).on_hold) return;
    this.announce(t("focused", { booth: this.boothOf(id) }));
    // A session not yet accepted cannot be focused on the hub: selecting it puts every call on
    // hold (the CS's microphone now reaches nobody, and the booths say so); accepting it then
    // focuses it.
    await this.postFocus(CALL_STATES.has(this.sessions.get(id).state) ? id : null);
  }

  /** Tell the hub which call the CS talks to (null: none); booths then show on hold / in call. */
  async postFocus(id) {
    // One focus POST at a time, in the order the CS chose; a choice already replaced by a
    // newer one is not sent at all (two POSTs in flight could land in either order).
    this.wantedFocus = id;
    this.focusRequests += 1;
    const send = async () => {
      if (this.wantedFocus !== id || !this.agent) return;
      try {
        await hub.focus(this.agent.id, id);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === "invalid_state")) this.failed(err);
      }
    };
    this.focusChain = this.focusChain.then(send);
    try {
      await this.focusChain;
    } finally {
      this.focusRequests -= 1;
      this.focusQuietUntil = Date.now() + FOCUS_QUIET_MS;
    }
  }

  focusSlot(n) {
    for (const [id, slot] of this.slots) if (slot === n) return this.focus(id);
    return undefined;
  }

  toggleListen(id) {
    if (!this.sessions.has(id) || id === this.focusedId) return;
    if (this.listening.has(id)) this.listening.delete(id);
    else this.listening.add(id);
    this.render();
  }

  /** Accept a session. If the CS has it selected (or nothing), they want to talk to it now:
   * it is focused too, even when another booth was focused before. */
  async accept(id) {
    const session = this.sessions.get(id);
    if (!session || session.state !== "assigned") return;
    const talkNow = this.focusedId === null || this.focusedId === id;
    this.focusRequests += 1; // hold hub pushes until the focus below is settled
    try {
      const answer = await hub.accept(id);
      if (answer?.session && this.sessions.has(id)) {
        const merged = { ...this.sessions.get(id), ...answer.session };
        this.applySessions([...this.sessions.values()].map((s) => (s.id === id ? merged : s)));
      }
      const stillWanted = this.focusedId === null || this.focusedId === id; // not moved on
      if (talkNow && stillWanted && this.sessions.has(id)) {
        this.setLocalFocus(id, false);
        await this.postFocus(id);
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.focusRequests -= 1;
      this.focusQuietUntil = Date.now() + FOCUS_QUIET_MS;
    }
  }

  async requestStill(doc) {
    const id = this.focusedId;
    const session = this.sessions.get(id);
    if (!session || !CALL_STATES.has(session.state)) return;
    try {
      await this.stills.request(id, doc);
    } catch (err) {
      this.failed(err);
    }
  }

  openClose() {
    const id = this.focusedId;
    if (id === null || !this.sessions.has(id)) return;
    this.closeDialog.open(id, this.boothOf(id), this.checklist.get(id));
  }

  /** Flush the checklist, then close: the hub checks the outcome against what it has stored. */
  async closeSession(id, outcome, missing, reason) {
    await this.checklist.flush(id).catch(() => {});
    await hub.close(id, outcome, missing, reason);
    this.toast(t("closed_ok", { booth: this.boothOf(id), outcome: outcomeName(outcome) }));
    this.sessions.delete(id);
    this.endSession(id);
    this.slots.delete(id);
    this.slotMemory?.save(this.slots);
    this.render();
  }

  boothOf(id) {
    return boothName(this.sessions.get(id));
  }

  onKey(event) {
    const shortcut = shortcutFor(event);
    if (!shortcut || !this.agent) return;
    event.preventDefault();
    const focused = this.focusedId;
    switch (shortcut.action) {
      case "focus":
        this.focusSlot(shortcut.n);
        break;
      case "listen":
        for (const [id, slot] of this.slots) if (slot === shortcut.n) this.toggleListen(id);
        break;
      case "accept":
        if (focused !== null) this.accept(focused);
        break;
      case "still":
        if (this.contract.documents.includes(shortcut.document)) {
          this.requestStill(shortcut.document);
        }
        break;
      case "view": {
        const item = focused === null ? null : this.stills.latest(focused);
        if (item) this.viewer.open(item, this.boothOf(focused));
        break;
      }
      case "close":
        this.openClose();
        break;
      case "help":
        $("#help-dialog").showModal();
        break;
      default:
        break;
    }
  }

  // ---- drawing -------------------------------------------------------------------------

  render() {
    const now = Date.now();
    const agent = this.agent;
    for (const button of document.querySelectorAll("button.status")) {
      button.setAttribute("aria-pressed", String(agent?.status === button.dataset.status));
    }
    if (agent) $("#capacity").value = String(this.wantedCapacity ?? agent.capacity ?? 1);

    const entries = [];
    for (const [id, session] of this.sessions) {
      const n = this.slots.get(id);
      if (!n) continue;
      entries.push({
        n,
        session,
        focused: id === this.focusedId,
        listening: this.listening.has(id),
        micOn: Boolean(this.calls.get(id)?.micEnabled),
        stats: this.stats.get(id) ?? null,
        stills: this.stills.items(id),
      });
    }
    this.grid.render({
      capacity: agent && agent.status !== "offline" ? agent.capacity ?? 1 : Math.max(1, entries.length),
      online: agent?.status === "online",
      now,
      entries,
    });
    this.renderPanel();
  }

  renderPanel() {
    const id = this.focusedId;
    const session = id === null ? null : this.sessions.get(id) ?? null;
    const shown = session ? id : null;
    if (this.checklist.sessionId !== shown) this.checklist.show(shown);
    this.panel.render({
      session,
      inCall: Boolean(session && CALL_STATES.has(session.state)),
      stills: session ? this.stills.items(id) : [],
      isPending: (doc) => this.stills.isPending(id, doc),
    });
  }

  announce(text) {
    this.notices.announce(text);
  }

  toast(text, isError = false) {
    this.notices.toast(text, isError);
  }
}

/** The page's texts, then the hub's contract (its documents and outcomes), then the console;
 * until the hub answers, a toast says why the page stays empty. */
async function start() {
  applyStrings();
  const notices = new Notices();
  const contract = await loadContract((err) => notices.toast(errorText(err), true));
  const app = new ConsoleApp(contract);
  window.bilikConsole = app; // for diagnostics and tests: state is inspectable, not a public API
  app.boot();
}

start();
