"""Wait for a condition without polling: a sync notify wakes every async waiter."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class Signal:
    """Wake every waiter when something changed (sync notify, async wait)."""

    def __init__(self) -> None:
        """No waiter yet."""
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Something changed: waiters re-check their probe."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for[T](
        self, probe: Callable[[], T | None], timeout: float | None
    ) -> T:
        """Return the first non-None probe result (TimeoutError after ``timeout``)."""
        async with asyncio.timeout(timeout):
            while (result := probe()) is None:
                await self._event.wait()
        return result
