"""Polling with a deadline, for conditions that other tasks and threads make true."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Wait until ``condition()`` is true; return the seconds it took. Fails naming ``what``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def rising(counter: Callable[[], int], seconds: float) -> int:
    """How much ``counter()`` grows over ``seconds``."""
    before = counter()
    await asyncio.sleep(seconds)
    return counter() - before
