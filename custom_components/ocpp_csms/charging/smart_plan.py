"""Smart plan: the expected sun first, the rest bought in the cheapest slots.

Pure and deterministic, like the cheapest-slots planner it builds on
(``planner.plan_slots``): it turns a PV-surplus forecast into counted sun,
weak sun and a deferred part, and lets that planner buy the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .planner import (
    DEFAULT_RESERVE_SHARE,
    Plan,
    PlanRequest,
    SlotRooms,
    plan_slots,
)
from .prices import PriceSlot


def _without(
    start: datetime, end: datetime, holes: Sequence[PriceSlot]
) -> list[tuple[datetime, datetime]]:
    """Return [start, end) minus the holes' time, as intervals in time order."""
    parts: list[tuple[datetime, datetime]] = []
    at = start
    for hole in sorted(holes, key=lambda slot: slot.start):
        if hole.end <= at or hole.start >= end:
            continue
        if hole.start > at:
            parts.append((at, hole.start))
        at = max(at, hole.end)
    if at < end:
        parts.append((at, end))
    return parts


@dataclass(frozen=True, kw_only=True, slots=True)
class SmartPlan:
    """Surplus first, the rest bought in the cheapest slots."""

    expected_solar_wh: float
    grid: Plan


def plan_smart(
    request: PlanRequest,
    solar_forecast: Sequence[tuple[datetime, datetime, float]],
    *,
    confidence: float = 0.7,
) -> SmartPlan:
    """Plan the grid part of a charge once the expected surplus is counted.

    ``solar_forecast`` gives expected EV-usable surplus energy (Wh) per
    window. Only a share (``confidence``) of the forecast before departure
    is counted (the remaining part of a window that has begun), never a
    window too weak to start charging, never in slots priced at or below
    zero (the grid plan takes those at full power), and never more than the
    EV can take at its maximum current. The grid part is then planned like the
    cheapest mode, where a sunny slot's room is only what the maximum
    current leaves on top of its counted sun (so the same energy is not
    counted twice, and a cheap sunny slot can still be topped up from the
    grid at full power, instead of being left to the surplus alone).
    The reserve goes after the last counted sun window (before it, the car
    would take grid energy first and find itself full when the free surplus
    comes) as long as that leaves room for its guaranteed part; otherwise
    after the planned charge, as in the cheapest mode; in a sunny slot it
    allows only the current the counted sun pays for.
    A window too weak to start the car is not counted, but the grid plan
    may charge there: at the minimum current (one phase where the charger
    can switch) the weak sun pays for part of the power, so that piece is
    priced by its grid share alone.
    The part of the grid need that only a weaker sun than forecast makes
    necessary (the share of the forecast not counted) is bought after the
    last counted sun window where there is room before the departure: by
    then the re-plans know whether the sun came.
    The surplus controller takes the sunshine as it comes; if it falls short,
    the next re-plan buys the difference (the deadline guarantee still holds).
    """
    watts = request.max_a * request.voltage_v * request.phases
    # The surplus controller cannot start below the minimum on one phase.
    min_watts = request.min_a * request.voltage_v
    expected = hoped = 0.0
    counted: list[tuple[datetime, datetime]] = []
    sun: list[tuple[datetime, datetime, float]] = []
    weak: list[tuple[datetime, datetime, float]] = []
    paid = [slot for slot in request.prices if slot.price <= 0]
    for window_start, window_end, energy_wh in solar_forecast:
        start = max(window_start, request.now)
        end = min(window_end, request.departure)
        if start >= end:
            continue
        # Slots at a price <= 0 are left to the grid plan: charging at full
        # power there costs nothing or earns money, so no sun is counted.
        parts = _without(start, end, paid)
        seconds = sum((b - a).total_seconds() for a, b in parts)
        if seconds <= 0:
            continue
        share = seconds / (window_end - window_start).total_seconds()
        hours = seconds / 3600
        usable = energy_wh * confidence * share
        if usable / hours < min_watts:
            weak.extend((a, b, usable / hours) for a, b in parts)
            continue
        expected += min(usable, watts * hours)
        hoped += min(energy_wh * share, watts * hours)
        counted.extend(parts)
        sun.extend((a, b, min(usable / hours, watts)) for a, b in parts)
    grid_need = max(0.0, request.energy_wh - expected)
    # The reserve after the counted sun: placed before it, the car would
    # take it first and the free surplus would find the car full.
    sun_end = max((end for _, end in counted), default=None)
    grid_request = replace(
        request,
        energy_wh=grid_need,
        reserve_wh=(
            DEFAULT_RESERVE_SHARE * request.energy_wh
            if request.reserve_wh is None
            else request.reserve_wh
        ),
    )
    grid = plan_slots(
        grid_request,
        reserve_after=sun_end,
        rooms=SlotRooms(grid_request, sun, weak),
        # What only a weaker sun than forecast needs: bought after the sun
        # where possible, when the re-plans know whether it came.
        deferred=(min(grid_need, hoped - expected), sun_end) if sun_end else None,
    )
    return SmartPlan(expected_solar_wh=min(expected, request.energy_wh), grid=grid)
