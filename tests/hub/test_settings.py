"""Configuration: defaults, the example file, and errors that name the key and the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hub.settings import HubSettings, SettingsError, load_settings
from tests.hub.harness import BILIK_HUB, ROOT


def test_example_config_is_valid_and_matches_the_defaults_it_documents():
    settings = load_settings(ROOT / "config" / "hub.example.toml")
    defaults = HubSettings()
    assert settings.early_tolerance_minutes == defaults.early_tolerance_minutes == 30
    assert settings.late_tolerance_minutes == defaults.late_tolerance_minutes == 15
    assert settings.lookup_failures_per_minute == defaults.lookup_failures_per_minute == 5
    assert settings.avg_service_seconds == defaults.avg_service_seconds == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prot = 8700", "unknown key 'prot'"),
        ('port = "8700"', "'port' must be an integer"),
        ("port = 70000", "'port' = 70000 is out of range; use 1..65535"),
        ('secret = "short"', "'secret' is too short"),
        ('database_url = "hub.db"', "'database_url' = 'hub.db' is not a URL"),
        ("early_tolerance_minutes = -5", "'early_tolerance_minutes' = -5 is out of range"),
        ("port = ", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(tmp_path: Path, text: str, message: str):
    path = tmp_path / "hub.toml"
    path.write_text(text + "\n")
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path)


def test_missing_file_says_where_to_start(tmp_path: Path):
    with pytest.raises(SettingsError, match="Copy config/hub.example.toml"):
        load_settings(tmp_path / "absent.toml")


def test_check_config_command_exits_non_zero_on_a_bad_file(tmp_path: Path):
    path = tmp_path / "hub.toml"
    path.write_text("late_tolerance_minutes = true\n")
    result = subprocess.run(
        [str(BILIK_HUB), "check-config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "'late_tolerance_minutes' must be an integer" in result.stderr


def test_command_line_flags_override_the_file(tmp_path: Path):
    path = tmp_path / "hub.toml"
    path.write_text('port = 8800\ndatabase_url = "sqlite:///a.db"\n')
    settings = load_settings(path).with_overrides(port=9900, database_url=None)
    assert (settings.port, settings.database_url) == (9900, "sqlite:///a.db")


def test_example_config_documents_the_call_settings():
    settings = load_settings(ROOT / "config" / "hub.example.toml")
    defaults = HubSettings()
    assert settings.agent_grace_seconds == defaults.agent_grace_seconds == 30
    assert settings.still_retention_days == defaults.still_retention_days == 30
    assert settings.data_dir == defaults.data_dir == ""


@pytest.mark.parametrize(
    ("database_url", "data_dir", "expected"),
    [
        ("sqlite:////var/lib/bilik/hub.db", "", Path("/var/lib/bilik")),
        ("sqlite:///var/hub.db", "", Path("var")),
        ("postgresql+psycopg://bilik@localhost/bilik", "", Path("var")),
        ("sqlite:////var/lib/bilik/hub.db", "/srv/bilik", Path("/srv/bilik")),
    ],
)
def test_stills_live_next_to_the_sqlite_file_unless_data_dir_says_otherwise(
    database_url: str, data_dir: str, expected: Path
):
    settings = HubSettings(database_url=database_url, data_dir=data_dir)
    assert settings.resolved_data_dir() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agent_grace_seconds = 0", "'agent_grace_seconds' = 0 is out of range; use 1..3600"),
        ("still_retention_days = 0", "'still_retention_days' = 0 is out of range"),
        ("data_dir = 5", "'data_dir' must be a string"),
    ],
)
def test_bad_call_settings_name_the_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "hub.toml"
    path.write_text(text + "\n")
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path)
