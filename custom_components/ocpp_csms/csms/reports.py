"""Multi-part device-model reports (2.x NotifyReport), collected per request.

A GetBaseReport is answered at once; the report itself follows in NotifyReport
parts with the same requestId, the last one with ``tbc`` false. The collector
hands each request a future that resolves with all parts' reportData.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
from typing import Any


@dataclass
class _Report:
    future: asyncio.Future[list[dict[str, Any]]]
    data: list[dict[str, Any]] = field(default_factory=list)


class ReportCollector:
    """The reports one charger connection is waiting for."""

    def __init__(self) -> None:
        """Start with none."""
        self._ids = itertools.count(1)
        self._waiting: dict[int, _Report] = {}

    def expect(self) -> tuple[int, asyncio.Future[list[dict[str, Any]]]]:
        """Return a new request id and the future of its report."""
        request_id = next(self._ids)
        future: asyncio.Future[list[dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting[request_id] = _Report(future)
        return request_id, future

    def forget(self, request_id: int) -> None:
        """Stop waiting for a request (refused, timed out)."""
        report = self._waiting.pop(request_id, None)
        if report is not None and not report.future.done():
            report.future.cancel()

    def part(self, payload: dict[str, Any]) -> bool:
        """Take a NotifyReport; return False when nobody asked for it."""
        request_id = payload.get("requestId")
        if not isinstance(request_id, int) or request_id not in self._waiting:
            return False  # unasked for (the charger's own), or no id to match
        report = self._waiting[request_id]
        report.data.extend(payload.get("reportData", []))
        if not payload.get("tbc", False):
            del self._waiting[request_id]
            if not report.future.done():
                report.future.set_result(report.data)
        return True
