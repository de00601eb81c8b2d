"""Shared shape of the per-version adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from .meter import parse_time
from .model import AuthorizationStatus, BootInfo, RegistrationStatus
from .reports import ReportCollector
from .tracker import ChargerTracker, utc_now

type ActionHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class AdapterHost(Protocol):
    """What an adapter may ask of the charger it serves."""

    @property
    def heartbeat_interval(self) -> int:
        """Return the heartbeat interval to hand out, in seconds."""

    @property
    def tracker(self) -> ChargerTracker:
        """Return the charger's neutral state."""

    @property
    def reports(self) -> ReportCollector:
        """Return the device-model reports this connection waits for."""

    def boot(self, info: BootInfo) -> tuple[RegistrationStatus, int]:
        """Decide a BootNotification; return the status and the interval."""

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """Return the answer for an id tag under the configured policy."""


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

    async def acknowledge(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Accept a notification that needs no more than an empty answer."""
        return {}

    async def security_event_notification(
        self, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Record a security event (same payload in 1.6 and 2.x)."""
        self._host.tracker.security_event(
            payload["type"],
            parse_time(payload["timestamp"]) or utc_now(),
            payload.get("techInfo"),
        )
        return {}

    async def data_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Pass the content on to automations; we define no vendor extensions."""
        self._host.tracker.data_transfer_received(
            payload["vendorId"], payload.get("messageId"), payload.get("data")
        )
        return {"status": "UnknownVendorId"}


def utc_now_iso() -> str:
    """Return the current UTC time as an OCPP dateTime ("...Z")."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
