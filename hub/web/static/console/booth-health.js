// The branch's booths and their health for the CS (and branch IT looking over a shoulder):
// online or not, what each booth shows, and any device that fails. Polled: booths report every
// few seconds, so a 10 s refresh is current enough and costs the hub nothing.

import { hub } from "./api.js";
import { t } from "./strings.js";

const REFRESH_MS = 10_000;

export class BoothHealth {
  constructor(list) {
    this.list = list;
    this.timer = null;
  }

  start(branchId) {
    this.stop();
    const refresh = async () => {
      try {
        this.render((await hub.booths(branchId)).booths ?? []);
      } catch {
        // a hub hiccup: keep the last list; the next refresh tries again
      }
    };
    refresh();
    this.timer = setInterval(refresh, REFRESH_MS);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  render(booths) {
    this.list.replaceChildren(
      ...booths.map((booth) => {
        const item = document.createElement("li");
        const failing = Object.entries(booth.devices ?? {})
          .filter(([, status]) => status && status.ok === false)
          .map(([device]) => device);
        item.dataset.boothId = booth.booth_id;
        item.dataset.online = String(Boolean(booth.online));
        item.dataset.healthy = String(booth.online && failing.length === 0);
        const health = failing.length
          ? failing.map((device) => t("device_failed", { device })).join(", ")
          : t("devices_ok");
        item.textContent = `${booth.name} (${booth.booth_id}) · ${
          booth.online ? t("booth_online") : t("booth_offline")
        } · ${booth.state ?? "—"} · ${health}`;
        return item;
      }),
    );
  }
}
