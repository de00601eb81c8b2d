"""Charging modes of an EVSE and the rules that turn targets into a need.

Pure: the HA layer passes the clock, the EVSE's readings and the user's
settings; nothing here reads a sensor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from .profiles import LimitStep

# What a car's battery is assumed to hold until a session shows it (kWh).
DEFAULT_CAPACITY_KWH = 60.0
# SoC must rise this much in a session before its energy tells the capacity.
CAPACITY_MIN_SOC_RISE = 5.0
# A surplus override lasts this long, so a dead HA falls back to the plan.
SURPLUS_HOLD = timedelta(minutes=30)


class ChargingMode(StrEnum):
    """What the EVSE does with a car plugged in."""

    OFF = "off"  # no charging
    FAST = "fast"  # the maximum current now
    CHEAPEST = "cheapest"  # target by departure in the cheapest slots
    SOLAR = "solar"  # solar surplus only
    SOLAR_MIN = "solar_min"  # surplus, never below the minimum current
    SMART = "smart"  # expected surplus first, the rest in the cheapest slots

    @property
    def plans(self) -> bool:
        """Return True for the modes that follow a price plan."""
        return self in (ChargingMode.CHEAPEST, ChargingMode.SMART)

    @property
    def uses_surplus(self) -> bool:
        """Return True for the modes that run the surplus controller."""
        return self in (ChargingMode.SOLAR, ChargingMode.SOLAR_MIN, ChargingMode.SMART)


@dataclass(frozen=True, kw_only=True, slots=True)
class EvseSettings:
    """The user's choices for one EVSE (persisted across restarts)."""

    mode: ChargingMode = ChargingMode.FAST
    target_energy_kwh: float = 20.0
    target_soc: float = 80.0
    departure: time = time(7, 0)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form."""
        data = asdict(self)
        data["mode"] = self.mode.value
        data["departure"] = self.departure.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvseSettings:
        """Read the stored form; unknown or broken values fall back to defaults."""
        settings = cls()
        try:
            return replace(
                settings,
                mode=ChargingMode(data.get("mode", settings.mode)),
                target_energy_kwh=float(
                    data.get("target_energy_kwh", settings.target_energy_kwh)
                ),
                target_soc=float(data.get("target_soc", settings.target_soc)),
                departure=time.fromisoformat(
                    data.get("departure", settings.departure.isoformat())
                ),
            )
        except (TypeError, ValueError):
            return settings


def next_departure(now: datetime, at: time) -> datetime:
    """Return the next moment the local time of day is ``at`` (after now).

    ``now`` must be timezone-aware in the home's time zone; a departure
    less than a minute away counts as tomorrow's (the car is leaving).
    """
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate - now < timedelta(minutes=1):
        candidate = (candidate + timedelta(days=1)).replace(
            hour=at.hour, minute=at.minute
        )
    return candidate


@dataclass(frozen=True, kw_only=True, slots=True)
class EnergyNeed:
    """How much the car still needs, and why that much."""

    energy_wh: float
    basis: str  # "soc" or "energy"
    capacity_kwh: float | None = None


def estimated_capacity_kwh(
    session_wh: float, soc_start: float | None, soc_now: float | None
) -> float | None:
    """Return the battery size a session's energy and SoC rise imply."""
    if soc_start is None or soc_now is None:
        return None
    rise = soc_now - soc_start
    if rise < CAPACITY_MIN_SOC_RISE or session_wh <= 0:
        return None
    return session_wh / 1000 / (rise / 100)


def energy_needed(
    settings: EvseSettings,
    *,
    session_wh: float,
    soc: float | None,
    capacity_kwh: float | None,
) -> EnergyNeed:
    """Return the energy still to deliver for the user's target.

    With the car's SoC known the SoC target rules (capacity learned from
    the session, else assumed); otherwise the energy target counts what the
    session has already delivered.
    """
    if soc is not None and settings.target_soc > 0:
        capacity = capacity_kwh or DEFAULT_CAPACITY_KWH
        missing = max(0.0, settings.target_soc - soc) / 100 * capacity * 1000
        return EnergyNeed(energy_wh=missing, basis="soc", capacity_kwh=capacity)
    return EnergyNeed(
        energy_wh=max(0.0, settings.target_energy_kwh * 1000 - session_wh),
        basis="energy",
    )


def limit_at(steps: list[LimitStep], moment: datetime) -> float:
    """Return the current a step list gives at ``moment`` (0 before it)."""
    amps = 0.0
    for step in steps:
        if step.start <= moment:
            amps = step.amps
    return amps


def surplus_override(
    plan: list[LimitStep], now: datetime, surplus_amps: float, phases: int
) -> list[LimitStep]:
    """Return the steps of a short-lived profile: the plan, raised to the surplus.

    Sent on a higher stack level than the plan, for ``SURPLUS_HOLD``; where
    the plan already gives more, the plan's current stands.
    """
    end = now + SURPLUS_HOLD
    moments = [now] + [step.start for step in plan if now < step.start < end]
    steps: list[LimitStep] = []
    for moment in moments:
        planned = limit_at(plan, moment)
        if planned >= surplus_amps:
            steps.append(LimitStep(start=moment, amps=planned))
        else:
            steps.append(LimitStep(start=moment, amps=surplus_amps, phases=phases))
    return steps
