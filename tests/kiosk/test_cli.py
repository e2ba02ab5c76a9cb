"""`kiosk check-config` / `kiosk run` refuse a bad config with one line that names key and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIOSK = Path(sys.executable).parent / "kiosk"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KIOSK), *args], capture_output=True, text=True, timeout=60)


def test_example_config_passes_check_config():
    done = run("check-config", str(ROOT / "config" / "kiosk.example.toml"))
    assert done.returncode == 0, done.stderr
    assert "booth tgc-01" in done.stdout


def test_typo_in_config_is_named_with_the_fix_and_the_booth_does_not_start(tmp_path: Path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[booth]\nid = "tgc-01"\n[hub]\nurl = "http://hub:8700"\ntokn = "x"\n')
    for args in (("check-config", str(config)), ("run", "--config", str(config))):
        done = run(*args)
        assert done.returncode == 2
        assert "hub.tokn" in done.stderr and "hub.token" in done.stderr


def test_missing_config_file_says_where_it_looked(tmp_path: Path):
    done = run("check-config", str(tmp_path / "nope.toml"))
    assert done.returncode == 2
    assert "nope.toml" in done.stderr
