"""Waking event streams in this process: per branch, per booth and per agent.

A notification carries no state; it only wakes the streams subscribed to a topic, which then
read what changed from the database. So a lost or extra wake-up is harmless. A change made by
another hub process arrives through hub.realtime.wakeups.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterable

#: ("branch" | "booth" | "agent", id)
Topic = tuple[str, str]


def branch_topic(branch_id: str) -> Topic:
    return ("branch", branch_id)


def booth_topic(booth_id: str) -> Topic:
    return ("booth", booth_id)


def agent_topic(agent_id: str) -> Topic:
    return ("agent", agent_id)


class Broadcaster:
    """Wakes subscribed streams; `notify` is callable from any thread (request handlers run in
    the thread pool)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[Topic, set[asyncio.Event]] = defaultdict(set)
        self._topics: dict[asyncio.Event, tuple[Topic, ...]] = {}
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, topics: Iterable[Topic]) -> asyncio.Event:
        """One event for several topics: a booth's stream wakes for its branch and for itself."""
        event = asyncio.Event()
        with self._lock:
            self._topics[event] = tuple(topics)
            for topic in self._topics[event]:
                self._waiters[topic].add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            for topic in self._topics.pop(event, ()):
                self._waiters[topic].discard(event)
                if not self._waiters[topic]:
                    del self._waiters[topic]

    def notify_all(self) -> None:
        """Every stream of this process reads again (wake-ups from elsewhere may be lost)."""
        with self._lock:
            topics = list(self._waiters)
        self.notify(topics)

    def notify(self, topics: Iterable[Topic]) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        with self._lock:
            events = {e for t in topics for e in self._waiters.get(t, ())}
        for event in events:
            self._loop.call_soon_threadsafe(event.set)
