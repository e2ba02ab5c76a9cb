"""`kiosk` command: run the booth, check a config file, diagnose a booth (`kiosk doctor`),
enroll a booth with its hub (`kiosk provision`).

Kivy reads sys.argv and its settings at import time, so nothing Kivy is imported before the
command line has been parsed and `prepare_kivy()` has run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.kivy_env import configure_logging, prepare_kivy

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
    run.add_argument(
        "--demo-autopilot", action="store_true", help="demo only: press confirm buttons by itself"
    )
    run.add_argument(
        "--exit-on", metavar="STATE", help="stop the app 5 s after reaching STATE (demos)"
    )
    check = commands.add_parser("check-config", help="validate a kiosk.toml and exit")
    check.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
    doctor = commands.add_parser("doctor", help="check devices, hub, clock and disk for branch IT")
    doctor.add_argument("--config", default=DEFAULT_CONFIG, help="kiosk.toml (default %(default)s)")
    doctor.add_argument("--json", action="store_true", help="print the results as JSON")
    add_provision_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "provision":
        return run_provision(args)

    config_path = args.path if args.command == "check-config" else args.config
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
    if args.command == "doctor":
        return run_doctor(config, config_path, as_json=args.json)
    return run_booth(config, args)


def add_provision_parser(commands: argparse._SubParsersAction) -> None:
    from kiosk.provision import DEFAULT_TOKEN_FILE

    provision = commands.add_parser(
        "provision", help="enroll this booth with a code from `bilik-hub booth enroll`"
    )
    provision.add_argument("--hub", required=True, help="hub address, e.g. https://10.0.0.5:8700")
    provision.add_argument("--code", required=True, help="the one-time code, e.g. ABCD-EFGH-JKMN")
    provision.add_argument("--config", default=DEFAULT_CONFIG, help="kiosk.toml to write")
    provision.add_argument("--ca-file", help="branch CA (PEM) to pin; copied next to the token")
    provision.add_argument(
        "--token-file", default=str(DEFAULT_TOKEN_FILE), help="token file (default %(default)s)"
    )


def run_provision(args: argparse.Namespace) -> int:
    """`kiosk provision`: 0 enrolled, 1 code refused, 2 local problem, 3 hub, 4 certificate."""
    from kiosk import provision

    try:
        result = provision.provision(
            args.hub,
            args.code,
            config=Path(args.config),
            token_file=Path(args.token_file),
            ca_file=Path(args.ca_file) if args.ca_file else None,
            owner=provision.default_owner(),
        )
    except provision.ProvisionError as err:
        print(f"kiosk provision: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        print(f"kiosk provision: cannot write {err.filename}: {err.strerror}", file=sys.stderr)
        return provision.LOCAL_PROBLEM
    print(provision.describe(result), flush=True)
    return provision.OK


def run_doctor(config: KioskConfig, config_path: str, *, as_json: bool) -> int:
    """`kiosk doctor`: 0 when every check passed, 1 when any failed."""
    from kiosk import doctor

    checks = doctor.run_doctor(config, config_path)
    render = doctor.render_json if as_json else doctor.render_human
    print(render(checks, config), flush=True)
    return 0 if all(check.ok for check in checks) else 1


def run_booth(config: KioskConfig, args: argparse.Namespace) -> int:
    prepare_kivy()
    from kivy.clock import Clock

    from kiosk.app import BoothApp, screenshot_listener
    from kiosk.booth_devices import BoothDevices
    from kiosk.demo_autopilot import autopilot
    from kiosk.hub_client import HubClient

    configure_logging()
    hub = HubClient.from_config(config)
    app = BoothApp(config, hub, BoothDevices(config))
    if args.print_states:
        app.state_listeners.append(lambda old, new: print(f"state: {new}", flush=True))
    if args.screenshots:
        app.state_listeners.append(screenshot_listener(app, Path(args.screenshots)))
    if args.demo_autopilot:
        app.state_listeners.append(autopilot(app.touch, lambda: app.flow.state.value))
    if args.exit_on:
        app.state_listeners.append(
            lambda old, new: new == args.exit_on and Clock.schedule_once(lambda _dt: app.stop(), 5)
        )
    return app.run_with_asyncio()


if __name__ == "__main__":
    sys.exit(main())
