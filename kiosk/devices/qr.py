"""Ticket QR decoding shaped for the booth camera, and a scan loop that runs it off the UI thread.

DESIGN.md asks for the same answer on an idle and on a saturated CPU, codes from ~60 px anywhere
in a 480p/720p/1080p frame read at least as often as zxing-cpp on the full frame, and a 720p frame
in <= 5 ms median, <= 15 ms p95 (numbers: ``python -m bench.qr_decode``). The shape:

1. The whole frame at full resolution (grayscale), zxing-cpp, QR only. Nothing is cropped away
   first, so a code beside or across the guide box is read like one inside it, and a small code
   keeps every pixel it has. Most frames end here (~2.5 ms at 720p).
2. A half-size copy with zxing-cpp's own downscale pyramid: big, blurred codes.
3. Where a code may be: codes zxing-cpp *located* but could not read, then QR-like patches
   (``qr_regions``: too small or too soft for zxing-cpp to locate). Each is cut out, upscaled to
   a few pixels per module, contrast-stretched (and sharpened), then decoded.
4. Last, when the frame shows something QR-like: inverted colours (dark-mode screens) on the
   half-size copy.

What runs is decided by what the frame shows and by a budget counted in *work* (pixels handed to
an engine, ``last_work``), never by the clock: the same frame gives the same answer and the same
cost on a quiet and on a busy core. The budget caps the worst frame (``work_limit``); a frame
with no QR in view costs the whole-frame looks (``frame_work``) plus whatever QR-like patches
it shows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.devices.camera import SharedCamera
from kiosk.devices.qr_engines import QrEngine, ZbarEngine, ZxingEngine, zxing_available
from kiosk.devices.qr_regions import Region, find_regions
from kiosk.devices.worker import WorkerThread

log = logging.getLogger(__name__)

# Work is counted in pixels handed to an engine or a filter. A frame pays for its whole-frame
# looks (in proportion to its size) and at most PATCH_BUDGET pixels of closer looks: a patch is
# upscaled to a fixed pitch per module, so its cost depends on the code, not on the camera. On
# the bench's hard sets (two seeds, 750 frames) every closer look that read a code needed under
# 180,000 pixels and the read rate stops growing at 300,000; the budget leaves a margin and
# keeps the worst 720p frame (nothing read) near 9 ms on the bench machine.
PATCH_BUDGET = 400_000


def _half_look(pixels: int) -> int:
    """A half-size copy with zxing-cpp's pyramid under it: 1/4 * (1 + 1/4 + 1/16 + ...)."""
    return pixels // 3


def _search(pixels: int) -> int:
    """The region search: two gradients on a quarter of the pixels."""
    return pixels // 2


def _inverted_look(pixels: int) -> int:
    """The inverted half-size copy: only when the frame shows something QR-like."""
    return pixels // 4


def frame_work(width: int, height: int, *, qr_like: bool = False) -> int:
    """What a frame costs when no look reads anything, before closer looks at patches: the
    full-resolution look, the half-size look, the region search, and when something in it
    looks like a QR (``qr_like``) the inverted look."""
    pixels = width * height
    if min(width, height) < 64:
        return pixels
    inverted = _inverted_look(pixels) if qr_like else 0
    return pixels + _half_look(pixels) + _search(pixels) + inverted


def work_limit(width: int, height: int) -> int:
    """The most any frame of this size costs (a frame with no QR in view included)."""
    return frame_work(width, height, qr_like=True) + PATCH_BUDGET


@dataclass(frozen=True)
class Roi:
    """The guide box as fractions of the frame (0..1), so it holds for any camera resolution.

    The screen draws it to tell the participant where to hold the phone; decoding looks at the
    whole frame anyway (people hold phones beside or across it).
    """

    x0: float = 0.2
    y0: float = 0.05
    x1: float = 0.8
    y1: float = 0.95

    def __post_init__(self) -> None:
        if not (0 <= self.x0 < self.x1 <= 1 and 0 <= self.y0 < self.y1 <= 1):
            raise ValueError(f"ROI must satisfy 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1: {self}")

    def slice(self, width: int, height: int) -> tuple[slice, slice]:
        return (
            slice(int(self.y0 * height), int(round(self.y1 * height))),
            slice(int(self.x0 * width), int(round(self.x1 * width))),
        )


def _to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _stretch(gray: np.ndarray) -> np.ndarray:
    """Stretch a patch's 1st..99th percentile to full range: a dim or hazed code spans a few
    dozen grey levels, under what zxing-cpp's binariser accepts."""
    cumulative = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel().cumsum()
    lo = int(np.searchsorted(cumulative, cumulative[-1] * 0.01))
    hi = int(np.searchsorted(cumulative, cumulative[-1] * 0.99))
    if hi - lo < 8:
        return gray
    scale = 255.0 / (hi - lo)
    return cv2.convertScaleAbs(gray, alpha=scale, beta=-lo * scale)


class _Work:
    """A per-frame allowance of pixels for closer looks; counts everything a frame costs."""

    def __init__(self, patch_budget: int) -> None:
        self.left = patch_budget
        self.used = 0

    def take(self, pixels: float) -> bool:
        """Spend ``pixels`` of the allowance when they fit; False (and nothing spent) if not."""
        if pixels > self.left:
            return False
        self.left -= int(pixels)
        self.used += int(pixels)
        return True

    def spend(self, pixels: float) -> None:
        """Whole-frame looks: always run, counted but not taken from the allowance."""
        self.used += int(pixels)


# Closer looks at a patch, best value first (measured on the bench's misses): contrast
# stretched at the base pitch, sharpened against blur, then a larger upscale.
PATCH_LOOKS: tuple[tuple[str, float], ...] = (("stretch", 1.0), ("sharpen", 1.0), ("stretch", 1.6))


class QrDecoder:
    """Find ticket QR payloads in camera frames: whole frame first, then a closer look where a
    code may be, within a budget counted in work (pixels), not time.

    Not thread safe (the engines keep state): give each thread its own decoder.
    ``last_pass`` names the step that found the code in the latest call (for the bench and the
    tests), or ``None``; ``last_work`` is what that call cost, in pixels handed to an engine or
    a filter (``work_limit`` bounds it).
    """

    def __init__(
        self,
        *,
        roi: Roi = Roi(),
        patch_budget: int = PATCH_BUDGET,
        engine: str = "auto",
        module_px: float = 5.0,
    ) -> None:
        """``engine``: "zxing" or "zbar" for one engine only, "auto" for zxing-cpp (ZBar when
        zxing-cpp is not installed). ``module_px``: the pitch patches are upscaled to."""
        if engine not in ("auto", "zxing", "zbar"):
            raise ValueError(f"unknown QR engine {engine!r}: use 'auto', 'zxing' or 'zbar'")
        self.roi = roi
        self.patch_budget = patch_budget
        self.module_px = module_px
        self.last_pass: str | None = None
        self.last_work = 0
        use_zxing = engine == "zxing" or (engine == "auto" and zxing_available())
        self._primary: QrEngine = ZxingEngine() if use_zxing else ZbarEngine()

    @property
    def engine_name(self) -> str:
        return self._primary.name

    def decode(self, frame: np.ndarray) -> list[str]:
        """Return the distinct payloads found in ``frame`` (BGR or gray); [] when none."""
        gray = np.ascontiguousarray(_to_gray(frame))
        work = _Work(self.patch_budget)
        found = self._look(gray, work)
        self.last_work = work.used
        if found is None:
            self.last_pass = None
            return []
        self.last_pass, texts = found
        return list(dict.fromkeys(texts))

    def _look(self, gray: np.ndarray, work: _Work) -> tuple[str, list[str]] | None:
        pixels = gray.size
        work.spend(pixels)
        scan = self._primary.scan(gray)
        if scan.texts:
            return "frame", scan.texts
        if min(gray.shape) < 64:
            return None  # too small for a half-size copy, let alone a code
        half = cv2.pyrDown(gray)
        work.spend(_half_look(pixels))
        halved = self._primary.scan(half, downscale=True)  # big, blurred codes read smaller
        if halved.texts:
            return "half", halved.texts
        work.spend(_search(pixels))
        suspects = scan.suspects + [2 * corners for corners in halved.suspects]
        regions = self._regions(gray, half, suspects)
        # round robin, smallest first: the first look at every candidate before a second look
        # at any, so one large (often bogus) candidate cannot spend what the right one needed
        regions.sort(key=lambda named: named[1].w * named[1].h)
        for variant, zoom in PATCH_LOOKS:
            for name, region in regions:
                patch = self._patch(gray, region, variant, zoom, work)
                if patch is None:
                    continue
                texts = self._primary.decode(patch)
                if texts:
                    return f"{name}-{variant}", texts
        if regions:  # dark-mode screens (light modules on dark) show QR-like texture too
            work.spend(_inverted_look(pixels))
            texts = self._primary.decode(cv2.bitwise_not(half))
            if texts:
                return "inverted", texts
        return None

    def _regions(
        self, gray: np.ndarray, half: np.ndarray, suspects: list[np.ndarray]
    ) -> list[tuple[str, Region]]:
        height, width = gray.shape[:2]
        picked: list[tuple[str, Region]] = []
        for corners in suspects:
            x, y = corners.min(axis=0)
            x1, y1 = corners.max(axis=0)
            region = Region(int(x), int(y), int(x1 - x) + 1, int(y1 - y) + 1, float("inf"))
            picked.append(("located", region.grown(0.15, width, height)))
        for region in find_regions(half):
            grown = region.grown(0.2, width, height)
            if all(grown.overlap(r) < 0.8 for _, r in picked):
                picked.append(("region", grown))
        return picked

    def _patch(
        self, gray: np.ndarray, region: Region, variant: str, zoom: float, work: _Work
    ) -> np.ndarray | None:
        """The region cut out at ~``module_px`` per module (assuming a version 2-4 code,
        25-33 modules, as ticket payloads are) times ``zoom``, or None when over budget (a
        huge candidate is mostly a bogus location, and the whole-frame looks covered it)."""
        if min(region.w, region.h) < 16:
            return None  # a location at the frame's edge, clipped to almost nothing
        side = max(region.w, region.h)
        scale = min(5.0, max(1.0, zoom * self.module_px * 33 / side))
        cost = region.w * region.h * scale * scale
        if cost > self.patch_budget / 3 or not work.take(cost):
            return None  # one patch may not take more than a third: there are other candidates
        # filters on the small crop, the upscale last: the same picture for a fraction of the work
        crop = gray[region.y : region.y + region.h, region.x : region.x + region.w]
        if variant == "sharpen":  # unsharp mask: restores module edges softened by blur
            crop = cv2.addWeighted(crop, 2.0, cv2.GaussianBlur(crop, (0, 0), 1.0), -1.0, 0)
        crop = _stretch(crop)
        if scale > 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        return np.ascontiguousarray(crop)


class QrScanLoop(WorkerThread):
    """Decode the camera's newest frame in a worker thread and report new payloads.

    Runs off the UI thread so decoding never costs the UI a frame. Takes the newest frame each
    time (``SharedCamera.wait_frame``): when decoding is slower than the camera, stale frames are
    skipped instead of queueing up, so a QR shown now is read now. The same payload is not
    reported again within ``repeat_after`` seconds (a phone held up is seen on every frame);
    ``forget()`` clears that memory, e.g. when a new participant starts.

    ``on_payload(text)`` runs on the worker thread: a UI must hop to its own thread.
    """

    thread_name = "qr-scan"

    def __init__(
        self,
        camera: SharedCamera,
        on_payload: Callable[[str], None],
        *,
        decoder: QrDecoder | None = None,
        repeat_after: float = 3.0,
    ) -> None:
        self.camera = camera
        self.on_payload = on_payload
        self.decoder = decoder or QrDecoder()
        self.repeat_after = repeat_after
        self.frames_decoded = 0
        self.frames_skipped = 0
        self.last_decode_ms = 0.0
        self._reported: dict[str, float] = {}
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        super().__init__()

    def pause(self) -> None:
        """Stop decoding (the camera keeps running): frees the CPU for the call's video encoder."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def forget(self) -> None:
        """Report every payload again from now on, even one reported a moment ago."""
        with self._lock:
            self._reported.clear()

    def _run(self) -> None:
        seen = self.camera.latest()
        last = seen.number if seen is not None else 0
        while not self._stop.is_set():
            if not self._running.wait(0.25):
                continue
            frame = self.camera.wait_frame(after=last, timeout=0.25)
            if frame is None or self.paused:
                continue
            if last:
                self.frames_skipped += max(0, frame.number - last - 1)
            last = frame.number
            t0 = time.perf_counter()
            try:
                payloads = self.decoder.decode(frame.image)
            except Exception:  # one odd frame must not end scanning for the day
                log.exception("QR decode failed on frame %d", frame.number)
                continue
            self.last_decode_ms = (time.perf_counter() - t0) * 1000
            self.frames_decoded += 1
            for payload in payloads:
                if self._is_new(payload):
                    try:
                        self.on_payload(payload)
                    except Exception:
                        log.exception("QR payload callback failed")

    def _is_new(self, payload: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._reported.get(payload)
            if last is not None and now - last < self.repeat_after:
                return False
            self._reported[payload] = now
            return True
