"""Time evaluation of installed profiles: the limit now and the composite schedule.

Rule (good enough for now, later work will refine it): per purpose the
highest stack level that is active at a moment wins; the composite limit is
the lowest of hardware limit, station maximum / external constraints and the
transaction limit (TxProfile while a transaction runs, else TxDefaultProfile;
an EVSE-specific TxDefaultProfile beats one installed on EVSE 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import TYPE_CHECKING

from .profiles import InstalledProfile, Kind, Purpose, RateUnit

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

_RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(days=7)}


@dataclass(frozen=True)
class Electrical:
    """Electrical data needed to convert A <-> W and to know the hardware limit."""

    voltage: float
    phases: int
    max_current: float
    # False plays chargers that ignore numberPhases (quirk ignore_number_phases).
    honour_number_phases: bool = True


@dataclass(frozen=True)
class Limit:
    """A limit in a unit, with the phases it was given for (None = default)."""

    value: float
    unit: RateUnit
    number_phases: int | None = None

    def to(self, unit: RateUnit, elec: Electrical) -> float:
        """Convert to ``unit`` (per-phase amps or total watts on ``elec.phases``)."""
        if unit is self.unit:
            return self.value
        watts_per_amp = elec.voltage * elec.phases
        if unit is RateUnit.WATT:
            return self.value * watts_per_amp
        return self.value / watts_per_amp


@dataclass(frozen=True)
class CompositePeriod:
    """One period of a composite schedule."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True)
class CompositeSchedule:
    """The result of GetCompositeSchedule."""

    evse_id: int
    start: datetime
    duration: int
    unit: RateUnit
    periods: tuple[CompositePeriod, ...]


@dataclass(frozen=True)
class Situation:
    """Per-EVSE context: the running transaction (if any) and its start."""

    evse_id: int
    tx_id: str | None = None
    tx_start: datetime | None = None


def _anchor(item: InstalledProfile, t: datetime, relative_anchor: datetime) -> datetime:
    """Start of the schedule occurrence that covers ``t``."""
    profile = item.profile
    if profile.kind is Kind.RELATIVE:
        return relative_anchor
    base = profile.schedule.start or profile.valid_from or item.installed_at
    step = _RECURRENCE.get(profile.recurrency or "")
    if profile.kind is Kind.RECURRING and step is not None and t > base:
        return base + step * math.floor((t - base) / step)
    return base


def limit_at(
    item: InstalledProfile, t: datetime, relative_anchor: datetime
) -> Limit | None:
    """Return the limit one profile imposes at ``t`` (None if inactive)."""
    profile = item.profile
    if profile.valid_from is not None and t < profile.valid_from:
        return None
    if profile.valid_to is not None and t >= profile.valid_to:
        return None
    schedule = profile.schedule
    offset = (t - _anchor(item, t, relative_anchor)).total_seconds()
    if offset < 0 or (schedule.duration is not None and offset >= schedule.duration):
        return None
    current = None
    for period in schedule.periods:
        if period.start_period <= offset:
            current = period
    if current is None or current.limit is None:
        return None
    return Limit(current.limit, schedule.rate_unit, current.number_phases)


def _top(
    items: Iterable[InstalledProfile], t: datetime, anchor: datetime
) -> Limit | None:
    """Limit of the highest stack level that is active at ``t``."""
    best: tuple[int, Limit] | None = None
    for item in items:
        limit = limit_at(item, t, anchor)
        if limit is not None and (best is None or item.profile.stack_level > best[0]):
            best = (item.profile.stack_level, limit)
    return None if best is None else best[1]


def active_limits(
    installed: Sequence[InstalledProfile],
    situation: Situation,
    t: datetime,
    anchor: datetime,
) -> list[Limit]:
    """All limits that bind the EVSE at ``t`` (to be combined with min)."""

    def of(purpose: Purpose, evse_id: int) -> list[InstalledProfile]:
        return [
            item
            for item in installed
            if item.profile.purpose is purpose and item.evse_id == evse_id
        ]

    limits = [
        _top(of(purpose, 0), t, anchor)
        for purpose in (Purpose.STATION_MAX, Purpose.EXTERNAL)
    ]
    evse_id = situation.evse_id
    # Relative Tx(Default) profiles count from the transaction start.
    tx_anchor = situation.tx_start or anchor
    tx_limit = None
    if evse_id > 0 and situation.tx_start is not None:
        tx_items = [
            item
            for item in of(Purpose.TX, evse_id)
            if item.profile.transaction_id in (None, situation.tx_id)
        ]
        tx_limit = _top(tx_items, t, tx_anchor)
    if tx_limit is None and evse_id > 0:
        tx_limit = _top(of(Purpose.TX_DEFAULT, evse_id), t, tx_anchor)
    if tx_limit is None:
        tx_limit = _top(of(Purpose.TX_DEFAULT, 0), t, tx_anchor)
    limits.append(tx_limit)
    return [limit for limit in limits if limit is not None]


def effective_limit(
    installed: Sequence[InstalledProfile],
    situation: Situation,
    t: datetime,
    anchor: datetime,
    unit: RateUnit,
    elec: Electrical,
) -> CompositePeriod:
    """Lowest of the hardware limit and all active profile limits, in ``unit``.

    The fewest phases any active limit asks for is used for all conversions.
    """
    limits = active_limits(installed, situation, t, anchor)
    phases = None
    if elec.honour_number_phases:
        phases = min(
            (lim.number_phases for lim in limits if lim.number_phases), default=None
        )
    now = replace(elec, phases=phases or elec.phases)
    hardware = Limit(elec.max_current, RateUnit.AMPERE)
    value = min([hardware.to(unit, now)] + [lim.to(unit, now) for lim in limits])
    return CompositePeriod(0, round(value, 1), phases)


def _breakpoints(
    item: InstalledProfile, start: datetime, end: datetime, anchor: datetime
) -> set[datetime]:
    """Moments within [start, end) at which this profile's limit may change."""
    profile = item.profile
    points = {p for p in (profile.valid_from, profile.valid_to) if p is not None}
    schedule = profile.schedule
    first = _anchor(item, start, anchor)
    step = _RECURRENCE.get(profile.recurrency or "")
    anchors = [first]
    if profile.kind is Kind.RECURRING and step is not None:
        while anchors[-1] + step < end:
            anchors.append(anchors[-1] + step)
    for base in anchors:
        points.update(
            base + timedelta(seconds=p.start_period) for p in schedule.periods
        )
        if schedule.duration is not None:
            points.add(base + timedelta(seconds=schedule.duration))
    return {p for p in points if start < p < end}


def composite_schedule(
    installed: Sequence[InstalledProfile],
    situation: Situation,
    start: datetime,
    duration: int,
    unit: RateUnit,
    elec: Electrical,
) -> CompositeSchedule:
    """Merge installed profiles into one schedule of ``duration`` seconds from start."""
    start = start.replace(microsecond=0)
    end = start + timedelta(seconds=duration)
    points = {start}
    for item in installed:
        anchor = start
        if item.profile.purpose in (Purpose.TX, Purpose.TX_DEFAULT):
            anchor = situation.tx_start or start
        points |= _breakpoints(item, start, end, anchor)
    periods: list[CompositePeriod] = []
    for moment in sorted(points):
        value = effective_limit(installed, situation, moment, start, unit, elec)
        offset = int((moment - start).total_seconds())
        if periods and (periods[-1].limit, periods[-1].number_phases) == (
            value.limit,
            value.number_phases,
        ):
            continue
        if periods and periods[-1].start_period == offset:
            periods.pop()
        periods.append(CompositePeriod(offset, value.limit, value.number_phases))
    return CompositeSchedule(situation.evse_id, start, duration, unit, tuple(periods))
