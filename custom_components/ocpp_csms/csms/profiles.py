"""Charging profiles in neutral form, and their 1.6 / 2.x wire encoding.

The charging brain (``charging/``) decides *what* limit applies when; it
builds ``ChargingProfile`` values. This module only knows how each OCPP
version spells them, so the wire rules live in one place:
Relative profiles never carry a start, 2.x schedules are a list with an id,
1.6 transaction ids are integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .const import OcppVersion


class ProfilePurpose(StrEnum):
    """What a profile limits (names as on the wire, per version)."""

    STATION_MAX = "StationMax"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"

    def wire(self, version: OcppVersion) -> str:
        """Return the purpose as the version spells it."""
        if self is ProfilePurpose.STATION_MAX:
            return (
                "ChargePointMaxProfile"
                if version is OcppVersion.V16
                else "ChargingStationMaxProfile"
            )
        return self.value


class ProfileKind(StrEnum):
    """How the schedule's clock starts."""

    ABSOLUTE = "Absolute"
    RELATIVE = "Relative"


class RateUnit(StrEnum):
    """Limit unit: amps per phase or watts."""

    AMPS = "A"
    WATTS = "W"


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulePeriod:
    """One step of a schedule, from ``start_s`` seconds after its start."""

    start_s: int
    limit: float
    phases: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChargingProfile:
    """A charging profile independent of the OCPP version."""

    profile_id: int
    stack_level: int
    purpose: ProfilePurpose
    kind: ProfileKind
    unit: RateUnit
    periods: tuple[SchedulePeriod, ...]
    start: datetime | None = None
    duration_s: int | None = None
    transaction_id: str | None = None
    valid_to: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: float) -> float | int:
    # 1.6 schemas allow one decimal; keep integers integral on the wire.
    rounded = round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _periods(profile: ChargingProfile) -> list[dict[str, Any]]:
    periods = []
    for period in profile.periods:
        item: dict[str, Any] = {
            "startPeriod": period.start_s,
            "limit": _number(period.limit),
        }
        if period.phases is not None:
            item["numberPhases"] = period.phases
        periods.append(item)
    return periods


def _schedule(profile: ChargingProfile) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "chargingRateUnit": profile.unit.value,
        "chargingSchedulePeriod": _periods(profile),
    }
    if profile.duration_s is not None:
        schedule["duration"] = profile.duration_s
    if profile.kind is not ProfileKind.RELATIVE and profile.start is not None:
        schedule["startSchedule"] = _time(profile.start)
    return schedule


def set_profile_request(
    version: OcppVersion, evse_id: int, profile: ChargingProfile
) -> dict[str, Any]:
    """Return the SetChargingProfile payload for the version."""
    body: dict[str, Any] = {
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose.wire(version),
        "chargingProfileKind": profile.kind.value,
    }
    if profile.valid_to is not None:
        body["validTo"] = _time(profile.valid_to)
    if version is OcppVersion.V16:
        body["chargingProfileId"] = profile.profile_id
        body["chargingSchedule"] = _schedule(profile)
        if profile.transaction_id is not None:
            body["transactionId"] = int(profile.transaction_id)
        return {"connectorId": evse_id, "csChargingProfiles": body}
    body["id"] = profile.profile_id
    body["chargingSchedule"] = [{"id": profile.profile_id} | _schedule(profile)]
    if profile.transaction_id is not None:
        body["transactionId"] = profile.transaction_id
    return {"evseId": evse_id, "chargingProfile": body}


def clear_profile_request(version: OcppVersion, profile_id: int) -> dict[str, Any]:
    """Return the ClearChargingProfile payload for one of our profile ids."""
    if version is OcppVersion.V16:
        return {"id": profile_id}
    return {"chargingProfileId": profile_id}


def composite_request(
    version: OcppVersion, evse_id: int, duration_s: int, unit: RateUnit | None
) -> dict[str, Any]:
    """Return the GetCompositeSchedule payload."""
    key = "connectorId" if version is OcppVersion.V16 else "evseId"
    payload: dict[str, Any] = {key: evse_id, "duration": duration_s}
    if unit is not None:
        payload["chargingRateUnit"] = unit.value
    return payload


@dataclass(frozen=True, kw_only=True, slots=True)
class CompositeSchedule:
    """The limit a charger says it will apply, from GetCompositeSchedule."""

    start: datetime | None
    unit: RateUnit
    periods: tuple[SchedulePeriod, ...]

    def limit_at(self, offset_s: float) -> float | None:
        """Return the limit in force ``offset_s`` seconds after the start."""
        current: float | None = None
        for period in self.periods:
            if period.start_s <= offset_s:
                current = period.limit
        return current


def parse_composite(
    version: OcppVersion, result: dict[str, Any]
) -> CompositeSchedule | None:
    """Return the schedule of a GetCompositeSchedule result (None if absent)."""
    if result.get("status") != "Accepted":
        return None
    schedule = (
        result.get("chargingSchedule")
        if version is OcppVersion.V16
        else result.get("schedule")
    )
    if not schedule:
        return None
    start_text = schedule.get("startSchedule") or result.get("scheduleStart")
    return CompositeSchedule(
        start=datetime.fromisoformat(start_text) if start_text else None,
        unit=RateUnit(schedule["chargingRateUnit"]),
        periods=tuple(
            SchedulePeriod(
                start_s=int(item["startPeriod"]),
                limit=float(item["limit"]),
                phases=item.get("numberPhases"),
            )
            for item in schedule.get("chargingSchedulePeriod", [])
        ),
    )
