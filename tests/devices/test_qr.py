"""QR decoding: codes anywhere in 480p/720p/1080p frames, at least what zxing-cpp reads on the
full frame, the same result on a busy CPU, and nothing out of frames without a QR.

Correctness and cost in work units only. Speed targets live in ``bench/qr_decode.py`` (never in
timed tests).
"""

from __future__ import annotations

import os
from collections import Counter

import cv2
import numpy as np
import pytest

from bench.qr_decode import (
    RESOLUTIONS,
    HardFrame,
    cpu_hog,
    empty_frames,
    frame_with_code,
    hard_set,
    naive_pyzbar,
    zxing_full_frame,
)
from kiosk.devices.qr import QrDecoder, Roi, frame_work, work_limit
from kiosk.devices.qr_engines import ZbarEngine, ZxingEngine, zxing_available
from kiosk.devices.qr_image import phone_card, qr_image

TOKEN = "BLK1.TGC4K7QX.MFRGGZDFMZTWQ2LKNNWG23TPOA"
FRAME_W, FRAME_H = RESOLUTIONS["720p"]


@pytest.fixture(scope="module")
def hard_frames() -> list[HardFrame]:
    return list(hard_set(60))  # the bench's first frames, same seed


def scene(card: np.ndarray | None = None, *, at: tuple[int, int] | None = None) -> np.ndarray:
    """A plain 720p frame, optionally with ``card`` pasted at ``at`` (top-left) or centred."""
    frame = np.full((FRAME_H, FRAME_W, 3), 120, np.uint8)
    if card is not None:
        h, w = card.shape[:2]
        x, y = at if at is not None else ((FRAME_W - w) // 2, (FRAME_H - h) // 2)
        frame[y : y + h, x : x + w] = card if card.ndim == 3 else card[:, :, None]
    return frame


def test_zxing_cpp_is_installed_because_the_numbers_need_it() -> None:
    assert zxing_available(), (
        "zxing-cpp missing: ZBar alone misses hard frames and is several times slower "
        "(python -m bench.qr_decode); install zxing-cpp"
    )
    assert QrDecoder().engine_name == "zxing-cpp"


def test_every_code_zxing_reads_on_the_full_frame_is_read_and_nothing_wrong(
    hard_frames: list[HardFrame],
) -> None:
    decoder = QrDecoder()
    missed, wrong = [], []
    for hf in hard_frames:
        found = decoder.decode(hf.frame)
        wrong += [p for p in found if p != hf.payload]
        if hf.payload not in found and hf.payload in zxing_full_frame(hf.frame):
            missed.append((hf.index, hf.conditions()))
    assert not wrong
    assert not missed, f"zxing-cpp reads these on the full frame, we do not: {missed}"


def test_the_hard_set_is_hard_and_spread_over_the_frame(hard_frames: list[HardFrame]) -> None:
    """Guards the set itself: every resolution, codes in, across and outside the guide box,
    small and large, blurred and sharp; and zxing-cpp and pyzbar miss a good share of it."""
    for key in ("resolution", "box", "size", "blur"):
        counts = Counter(hf.conditions()[key] for hf in hard_frames)
        assert len(counts) >= 3 and min(counts.values()) >= 3, (key, counts)
    assert {hf.frame.shape[:2][::-1] for hf in hard_frames} == set(RESOLUTIONS.values())
    sizes = [hf.size_px for hf in hard_frames]
    assert min(sizes) < 70 and max(sizes) > 250
    zxing_misses = sum(hf.payload not in zxing_full_frame(hf.frame) for hf in hard_frames)
    pyzbar_misses = sum(hf.payload not in naive_pyzbar(hf.frame) for hf in hard_frames)
    assert zxing_misses >= 6, f"zxing-cpp misses only {zxing_misses}/60: not a hard set"
    assert pyzbar_misses > zxing_misses


def test_a_small_soft_code_across_the_box_edge_is_read_with_a_cpu_hog_running() -> None:
    """The code crosses the guide box's left edge and needs a closer look (zxing-cpp on the
    whole frame cannot read it). With every core spinning, the answer and the work spent are
    the ones of an idle machine: no clock decides which looks run."""
    edge_x = Roi().x0 * FRAME_W
    frame = frame_with_code(TOKEN, 70, (edge_x, FRAME_H / 2), blur=1.4)
    assert TOKEN not in zxing_full_frame(frame), "the frame must need a closer look; make it softer"
    decoder = QrDecoder()
    idle = (decoder.decode(frame), decoder.last_pass, decoder.last_work)
    assert idle[0] == [TOKEN]
    with cpu_hog(os.cpu_count() or 1):
        loaded = [(decoder.decode(frame), decoder.last_pass, decoder.last_work) for _ in range(5)]
    assert loaded == [idle] * 5


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_each_camera_resolution_reads_an_80_px_code_beside_the_guide_box(resolution: str) -> None:
    width, height = RESOLUTIONS[resolution]
    frame = frame_with_code(TOKEN, 80, (0.1 * width, 0.5 * height), resolution=resolution)
    decoder = QrDecoder()
    assert decoder.decode(frame) == [TOKEN]
    assert decoder.last_work <= work_limit(width, height)


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_each_camera_resolution_reads_a_large_tilted_code_in_the_corner(resolution: str) -> None:
    width, height = RESOLUTIONS[resolution]
    size = 0.4 * height
    frame = frame_with_code(
        TOKEN, size, (width - 0.8 * size, 0.8 * size), resolution=resolution, angle=40
    )
    assert QrDecoder().decode(frame) == [TOKEN]


def test_a_code_zxing_cannot_locate_is_found_by_the_region_search() -> None:
    frame = frame_with_code(TOKEN, 64, (0.3 * FRAME_W, 0.4 * FRAME_H), blur=1.2)
    assert TOKEN not in zxing_full_frame(frame), "the frame must need a closer look; make it softer"
    decoder = QrDecoder()
    assert decoder.decode(frame) == [TOKEN]
    assert decoder.last_pass is not None and decoder.last_pass.startswith("region")


def test_a_budget_without_room_for_closer_looks_stops_after_the_whole_frame_looks() -> None:
    """The budget is work: with none left for patches, the frame costs its whole-frame looks,
    exactly, and the soft code that needs a closer look is not read."""
    frame = frame_with_code(TOKEN, 70, (Roi().x0 * FRAME_W, FRAME_H / 2), blur=1.4)
    decoder = QrDecoder(patch_budget=0)
    assert decoder.decode(frame) == []
    assert decoder.last_work == frame_work(FRAME_W, FRAME_H, qr_like=True)


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_a_plain_frame_without_a_qr_costs_only_the_whole_frame_looks(resolution: str) -> None:
    width, height = RESOLUTIONS[resolution]
    frame = np.full((height, width, 3), 128, np.uint8)
    decoder = QrDecoder()
    assert decoder.decode(frame) == []
    assert decoder.last_work == frame_work(width, height)


def test_the_bench_frames_without_a_qr_cost_at_most_the_work_limit() -> None:
    """The QR-less frames the bench times (walls, furniture, posters with text): nothing
    comes out, and none costs more than the limit the bench prints for its resolution."""
    decoder = QrDecoder()
    for frame in empty_frames(9):
        height, width = frame.shape[:2]
        assert decoder.decode(frame) == []
        assert frame_work(width, height) <= decoder.last_work <= work_limit(width, height)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(np.zeros((FRAME_H, FRAME_W, 3), np.uint8), id="black"),
        pytest.param(np.full((FRAME_H, FRAME_W, 3), 255, np.uint8), id="white"),
        pytest.param(
            np.random.default_rng(1).integers(0, 256, (FRAME_H, FRAME_W, 3), dtype=np.uint8),
            id="noise",
        ),
        pytest.param(np.zeros((4, 4, 3), np.uint8), id="tiny"),
        pytest.param(np.zeros((FRAME_H, FRAME_W), np.uint8), id="gray-input"),
    ],
)
def test_frames_without_a_qr_give_nothing(frame: np.ndarray) -> None:
    assert QrDecoder().decode(frame) == []


def test_a_barcode_and_text_are_not_mistaken_for_a_qr() -> None:
    frame = scene()
    rng = np.random.default_rng(3)
    x = 300
    for width in rng.integers(2, 9, 60):  # a 1D barcode's bars
        cv2.rectangle(frame, (x, 200), (x + int(width) // 2, 420), (0, 0, 0), -1)
        x += int(width)
    cv2.putText(frame, "TGC4K7QX", (300, 520), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
    assert QrDecoder().decode(frame) == []


def test_a_qr_with_a_third_torn_away_gives_nothing() -> None:
    code = qr_image(TOKEN, module_px=8)
    code[:, : code.shape[1] // 3] = 255  # beyond any error correction
    assert QrDecoder().decode(scene(code)) == []


def test_a_clean_ticket_qr_decodes_on_the_first_whole_frame_look() -> None:
    decoder = QrDecoder()
    assert decoder.decode(scene(phone_card(TOKEN))) == [TOKEN]
    assert decoder.last_pass == "frame"
    assert decoder.last_work == FRAME_W * FRAME_H


def test_a_phone_held_beside_the_guide_box_is_read_on_the_first_look() -> None:
    frame = scene(phone_card(TOKEN, qr_px=160), at=(20, 100))  # left edge, outside the ROI
    decoder = QrDecoder()
    assert decoder.decode(frame) == [TOKEN]
    assert decoder.last_pass == "frame"


def test_dark_mode_screen_with_light_modules_decodes() -> None:
    code = 255 - qr_image(TOKEN, module_px=6)
    assert QrDecoder().decode(scene(code)) == [TOKEN]


def test_two_codes_in_view_both_come_out_once_each() -> None:
    frame = scene()
    for (x, y), code in (
        ((300, 200), qr_image("TGC4K7QX", module_px=8)),
        ((700, 150), qr_image(TOKEN, module_px=6)),
    ):
        frame[y : y + code.shape[0], x : x + code.shape[1]] = code[:, :, None]
    assert sorted(QrDecoder().decode(frame)) == sorted(["TGC4K7QX", TOKEN])


def test_a_custom_guide_box_does_not_hide_codes_outside_it() -> None:
    frame = scene(phone_card(TOKEN, qr_px=200), at=(1000, 120))  # right part of the frame
    assert QrDecoder(roi=Roi(0.0, 0.0, 0.45, 1.0)).decode(frame) == [TOKEN]


@pytest.mark.parametrize("bad", [(0.5, 0.0, 0.4, 1.0), (0.0, -0.1, 1.0, 1.0), (0, 0, 1.2, 1)])
def test_an_impossible_guide_box_is_refused(bad: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="ROI"):
        Roi(*bad)


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        QrDecoder(engine="quagga")


@pytest.mark.parametrize("engine", [ZbarEngine, ZxingEngine])
def test_each_engine_reads_a_plain_qr(engine: type) -> None:
    gray = np.full((400, 400), 255, np.uint8)
    code = qr_image("https://antrian.bpjsketenagakerjaan.go.id/t/TGC4K7QX", module_px=8)
    gray[40 : 40 + code.shape[0], 40 : 40 + code.shape[1]] = code
    assert engine().decode(gray) == ["https://antrian.bpjsketenagakerjaan.go.id/t/TGC4K7QX"]
    assert engine().decode(np.full((400, 400), 255, np.uint8)) == []


def test_zbar_only_decoder_still_works_without_zxing() -> None:
    decoder = QrDecoder(engine="zbar")
    assert decoder.engine_name == "zbar"
    assert decoder.decode(scene(phone_card(TOKEN))) == [TOKEN]


def test_short_payloads_are_drawn_as_full_qr_not_micro_qr() -> None:
    """ZBar cannot read Micro QR, which segno picks for an 8-character booking code."""
    code = qr_image("TGC4K7QX", module_px=1, border=0)
    assert code.shape[0] >= 21  # Micro QR is at most 17 modules
    gray = cv2.cvtColor(scene(qr_image("TGC4K7QX", module_px=8)), cv2.COLOR_BGR2GRAY)
    assert ZbarEngine().decode(gray) == ["TGC4K7QX"]


def test_grayscale_frames_decode_like_colour_ones() -> None:
    gray = cv2.cvtColor(scene(phone_card(TOKEN)), cv2.COLOR_BGR2GRAY)
    assert QrDecoder().decode(gray) == [TOKEN]
    assert QrDecoder(engine="zbar").decode(gray) == [TOKEN]
