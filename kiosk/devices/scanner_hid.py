"""USB barcode/QR scanners in keyboard-wedge (HID) mode, read through evdev.

A wedge scanner "types" what it reads and presses Enter. Left to the window system, those
keystrokes would land in whatever widget has focus. So the booth opens the scanner's own evdev
node (udev gives it a stable name, e.g. ``/dev/input/by-id/usb-<vendor>-event-kbd``), grabs it so
no keystroke reaches the UI, and turns key events back into text here.

``KeyEventDecoder`` is pure (events in, scans out) so it is tested by replaying recorded event
sequences; ``HidScanner`` adds the device, the grab and a reader thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from evdev import ecodes as e

from kiosk.devices.status import DeviceError, DeviceStatus
from kiosk.devices.worker import WorkerThread

if TYPE_CHECKING:
    from evdev import InputDevice

log = logging.getLogger(__name__)

KEY_UP, KEY_DOWN, KEY_HOLD = 0, 1, 2

# US layout, which wedge scanners emulate unless configured otherwise: code -> (plain, shifted)
_KEYMAP: dict[int, tuple[str, str]] = {
    **{getattr(e, f"KEY_{c}"): (c.lower(), c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{getattr(e, f"KEY_{d}"): (d, s) for d, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    e.KEY_MINUS: ("-", "_"),
    e.KEY_EQUAL: ("=", "+"),
    e.KEY_LEFTBRACE: ("[", "{"),
    e.KEY_RIGHTBRACE: ("]", "}"),
    e.KEY_BACKSLASH: ("\\", "|"),
    e.KEY_SEMICOLON: (";", ":"),
    e.KEY_APOSTROPHE: ("'", '"'),
    e.KEY_GRAVE: ("`", "~"),
    e.KEY_COMMA: (",", "<"),
    e.KEY_DOT: (".", ">"),
    e.KEY_SLASH: ("/", "?"),
    e.KEY_SPACE: (" ", " "),
    # some scanners send digits from the keypad (NumLock assumed on, as they expect)
    **{getattr(e, f"KEY_KP{d}"): (d, d) for d in "0123456789"},
    e.KEY_KPDOT: (".", "."),
    e.KEY_KPMINUS: ("-", "-"),
    e.KEY_KPPLUS: ("+", "+"),
    e.KEY_KPASTERISK: ("*", "*"),
    e.KEY_KPSLASH: ("/", "/"),
}
_SHIFTS = {e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT}
_TERMINATORS = {"enter": {e.KEY_ENTER, e.KEY_KPENTER}, "tab": {e.KEY_TAB}}


class ScannerMissing(DeviceError):
    """The scanner's evdev node is not there or cannot be opened/grabbed."""


class KeyEventDecoder:
    """Turn (type, code, value) evdev events into scanned strings.

    Tracks Shift (held across several characters or pressed per character, scanners do both)
    and Caps Lock. Only key-down events type; releases, ``EV_MSC`` scan codes and ``EV_SYN``
    reports are ignored. Unknown keys are dropped rather than guessed.
    """

    def __init__(self, *, terminators: Iterable[str] = ("enter",), max_length: int = 512) -> None:
        """``terminators``: which keys end a scan, "enter" and/or "tab" (scanner setting).
        ``max_length``: input longer than this is discarded up to the next terminator (a stuck
        key or a scanner in the wrong mode, not a ticket)."""
        self._end = set().union(*(_TERMINATORS[t] for t in terminators))
        self.max_length = max_length
        self._shift: set[int] = set()
        self._caps = False
        self._buffer: list[str] = []
        self._overflowed = False

    def feed(self, event_type: int, code: int, value: int) -> str | None:
        """Feed one event; returns the scanned text when this event completes a scan."""
        if event_type != e.EV_KEY:
            return None
        if code in _SHIFTS:
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return None
        if value != KEY_DOWN:
            return None
        if code == e.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in self._end:
            text = "".join(self._buffer)
            self._buffer.clear()
            overflowed, self._overflowed = self._overflowed, False
            return None if overflowed or not text else text
        chars = _KEYMAP.get(code)
        if chars is None:
            return None
        shifted = bool(self._shift)
        if chars[0].isalpha() and self._caps:
            shifted = not shifted
        if self._overflowed:
            return None
        self._buffer.append(chars[1] if shifted else chars[0])
        if len(self._buffer) > self.max_length:  # drop it all, up to the next Enter
            log.warning("scanner input over %d characters without Enter: dropped", self.max_length)
            self._buffer.clear()
            self._overflowed = True
        return None

    def feed_all(self, events: Iterable[tuple[int, int, int]]) -> list[str]:
        """Feed many events; return every scan they complete, in order."""
        return [text for ev in events if (text := self.feed(*ev)) is not None]

    def reset(self) -> None:
        """Forget a half-typed scan and modifier state (after the device was reopened)."""
        self._buffer.clear()
        self._shift.clear()
        self._caps = False
        self._overflowed = False


class HidScanner(WorkerThread):
    """Reads a wedge scanner's evdev node in a thread and calls ``on_scan(text)`` per scan.

    Opens and grabs the device; when it is missing or unplugged, reports it and retries every
    ``retry_interval`` seconds. ``on_scan`` runs on the reader thread.
    """

    def __init__(
        self,
        path: str,
        on_scan: Callable[[str], None],
        *,
        grab: bool = True,
        terminators: Iterable[str] = ("enter",),
        retry_interval: float = 2.0,
        name: str = "scanner",
    ) -> None:
        self.path = path
        self.on_scan = on_scan
        self.grab = grab
        self.retry_interval = retry_interval
        self.name = name
        self.decoder = KeyEventDecoder(terminators=terminators)
        self._ok = False
        self._detail = "not started"
        super().__init__()
        self.thread_name = f"{name}-hid"

    def device_status(self) -> DeviceStatus:
        return DeviceStatus(self.name, self._ok, self._detail)

    def open_device(self) -> InputDevice:
        """Open and grab the node; ``ScannerMissing`` says why not, in words for branch IT."""
        from evdev import InputDevice

        if not os.path.exists(self.path):
            raise ScannerMissing(f"no scanner at {self.path} (unplugged, or udev rule missing)")
        try:
            device = InputDevice(self.path)
        except OSError as exc:
            raise ScannerMissing(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        if self.grab:
            try:
                device.grab()  # keystrokes now reach only us, never the focused widget
            except OSError as exc:
                device.close()
                raise ScannerMissing(
                    f"cannot grab {self.path}: {exc.strerror or exc} (another program holds it?)"
                ) from exc
        return device

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                device = self.open_device()
            except ScannerMissing as exc:
                self._set(False, f"{exc}; retrying every {self.retry_interval:g} s")
                self._stop.wait(self.retry_interval)
                continue
            self.decoder.reset()
            self._set(True, f"{device.name} at {self.path}")
            try:
                self._read(device)
            except OSError as exc:  # ENODEV when the scanner is pulled out
                self._set(False, f"{self.path} lost: {exc.strerror or exc}; retrying")
            finally:
                with contextlib.suppress(OSError):  # already gone with the device
                    device.close()

    def _read(self, device: InputDevice) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([device.fd], [], [], 0.25)
            if not readable:
                continue
            for event in device.read():
                text = self.decoder.feed(event.type, event.code, event.value)
                if text is not None:
                    try:
                        self.on_scan(text)
                    except Exception:
                        log.exception("scanner callback failed")

    def _set(self, ok: bool, detail: str) -> None:
        if (ok, detail) != (self._ok, self._detail):
            log.info("%s: %s (%s)", self.name, "ok" if ok else "missing", detail)
        self._ok, self._detail = ok, detail
