"""A call's PortAudio stream that is opened on a worker thread and may be closed from any thread.

The streams themselves are opened and closed through the headset (``Headset.open_stream`` /
``close_stream``), which keeps every stream of the process in one registry
(kiosk.devices.audio_streams). What is left to the call is the order: the CS may hang up while a
device is still opening, so a close may come before the open it cancels.
"""

from __future__ import annotations

import threading

from kiosk.devices.audio_streams import Stream
from kiosk.devices.headset import Headset


class StreamHolder:
    """One stream of ``headset``, opened and closed in any order: a close that comes first makes
    the later open close its stream at once."""

    def __init__(self, headset: Headset) -> None:
        self.headset = headset
        self._lock = threading.Lock()
        self._stream: Stream | None = None
        self._closed = False

    def opened(self, stream: Stream) -> bool:
        """Keep ``stream``; False (and the stream closed) if ``take()`` came first."""
        with self._lock:
            if not self._closed:
                self._stream = stream
                return True
        self.headset.close_stream(stream)
        return False

    def take(self) -> Stream | None:
        """The stream to close (or None), and no stream accepted after this."""
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
            return stream

    @property
    def stream(self) -> Stream | None:
        return self._stream
