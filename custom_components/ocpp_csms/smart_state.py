"""The live state of one EVSE's charging mode, and what its plan sensor shows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .charging.modes import ChargingMode, EnergyNeed, EvseSettings, step_at
from .charging.planner import Plan
from .charging.profiles import LimitStep
from .charging.surplus import SurplusController

# A new plan this close to the one installed is not sent.
PLAN_TOLERANCE_A = 1.0
PLAN_TOLERANCE = timedelta(minutes=2)

type EvseKey = tuple[str, int]


@dataclass(frozen=True, kw_only=True)
class PlanView:
    """What the plan sensor shows."""

    mode: ChargingMode
    status: str  # idle, planned, charging, no_prices, failed, ...
    next_start: datetime | None = None
    energy_wh: float = 0.0
    cost: float | None = None
    expected_solar_wh: float = 0.0
    complete: bool = True
    slots: tuple[dict[str, Any], ...] = ()
    need: EnergyNeed | None = None
    departure: datetime | None = None
    reason: str | None = None


@dataclass
class EvseCharging:
    """The live state of one EVSE's mode."""

    settings: EvseSettings
    view: PlanView
    plan: Plan | None = None
    plan_steps: list[LimitStep] = field(default_factory=list)
    sent_steps: list[LimitStep] | None = None
    surplus: SurplusController | None = None
    override_until: datetime | None = None
    # Session bookkeeping (persisted): cost so far and the SoC at start.
    transaction_id: str | None = None
    session_cost: float = 0.0
    counted_wh: float = 0.0
    soc_start: float | None = None
    capacity_kwh: float | None = None
    estimate_wh: float | None = None
    # Why the last send failed: charger_offline (re-sent on reconnect) or failed.
    send_failure: str = "failed"
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def restored(cls, data: dict[str, Any]) -> EvseCharging:
        """Return the state ``persisted`` wrote (defaults where it is missing)."""
        settings = EvseSettings.from_dict(data)
        return cls(
            settings=settings,
            view=PlanView(mode=settings.mode, status="idle"),
            transaction_id=data.get("transaction_id"),
            session_cost=float(data.get("session_cost") or 0.0),
            counted_wh=float(data.get("counted_wh") or 0.0),
            soc_start=data.get("soc_start"),
            capacity_kwh=data.get("capacity_kwh"),
            estimate_wh=data.get("estimate_wh"),
        )

    def persisted(self) -> dict[str, Any]:
        """Return what survives a restart."""
        return self.settings.as_dict() | {
            "transaction_id": self.transaction_id,
            "session_cost": self.session_cost,
            "counted_wh": self.counted_wh,
            "soc_start": self.soc_start,
            "capacity_kwh": self.capacity_kwh,
            "estimate_wh": self.estimate_wh,
        }


def storage_key(key: EvseKey) -> str:
    """Return the key an EVSE's state is stored under ("CP_1/1")."""
    return f"{key[0]}/{key[1]}"


def slot_view(slot: Any) -> dict[str, Any]:
    """Return a planned slot as the plan sensor's attribute shows it."""
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "current_a": slot.amps,
        "energy_kwh": round(slot.energy_wh / 1000, 3),
        "price": slot.price,
        "reserve": slot.reserve,
        "phases": slot.phases,
    }


def _close(one: LimitStep | None, other: LimitStep | None) -> bool:
    """Return True for the same phases and (nearly) the same current (none: 0 A)."""
    if one is None or other is None or one.amps == 0 or other.amps == 0:
        amps = (one.amps if one else 0.0, other.amps if other else 0.0)
        return abs(amps[0] - amps[1]) < PLAN_TOLERANCE_A
    return one.phases == other.phases and abs(one.amps - other.amps) < PLAN_TOLERANCE_A


def same_steps(
    old: list[LimitStep] | None, new: list[LimitStep], now: datetime
) -> bool:
    """Return True when two plans give (nearly) the same current from now on."""
    if old is None:
        return False
    moments = sorted({now} | {step.start for step in old + new if step.start > now})
    for moment in moments:
        before = moment - PLAN_TOLERANCE
        after = moment + PLAN_TOLERANCE
        wanted = step_at(new, moment)
        near_old = [step_at(old, t) for t in (before, moment, after)]
        if not any(_close(wanted, step) for step in near_old):
            return False
    return True
