"""Work on the loop that nobody awaits: each task kept until it is done, its failure logged.

The event loop keeps only weak references to tasks, so a task that nothing else refers to may be
garbage-collected in the middle of its work (the asyncio documentation of ``create_task`` warns
about this); and an exception of a task nobody awaits shows up, if ever, as "Task exception was
never retrieved" when the task is collected, far from where it happened. So whatever starts work
it does not await (answering an offer, hanging up, telling the hub) starts it here, and can wait
for it all before the loop ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundTasks:
    """The tasks one owner started and has not seen end. Use on the loop only."""

    def __init__(self, logger: logging.Logger) -> None:
        """Failures are logged on ``logger``: the owner's, so the log says whose work failed."""
        self._log = logger
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run ``coro`` as a task named ``name``, referenced here until it is done."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()  # retrieved: no "never retrieved" warning later
        if error is not None:
            self._log.error("%s failed", task.get_name(), exc_info=error)

    @property
    def running(self) -> list[asyncio.Task[Any]]:
        return list(self._tasks)

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for every task, also those started meanwhile; False when some still run after
        ``timeout`` seconds (they go on running)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True
