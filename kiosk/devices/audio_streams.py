"""The process's PortAudio streams: one owner for every stream the booth opens.

The headset's own streams (level meter, test tone, mic level) and the call's (microphone and
earphones tracks) all open and close here, for three reasons:

- PortAudio is not thread-safe, and streams are opened on worker threads (opening takes up to a
  second on PulseAudio): one lock makes every open, close and device refresh happen one at a time.
- Re-initialising PortAudio (``refresh_devices``) under an open stream pulls the device from
  under it: it must know about every open stream, whoever opened it.
- A running stream whose owner is dropped forms a cycle with its callback that the garbage
  collector may clear in the middle of a callback, on PortAudio's own thread, which ends in a
  segmentation fault (seen with the call's streams). Every open stream is held here until it is
  closed, so a forgotten stream leaks (and shows up in ``running()``) instead of crashing the
  booth.

Closing is idempotent: a stream closed once (by its user, or by ``close_all`` when the headset
is closed) is never handed to PortAudio again, because a closed stream's handle points at freed
memory.

PortAudio is one per process, so this registry is too (``STREAMS``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

import sounddevice as sd

log = logging.getLogger(__name__)


class Stream(Protocol):
    """What this module needs of a ``sounddevice`` stream."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


S = TypeVar("S", bound=Stream)


class AudioStreams:
    """Open PortAudio streams, each with the object it was opened for (its owner)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Stream, object] = {}

    def open(self, make: Callable[[], S], owner: object) -> S:
        """Create a stream with ``make()`` and start it, held until ``close``. Raises
        ``sd.PortAudioError`` when the device refuses (nothing is left open then)."""
        with self._lock:
            stream = make()
            self._open[stream] = owner
            try:
                stream.start()
            except BaseException:
                self._close_locked(stream, play_out=False)
                raise
            return stream

    def close(self, stream: Stream, *, play_out: bool = False) -> bool:
        """Stop and close ``stream``: ``play_out`` lets queued output finish (a tone's tail),
        else it is dropped. False, and nothing done, when it is not open (closed already)."""
        with self._lock:
            return self._close_locked(stream, play_out=play_out)

    def close_all(self, owner: object) -> int:
        """Abort every stream opened for ``owner``; how many there were."""
        with self._lock:
            owned = [stream for stream, of in self._open.items() if of is owner]
            for stream in owned:
                self._close_locked(stream, play_out=False)
            return len(owned)

    def running(self, owner: object | None = None) -> list[Stream]:
        """The streams open now (only ``owner``'s if given)."""
        with self._lock:
            return [s for s, of in self._open.items() if owner is None or of is owner]

    def refresh_devices(self) -> bool:
        """Make PortAudio enumerate devices again; False (and nothing done) while a stream is
        open.

        PortAudio lists devices once, when sounddevice is imported. A headset plugged in later,
        or a sound server started after import (the tests start PulseAudio), stays invisible
        until PortAudio is re-initialised.
        """
        with self._lock:
            if self._open:
                log.info("not refreshing audio devices: %d stream(s) open", len(self._open))
                return False
            sd._terminate()  # sounddevice has no public way to re-initialise PortAudio
            sd._initialize()
            return True

    def _close_locked(self, stream: Stream, *, play_out: bool) -> bool:
        if stream not in self._open:
            return False
        try:
            try:
                if play_out:
                    stream.stop()
                else:
                    stream.abort()
            finally:
                stream.close()  # also when stopping failed: the handle is released either way
        except sd.PortAudioError as exc:
            log.warning("closing audio stream: %s", exc)
        finally:
            del self._open[stream]
        return True


#: The one registry of this process (PortAudio is one per process).
STREAMS = AudioStreams()
