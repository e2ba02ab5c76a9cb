"""`bilik-hub branch|user`: a real branch set up from the command line, no demo data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from tests.hub.harness import BILIK_HUB, HubProcess, free_port, write_config


def hub(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BILIK_HUB), *args, "--config", str(config)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_branch_is_created_staffed_and_its_cs_logs_in(tmp_path: Path):
    port = free_port()
    config = write_config(tmp_path / "hub.toml", f"sqlite:///{tmp_path / 'hub.db'}", port)
    added = hub(config, "branch", "add", "smg", "--name", "Semarang Pemuda")
    assert added.returncode == 0, added.stderr
    assert "branch smg added" in added.stdout
    assert "smg" in hub(config, "branch", "list").stdout
    password = "sandi-rahasia-cs"
    cs = hub(config, "user", "add", "dewi", "--role", "cs", "--branch", "smg",
             "--name", "Dewi Lestari", "--password-stdin", stdin=password + "\n")  # fmt: skip
    assert cs.returncode == 0, cs.stderr
    assert password not in cs.stdout + cs.stderr
    hq = hub(config, "user", "add", "pusat", "--role", "hq", "--password-stdin",
             stdin="sandi-kantor-pusat\n")  # fmt: skip
    assert hq.returncode == 0, hq.stderr
    listing = hub(config, "user", "list").stdout
    assert "dewi" in listing and "pusat" in listing and "hq" in listing
    server = HubProcess(config, port, tmp_path / "hub.log")
    try:
        login = requests.post(
            f"{server.base_url}/api/v1/agents/login",
            json={"username": "dewi", "password": password},
            timeout=10,
        )
        assert login.status_code == 200 and login.json()["role"] == "cs"
        disabled = hub(config, "user", "disable", "dewi")
        assert disabled.returncode == 0 and "disabled" in disabled.stdout
        me = requests.get(
            f"{server.base_url}/api/v1/agents/me",
            headers={"Authorization": f"Bearer {login.json()['token']}"},
            timeout=10,
        )
        assert me.status_code == 401
    finally:
        server.stop()


def test_refusals_are_one_line_with_the_fix_and_exit_1(tmp_path: Path):
    config = write_config(tmp_path / "hub.toml", f"sqlite:///{tmp_path / 'hub.db'}", free_port())
    cases = [
        (("branch", "add", "Bad Id", "--name", "X"), None, "lower-case"),
        (
            ("branch", "add", "mks", "--name", "Makassar", "--timezone", "Asia/Mars"),
            None,
            "time zone",
        ),  # fmt: skip
        (
            ("user", "add", "ani", "--role", "cs", "--password-stdin"),
            "sandi-panjang\n",
            "--branch",
        ),  # fmt: skip
        (
            ("user", "add", "ani", "--role", "admin", "--password-stdin"),
            "pendek\n",
            "8 characters",
        ),  # fmt: skip
        (("user", "disable", "nobody"), None, "bilik-hub user list"),
    ]
    for args, stdin, hint in cases:
        done = hub(config, *args, stdin=stdin)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert hint in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_names_with_terminal_escapes_are_shown_harmlessly(tmp_path: Path):
    config = write_config(tmp_path / "hub.toml", f"sqlite:///{tmp_path / 'hub.db'}", free_port())
    assert hub(config, "branch", "add", "tgc", "--name", "Tangerang\x1b[2J").returncode == 0
    listing = hub(config, "branch", "list").stdout
    assert "\x1b" not in listing and "Tangerang\\x1b[2J" in listing
