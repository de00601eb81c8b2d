"""Shared shape of the per-version adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from .model import BootInfo, RegistrationStatus

type ActionHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class AdapterHost(Protocol):
    """What an adapter may ask of the charger it serves."""

    @property
    def heartbeat_interval(self) -> int:
        """Return the heartbeat interval to hand out, in seconds."""

    def boot(self, info: BootInfo) -> tuple[RegistrationStatus, int]:
        """Decide a BootNotification; return the status and the interval."""


class VersionAdapter:
    """Translate one OCPP version's payloads to and from the neutral model."""

    def __init__(self, host: AdapterHost) -> None:
        """Serve the given charger."""
        self._host = host

    @property
    def handlers(self) -> Mapping[str, ActionHandler]:
        """Return the charger-to-CSMS actions this version supports.

        Built once per connection; the session looks actions up here.
        """
        raise NotImplementedError

    async def heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Answer a Heartbeat with our clock (same shape in every version)."""
        return {"currentTime": utc_now_iso()}


def utc_now_iso() -> str:
    """Return the current UTC time as an OCPP dateTime ("...Z")."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
