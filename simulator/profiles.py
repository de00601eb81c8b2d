"""Charging profiles: parsing (1.6 and 2.x), acceptance rules and the profile store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import Quirks


class RateUnit(StrEnum):
    """Unit of a charging limit."""

    AMPERE = "A"
    WATT = "W"


class Purpose(StrEnum):
    """Version-neutral charging profile purpose."""

    STATION_MAX = "StationMax"
    EXTERNAL = "ExternalConstraints"
    TX_DEFAULT = "TxDefault"
    TX = "Tx"
    OTHER = "Other"


class Kind(StrEnum):
    """chargingProfileKind."""

    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


_PURPOSES = {
    "ChargePointMaxProfile": Purpose.STATION_MAX,
    "ChargingStationMaxProfile": Purpose.STATION_MAX,
    "ChargingStationExternalConstraints": Purpose.EXTERNAL,
    "TxDefaultProfile": Purpose.TX_DEFAULT,
    "TxProfile": Purpose.TX,
}


def parse_time(value: str | None) -> datetime | None:
    """Parse an OCPP timestamp; naive times are taken as UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """One chargingSchedulePeriod (limit None only in 2.1 setpoint-only periods)."""

    start_period: int
    limit: float | None
    number_phases: int | None = None


@dataclass(frozen=True)
class Schedule:
    """One chargingSchedule."""

    rate_unit: RateUnit
    periods: tuple[Period, ...]
    start: datetime | None = None
    duration: int | None = None


@dataclass(frozen=True)
class Profile:
    """A charging profile as the charger stores it."""

    profile_id: int
    stack_level: int
    purpose: Purpose
    purpose_name: str
    kind: Kind
    schedules: tuple[Schedule, ...]
    recurrency: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None

    @property
    def schedule(self) -> Schedule:
        """The schedule that is executed (the first one)."""
        return self.schedules[0]


def _parse_schedule(data: Mapping[str, Any]) -> Schedule:
    periods = tuple(
        Period(
            start_period=int(item["start_period"]),
            limit=None if item.get("limit") is None else float(item["limit"]),
            number_phases=item.get("number_phases"),
        )
        for item in data["charging_schedule_period"]
    )
    duration = data.get("duration")
    return Schedule(
        rate_unit=RateUnit(data["charging_rate_unit"]),
        periods=periods,
        start=parse_time(data.get("start_schedule")),
        duration=None if duration is None else int(duration),
    )


def parse_profile(data: Mapping[str, Any]) -> Profile:
    """Build a Profile from a snake_case payload (1.6 or 2.x shape).

    1.6 names the id ``charging_profile_id`` and has one schedule object;
    2.x names it ``id`` and has a list of schedules.
    """
    raw_schedules = data["charging_schedule"]
    if not isinstance(raw_schedules, list):
        raw_schedules = [raw_schedules]
    purpose_name = str(data["charging_profile_purpose"])
    tx_id = data.get("transaction_id")
    return Profile(
        profile_id=int(data.get("charging_profile_id", data.get("id", 0))),
        stack_level=int(data["stack_level"]),
        purpose=_PURPOSES.get(purpose_name, Purpose.OTHER),
        purpose_name=purpose_name,
        kind=Kind(data["charging_profile_kind"]),
        schedules=tuple(_parse_schedule(item) for item in raw_schedules),
        recurrency=data.get("recurrency_kind"),
        valid_from=parse_time(data.get("valid_from")),
        valid_to=parse_time(data.get("valid_to")),
        transaction_id=None if tx_id is None else str(tx_id),
    )


@dataclass(frozen=True)
class InstalledProfile:
    """A profile installed on an EVSE (0 = the whole station)."""

    evse_id: int
    profile: Profile
    installed_at: datetime


@dataclass(frozen=True)
class Verdict:
    """Outcome of SetChargingProfile: accepted or the reason it was rejected."""

    accepted: bool
    reason: str = ""


@dataclass(kw_only=True)
class ProfileStore:
    """In-memory profile store with the acceptance rules of a real charger."""

    evses: int
    quirks: Quirks
    max_stack_level: int = 8
    max_installed: int = 8
    # 1.6 replaces a profile with the same stackLevel/purpose; 2.x rejects it
    # (K01.FR.06) unless it has the same id.
    replace_same_stack: bool = True
    installed: list[InstalledProfile] = field(default_factory=list)

    def check(
        self, profile: Profile, evse_id: int, tx_id: str | None, *, v2x: bool
    ) -> Verdict:
        """Apply the charger's rules; return why a profile is rejected."""
        verdict = self._check_shape(profile, evse_id, v2x=v2x)
        if not verdict.accepted:
            return verdict
        if profile.purpose is Purpose.TX:
            if evse_id == 0:
                return Verdict(False, "TxProfile needs an EVSE")
            if tx_id is None and self.quirks.tx_profile_only_in_transaction:
                return Verdict(False, "no transaction on this EVSE")
            if (
                tx_id is not None
                and profile.transaction_id is not None
                and profile.transaction_id != tx_id
            ):
                return Verdict(False, "transactionId does not match")
        if not self.replace_same_stack and self._same_stack_other_id(profile, evse_id):
            return Verdict(False, "same stackLevel and purpose already installed")
        replaced = self._replaced(profile, evse_id)
        if len(self.installed) - len(replaced) >= self.max_installed:
            return Verdict(False, "too many profiles installed")
        return Verdict(True)

    def _check_shape(self, profile: Profile, evse_id: int, *, v2x: bool) -> Verdict:
        if not 0 <= evse_id <= self.evses:
            return Verdict(False, "unknown EVSE")
        if not 0 <= profile.stack_level <= self.max_stack_level:
            return Verdict(False, "stackLevel out of range")
        if profile.purpose is Purpose.STATION_MAX:
            if evse_id != 0:
                return Verdict(False, "station max profile must be on EVSE 0")
            if self.quirks.reject_station_max_profile:
                return Verdict(False, "station max profiles not supported")
            if v2x and profile.kind is Kind.RELATIVE:
                return Verdict(False, "station max profile cannot be Relative")
        for schedule in profile.schedules:
            if schedule.rate_unit.value not in self.quirks.rate_units:
                return Verdict(False, f"rate unit {schedule.rate_unit} not supported")
            if len(schedule.periods) > self.quirks.max_periods:
                return Verdict(False, "too many periods")
            if not schedule.periods or schedule.periods[0].start_period != 0:
                return Verdict(False, "first period must start at 0")
            if v2x and profile.kind is Kind.RELATIVE and schedule.start is not None:
                return Verdict(False, "Relative profile with startSchedule")
        if profile.kind is Kind.RECURRING and profile.recurrency is None:
            return Verdict(False, "Recurring profile without recurrencyKind")
        return Verdict(True)

    def _same_stack_other_id(self, profile: Profile, evse_id: int) -> bool:
        return any(
            item.evse_id == evse_id
            and item.profile.purpose is profile.purpose
            and item.profile.stack_level == profile.stack_level
            and item.profile.profile_id != profile.profile_id
            for item in self.installed
        )

    def _replaced(self, profile: Profile, evse_id: int) -> list[InstalledProfile]:
        """Profiles the new one replaces: same id, or (1.6) same stack/purpose."""
        return [
            item
            for item in self.installed
            if item.profile.profile_id == profile.profile_id
            or (
                self.replace_same_stack
                and item.evse_id == evse_id
                and item.profile.purpose is profile.purpose
                and item.profile.stack_level == profile.stack_level
            )
        ]

    def install(self, profile: Profile, evse_id: int) -> None:
        """Store an accepted profile, replacing the ones it supersedes."""
        replaced = self._replaced(profile, evse_id)
        self.installed = [item for item in self.installed if item not in replaced]
        self.installed.append(
            InstalledProfile(evse_id=evse_id, profile=profile, installed_at=_now())
        )

    def clear(
        self,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose_name: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove matching profiles (all criteria must match); return how many."""

        def matches(item: InstalledProfile) -> bool:
            if profile_id is not None:
                return item.profile.profile_id == profile_id
            return (
                (evse_id is None or item.evse_id == evse_id)
                and (purpose_name is None or item.profile.purpose_name == purpose_name)
                and (stack_level is None or item.profile.stack_level == stack_level)
            )

        kept = [item for item in self.installed if not matches(item)]
        removed = len(self.installed) - len(kept)
        self.installed = kept
        return removed

    def end_transaction(self, evse_id: int) -> None:
        """Drop the EVSE's TxProfiles: they live only as long as the transaction."""
        self.installed = [
            item
            for item in self.installed
            if not (item.evse_id == evse_id and item.profile.purpose is Purpose.TX)
        ]


def _now() -> datetime:
    return datetime.now(UTC)
