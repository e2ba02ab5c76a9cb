"""`bilik-hub`: run the hub and look after its data.

    bilik-hub serve [--config PATH] [--host H] [--port P] [--database-url URL] [--no-upgrade]
                    [--workers N]
    bilik-hub db upgrade [--config PATH] [--database-url URL]
    bilik-hub db current [--config PATH] [--database-url URL]
    bilik-hub db revision -m MESSAGE
    bilik-hub demo [--config PATH] [--database-url URL] [--json] [--qr-dir DIR]
    bilik-hub import-tickets FILE.csv [--config PATH] [--database-url URL]
    bilik-hub audit verify [--config PATH] [--database-url URL]
    bilik-hub booth enroll BRANCH BOOTH [--name NAME] [--config PATH] [--database-url URL]
    bilik-hub booth list [--branch BRANCH] [--config PATH] [--database-url URL]
    bilik-hub branch add ID --name NAME [--timezone TZ] [--mode M] [--max-capacity N]
    bilik-hub branch list
    bilik-hub user add USERNAME --role ROLE [--branch ID] [--name NAME] [--password-stdin]
    bilik-hub user list [--branch ID]
    bilik-hub user disable USER
    bilik-hub user reset-password USER [--password-stdin]
    bilik-hub check-config PATH

Passwords are typed twice at a hidden prompt, or read from standard input with --password-stdin
(one line); they are never shown or taken from the command line.

Without --config the hub reads $BILIK_HUB_CONFIG, else /etc/bilik/hub.toml if it exists, else
built-in defaults (SQLite at ./var/hub.db).

Every command that opens the database first brings its schema up to date (hub.store.database);
`serve --no-upgrade` refuses to start on a database that is behind instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging.config
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hub.settings import DEFAULT_PATH, HubSettings, SettingsError, load_settings

if TYPE_CHECKING:  # the CLI imports the database layer only for the commands that use it
    from sqlalchemy.orm import Session, sessionmaker


def _config_path(args: argparse.Namespace) -> str | Path | None:
    path = args.config or os.environ.get("BILIK_HUB_CONFIG")
    if path is None and DEFAULT_PATH.exists():
        path = DEFAULT_PATH
    return path


def _settings(args: argparse.Namespace) -> HubSettings:
    settings = load_settings(_config_path(args))
    return settings.with_overrides(
        database_url=args.database_url,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.app import create_app
    from hub.domain.masking import logging_config

    settings = _settings(args)
    config = logging_config(args.log_level.upper())
    logging.config.dictConfig(config)
    if not _schema_ready(settings.database_url, upgrade=not args.no_upgrade):
        return 1
    from hub.store.database import private_directory

    private_directory(settings.resolved_data_dir())  # stills: 0700 whatever the umask
    if args.workers > 1:
        return _serve_workers(args, settings, config)
    app = create_app(settings)
    # Keep start-up objects out of the garbage collector's full passes: otherwise one walks all
    # of FastAPI's and SQLAlchemy's objects every so often, inside some request (~20 ms).
    gc.collect()
    gc.freeze()
    # systemd Type=notify (systemd/bilik-hub.service): READY=1 once uvicorn listens, STOPPING=1
    # when it begins to shut down; no-ops outside systemd. Otherwise what uvicorn.run() does.
    from common.sd_notify import SystemdNotifier

    notifier = SystemdNotifier.from_env()

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                notifier.ready()

        async def shutdown(self, sockets=None) -> None:
            notifier.stopping()
            await super().shutdown(sockets=sockets)

    server = Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=config,
            proxy_headers=False,  # X-Forwarded-For: hub.api.client_address, trusted_proxies
            ssl_certfile=settings.tls_certfile or None,  # plain HTTP when no certificate is set
            ssl_keyfile=settings.tls_keyfile or None,
        )
    )
    server.run()
    return 0 if server.started else 3  # uvicorn's STARTUP_FAILURE


def _serve_workers(args: argparse.Namespace, settings: HubSettings, log_config: dict) -> int:
    """`--workers N`: N hub processes accept on one socket (uvicorn's supervisor restarts a
    worker that dies). Each worker builds its app from the same config file and overrides
    (hub.settings.WORKER_ENV), never from secrets copied into the environment."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from common.sd_notify import SystemdNotifier
    from hub.settings import WORKER_ENV

    os.environ[WORKER_ENV] = json.dumps(
        {
            "config": str(_config_path(args) or ""),
            "overrides": {
                "database_url": args.database_url,
                "host": getattr(args, "host", None),
                "port": getattr(args, "port", None),
            },
        }
    )
    config = uvicorn.Config(
        "hub.app:app_for_worker",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_config=log_config,
        proxy_headers=False,  # X-Forwarded-For: hub.api.client_address, trusted_proxies
        ssl_certfile=settings.tls_certfile or None,
        ssl_keyfile=settings.tls_keyfile or None,
    )
    try:
        sock = config.bind_socket()
    except SystemExit:
        return 3  # uvicorn said why (address in use) in one line
    notifier = SystemdNotifier.from_env()
    notifier.ready()  # the socket listens: connections wait in its backlog for the workers
    Multiprocess(config, sockets=[sock]).run()
    notifier.stopping()
    return 0


def _schema_ready(database_url: str, upgrade: bool) -> bool:
    """Before serving: upgrade the schema (several workers starting at once take turns), or
    with --no-upgrade check it and refuse, one line, when it is behind."""
    from hub.store.database import connect, schema_state, upgrade_schema

    engine = connect(database_url)
    try:
        if upgrade:
            upgrade_schema(engine)
            return True
        state = schema_state(engine)
    finally:
        engine.dispose()
    if not state.at_head:
        print(
            f"bilik-hub: not starting (--no-upgrade): the database is at revision"
            f" {state.describe()}",
            file=sys.stderr,
        )
    return state.at_head


def _db_upgrade(args: argparse.Namespace) -> int:
    from hub.store.database import connect, upgrade_schema

    settings = _settings(args)
    engine = connect(settings.database_url)
    try:
        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    shown = engine.url.render_as_string(hide_password=True)
    if before.revision == after.revision:
        print(f"{shown}: already at revision {after.describe()}")
        return 0
    if before.revision is None:
        start = "release 0.1 (made before migrations)" if before.has_tables else "an empty database"
    else:
        start = f"revision {before.revision}"
    print(f"{shown}: upgraded from {start} to revision {after.describe()}")
    return 0


def _db_current(args: argparse.Namespace) -> int:
    """The database's revision; exit 0 at the head, 1 when `db upgrade` has work to do."""
    from hub.store.database import connect, head_revision, schema_state, sqlite_path

    settings = _settings(args)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():  # say so, without creating it
        print(f"{path}: no database yet; `bilik-hub db upgrade` creates it ({head_revision()})")
        return 1
    engine = connect(settings.database_url)
    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    print(f"{engine.url.render_as_string(hide_password=True)}: revision {state.describe()}")
    return 0 if state.at_head else 1


def _db_revision(args: argparse.Namespace) -> int:
    from hub.store.database import write_revision

    path = write_revision(args.message)
    print(f"wrote {path}")
    print("Read it before committing: autogenerate cannot see renames, nor what existing rows")
    print("need; keep it runnable on SQLite (batch mode) and PostgreSQL; then `make lint`.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from hub.container import ticket_secret
    from hub.services.demo_data import describe, load_demo, write_qr_codes
    from hub.store.database import open_database

    settings = _settings(args)
    sessions = open_database(settings.database_url)
    demo = load_demo(sessions, settings, ticket_secret(settings, sessions))
    if args.qr_dir:
        paths = write_qr_codes(demo, Path(args.qr_dir))
        if not args.json:
            print(f"QR codes: {len(paths)} PNG files in {args.qr_dir}")
    if args.json:
        print(json.dumps(demo, indent=2, ensure_ascii=False))
    else:
        print(f"Demo data loaded into {settings.database_url}")
        print(describe(demo))
    return 0


def _import(args: argparse.Namespace) -> int:
    from hub.services.ticket_import import ImportFileError, import_tickets, read_text
    from hub.store.database import open_database

    try:  # read before opening the database: a wrong path is told without touching it
        text = read_text(Path(args.file), args.encoding)
    except ImportFileError as err:
        print(err, file=sys.stderr)
        return 2
    settings = _settings(args)
    sessions = open_database(settings.database_url)
    with sessions() as db:
        report = import_tickets(db, text)
        if not report.ok:
            db.rollback()
            for error in report.errors:
                print(f"{args.file}: {error}", file=sys.stderr)
            print(f"nothing imported ({len(report.errors)} problem(s))", file=sys.stderr)
            return 1
        db.commit()
    print(f"imported {report.imported} new ticket(s), updated {report.updated}")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from hub.services.audit import verify_chain
    from hub.store.database import open_database

    settings = _settings(args)
    with open_database(settings.database_url)() as db:
        report = verify_chain(db)
    print(report.describe(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def _booth_enroll(args: argparse.Namespace) -> int:
    from hub.clock import utc_now
    from hub.container import ticket_secret
    from hub.services.enrollment import EnrollmentError, issue_code
    from hub.store.database import open_database

    settings = _settings(args)
    sessions = open_database(settings.database_url)
    secret = ticket_secret(settings, sessions)
    minutes = settings.enroll_code_minutes
    with sessions() as db:
        try:
            code, expires_at, created = issue_code(
                db, secret, args.branch, args.booth, args.name, minutes, utc_now()
            )
        except EnrollmentError as err:
            print(f"bilik-hub: {err}", file=sys.stderr)
            return 1
        db.commit()
    if created:
        print(f"booth {args.booth} created in branch {args.branch}")
    print(f"enrollment code for booth {args.booth}: {code}")
    print(f"valid once, until {expires_at:%Y-%m-%d %H:%M} UTC ({minutes} minutes); on the booth:")
    print(f"  sudo kiosk provision --hub https://<hub address>:{settings.port} --code {code}")
    print("Enrolling again gives the booth a new token; the old one stops working.")
    return 0


def _booth_list(args: argparse.Namespace) -> int:
    from hub.clock import utc_now
    from hub.services.booths import branch_booths
    from hub.services.serializers import booth_view
    from hub.store.database import open_database

    settings = _settings(args)
    now = utc_now()
    with open_database(settings.database_url)() as db:
        views = [
            booth_view(b, now, settings.booth_grace_seconds) for b in branch_booths(db, args.branch)
        ]
    if args.json:  # ASCII: a C1 control character (U+009B) is not left raw in a string
        print(json.dumps(views, indent=2))
        return 0
    if not views:
        print("no booths")
        return 0
    for view in views:
        devices = ", ".join(
            f"{name}={'ok' if isinstance(info, dict) and info.get('ok', True) else 'FAIL'}"
            for name, info in sorted(view["devices"].items())
        )
        _print_line(
            f"{_cell(view['branch_id'], 10)} {_cell(view['booth_id'], 14)}"
            f" {_cell(view['name'], 20)} {'online' if view['online'] else 'offline':<8}"
            f" {_cell(view['state'] or '-', 14)} last_seen={_safe(view['last_seen'] or 'never')}"
            f"  {_safe(devices) or 'no device report'}"
        )
    return 0


def _safe(value: object) -> str:
    """A stored value (typed by others: a booth's name, its device report) made safe for the
    operator's terminal: control and other unprintable characters are shown escaped (`\\x1b`),
    never sent as escape sequences."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _cell(value: object, width: int) -> str:
    """One table column: escaped (`_safe`), cut to `width`, padded."""
    return f"{_safe(value)[:width]:<{width}}"


def _print_line(text: str, file: TextIO | None = None) -> None:
    """Print CLI output line by line, every line through `_safe` (the tables, the admin
    commands' answers, their one-line refusals)."""
    print("\n".join(_safe(line) for line in text.splitlines()), file=file or sys.stdout)


def _read_password(args: argparse.Namespace) -> str:
    """Twice at a hidden prompt, or one line from stdin with --password-stdin."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise _Refused("the two passwords differ; nothing changed")
    return first


def _wake_the_hub(factory: sessionmaker[Session]) -> None:
    """What an admin command commits wakes the running hub's streams it concerns, as a change
    made by the hub itself would (hub.realtime.wakeups): a disabled user's or a reset
    password's open streams close at once, not at their next safety re-check."""
    from hub.realtime.broadcast import Broadcaster
    from hub.realtime.changes import watch
    from hub.realtime.wakeups import Wakeups

    engine = factory.kw["bind"]
    broadcaster = Broadcaster()
    watch(factory, broadcaster, Wakeups(engine, broadcaster, f"cli-{os.getpid()}"))


class _Refused(Exception):
    """A one-line refusal for the operator (exit 1)."""


def _admin(args: argparse.Namespace, work: Callable[[Session, datetime], object]) -> int:
    """Run one administration use case in one transaction; refusals are one line, exit 1."""
    from hub.clock import utc_now
    from hub.services.accounts import AccountError
    from hub.store.database import open_database

    settings = _settings(args)
    factory = open_database(settings.database_url)
    _wake_the_hub(factory)
    with factory.begin() as db:
        try:
            message = work(db, utc_now())
        except (AccountError, _Refused, ValueError) as err:
            _print_line(f"bilik-hub: {err}", file=sys.stderr)
            db.rollback()
            return 1
    if message:
        _print_line(str(message))
    return 0


def _branch_add(args: argparse.Namespace) -> int:
    from hub.services import accounts

    def work(db: Session, now: datetime) -> object:
        branch = accounts.add_branch(
            db, args.id, args.name, args.timezone, args.mode, args.max_capacity, "cli", now
        )
        return f"branch {branch.id} added: {branch.name} ({branch.timezone}, {branch.mode})"

    return _admin(args, work)


def _branch_list(args: argparse.Namespace) -> int:
    from hub.services import accounts

    def work(db: Session, now: datetime) -> object:
        rows = accounts.list_branches(db)
        if args.json:
            return json.dumps([accounts.branch_row(b) for b in rows], indent=2)
        return (
            "\n".join(
                f"{_cell(b.id, 12)} {_cell(b.name, 40)} {_cell(b.timezone, 16)}"
                f" {_cell(b.mode, 12)} max {b.max_capacity}"
                for b in rows
            )
            or "no branches; add one with `bilik-hub branch add`"
        )

    return _admin(args, work)


def _user_add(args: argparse.Namespace) -> int:
    from contract.states import Role
    from hub.services import accounts

    password = _read_password(args)

    def work(db: Session, now: datetime) -> object:
        agent = accounts.add_user(
            db, args.username, args.name or args.username, Role(args.role), args.branch,
            password, "cli", now,
        )  # fmt: skip
        where = f"branch {agent.branch_id}" if agent.branch_id else "every branch"
        return f"user {agent.username} added: {agent.role}, {where}"

    return _admin(args, work)


def _user_list(args: argparse.Namespace) -> int:
    from hub.services import accounts

    def work(db: Session, now: datetime) -> object:
        rows = accounts.list_users(db, args.branch)
        if args.json:
            return json.dumps([accounts.user_row(a) for a in rows], indent=2)
        return (
            "\n".join(
                f"{_cell(a.username, 24)} {_cell(a.role or 'cs', 11)}"
                f" {_cell(a.branch_id or '*', 12)} {'disabled' if a.disabled else 'active':<9}"
                f" {_safe(a.name)[:40]}"
                for a in rows
            )
            or "no users; add one with `bilik-hub user add`"
        )

    return _admin(args, work)


def _user_disable(args: argparse.Namespace) -> int:
    from hub.services import accounts

    def work(db: Session, now: datetime) -> object:
        agent = accounts.disable_user(db, args.user, "cli", now)
        return f"user {agent.username} disabled; their logins ended"

    return _admin(args, work)


def _user_reset_password(args: argparse.Namespace) -> int:
    from hub.services import accounts

    password = _read_password(args)

    def work(db: Session, now: datetime) -> object:
        agent = accounts.reset_password(db, args.user, password, "cli", now)
        return f"password of {agent.username} changed; their other logins ended"

    return _admin(args, work)


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.path)
    print(f"{args.path}: OK")
    for key, value in vars(settings).items():
        if key == "secret":
            shown = "(set)" if value else "(empty: kept in the database)"
        elif key == "data_dir" and not value:
            shown = f"(empty: {settings.resolved_data_dir()})"
        else:
            shown = value
        print(f"  {key} = {shown}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bilik-hub", description="Branch hub for Bilik video booths."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def with_database(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", help="hub.toml (default: $BILIK_HUB_CONFIG or /etc/bilik)")
        p.add_argument("--database-url", help="overrides database_url from the config")
        return p

    serve = with_database(commands.add_parser("serve", help="run the hub (HTTP + WebSocket)"))
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 65),
        metavar="N",
        help="hub processes sharing the port (a central hub on PostgreSQL; default 1)",
    )
    serve.add_argument(
        "--no-upgrade",
        action="store_true",
        help="leave the database schema as it is; refuse to start if it is behind",
    )
    serve.set_defaults(run=_serve)

    db_cmd = commands.add_parser("db", help="the database schema (Alembic migrations)")
    db_sub = db_cmd.add_subparsers(dest="db_command", required=True)
    upgrade = with_database(db_sub.add_parser("upgrade", help="bring the schema up to date"))
    upgrade.set_defaults(run=_db_upgrade)
    current = with_database(db_sub.add_parser("current", help="show the schema's revision"))
    current.set_defaults(run=_db_current)
    revision = db_sub.add_parser(
        "revision", help="developers: write a migration for what the models changed"
    )
    revision.add_argument("-m", "--message", required=True, help="what changed, in words")
    revision.set_defaults(run=_db_revision)

    demo = with_database(commands.add_parser("demo", help="load demo branches, booths, tickets"))
    demo.add_argument("--json", action="store_true", help="print tokens, logins and QR payloads")
    demo.add_argument("--qr-dir", help="write one QR PNG per demo ticket into this directory")
    demo.set_defaults(run=_demo)

    imp = with_database(commands.add_parser("import-tickets", help="import tickets from CSV"))
    imp.add_argument("file", help="CSV: " + "booking_code,nik,name,branch_id,date,"
                     "slot_start,slot_end[,priority]; separated by , or ;")  # fmt: skip
    imp.add_argument("--encoding", help="the file's encoding when it is not UTF-8 or UTF-16 "
                     "with a BOM, e.g. cp1252 or latin-1")  # fmt: skip
    imp.set_defaults(run=_import)

    audit_cmd = commands.add_parser("audit", help="audit trail tools")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    verify = with_database(audit_sub.add_parser("verify", help="check the hash chain"))
    verify.set_defaults(run=_audit_verify)

    booth_cmd = commands.add_parser("booth", help="enroll and list booths")
    booth_sub = booth_cmd.add_subparsers(dest="booth_command", required=True)
    enroll = with_database(booth_sub.add_parser("enroll", help="print a one-time enrollment code"))
    enroll.add_argument("branch", help="existing branch id")
    enroll.add_argument("booth", help="booth id (created if missing), e.g. tgc-01")
    enroll.add_argument("--name", help="booth name shown to CS (default: the id)")
    enroll.set_defaults(run=_booth_enroll)
    listing = with_database(booth_sub.add_parser("list", help="booths with their health"))
    listing.add_argument("--branch", help="only this branch")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_booth_list)

    branch_cmd = commands.add_parser("branch", help="add and list branches")
    branch_sub = branch_cmd.add_subparsers(dest="branch_command", required=True)
    badd = with_database(branch_sub.add_parser("add", help="add a branch office"))
    badd.add_argument("id", help="short id, e.g. tgc")
    badd.add_argument("--name", required=True, help='e.g. "Tangerang Cikokol"')
    badd.add_argument("--timezone", default="Asia/Jakarta", help="Asia/Jakarta (WIB), "
                      "Asia/Makassar (WITA) or Asia/Jayapura (WIT)")  # fmt: skip
    badd.add_argument("--mode", default="one_to_many", choices=["one_to_many", "one_to_one"])
    badd.add_argument("--max-capacity", type=int, default=5, help="booths per CS (1-5)")
    badd.set_defaults(run=_branch_add)
    blist = with_database(branch_sub.add_parser("list", help="every branch"))
    blist.add_argument("--json", action="store_true")
    blist.set_defaults(run=_branch_list)

    user_cmd = commands.add_parser("user", help="staff accounts: CS, supervisor, HQ, admin")
    user_sub = user_cmd.add_subparsers(dest="user_command", required=True)
    uadd = with_database(user_sub.add_parser("add", help="add a staff account"))
    uadd.add_argument("username")
    uadd.add_argument("--role", required=True, choices=["cs", "supervisor", "hq", "admin"])
    uadd.add_argument("--branch", help="the branch of a cs or supervisor")
    uadd.add_argument("--name", help="full name shown in the console (default: the user name)")
    uadd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    uadd.set_defaults(run=_user_add)
    ulist = with_database(user_sub.add_parser("list", help="staff accounts"))
    ulist.add_argument("--branch", help="only this branch")
    ulist.add_argument("--json", action="store_true")
    ulist.set_defaults(run=_user_list)
    udis = with_database(user_sub.add_parser("disable", help="end an account's access"))
    udis.add_argument("user", help="user name or id")
    udis.set_defaults(run=_user_disable)
    ureset = with_database(user_sub.add_parser("reset-password", help="set a new password"))
    ureset.add_argument("user", help="user name or id")
    ureset.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    ureset.set_defaults(run=_user_reset_password)

    check = commands.add_parser("check-config", help="validate a hub.toml")
    check.add_argument("path")
    check.set_defaults(run=_check_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    except _Refused as err:
        print(f"bilik-hub: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # hub.store.database.DatabaseError, loaded by the command
        database = sys.modules.get("hub.store.database")
        if database is None or not isinstance(err, database.DatabaseError):
            raise
        print(f"bilik-hub: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
