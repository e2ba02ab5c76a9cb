"""Runs the real booth app (same wiring as `kiosk run`) with a remote control on stdin/stdout.

Test-only. The pytest process sends JSON commands (one per line) and reads JSON replies and state
changes from lines that start with `@@ `. Touches are real Kivy touch events at the widget's
position, so they go through the window and the widget tree exactly like a finger would.

    python -m tests.booth_driver --config booth.toml
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import traceback

from kiosk.kivy_env import configure_logging, prepare_kivy  # noqa: E402 (before Kivy)

prepare_kivy()

from kivy.clock import Clock  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from kiosk.app import BoothApp  # noqa: E402
from kiosk.booth_devices import BoothDevices  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.hub_client import HubClient  # noqa: E402

_out_lock = threading.Lock()


def emit(message: dict) -> None:
    with _out_lock:
        sys.stdout.write("@@ " + json.dumps(message) + "\n")
        sys.stdout.flush()


def find_widget(app: BoothApp, name: str):
    """A widget by kv id anywhere on the current screen (ids of nested rules included)."""
    screen = app.manager.current_screen
    for widget in screen.walk():
        ids = getattr(widget, "ids", {})
        if name in ids:
            return ids[name]
    raise LookupError(f"no widget with id {name!r} on screen {screen.name!r}")


def tap(widget) -> None:
    if widget.disabled:
        raise RuntimeError(f"widget {widget!r} is disabled")
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def visible_texts(app: BoothApp) -> list[str]:
    """Texts a person can see: labels with text whose own and every parent's opacity is > 0."""
    screen = app.manager.current_screen
    texts = []
    for widget in screen.walk():
        if isinstance(widget, Label) and widget.text and _shown(widget, screen):
            texts.append(widget.text)
    return texts


def _shown(widget, screen) -> bool:
    while widget is not None and widget is not screen:
        if widget.opacity <= 0:
            return False
        widget = widget.parent
    return True


def execute(app: BoothApp, command: dict) -> dict:
    cmd = command["cmd"]
    if cmd == "tap":
        tap(find_widget(app, command["widget"]))
        return {}
    if cmd == "type":  # tap the on-screen keypad, key by key
        for char in command["text"]:
            tap(find_widget(app, f"key_{char.upper()}"))
        return {}
    if cmd == "state":
        return {"state": app.flow.state.value, "screen": app.manager.current}
    if cmd == "texts":
        return {"texts": visible_texts(app), "screen": app.manager.current}
    if cmd == "screenshot":
        app.root.export_to_png(command["path"])
        return {"path": command["path"]}
    if cmd == "flow":
        return {
            "state": app.flow.state.value,
            "ticket": app.flow.ticket,
            "session": app.flow.session,
            "down": app.flow.down,
            "refusal": list(app.flow.refusal),
        }
    if cmd == "call":
        remote = app.call.remote_frame()
        return {"remote_frames": remote[1] if remote else 0, "up": app.call.call is not None}
    if cmd == "quit":
        app.stop()
        return {}
    raise ValueError(f"unknown command {cmd!r}")


def serve_commands(app: BoothApp) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)

        def run(_dt, command=command) -> None:
            try:
                reply = execute(app, command)
                emit({"reply": command.get("id"), "ok": True, **reply})
            except Exception as err:  # report to the test instead of killing the booth
                emit({"reply": command.get("id"), "ok": False, "error": repr(err),
                      "trace": traceback.format_exc()})  # fmt: skip

        Clock.schedule_once(run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    configure_logging()
    config = load_config(args.config)
    hub = HubClient.from_config(config)
    app = BoothApp(config, hub, BoothDevices(config))
    app.state_listeners.append(lambda old, new: emit({"event": "state", "old": old, "new": new}))

    def ready(_dt) -> None:
        emit({"event": "ready", "state": app.flow.state.value})
        threading.Thread(target=serve_commands, args=(app,), daemon=True).start()

    Clock.schedule_once(ready, 0)
    exit_code = app.run_with_asyncio()
    emit({"event": "stopped"})
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
