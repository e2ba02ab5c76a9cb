"""Control characters in stored values never reach the operator's terminal raw (issue 9): every
table of the real `bilik-hub` command shows them escaped (`\\x1b`).

A booth's name and its device report come from others (the booth sends its heartbeat); a
branch's and a user's names were typed by someone else too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import update

from hub.services.accounts import ensure_agent, ensure_booth, ensure_branch
from hub.store.models import Booth
from tests.hub.harness import BILIK_HUB, ROOT, Seeder, free_port, write_config

EVIL = "x\x1b[31mred"
C1 = "y\x9b31mred\x07"


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BILIK_HUB), *args, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def _assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text, repr(text)


def test_every_cli_table_escapes_control_characters(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    config = write_config(tmp_path / "hub.toml", database, free_port())
    seeder = Seeder(database)
    try:
        with seeder.sessions.begin() as db:
            ensure_branch(db, "bx", f"Cabang {EVIL}", "Asia/Jakarta", "one_to_many", 5)
            ensure_booth(db, "bx-01", "bx", EVIL, "token-bx-01-escaping")
            ensure_agent(db, "bx-cs1", "bx-cs1", f"CS {C1}", "bx", "pw-bx-cs1-secret")
        with seeder.sessions.begin() as db:
            db.execute(
                update(Booth)
                .where(Booth.id == "bx-01")
                .values(devices={f"cam{EVIL}": {"ok": True}, C1: {"ok": False}})
            )

        booths = _run(config, "booth", "list", "--branch", "bx").stdout
        _assert_clean(booths)
        assert "x\\x1b[31mred" in booths and "cam" in booths

        as_json = _run(config, "booth", "list", "--branch", "bx", "--json").stdout
        _assert_clean(as_json)
        assert json.loads(as_json)[0]["name"] == EVIL  # the JSON still carries the real value

        branches = _run(config, "branch", "list").stdout
        _assert_clean(branches)
        assert "Cabang x\\x1b[31mred" in branches

        users = _run(config, "user", "list").stdout
        _assert_clean(users)
        assert "CS y\\x9b31mred\\x07" in users
    finally:
        seeder.close()
