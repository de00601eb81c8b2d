"""What a charger's tracker reports to its listener: state changes and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .model import AuthorizationStatus, SessionSummary


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionStarted:
    """A charging session began."""

    evse_id: int
    transaction_id: str
    id_tag: str | None
    started_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionEnded:
    """A charging session ended."""

    summary: SessionSummary


@dataclass(frozen=True, kw_only=True, slots=True)
class TagPresented:
    """Someone presented an id tag (card, app, plug-and-charge)."""

    id_tag: str
    status: AuthorizationStatus
    evse_id: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SecurityEvent:
    """A SecurityEventNotification from the charger."""

    kind: str
    timestamp: datetime
    tech_info: str | None = None

    @property
    def critical(self) -> bool:
        """Return True for the events the OCPP 2.0.1 list marks critical."""
        return self.kind in CRITICAL_SECURITY_EVENTS


# OCPP 2.0.1 Part 2 Appendix 1: the security events marked critical.
CRITICAL_SECURITY_EVENTS = frozenset(
    {"SecurityLogWasCleared", "MemoryExhaustion", "TamperDetectionActivated"}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class DataTransferReceived:
    """A vendor-specific DataTransfer from the charger."""

    vendor_id: str
    message_id: str | None
    data: Any


type ChargerEvent = (
    SessionStarted | SessionEnded | TagPresented | SecurityEvent | DataTransferReceived
)


class TrackerListener(Protocol):
    """Where a tracker reports changes (implemented by the central system)."""

    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        """Report that an EVSE's state changed (0 = the station)."""

    def charger_event(self, charger_id: str, event: ChargerEvent) -> None:
        """Report a session or tag event."""
