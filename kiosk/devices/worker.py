"""A device loop on its own daemon thread: start, stop (bounded), context manager.

The QR scan loop and the HID scanner both read a device in a loop until asked to stop; this is
the one place that owns that thread's life cycle.
"""

from __future__ import annotations

import threading
from typing import Self


class WorkerThread:
    """Subclasses implement `_run()` (loop until `self._stop` is set) and name the thread."""

    thread_name = "worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._thread and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        raise NotImplementedError
