// Every text the console shows, in one place so that a translation is a new catalog, not a hunt.
// Each entry is [Bahasa Indonesia, English]: CS staff read Indonesian first; the English label is
// shown small and secondary where it helps (buttons, headings), and is the fallback otherwise.
// Placeholders: {name} is replaced by params.name.

const CATALOG = {
  app_title: ["Konsol CS", "CS console"],
  login_title: ["Masuk ke konsol CS", "Sign in to the CS console"],
  username: ["Nama pengguna", "Username"],
  password: ["Kata sandi", "Password"],
  sign_in: ["Masuk", "Sign in"],
  signing_in: ["Memproses…", "Signing in…"],
  login_failed: ["Nama pengguna atau kata sandi salah.", "Wrong username or password."],
  logout: ["Keluar", "Sign out"],
  status: ["Status", "Status"],
  status_online: ["Siap", "Online"],
  status_paused: ["Jeda", "Paused"],
  status_offline: ["Tidak aktif", "Offline"],
  capacity: ["Kapasitas", "Capacity"],
  stream_live: ["Terhubung ke hub", "Connected to hub"],
  stream_down: ["Koneksi ke hub terputus, mencoba lagi…", "Hub connection lost, retrying…"],
  set_offline_by_hub: [
    "Koneksi Anda sempat terputus: status diubah ke \u201cTidak aktif\u201d dan peserta dialihkan. Pilih \u201cSiap\u201d untuk melayani lagi.",
    "Your connection dropped: you were set offline and your participants moved on. Choose \u201cOnline\u201d to serve again.",
  ],
  camera_off: ["Kamera/mikrofon tidak tersedia", "Camera/microphone unavailable"],
  self_view: ["Kamera Anda", "Your camera"],
  help: ["Pintasan", "Shortcuts"],
  close: ["Tutup", "Close"],

  booths: ["Bilik", "Booths"],
  branch_booths: ["Bilik di cabang", "Booths in this branch"],
  booth_online: ["aktif", "online"],
  booth_offline: ["tidak terhubung", "offline"],
  devices_ok: ["perangkat baik", "devices ok"],
  device_failed: ["{device} bermasalah", "{device} failing"],
  empty_slot: ["Slot {n} kosong", "Slot {n} empty"],
  empty_hint_online: ["Menunggu peserta berikutnya", "Waiting for the next participant"],
  empty_hint_offline: ["Pilih \u201cSiap\u201d untuk menerima peserta", "Choose \u201cOnline\u201d to take participants"],
  tile_label: ["{booth} (tombol {n}): {name}", "{booth} (key {n}): {name}"],
  slot_time: ["Jadwal {start}\u2013{end}", "Slot {start}\u2013{end}"],
  duration: ["Durasi", "Time in session"],
  booth: ["Bilik", "Booth"],
  priority: ["Prioritas", "Priority"],
  state_assigned: ["Menunggu diterima", "Waiting to be accepted"],
  state_connecting: ["Menyambungkan…", "Connecting…"],
  state_in_call: ["Dalam panggilan", "In call"],
  state_closed: ["Selesai", "Closed"],
  badge_on_hold: ["DITAHAN", "ON HOLD"],
  badge_talking: ["BERBICARA", "TALKING"],
  badge_offline: ["BILIK OFFLINE", "BOOTH OFFLINE"],
  on_hold_hint: [
    "Peserta melihat \u201cCS sedang melayani peserta lain\u201d",
    "Participant sees \u201cCS is serving another participant\u201d",
  ],
  accept: ["Terima", "Accept"],
  listen: ["Dengarkan", "Listen"],
  listening: ["Mendengarkan", "Listening"],
  focus: ["Fokus", "Focus"],
  quality: ["Kualitas", "Quality"],
  quality_good: ["Baik", "Good"],
  quality_fair: ["Cukup", "Fair"],
  quality_poor: ["Buruk", "Poor"],
  quality_none: ["\u2014", "\u2014"],
  no_video: ["Belum ada video", "No video yet"],

  panel_empty: ["Pilih bilik (tombol 1\u20135) untuk melihat dokumen dan checklist.",
    "Select a booth (keys 1\u20135) for documents and checklist."],
  documents: ["Dokumen", "Documents"],
  request_still: ["Minta foto", "Request still"],
  still_pending: ["Menunggu foto…", "Waiting for still…"],
  still_arrived: ["Foto {doc} diterima dari {booth}", "Still of {doc} arrived from {booth}"],
  no_stills: ["Belum ada foto dokumen.", "No document stills yet."],
  open_still: ["Buka foto {doc}", "Open still {doc}"],
  zoom_in: ["Perbesar", "Zoom in"],
  zoom_out: ["Perkecil", "Zoom out"],
  zoom_reset: ["Ukuran awal", "Reset"],
  rotate: ["Putar", "Rotate"],

  checklist: ["Checklist JHT", "JHT checklist"],
  balance_over_50m: ["Saldo di atas Rp{millions} juta", "Balance over Rp{millions} million"],
  checklist_saved: ["Tersimpan", "Saved"],
  checklist_saving: ["Menyimpan…", "Saving…"],
  checklist_failed: ["Gagal menyimpan checklist", "Checklist not saved"],

  // Documents (doc_<id>) and outcomes (outcome_<id>) are named by the hub: see contract.js.

  close_session: ["Selesaikan sesi", "Close session"],
  close_title: ["Selesaikan sesi {booth}", "Close session of {booth}"],
  outcome: ["Hasil", "Outcome"],
  missing_docs: ["Dokumen yang kurang", "Missing documents"],
  reason: ["Alasan penolakan", "Reason for rejection"],
  cancel: ["Batal", "Cancel"],
  confirm_close: ["Selesaikan", "Close session"],
  err_outcome_required: ["Pilih hasil.", "Choose an outcome."],
  err_missing_required: ["Pilih minimal satu dokumen yang kurang.", "Tick at least one missing document."],
  err_reason_required: ["Tulis alasan penolakan.", "Write the reason for rejection."],
  closed_ok: ["Sesi {booth} selesai: {outcome}", "Session of {booth} closed: {outcome}"],
  new_session: [
    "Peserta baru di {booth} (tombol {n}): {name}",
    "New participant at {booth} (key {n}): {name}",
  ],
  focused: ["Fokus ke {booth}", "Focused {booth}"],
  signed_in_elsewhere: [
    "Akun Anda masuk di perangkat lain. Konsol ini berhenti melayani peserta; " +
      "masuk lagi di sini untuk mengambil alih.",
    "Your account signed in on another device. This console stopped serving participants; " +
      "sign in here again to take over.",
  ],
  open_in_other_tab: [
    "Konsol dibuka di tab lain; tab ini berhenti melayani peserta. Muat ulang untuk melayani di sini.",
    "The console was opened in another tab; this tab stopped serving participants. " +
      "Reload to serve here.",
  ],

  err_generic: ["Gagal: {code}", "Failed: {code}"],
  err_forbidden: ["Tidak diizinkan.", "Not allowed."],
  err_csrf: ["Sesi keamanan habis, silakan masuk lagi.", "Security token expired, please sign in again."],
  err_unauthorized: ["Sesi login habis, silakan masuk lagi.", "Signed out, please sign in again."],
  err_invalid_state: ["Sesi sudah berubah ({state}).", "The session changed ({state})."],
  err_checklist_incomplete: [
    "Hub menolak \u201cTerverifikasi\u201d: dokumen wajib belum dicentang: {docs}.",
    "The hub refused \u201cVerified\u201d: required documents not ticked: {docs}.",
  ],
  err_network: ["Hub tidak dapat dihubungi.", "Hub unreachable."],

  shortcuts_title: ["Pintasan keyboard", "Keyboard shortcuts"],
  key_focus: ["Fokus ke bilik 1\u20135 (mikrofon Anda hanya ke bilik ini)",
    "Focus booth 1\u20135 (your microphone reaches only this booth)"],
  key_listen: ["Dengarkan/bisukan bilik 1\u20135 yang ditahan", "Listen to / mute on-hold booth 1\u20135"],
  key_accept: ["Terima sesi terfokus", "Accept the focused session"],
  key_still: ["Minta foto dokumen (huruf di tombol \u201cMinta foto\u201d)",
    "Request a document still (the letter on \u201cRequest still\u201d)"],
  key_view: ["Buka foto terakhir", "Open the latest still"],
  key_close: ["Selesaikan sesi terfokus", "Close the focused session"],
  key_help: ["Tampilkan pintasan", "Show shortcuts"],
  key_zoom: ["Di penampil foto: perbesar/perkecil, geser, ukuran awal",
    "In the still viewer: zoom in/out, pan, reset"],
};

const LANGUAGE = 0; // index into each entry: 0 = Bahasa Indonesia
const SECONDARY = 1; // English

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

/** The text for `key` in the console's language. */
export function t(key, params = {}) {
  const entry = CATALOG[key];
  if (!entry) return key;
  return fill(entry[LANGUAGE] ?? entry[SECONDARY], params);
}

/** The secondary (English) label for `key`, or "" when it would repeat the primary text. */
export function tSecondary(key, params = {}) {
  const entry = CATALOG[key];
  if (!entry || entry[SECONDARY] === entry[LANGUAGE]) return "";
  return fill(entry[SECONDARY], params);
}

/** Fill `el` with the primary text and, small and secondary, the English label. */
export function setLabel(el, key, params = {}) {
  el.textContent = t(key, params);
  const secondary = tSecondary(key, params);
  if (secondary) {
    const small = document.createElement("small");
    small.lang = "en";
    small.className = "en";
    small.textContent = secondary;
    el.append(" ", small);
  }
}

/** Apply `data-i18n` (text + English label), `data-i18n-text` (text only),
 * `data-i18n-title` and `data-i18n-aria` attributes under `root`. */
export function applyStrings(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) setLabel(el, el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-text]")) el.textContent = t(el.dataset.i18nText);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
}

/** Add entries `{key: [Indonesian, English]}` (the names the hub gives documents and outcomes). */
export function addStrings(entries) {
  Object.assign(CATALOG, entries);
}

/** The name of a document, `doc_<id>` as the hub's contract gives it (the id if unknown). */
export function documentName(doc) {
  return `doc_${doc}` in CATALOG ? t(`doc_${doc}`) : doc;
}

export function outcomeName(outcome) {
  return `outcome_${outcome}` in CATALOG ? t(`outcome_${outcome}`) : outcome;
}

/** Human text for an API refusal (api.js ApiError); `{docs}` names the documents of `missing`. */
export function errorText(err) {
  const code = err?.code ?? "network";
  const key = `err_${code}`;
  const params = { ...(err?.params ?? {}) };
  if (Array.isArray(params.missing)) params.docs = params.missing.map(documentName).join(", ");
  if (key in CATALOG) return t(key, params);
  return t("err_generic", { code });
}
