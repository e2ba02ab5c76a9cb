import dataclasses
import re
from pathlib import Path

import pytest

from kiosk.config import (
    AudioConfig,
    BoothConfig,
    CallConfig,
    CameraConfig,
    ConfigError,
    HubConfig,
    KioskConfig,
    ScannerConfig,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"
SECTIONS = {
    "booth": BoothConfig,
    "hub": HubConfig,
    "camera": CameraConfig,
    "audio": AudioConfig,
    "scanner": ScannerConfig,
    "call": CallConfig,
}


def minimal(**sections: dict) -> dict:
    """The smallest valid config, with `sections` merged over it."""
    data = {"booth": {"id": "tgc-01"}, "hub": {"url": "http://127.0.0.1:8700", "token": "t0k"}}
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return data


def error(data: dict, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        parse_config(data, "kiosk.toml", **kwargs)
    return err.value


def write(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the whole file ----------------------------------------------------------------------------


def test_example_file_loads_with_the_demo_values():
    config = load_config(EXAMPLE)
    assert config.booth.id == "tgc-01"
    assert config.hub.url == "http://127.0.0.1:8700"
    assert config.hub.token == "demo-booth-tgc-01"


def test_example_file_shows_every_key():
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, cls in SECTIONS.items():
        assert f"[{section}]" in text
        for f in dataclasses.fields(cls):
            assert re.search(rf"^(# )?{f.name} = ", text, re.M), f"{section}.{f.name}"


def test_example_file_values_are_the_defaults_so_it_documents_them():
    config = load_config(EXAMPLE)
    defaults = parse_config(minimal())
    for section in ("camera", "audio", "scanner", "call"):
        assert getattr(config, section) == getattr(defaults, section)
    for section, required in (("booth", {"id"}), ("hub", {"url", "token"})):
        for f in dataclasses.fields(SECTIONS[section]):
            if f.name not in required:
                assert getattr(getattr(config, section), f.name) == f.default, f.name


def test_minimal_config_fills_in_every_default():
    config = parse_config(minimal())
    assert config == KioskConfig(
        booth=BoothConfig(id="tgc-01"),
        hub=HubConfig(url="http://127.0.0.1:8700", token="t0k"),
    )
    assert config.booth.language == "id" and config.booth.fullscreen is True
    assert config.booth.idle_timeout_seconds == 60
    assert (config.booth.width, config.booth.height) == (1280, 800)
    assert (config.hub.timeout_seconds, config.hub.heartbeat_seconds) == (5, 10)
    assert config.camera == CameraConfig(source="0", width=1280, height=720, reopen_seconds=2)
    assert config.audio == AudioConfig(input="", output="", tone_hz=440)
    assert config.scanner.device == ""
    assert config.call == CallConfig(
        stun_urls=(), turn_url="", video_width=640, video_height=480, codec="VP8"
    )


def test_config_is_frozen():
    config = parse_config(minimal())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.booth.id = "other"  # type: ignore[misc]


def test_error_message_is_source_key_problem_and_fix():
    err = error(minimal(booth={"language": "jv"}))
    assert isinstance(err, ValueError)
    assert err.key == "booth.language"
    assert str(err) == f"kiosk.toml: booth.language: {err.problem} — {err.fix}"
    assert "'jv'" in err.problem and '"id"' in err.fix and '"en"' in err.fix


def test_parse_config_names_a_default_source():
    with pytest.raises(ConfigError, match=r"^<config>: booth\.id: "):
        parse_config({"hub": {"url": "http://h", "token": "t"}})


def test_toml_syntax_error_reports_the_line(tmp_path):
    path = write(tmp_path, '[booth]\nid = "tgc-01"\n\n[hub]\nurl = http://127.0.0.1:8700\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.line == 5
    assert err.value.key == "line 5"
    assert str(err.value).startswith(f"{path}: line 5: invalid TOML")
    assert "quotes" in err.value.fix


def test_missing_file_says_to_copy_the_example(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "kiosk.toml")
    assert err.value.key == "file"
    assert "kiosk.example.toml" in err.value.fix


def test_file_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_bytes('[booth]\nid = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)


# --- unknown and missing keys -------------------------------------------------------------------


def test_misspelt_key_suggests_the_right_one():
    err = error(minimal(hub={"tokn": "x"}))
    assert err.key == "hub.tokn"
    assert err.problem == "unknown key hub.tokn"
    assert err.fix == "did you mean hub.token?"


def test_misspelt_key_is_reported_before_the_required_key_it_hides():
    data = minimal()
    data["hub"] = {"ulr": "http://h", "token": "t"}
    assert error(data).key == "hub.ulr"


def test_key_in_the_wrong_section_names_its_section():
    err = error(minimal(booth={"url": "http://h"}))
    assert err.key == "booth.url"
    assert "hub.url" in err.fix


def test_unknown_key_without_a_near_match_lists_the_known_keys():
    err = error(minimal(scanner={"vendor": "honeywell"}))
    assert err.key == "scanner.vendor"
    assert "device" in err.fix


def test_misspelt_section_suggests_the_right_one():
    data = minimal()
    data["camra"] = {"source": "0"}
    err = error(data)
    assert err.key == "camra"
    assert "[camera]" in err.fix


def test_key_written_above_every_section_says_where_it_belongs():
    data = minimal()
    data["language"] = "en"
    err = error(data)
    assert err.key == "language"
    assert "[booth]" in err.fix


def test_unknown_section_without_a_near_match_lists_the_sections():
    data = minimal()
    data["printer"] = {}
    assert "[scanner]" in error(data).fix


def test_section_written_as_a_value_is_an_error():
    data = minimal()
    data["audio"] = "default"
    err = error(data)
    assert err.key == "audio" and "[audio]" in err.fix


@pytest.mark.parametrize(("section", "key"), [("booth", "id"), ("hub", "url")])
def test_missing_required_key_says_what_to_add(section, key):
    data = minimal()
    del data[section][key]
    err = error(data)
    assert err.key == f"{section}.{key}"
    assert "missing" in err.problem
    assert f"{key} = " in err.fix and f"[{section}]" in err.fix


def test_missing_booth_section_asks_for_booth_id():
    data = minimal()
    del data["booth"]
    assert error(data).key == "booth.id"


# --- types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("booth", "fullscreen", "yes", "true or false"),
        ("booth", "fullscreen", 1, "true or false"),
        ("booth", "idle_timeout_seconds", "60", "a number"),
        ("booth", "idle_timeout_seconds", True, "a number"),
        ("booth", "width", "1280", "a whole number"),
        ("booth", "width", 1280.5, "a whole number"),
        ("booth", "width", True, "a whole number"),
        ("hub", "timeout_seconds", [5], "a number"),
        ("camera", "source", 0, "a string"),
        ("audio", "input", {"name": "USB"}, "a string"),
        ("scanner", "device", False, "a string"),
    ],
)
def test_wrong_type_names_the_expected_type(section, key, value, expected):
    err = error(minimal(**{section: {key: value}}))
    assert err.key == f"{section}.{key}"
    assert err.problem.startswith(f"expected {expected}, got ")


def test_number_in_quotes_says_to_drop_the_quotes():
    assert (
        error(minimal(camera={"width": "640"})).fix
        == "write the number without quotes: width = 640"
    )


def test_camera_index_without_quotes_says_to_add_them():
    assert error(minimal(camera={"source": 0})).fix == 'put it in quotes: source = "0"'


def test_whole_numbers_are_accepted_where_seconds_may_be_fractional():
    config = parse_config(minimal(hub={"timeout_seconds": 3, "heartbeat_seconds": 2.5}))
    assert config.hub.timeout_seconds == 3.0 and isinstance(config.hub.timeout_seconds, float)
    assert config.hub.heartbeat_seconds == 2.5


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused_although_toml_allows_them(value):
    err = error(minimal(booth={"idle_timeout_seconds": value}))
    assert err.key == "booth.idle_timeout_seconds" and "finite" in err.problem


def test_infinite_size_is_refused_without_crashing():
    assert error(minimal(camera={"width": float("inf")})).key == "camera.width"


# --- [booth] ----------------------------------------------------------------------------------


@pytest.mark.parametrize("booth_id", ["tgc-01", "a", "0", "cabang-tangerang-cikokol-3"])
def test_booth_id_of_lower_case_digits_and_dashes_is_accepted(booth_id):
    assert parse_config(minimal(booth={"id": booth_id})).booth.id == booth_id


@pytest.mark.parametrize(
    ("booth_id", "suggested"),
    [("TGC-01", "tgc-01"), ("tgc 01", "tgc-01"), ("tgc_01", "tgc-01"), ("", "tgc-01")],
)
def test_bad_booth_id_suggests_a_valid_one(booth_id, suggested):
    err = error(minimal(booth={"id": booth_id}))
    assert err.key == "booth.id"
    assert f'id = "{suggested}"' in err.fix


@pytest.mark.parametrize("language", ["id", "en"])
def test_supported_languages_are_accepted(language):
    assert parse_config(minimal(booth={"language": language})).booth.language == language


@pytest.mark.parametrize("language", ["ID", "jv", "", "id_ID"])
def test_other_languages_are_refused(language):
    assert error(minimal(booth={"language": language})).key == "booth.language"


def test_fullscreen_false_is_kept():
    assert parse_config(minimal(booth={"fullscreen": False})).booth.fullscreen is False


@pytest.mark.parametrize("seconds", [10, 10.0, 600])
def test_idle_timeout_at_its_limits_is_accepted(seconds):
    config = parse_config(minimal(booth={"idle_timeout_seconds": seconds}))
    assert config.booth.idle_timeout_seconds == seconds


@pytest.mark.parametrize("seconds", [9.9, 0, -60, 600.5, 6000])
def test_idle_timeout_outside_10_to_600_is_refused_with_the_range(seconds):
    err = error(minimal(booth={"idle_timeout_seconds": seconds}))
    assert err.key == "booth.idle_timeout_seconds"
    assert "out of range" in err.problem
    assert "from 10 to 600" in err.fix


@pytest.mark.parametrize("key", ["width", "height"])
def test_window_size_must_be_positive(key):
    assert getattr(parse_config(minimal(booth={key: 1024})).booth, key) == 1024
    assert error(minimal(booth={key: 0})).key == f"booth.{key}"
    assert error(minimal(booth={key: -800})).key == f"booth.{key}"


# --- [hub] ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8700", "https://hub.cabang.local", "HTTPS://HUB.LOCAL:443/bilik"]
)
def test_http_and_https_urls_are_accepted(url):
    assert parse_config(minimal(hub={"url": url})).hub.url == url


def test_trailing_slash_is_dropped_so_api_paths_join_cleanly():
    assert parse_config(minimal(hub={"url": "http://hub.local:8700/"})).hub.url == (
        "http://hub.local:8700"
    )


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8700",
        "hub.local",
        "ftp://hub.local",
        "ws://hub.local",
        "http://",
        "http://hub local",
        "http://hub.local:87a0",
        "",
    ],
)
def test_url_that_is_not_http_or_https_is_refused(url):
    err = error(minimal(hub={"url": url}))
    assert err.key == "hub.url"
    assert "url = " in err.fix


def test_token_and_token_file_together_are_refused(tmp_path):
    (tmp_path / "booth.token").write_text("secret\n")
    err = error(minimal(hub={"token": "t", "token_file": "booth.token"}), base_dir=tmp_path)
    assert err.key == "hub.token_file"
    assert "only one" in err.fix


def test_no_token_at_all_is_refused():
    data = minimal()
    del data["hub"]["token"]
    err = error(data)
    assert err.key == "hub.token"
    assert "token_file" in err.fix


def test_empty_token_counts_as_no_token():
    assert error(minimal(hub={"token": ""})).key == "hub.token"


def test_token_file_is_read_and_stripped_at_load(tmp_path):
    (tmp_path / "booth.token").write_text("  s3cret-token\n\n")
    data = minimal()
    data["hub"] = {"url": "http://h", "token_file": str(tmp_path / "booth.token")}
    config = parse_config(data)
    assert config.hub.token == "s3cret-token"
    assert config.hub.token_file == str(tmp_path / "booth.token")


def test_relative_token_file_is_relative_to_the_config_file(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "booth.token").write_text("from-etc\n")
    path = write(etc, '[booth]\nid = "b"\n[hub]\nurl = "http://h"\ntoken_file = "booth.token"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config(path).hub.token == "from-etc"


def test_missing_token_file_names_hub_token_file(tmp_path):
    data = minimal()
    data["hub"] = {"url": "http://h", "token_file": str(tmp_path / "nope.token")}
    err = error(data)
    assert err.key == "hub.token_file"
    assert "nope.token" in err.problem and "does not exist" in err.problem


def test_empty_token_file_is_refused(tmp_path):
    (tmp_path / "booth.token").write_text(" \n")
    data = minimal()
    data["hub"] = {"url": "http://h", "token_file": "booth.token"}
    err = error(data, base_dir=tmp_path)
    assert err.key == "hub.token_file" and "empty" in err.problem


def test_token_file_that_is_a_directory_names_hub_token_file(tmp_path):
    data = minimal()
    data["hub"] = {"url": "http://h", "token_file": str(tmp_path)}
    assert error(data).key == "hub.token_file"


@pytest.mark.parametrize("token", ["two words", "line\nbreak", "tab\there"])
def test_token_with_whitespace_is_refused_before_it_breaks_the_auth_header(token):
    assert error(minimal(hub={"token": token})).key == "hub.token"


def test_token_file_with_two_lines_is_refused(tmp_path):
    (tmp_path / "booth.token").write_text("one\ntwo\n")
    data = minimal()
    data["hub"] = {"url": "http://h", "token_file": "booth.token"}
    assert error(data, base_dir=tmp_path).key == "hub.token_file"


@pytest.mark.parametrize(("key", "bad"), [("timeout_seconds", 0), ("heartbeat_seconds", 0)])
def test_hub_intervals_must_be_positive(key, bad):
    assert getattr(parse_config(minimal(hub={key: 2})).hub, key) == 2
    assert error(minimal(hub={key: bad})).key == f"hub.{key}"


# --- [camera] ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("0", "index"),
        ("12", "index"),
        ("/dev/video0", "device"),
        ("/dev/v4l/by-id/usb-Logitech_C920-video-index0", "device"),
        ("demo:TGC4K7QX", "demo"),
        ("demo:BLK1.TGC4K7QX.MFRGGZDFMZTWQ2LK", "demo"),
        ("/var/lib/bilik/not-there-yet.mp4", "file"),
        ("clips/Test.MKV", "file"),
    ],
)
def test_camera_source_shapes_are_accepted_and_classified(source, kind):
    camera = parse_config(minimal(camera={"source": source})).camera
    assert camera.source == source
    assert camera.source_kind == kind


@pytest.mark.parametrize("source", ["", "webcam", "-1", "0x1", "demo:", "/dev/", "notes.txt", "٣"])
def test_camera_source_of_no_known_shape_is_refused(source):
    err = error(minimal(camera={"source": source}))
    assert err.key == "camera.source"
    assert '"/dev/video0"' in err.fix and "demo:" in err.fix


@pytest.mark.parametrize("key", ["width", "height"])
def test_camera_size_must_be_positive(key):
    assert error(minimal(camera={key: 0})).key == f"camera.{key}"


def test_camera_reopen_interval_must_be_positive():
    assert parse_config(minimal(camera={"reopen_seconds": 0.5})).camera.reopen_seconds == 0.5
    assert error(minimal(camera={"reopen_seconds": 0})).key == "camera.reopen_seconds"


# --- [audio] [scanner] ------------------------------------------------------------------------


def test_audio_device_names_are_kept_as_given():
    audio = parse_config(minimal(audio={"input": "USB Headset", "output": "pulse"})).audio
    assert (audio.input, audio.output) == ("USB Headset", "pulse")


@pytest.mark.parametrize(("tone", "ok"), [(20, True), (1000.5, True), (19, False), (20001, False)])
def test_tone_must_be_audible(tone, ok):
    if ok:
        assert parse_config(minimal(audio={"tone_hz": tone})).audio.tone_hz == tone
    else:
        assert error(minimal(audio={"tone_hz": tone})).key == "audio.tone_hz"


@pytest.mark.parametrize("device", ["", "/dev/input/event3", "/dev/input/by-id/usb-scan-event-kbd"])
def test_scanner_device_empty_or_evdev_path_is_accepted(device):
    assert parse_config(minimal(scanner={"device": device})).scanner.device == device


@pytest.mark.parametrize("device", ["event3", "input/event3", "COM3", "/dev/"])
def test_scanner_device_that_is_not_a_dev_path_is_refused(device):
    err = error(minimal(scanner={"device": device}))
    assert err.key == "scanner.device"
    assert '""' in err.fix


# --- [call] ---------------------------------------------------------------------------------


def test_call_ice_servers_are_kept_and_stun_urls_become_a_tuple():
    call = parse_config(
        minimal(
            call={
                "stun_urls": ["stun:stun.cabang.local:3478", "stun:10.0.0.9"],
                "turn_url": "turn:turn.cabang.local:3478?transport=tcp",
                "turn_username": "booth",
                "turn_password": "s3cret",
            }
        )
    ).call
    assert call.stun_urls == ("stun:stun.cabang.local:3478", "stun:10.0.0.9")
    assert call.turn_url == "turn:turn.cabang.local:3478?transport=tcp"
    assert (call.turn_username, call.turn_password) == ("booth", "s3cret")


@pytest.mark.parametrize(
    "url", ["turn:10.0.0.9", "turn:turn.local:3478?transport=udp", "turns:turn.local:5349"]
)
def test_turn_urls_aiortc_can_use_are_accepted(url):
    call = {"turn_url": url, "turn_username": "u", "turn_password": "p"}
    assert parse_config(minimal(call=call)).call.turn_url == url


@pytest.mark.parametrize(
    "url",
    [
        "stuns:stun.local",  # aiortc ignores stuns:
        "stun.cabang.local:3478",
        "stun:",
        "turn:turn.local",  # a TURN server in the STUN list
        "stun:stun.local:3478?transport=udp",
        "stun:stun local",
    ],
)
def test_stun_url_aiortc_cannot_use_is_refused_naming_it(url):
    err = error(minimal(call={"stun_urls": ["stun:ok.local", url]}))
    assert err.key == "call.stun_urls"
    assert repr(url) in err.problem and '"stun:stun.cabang.local:3478"' in err.fix


@pytest.mark.parametrize(
    "url", ["http://turn.local", "turn.local:3478", "turns:t.local?transport=udp", "turn:"]
)
def test_turn_url_aiortc_cannot_use_is_refused(url):
    err = error(minimal(call={"turn_url": url, "turn_username": "u", "turn_password": "p"}))
    assert err.key == "call.turn_url"
    assert "turn_url = " in err.fix


def test_stun_urls_written_as_one_string_says_to_use_brackets():
    err = error(minimal(call={"stun_urls": "stun:stun.local"}))
    assert err.key == "call.stun_urls"
    assert err.problem.startswith("expected a list of strings, got a string")
    assert err.fix == 'write it as a list in brackets: stun_urls = ["stun:stun.local"]'


def test_stun_urls_with_a_number_in_the_list_names_it():
    err = error(minimal(call={"stun_urls": ["stun:a.local", 3478]}))
    assert err.key == "call.stun_urls" and "a number (3478)" in err.problem


@pytest.mark.parametrize("missing", ["turn_username", "turn_password"])
def test_turn_url_without_its_credentials_names_the_missing_key(missing):
    call = {"turn_url": "turn:t.local", "turn_username": "u", "turn_password": "p"}
    del call[missing]
    err = error(minimal(call=call))
    assert err.key == f"call.{missing}"
    assert "turn_url" in err.problem and f"{missing} = " in err.fix


@pytest.mark.parametrize("key", ["turn_username", "turn_password"])
def test_turn_credentials_without_a_turn_url_are_refused(key):
    err = error(minimal(call={key: "x"}))
    assert err.key == f"call.{key}"
    assert "turn_url = " in err.fix


@pytest.mark.parametrize("codec", ["VP8", "H264"])
def test_supported_codecs_are_accepted(codec):
    assert parse_config(minimal(call={"codec": codec})).call.codec == codec


@pytest.mark.parametrize(
    ("codec", "suggested"), [("h264", "H264"), ("H.264", "H264"), ("vp8", "VP8"), ("AV1", "VP8")]
)
def test_other_codecs_are_refused_suggesting_the_spelling(codec, suggested):
    err = error(minimal(call={"codec": codec}))
    assert err.key == "call.codec"
    assert f'codec = "{suggested}"' in err.fix


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (160, 120), (1920, 1080)])
def test_call_video_sizes_within_bounds_are_accepted(width, height):
    call = parse_config(minimal(call={"video_width": width, "video_height": height})).call
    assert (call.video_width, call.video_height) == (width, height)


@pytest.mark.parametrize(
    ("key", "value"),
    [("video_width", 3840), ("video_width", 0), ("video_height", 2160), ("video_height", 100)],
)
def test_call_video_size_out_of_bounds_is_refused_with_the_range(key, value):
    err = error(minimal(call={key: value}))
    assert err.key == f"call.{key}" and "out of range" in err.problem
    assert "from " in err.fix


def test_call_video_size_in_quotes_says_to_drop_them():
    err = error(minimal(call={"video_width": "1280"}))
    assert err.fix == "write the number without quotes: video_width = 1280"


def test_misspelt_call_key_suggests_the_right_one():
    err = error(minimal(call={"stun_url": ["stun:a.local"]}))
    assert err.key == "call.stun_url" and err.fix == "did you mean call.stun_urls?"


def test_loading_a_written_file_end_to_end(tmp_path):
    path = write(
        tmp_path,
        '[booth]\nid = "jkt-07"\nlanguage = "en"\nfullscreen = false\n'
        '[hub]\nurl = "https://hub.jkt.local"\ntoken = "abc"\n'
        '[camera]\nsource = "/dev/video2"\n[scanner]\ndevice = "/dev/input/event5"\n',
    )
    config = load_config(path)
    assert config.booth == BoothConfig(id="jkt-07", language="en", fullscreen=False)
    assert config.camera.source == "/dev/video2"
    assert config.scanner.device == "/dev/input/event5"
