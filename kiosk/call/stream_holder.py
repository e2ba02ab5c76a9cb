"""Opening and closing the call's PortAudio streams: one at a time, and never lost.

PortAudio is not thread-safe: the call opens its microphone and earphones streams on worker
threads (opening can take a second on PulseAudio), so two could otherwise be opened or closed at
the same moment. And a running stream must never become garbage: its callback holds its owner,
so the two form a cycle that the garbage collector may clear (even on PortAudio's own thread, in
the middle of a callback) while PortAudio keeps calling; that ends in an AttributeError at best
and a segmentation fault at worst (seen here). So every open stream is kept in ``_running``
until it is closed: a stream someone forgot to close leaks, it never crashes the booth.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import sounddevice as sd

from kiosk.devices.headset import _abort, _close, _start

_lock = threading.Lock()
_running: set[sd._StreamBase] = set()


def open_started(make: Callable[[], sd._StreamBase]) -> sd._StreamBase:
    """Create a stream with ``make()`` and start it (counted as open for ``refresh_devices``).
    Raises ``sd.PortAudioError`` when the device refuses."""
    with _lock:
        stream = make()
        _running.add(stream)
        try:
            _start(stream)
        except BaseException:
            _running.discard(stream)
            raise
        return stream


def close(stream: sd._StreamBase, *, play_out: bool = False) -> None:
    """Stop and close ``stream``: ``play_out`` lets queued output finish, else it is dropped."""
    with _lock:
        try:
            (_close if play_out else _abort)(stream)
        finally:
            _running.discard(stream)


def running() -> list[sd._StreamBase]:
    """The call's streams open right now (the tests check that a call leaves none)."""
    with _lock:
        return list(_running)


class StreamHolder:
    """One stream that is opened on a worker thread and may be closed from any thread, in any
    order: a close that comes first makes the later open close its stream at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream: sd._StreamBase | None = None
        self._closed = False

    def opened(self, stream: sd._StreamBase) -> bool:
        """Keep ``stream``; False (and the stream closed) if ``take()`` came first."""
        with self._lock:
            if not self._closed:
                self._stream = stream
                return True
        close(stream)
        return False

    def take(self) -> sd._StreamBase | None:
        """The stream to close (or None), and no stream accepted after this."""
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
            return stream

    @property
    def stream(self) -> sd._StreamBase | None:
        return self._stream
