// The hub's API as the console uses it (docs/call-api.md). Authentication is the login cookie
// `bilik_session` (HttpOnly, the page never sees it); every state-changing request carries
// `X-CSRF-Token` equal to the readable `bilik_csrf` cookie, which is what the hub checks.

const BASE = "/api/v1";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A refusal in the contract's shape `{"error": {"code", "params"}}`, or a network failure. */
export class ApiError extends Error {
  constructor(status, code, params = {}) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.params = params;
  }
}

export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export function csrfToken() {
  return readCookie("bilik_csrf");
}

/** One JSON request with the cookie and, unless the method is safe, the CSRF header. */
export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE_METHODS.has(method)) {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", { detail: String(err) });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? `http_${response.status}`, error.params ?? {});
  }
  return data;
}

const enc = encodeURIComponent;

/** Every endpoint the console calls, named after what the CS does. */
export const hub = {
  login: (username, password) => request("POST", "/agents/login", { username, password }),
  logout: () => request("POST", "/agents/logout", {}),
  me: () => request("GET", "/agents/me"),
  /** The documents and outcomes of a claim, with their names (no login needed). */
  contract: () => request("GET", "/contract"),
  booths: (branchId) => request("GET", `/branches/${enc(branchId)}/booths`),
  setStatus: (agentId, status, capacity) =>
    request("POST", `/agents/${enc(agentId)}/status`, capacity ? { status, capacity } : { status }),
  focus: (agentId, sessionId) => request("POST", `/agents/${enc(agentId)}/focus`, { session_id: sessionId }),
  accept: (sessionId) => request("POST", `/sessions/${enc(sessionId)}/accept`, {}),
  signal: (sessionId, data) => request("POST", `/sessions/${enc(sessionId)}/signal`, { data }),
  stills: (sessionId) => request("GET", `/sessions/${enc(sessionId)}/stills`),
  requestStill: (sessionId, document) =>
    request("POST", `/sessions/${enc(sessionId)}/still-requests`, { document }),
  putChecklist: (sessionId, items, balanceOver50m) =>
    request("PUT", `/sessions/${enc(sessionId)}/checklist`, { items, balance_over_50m: balanceOver50m }),
  /** `missing` is sent only for `incomplete`, `reason` only for `rejected`. */
  close: (sessionId, outcome, missing, reason) =>
    request("POST", `/sessions/${enc(sessionId)}/close`, {
      outcome,
      ...(outcome === "incomplete" ? { missing } : {}),
      ...(outcome === "rejected" ? { reason } : {}),
    }),

  /** A still as a Blob: fetched once per still (every access is audited on the hub). */
  async stillBlob(stillId) {
    let response;
    try {
      response = await fetch(`${BASE}/stills/${enc(stillId)}`, { credentials: "same-origin" });
    } catch (err) {
      throw new ApiError(0, "network", { detail: String(err) });
    }
    if (!response.ok) throw new ApiError(response.status, `http_${response.status}`);
    return response.blob();
  },
};

/**
 * The agent's event stream `WS /api/v1/agents/{id}/events` (cookie-authenticated), reconnecting
 * with a growing pause. `onMessage(msg)` gets every parsed message, `onState(up)` tells whether
 * the stream is connected, `onRefused()` runs when the hub closes it for authentication.
 */
export class EventStream {
  constructor(agentId, { onMessage, onState, onRefused }) {
    this.agentId = agentId;
    this.onMessage = onMessage;
    this.onState = onState ?? (() => {});
    this.onRefused = onRefused ?? (() => {});
    this.socket = null;
    this.stopped = false;
    this.retryMs = 500;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}${BASE}/agents/${enc(this.agentId)}/events`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retryMs = 500;
      this.onState(true);
    });
    socket.addEventListener("message", (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === "error") return; // followed by a close that says what to do
      this.onMessage(msg);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onState(false);
      if (this.stopped) return;
      if (event.code === 4401 || event.code === 4403) {
        this.onRefused(event.code);
        return;
      }
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8000);
    });
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }
}
