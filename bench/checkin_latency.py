"""Check-in latency: a ticket QR becomes visible to the camera → the `confirm` screen is drawn.

    python -m bench.checkin_latency [--runs 30] [--warmup 2] [--start scanning|attract]
                                    [--per-run]

DESIGN.md "Numbers to beat": QR visible → confirm screen <= 150 ms p95 with the hub on loopback,
and no UI frame over 50 ms while scanning. Everything runs for real, in this one process except
the hub: the booth app (`kiosk.app.BoothApp` with `BoothDevices` and `HubClient`, the wiring of
`kiosk run`) on its own Xvfb display (unless DISPLAY is set), against a real `bilik-hub serve` on
a free loopback port with a seeded branch, one booth and one valid ticket per run.

The camera is the only stand-in: `TicketCamera`, a 1280x720 source at 30 fps that costs what a
MJPG webcam costs (each frame is JPEG-decoded) and, from the moment the bench says so, shows a
phone with the QR of the run's ticket in the guide box. QR *difficulty* is `bench.qr_decode`'s
job; here the code is clean and the question is how long the pipeline takes.

One run, the way a participant does it:
  tap "start" → scanning screen (live preview) → 0.4–0.8 s later the phone appears →
  QR decoded → verifying → hub look-up → confirm drawn → phone lowered → tap "not_me" → attract.

Measured, all on `time.monotonic()`:
  start  the `SharedCamera` timestamp of the first frame showing the QR;
  end    right after the buffer swap of the first frame Kivy draws after the flow entered
         `confirm` (Window's `on_flip` handlers run before the swap, so the bench wraps `flip`).
and in between, by wrapping the product's objects at their public seams (no product change):
the QR scan loop's decoder and payload callback, `HubClient.lookup` and `.heartbeat`, the app's
state listeners. "hub look-up alone" times the same call before the app starts: the difference
is what the busy booth PC costs the round trip.
UI frames: the UI thread's Clock tick intervals from the scanning screen's appearance to the
confirm screen (Kivy caps them at 60 fps); an interval over 50 ms means the UI thread could not
draw for that long. Under Xvfb the GL is Mesa's llvmpipe: every frame is rasterized by the CPU,
inside the buffer swap, which is why the report shows the swap separately.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.devices.camera import CameraSource, Frame, SharedCamera
from kiosk.devices.qr_image import phone_card
from kiosk.kivy_env import prepare_kivy
from scripts.virtual_screen import VirtualScreen

TARGET_P95_MS = 150.0
FRAME_LIMIT_MS = 50.0
CAMERA_W, CAMERA_H, CAMERA_FPS = 1280, 720, 30.0
SCREEN = "1280x800x24"
RUN_TIMEOUT_S = 10.0
GAP_S = (0.4, 0.8)  # scanning screen shown → phone held up
LOWER_S = 0.15  # confirm drawn → phone lowered → "not me" (no stale QR frame left to read)


# --- the camera ------------------------------------------------------------------------------


class TicketCamera(CameraSource):
    """A 30 fps booth camera. ``show(card)`` puts a phone showing a ticket QR in the guide box
    from the next frame on; ``hide()`` takes it away. ``first_image`` is the first image of the
    latest showing, ``first_frame`` the ``Frame`` the shared camera published it as (found when
    the capture thread comes back to ``read``, right after publishing it)."""

    description = "bench camera (synthetic booth scene, MJPG-decoded)"

    def __init__(self, seed: int) -> None:
        self.camera: SharedCamera | None = None
        self.first_frame: Frame | None = None
        self.first_image: np.ndarray | None = None
        self._scenes = _booth_scenes(seed)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._card: tuple[np.ndarray, int, int] | None = None
        self._pending_first = False
        self._next_due = 0.0
        self._n = 0
        self._open = False

    def show(self, card: np.ndarray) -> None:
        ch, cw = card.shape[:2]
        top = (CAMERA_H - ch) // 2 + self._rng.randint(-30, 30)
        left = (CAMERA_W - cw) // 2 + self._rng.randint(-120, 120)
        with self._lock:
            self._card, self._pending_first = (card, top, left), True
            self.first_image = self.first_frame = None

    def hide(self) -> None:
        with self._lock:
            self._card = None

    def open(self) -> None:
        self._open, self._next_due = True, time.monotonic()

    def read(self) -> np.ndarray:
        self._note_published()
        now = time.monotonic()
        if self._next_due > now:
            time.sleep(self._next_due - now)
        self._next_due = max(self._next_due + 1 / CAMERA_FPS, time.monotonic())
        self._n += 1
        image = cv2.imdecode(self._scenes[self._n % len(self._scenes)], cv2.IMREAD_COLOR)
        with self._lock:
            if self._card is not None:
                card, top, left = self._card
                image[top : top + card.shape[0], left : left + card.shape[1]] = card
                if self._pending_first:
                    self._pending_first, self.first_image = False, image
        return image

    def _note_published(self) -> None:
        latest = self.camera.latest() if self.camera is not None else None
        first = self.first_image
        if self.first_frame is None and latest is not None and latest.image is first:
            self.first_frame = latest

    def close(self) -> None:
        self._open = False

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return (CAMERA_W, CAMERA_H) if self._open else None


def _booth_scenes(seed: int, count: int = 15) -> list[np.ndarray]:
    """Half a second of a booth seen by a webcam (soft light, furniture, sensor noise), as JPEG."""
    rng = np.random.default_rng(seed)
    low = rng.integers(60, 200, (9, 16, 3)).astype(np.uint8)
    scene = cv2.resize(low, (CAMERA_W, CAMERA_H), interpolation=cv2.INTER_CUBIC)
    for _ in range(10):
        x, y = int(rng.integers(0, CAMERA_W)), int(rng.integers(0, CAMERA_H))
        colour = tuple(int(c) for c in rng.integers(20, 235, 3))
        cv2.rectangle(scene, (x, y), (x + int(rng.integers(40, 400)), y + 200), colour, -1)
    scenes = []
    for i in range(count):
        noise = np.empty((CAMERA_H, CAMERA_W), np.int16)
        cv2.randn(noise, 0, 5)
        frame = np.clip(np.roll(scene, 2 * i, axis=1) + noise[:, :, None], 0, 255).astype(np.uint8)
        scenes.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1])
    return scenes


# --- what one run records ----------------------------------------------------------------------


@dataclass
class Run:
    """Instants (monotonic seconds) of one check-in; STAGES names what lies between them."""

    payload: str
    booking_code: str
    screen_up: float = math.nan  # UI thread: the screen the participant scans at was entered
    frame: float = math.nan  # SharedCamera timestamp of the first frame showing the QR
    decode_start: float = math.nan  # the scan loop starts decoding the frame that read it
    decoded: float = math.nan  # the scan loop reports the payload
    first_frame_read: bool = False  # ... and that frame was the first one showing the QR
    verifying: float = math.nan  # UI thread: flow entered `verifying`
    lookup_sent: float = math.nan  # hub-call worker: HubClient.lookup called
    lookup_answered: float = math.nan  # ... and returned
    confirm: float = math.nan  # UI thread: flow entered `confirm`
    swap_start: float = math.nan  # UI thread: the next frame is drawn, its buffer swap starts
    drawn: float = math.nan  # ... and has ended: the confirm screen is on the display
    done: threading.Event = field(default_factory=threading.Event)

    def ms(self, start: str, end: str) -> float:
        return (getattr(self, end) - getattr(self, start)) * 1000


STAGES = [  # (label, from, to): consecutive, so they add up to the total
    ("scan loop busy with older frame", "frame", "decode_start"),
    ("QR decode", "decode_start", "decoded"),
    ("wait for UI thread -> verifying", "decoded", "verifying"),
    ("hand-over to hub-call worker", "verifying", "lookup_sent"),
    ("hub look-up round trip", "lookup_sent", "lookup_answered"),
    ("wait for UI thread -> confirm", "lookup_answered", "confirm"),
    ("lay out + draw confirm", "confirm", "swap_start"),
    ("buffer swap (GL finishes here)", "swap_start", "drawn"),
]


class BenchFailed(Exception):
    pass


class Probe:
    """Collects instants from the UI, QR-scan, hub-call and heartbeat threads."""

    def __init__(self) -> None:
        self.current: Run | None = None
        self.state = "attract"
        self.entered: dict[str, float] = {}  # state → when it was last entered
        self.strays: list[str] = []  # payloads reported that were not the current run's
        self.ticks: list[float] = []  # every UI Clock tick
        self.swaps: list[tuple[float, float]] = []  # every buffer swap (start, end)
        self.heartbeats: list[tuple[float, float]] = []  # every heartbeat call (start, end)
        self.graphics = ""  # GL renderer and multisampling: they decide what a frame costs
        self._awaiting_draw: Run | None = None
        self._changed = threading.Condition()

    # UI thread
    def on_state(self, _old: str, new: str) -> None:
        now, run = time.monotonic(), self.current
        if run is not None and new == "verifying" and math.isnan(run.verifying):
            run.verifying = now
        if run is not None and new == "confirm" and math.isnan(run.confirm):
            run.confirm, self._awaiting_draw = now, run
        with self._changed:
            self.state, self.entered[new] = new, now
            self._changed.notify_all()

    def on_swap(self, start: float, end: float) -> None:
        self.swaps.append((start, end))
        run, self._awaiting_draw = self._awaiting_draw, None
        if run is not None:
            run.swap_start, run.drawn = start, end
            run.done.set()

    def on_tick(self, _dt: float) -> None:
        self.ticks.append(time.monotonic())

    # QR scan thread
    def on_payload(self, payload: str, decode_start: float, first_frame_read: bool) -> None:
        run = self.current
        if run is None or payload != run.payload:
            self.strays.append(payload)
        elif math.isnan(run.decoded):
            run.decoded, run.decode_start = time.monotonic(), decode_start
            run.first_frame_read = first_frame_read

    # hub-call worker, heartbeat worker
    def on_lookup(self, booking_code: str | None, sent: float, answered: float) -> None:
        run = self.current
        if run is not None and booking_code == run.booking_code and math.isnan(run.lookup_sent):
            run.lookup_sent, run.lookup_answered = sent, answered

    def on_heartbeat(self, start: float, end: float) -> None:
        self.heartbeats.append((start, end))

    # participant thread
    def wait_state(self, state: str, timeout: float = RUN_TIMEOUT_S) -> float:
        """Wait until the booth is in `state`; return when it entered it."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.state == state, timeout):
                raise BenchFailed(f"booth never reached {state!r} (it is in {self.state!r})")
            return self.entered.get(state, time.monotonic())


# --- instrumenting the real app at its seams (bench only, no product change) ---------------------


def instrument(app: Any, camera: TicketCamera, probe: Probe) -> None:
    """Wrap the scan loop's decoder and callback, the hub calls and the window's buffer swap."""
    from kivy.clock import Clock
    from kivy.core.window import Window

    qr, hub = app.devices.qr, app.hub
    decoder, report = qr.decoder, qr.on_payload
    last: dict[str, Any] = {"start": math.nan, "image": None}

    class TimedDecoder:
        def __getattr__(self, name: str) -> Any:
            return getattr(decoder, name)

        def decode(self, image: np.ndarray) -> list[str]:
            last["start"], last["image"] = time.monotonic(), image
            return decoder.decode(image)

    def on_payload(payload: str) -> None:
        first = last["image"] is not None and last["image"] is camera.first_image
        probe.on_payload(payload, last["start"], first)
        report(payload)

    qr.decoder, qr.on_payload = TimedDecoder(), on_payload

    lookup, heartbeat = hub.lookup, hub.heartbeat

    def timed_lookup(query: Any) -> dict[str, Any]:
        sent = time.monotonic()
        try:
            return lookup(query)
        finally:
            probe.on_lookup(query.booking_code, sent, time.monotonic())

    def timed_heartbeat(*args: Any) -> None:
        start = time.monotonic()
        try:
            heartbeat(*args)
        finally:
            probe.on_heartbeat(start, time.monotonic())

    hub.lookup, hub.heartbeat = timed_lookup, timed_heartbeat

    swap = Window.flip

    def flip() -> None:  # Window.on_flip's own handler calls this after the bound handlers
        start = time.monotonic()
        swap()
        probe.on_swap(start, time.monotonic())

    Window.flip = flip
    Clock.schedule_interval(probe.on_tick, 0)  # every frame
    app.state_listeners.append(probe.on_state)


# --- the participant ---------------------------------------------------------------------------


def participant(app: Any, camera: TicketCamera, probe: Probe, runs: list[Run], cards, args) -> None:
    """Runs on its own thread and checks in every run's ticket; touches go through the Clock."""
    from kivy.clock import Clock

    def touch(action: str) -> None:
        Clock.schedule_once(lambda _dt: app.touch(action))

    rng = random.Random(args.seed)
    deadline = time.monotonic() + 30
    while app.devices.camera.status.value != "ok" or app.flow.state.value != "attract":
        if time.monotonic() > deadline:
            raise BenchFailed(f"booth not ready: flow {app.flow.state.value}, camera not ok")
        time.sleep(0.1)
    time.sleep(1.0)  # let start-up work (first heartbeat, event stream) settle
    for run in runs:
        if args.start == "scanning":
            touch("start")
        run.screen_up = probe.wait_state(args.start)
        time.sleep(rng.uniform(*GAP_S))
        probe.current = run
        camera.show(cards[run.payload])
        if not run.done.wait(RUN_TIMEOUT_S):
            raise BenchFailed(
                f"no confirm screen within {RUN_TIMEOUT_S:.0f} s of showing {run.booking_code}"
                f" (booth is in {probe.state!r}; QR reported: {not math.isnan(run.decoded)})"
            )
        camera.hide()
        if camera.first_frame is None:  # published long before the confirm screen
            raise BenchFailed(
                f"the camera never published the first QR frame of {run.booking_code}"
            )
        run.frame = camera.first_frame.timestamp
        time.sleep(LOWER_S)
        probe.current = None
        touch("not_me")
        probe.wait_state("attract")


# --- set-up: display, hub, app -----------------------------------------------------------------


def run_bench(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Start a hub, seed it, time look-ups alone, then run the booth app against it."""
    from hub.domain.checkin_rules import make_ticket_token
    from tests.hub.harness import SECRET, HubProcess, Seeder, free_port, write_config

    database_url = f"sqlite:///{work / 'hub.db'}"
    port = free_port()
    seeder = Seeder(database_url)
    hub = HubProcess(write_config(work / "hub.toml", database_url, port), port, work / "hub.log")
    try:
        branch = seeder.branch(booths=1, agents=0)
        tickets = [seeder.ticket(branch) for _ in range(args.warmup + args.runs)]
        runs = [Run(make_ticket_token(SECRET, t.booking_code), t.booking_code) for t in tickets]
        booth = branch.booths[0]
        lookup_alone = time_lookups(hub.base_url, booth, runs)
        load = os.getloadavg()[0]
        probe = run_app(args, booth, hub.base_url, runs)
    except BaseException:
        if hub_log := (work / "hub.log").read_text().strip():
            print(f"hub log (tail):\n{hub_log[-2000:]}", file=sys.stderr)
        raise
    finally:
        hub.stop()
    return {
        "runs": runs[args.warmup :],
        "probe": probe,
        "hub_url": hub.base_url,
        "lookup_alone": lookup_alone,
        "load": load,
    }


def time_lookups(hub_url: str, booth: Any, runs: list[Run]) -> list[float]:
    """The look-up round trip with nothing else running (ms): the reference for the breakdown."""
    from contract.ticket_payload import parse_scan
    from kiosk.hub_client import HubClient

    client = HubClient(hub_url, booth.token, booth.id)
    client.lookup(parse_scan(runs[0].payload))  # connect
    samples = []
    for run in runs:
        query = parse_scan(run.payload)
        start = time.perf_counter()
        client.lookup(query)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def run_app(args: argparse.Namespace, booth: Any, hub_url: str, runs: list[Run]) -> Probe:
    """The real booth app, wired like `kiosk run`, with the bench camera and the participant."""
    from kivy.clock import Clock

    from kiosk.app import BoothApp
    from kiosk.booth_devices import BoothDevices
    from kiosk.config import parse_config
    from kiosk.hub_client import HubClient

    config = parse_config(
        {
            "booth": {"id": booth.id, "fullscreen": False},
            "hub": {"url": hub_url, "token": booth.token},
            # a valid source for the config check; BoothDevices gets the bench's camera below
            "camera": {"source": "demo:BENCH", "width": CAMERA_W, "height": CAMERA_H},
        }
    )
    hub = HubClient.from_config(config)
    camera = TicketCamera(args.seed)
    devices = BoothDevices(config, camera_source=camera)
    camera.camera = devices.camera
    app = BoothApp(config, hub, devices)
    probe = Probe()
    instrument(app, camera, probe)
    cards = {run.payload: phone_card(run.payload, qr_px=CAMERA_H // 3) for run in runs}

    failure: list[BaseException] = []

    def check_in_everyone() -> None:
        try:
            participant(app, camera, probe, runs, cards, args)
        except BaseException as err:
            failure.append(err)
        finally:
            Clock.schedule_once(lambda _dt: app.stop())

    def started(_dt: float) -> None:
        probe.graphics = graphics_info()
        threading.Thread(target=check_in_everyone, name="participant", daemon=True).start()

    Clock.schedule_once(started, 0)
    app.run()
    # Kivy keeps the stopped app referenced until exit; zxing-cpp (nanobind) would then report
    # the decoder's objects as leaked at interpreter shutdown: drop them now.
    devices.qr.decoder = None
    gc.collect()
    if failure:
        raise failure[0]
    return probe


def graphics_info() -> str:
    from kivy.config import Config
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    renderer = glGetString(GL_RENDERER)
    renderer = renderer.decode() if isinstance(renderer, bytes) else str(renderer)
    return f"GL {renderer}, Kivy graphics.multisamples = {Config.get('graphics', 'multisamples')}"


# --- report ---------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile: with 30 runs, the 29th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def stats(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}{p95(values):8.1f}{max(values):8.1f}"


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    runs, probe = result["runs"], result["probe"]
    total = [run.ms("frame", "drawn") for run in runs]
    screen = "scanning screen (live preview)" if args.start == "scanning" else "attract screen"
    print("check-in latency: ticket QR visible to the camera -> confirm screen drawn")
    print(
        f"  real BoothApp on X display {os.environ['DISPLAY']} ({SCREEN}),"
        f" camera {CAMERA_W}x{CAMERA_H} @ {CAMERA_FPS:.0f} fps,"
        f" bilik-hub serve at {result['hub_url']} (SQLite)"
    )
    print(f"  {probe.graphics}")
    print(
        f"  {os.cpu_count()} CPUs, load average {result['load']:.2f} when the app started"
        " (other work on the machine shows in every number below)"
    )
    print(
        f"  {len(runs)} runs after {args.warmup} warm-up; the phone is shown on the {screen},"
        f" {GAP_S[0]}-{GAP_S[1]} s after it appeared"
    )
    print()
    print(f"  {'ms':<36}{'median':>8}{'p95':>8}{'max':>8}")
    print(f"  {'QR visible -> confirm drawn':<36}{stats(total)}")
    for label, start, end in STAGES:
        print(f"    {label:<34}{stats([run.ms(start, end) for run in runs])}")
    print(f"  {'hub look-up alone, booth not running':<36}{stats(result['lookup_alone'])}")
    first = sum(run.first_frame_read for run in runs)
    beating = sum(
        any(s < run.lookup_answered and e > run.lookup_sent for s, e in probe.heartbeats)
        for run in runs
    )
    print(f"  QR read on the first frame showing it: {first}/{len(runs)} runs")
    print(f"  a heartbeat to the hub in flight during the look-up: {beating}/{len(runs)} runs")
    if probe.strays:
        print(f"  QR reports of another ticket than the run's: {len(probe.strays)}")

    # UI frames "while scanning": from the scanning screen's appearance to the confirm screen
    windows = [(run.screen_up, run.drawn) for run in runs]

    def scanning(t: float) -> bool:
        return any(start < t <= end for start, end in windows)

    ticks = probe.ticks
    frames = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False) if scanning(b)]
    swaps = [(e - s) * 1000 for s, e in probe.swaps if scanning(e)]
    slow = sum(ms > FRAME_LIMIT_MS for ms in frames)
    print()
    print(
        f"  UI thread while scanning: {len(frames)} frames, median {statistics.median(frames):.1f}"
        f" ms, longest {max(frames):.1f} ms, {slow} over {FRAME_LIMIT_MS:.0f} ms"
    )
    print(
        f"    buffer swap per drawn frame: median {statistics.median(swaps):.1f} ms,"
        f" longest {max(swaps):.1f} ms ({len(swaps)} frames drawn)"
    )
    if args.per_run:
        print()
        print(f"  {'run':>4}{'total':>8}" + "".join(f"{i:>7}" for i in range(1, len(STAGES) + 1)))
        for n, run in enumerate(runs, 1):
            stages = "".join(f"{run.ms(a, b):7.1f}" for _, a, b in STAGES)
            print(f"  {n:>4}{run.ms('frame', 'drawn'):8.1f}{stages}")
        print("  (columns 1.. are the stages above, in order)")
    print()
    latency_ok, frames_ok = p95(total) <= TARGET_P95_MS, slow == 0
    print(
        f"  QR visible -> confirm p95 <= {TARGET_P95_MS:.0f} ms:"
        f" {'PASS' if latency_ok else 'FAIL'} (p95 {p95(total):.1f} ms)"
    )
    print(
        f"  no UI frame over {FRAME_LIMIT_MS:.0f} ms while scanning:"
        f" {'PASS' if frames_ok else 'FAIL'} (longest {max(frames):.1f} ms)"
    )


def log_warnings() -> None:
    """The app's warnings and the bench's errors on stderr; Kivy's chatter only from errors on
    (KIVY_LOG_MODE=PYTHON: Kivy neither captures stderr nor adds handlers of its own)."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.addFilter(lambda r: r.levelno >= logging.ERROR or not r.name.startswith("kivy"))
    logging.basicConfig(handlers=[handler], format="%(levelname)s %(name)s: %(message)s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed check-ins (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed check-ins first")
    parser.add_argument(
        "--start",
        choices=("scanning", "attract"),
        default="scanning",
        help="screen the phone is shown on: 'scanning' (after 'start', with the live preview,"
        " the default) or 'attract' (the booth also reads QRs there, no preview)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-run", action="store_true", help="print every run's breakdown")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")

    xvfb = None
    with tempfile.TemporaryDirectory(prefix="bilik-bench-") as tmp:
        work = Path(tmp)
        try:
            if not os.environ.get("DISPLAY"):
                xvfb = VirtualScreen(SCREEN)
                try:
                    os.environ["DISPLAY"] = xvfb.start()
                except RuntimeError as err:
                    raise BenchFailed(str(err)) from err
            os.environ.pop("WAYLAND_DISPLAY", None)
            os.environ.update({"KIVY_HOME": str(work / "kivy"), "KIVY_LOG_MODE": "PYTHON"})
            prepare_kivy()  # the booth's own Kivy settings, as `kiosk run` applies them
            log_warnings()
            result = run_bench(args, work)
        except BenchFailed as err:
            print(f"bench failed: {err}", file=sys.stderr)
            return 1
        finally:
            if xvfb is not None:
                xvfb.stop()
    report(result, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
