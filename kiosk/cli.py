"""`kiosk` command: run the booth, check a config file.

Kivy reads sys.argv and sets up its window at import time, so nothing Kivy is imported before the
command line has been parsed and KIVY_NO_ARGS is set.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kiosk.config import ConfigError, load_config

DEFAULT_CONFIG = "/etc/bilik/kiosk.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description="Bilik booth app")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the booth app")
    run.add_argument("--config", default=DEFAULT_CONFIG, help="kiosk.toml (default %(default)s)")
    run.add_argument(
        "--print-states", action="store_true", help="print each state change on stdout"
    )
    run.add_argument("--screenshots", metavar="DIR", help="save a screenshot of each screen")
    check = commands.add_parser("check-config", help="validate a kiosk.toml and exit")
    check.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
    args = parser.parse_args(argv)

    config_path = args.config if args.command == "run" else args.path
    try:
        config = load_config(config_path)
    except ConfigError as err:
        print(f"kiosk: invalid configuration: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"kiosk: cannot read {config_path}: {err.strerror}", file=sys.stderr)
        return 2
    if args.command == "check-config":
        print(f"{config_path}: OK (booth {config.booth.id}, hub {config.hub.url})")
        return 0
    return run_booth(
        config, args.print_states, Path(args.screenshots) if args.screenshots else None
    )


def run_booth(config, print_states: bool, screenshots: Path | None) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk import log_privacy
    from kiosk.app import BoothApp, screenshot_listener
    from kiosk.booth_devices import BoothDevices
    from kiosk.hub_client import HubClient

    log_privacy.install()
    logging.getLogger().setLevel(logging.INFO)
    hub = HubClient(config.hub.url, config.hub.token, config.booth.id, config.hub.timeout_seconds)
    app = BoothApp(config, hub, BoothDevices(config))
    if print_states:
        app.state_listeners.append(lambda old, new: print(f"state: {new}", flush=True))
    if screenshots is not None:
        app.state_listeners.append(screenshot_listener(app, screenshots))
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
