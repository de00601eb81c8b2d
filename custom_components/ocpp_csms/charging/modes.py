"""Charging modes of an EVSE and the rules that turn targets into a need.

Pure: the HA layer passes the clock, the EVSE's readings and the user's
settings; nothing here reads a sensor.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
import math
from typing import Any

from .planner import Plan
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
    # Slots dearer than this are never bought; 0 means no cap.
    price_cap: float = 0.0

    @property
    def cap(self) -> float | None:
        """Return the price cap for the planner (None: no cap)."""
        return self.price_cap if self.price_cap > 0 else None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form."""
        data = asdict(self)
        data["mode"] = self.mode.value
        data["departure"] = self.departure.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvseSettings:
        """Read the stored form; an unknown or broken value falls back to its default.

        Each value on its own: a broken departure keeps the stored mode.
        """
        parsers: dict[str, Callable[[Any], Any]] = {
            "mode": ChargingMode,
            "target_energy_kwh": _finite,
            "target_soc": _finite,
            "departure": time.fromisoformat,
            "price_cap": _finite,
        }
        values: dict[str, Any] = {}
        for name, parse in parsers.items():
            if name in data:
                with contextlib.suppress(TypeError, ValueError):
                    values[name] = parse(data[name])
        return replace(cls(), **values)


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def next_departure(now: datetime, at: time) -> datetime:
    """Return the next moment the local time of day is ``at`` (after now).

    ``now`` must be timezone-aware in the home's time zone (a ``ZoneInfo``,
    so days follow its DST rules); a departure less than a minute away
    counts as tomorrow's (the car is leaving). Distances are measured in
    real time: on the night the clocks go back a time of day in the
    repeated hour happens twice, and the second one counts too; a time of
    day the clocks skip is shifted forward by the gap (02:30 -> 03:30).
    """
    day = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0, fold=0)
    soon = now.astimezone(UTC) + timedelta(minutes=1)
    while True:
        for fold in (0, 1):
            moment = day.replace(fold=fold).astimezone(UTC)
            if moment >= soon:
                return moment.astimezone(now.tzinfo)
        # Wall-clock arithmetic: the zone gives the next day its own offset.
        day += timedelta(days=1)


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


def step_at(steps: list[LimitStep], moment: datetime) -> LimitStep | None:
    """Return the step in force at ``moment`` (None before the first)."""
    current = None
    for step in steps:
        if step.start <= moment:
            current = step
    return current


def limit_at(steps: list[LimitStep], moment: datetime) -> float:
    """Return the current a step list gives at ``moment`` (0 before it)."""
    step = step_at(steps, moment)
    return step.amps if step else 0.0


def phase_amps_at(steps: list[LimitStep], moment: datetime, phases: int) -> float:
    """Return amps x phases at ``moment``; ``phases`` where a step has none."""
    step = step_at(steps, moment)
    return step.amps * (step.phases or phases) if step else 0.0


def surplus_override(
    plan: list[LimitStep],
    now: datetime,
    surplus_amps: float,
    phases: int,
    plan_phases: int = 3,
) -> list[LimitStep]:
    """Return the steps of a short-lived profile: the plan, raised to the surplus.

    Sent on a higher stack level than the plan, for ``SURPLUS_HOLD``; where
    the plan already gives more power (amps x phases: 10 A on three phases
    beats 11 A on one), the plan's current stands.
    """
    end = now + SURPLUS_HOLD
    moments = [now] + [step.start for step in plan if now < step.start < end]
    steps: list[LimitStep] = []
    for moment in moments:
        step = step_at(plan, moment) or LimitStep(start=moment, amps=0.0)
        if step.amps * (step.phases or plan_phases) >= surplus_amps * phases:
            steps.append(LimitStep(start=moment, amps=step.amps, phases=step.phases))
        else:
            steps.append(LimitStep(start=moment, amps=surplus_amps, phases=phases))
    return steps


def surplus_can_wait(plan: Plan, now: datetime, need_wh: float) -> bool:
    """Return True when planned free (price <= 0) slots still cover the need.

    In smart mode the surplus loop then stays off: filling the car from the
    sun now would leave no room for grid energy that is paid to be taken
    (negative prices), and the sun's energy could be exported instead.
    """
    if need_wh <= 0:
        return False
    free_wh = 0.0
    for slot in plan.slots:
        if slot.reserve or slot.price > 0 or slot.end <= now:
            continue
        share = (slot.end - max(slot.start, now)) / (slot.end - slot.start)
        free_wh += slot.energy_wh * share
    return free_wh >= need_wh
