// Keyboard shortcuts of the console. Digits are read from `event.code` so that Shift+1 is still
// "1" on every keyboard layout. Shortcuts are off while the CS types in a text field or while a
// dialog is open (dialogs handle their own keys; Escape closes them).

export const STILL_KEYS = { e: "ektp", k: "kk", b: "savings_book", p: "leaving_proof", n: "npwp" };

const TEXT_INPUTS = new Set(["text", "password", "search", "number", "email", "tel", "url"]);

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.closest("textarea, select, [contenteditable=true]")) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

/**
 * The action a key press asks for, or null:
 * `{action: "focus"|"listen", n}`, `{action: "still", document}`, or
 * `{action: "accept"|"close"|"view"|"help"}`.
 */
export function shortcutFor(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
  if (isTyping(event.target) || document.querySelector("dialog[open]")) return null;
  const digit = /^(?:Digit|Numpad)([1-5])$/.exec(event.code ?? "");
  if (digit) return { action: event.shiftKey ? "listen" : "focus", n: Number(digit[1]) };
  if (event.key === "?") return { action: "help" };
  if (event.shiftKey) return null;
  const key = (event.key ?? "").toLowerCase();
  if (key === "a") return { action: "accept" };
  if (key === "c") return { action: "close" };
  if (key === "v") return { action: "view" };
  if (key in STILL_KEYS) return { action: "still", document: STILL_KEYS[key] };
  return null;
}
