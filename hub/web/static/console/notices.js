// What the console tells the CS without asking: short toasts on screen, and the same words in
// a polite live region for screen readers. Errors stay longer and are announced at once.

export class Notices {
  constructor(toasts = document.querySelector("#toasts"), live = document.querySelector("#announcer")) {
    this.toasts = toasts;
    this.live = live;
  }

  /** News (a new participant, a still arrived, focus moved): toast + screen reader. */
  announce(text) {
    this.live.textContent = "";
    requestAnimationFrame(() => {
      this.live.textContent = text;
    });
    this.toast(text);
  }

  toast(text, isError = false) {
    const node = document.createElement("div");
    node.className = isError ? "toast error" : "toast";
    if (isError) node.setAttribute("role", "alert");
    node.textContent = text;
    this.toasts.append(node);
    setTimeout(() => node.remove(), isError ? 8000 : 4000);
  }

  clear() {
    this.toasts.replaceChildren();
  }
}
