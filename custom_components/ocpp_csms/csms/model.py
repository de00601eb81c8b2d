"""The neutral charger model every OCPP version is translated into."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RegistrationStatus(StrEnum):
    """BootNotification answer, the same in every version."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


@dataclass(frozen=True, kw_only=True, slots=True)
class BootInfo:
    """What a charger tells about itself in BootNotification."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    reason: str | None = None
