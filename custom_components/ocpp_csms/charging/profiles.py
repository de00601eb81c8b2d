"""Build valid charging profiles from an intent and a charger's capabilities.

An intent is "this many amps per phase from these times on". The builder
turns it into one Absolute profile in the unit the charger takes: limits
below the IEC 61851 minimum become 0 (a car cannot charge below 6 A; some
chargers fault on 3 A), equal neighbours merge, and the schedule is fitted
to the charger's maximum number of periods without ever raising a limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..csms.profiles import (
    ChargingProfile,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    SchedulePeriod,
)

MIN_CURRENT_A = 6.0
NOMINAL_VOLTAGE_V = 230.0
# With fewer periods than this, merging would flatten a plan into one low
# limit; the schedule is cut instead and the caller re-sends at ``resend_at``.
MERGE_MIN_PERIODS = 4


@dataclass(frozen=True, kw_only=True, slots=True)
class LimitStep:
    """From ``start`` on, at most ``amps`` per phase on ``phases`` phases."""

    start: datetime
    amps: float
    phases: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Electrical:
    """What converts amps to watts for this EVSE."""

    phases: int = 3
    voltage_v: float = NOMINAL_VOLTAGE_V


@dataclass(frozen=True, kw_only=True, slots=True)
class ProfileForm:
    """How a limit is put on the wire for one charger."""

    purpose: ProfilePurpose
    unit: RateUnit
    max_periods: int | None = None


def to_unit(amps: float, unit: RateUnit, phases: int, electrical: Electrical) -> float:
    """Express a per-phase current in the profile's unit."""
    if unit is RateUnit.AMPS:
        return amps
    return round(amps * electrical.voltage_v * phases)


def usable_amps(amps: float) -> float:
    """Return 0 below the minimum charging current, else the amps."""
    return 0.0 if amps < MIN_CURRENT_A else amps


def merge_equal(steps: Sequence[LimitStep]) -> list[LimitStep]:
    """Drop steps that repeat the previous limit."""
    merged: list[LimitStep] = []
    for step in steps:
        if merged and (merged[-1].amps, merged[-1].phases) == (step.amps, step.phases):
            continue
        merged.append(step)
    return merged


def fit_periods(steps: list[LimitStep], max_periods: int | None) -> list[LimitStep]:
    """Merge neighbours until the schedule fits, keeping the lower limit.

    Each round removes the step whose removal changes the least: the one
    closest in value to its predecessor, which then takes the lower of the
    two limits for the combined time (a plan may deliver a little less,
    never more than intended).
    """
    fitted = list(steps)
    while max_periods is not None and len(fitted) > max(1, max_periods):
        index = min(
            range(1, len(fitted)),
            key=lambda i: abs(fitted[i].amps - fitted[i - 1].amps),
        )
        lower = min(fitted[index - 1].amps, fitted[index].amps)
        previous = fitted[index - 1]
        fitted[index - 1] = LimitStep(
            start=previous.start, amps=lower, phases=previous.phases
        )
        del fitted[index]
        fitted = merge_equal(fitted)
    return fitted


def build_profile(
    steps: Sequence[LimitStep],
    form: ProfileForm,
    *,
    profile_id: int,
    stack_level: int,
    electrical: Electrical,
    phase_switching: bool = False,
    transaction_id: str | None = None,
    end: datetime | None = None,
) -> ChargingProfile:
    """Return one Absolute profile carrying the steps in the form's shape."""
    if not steps:
        raise ValueError("a profile needs at least one step")
    clean = merge_equal(
        [
            LimitStep(start=step.start, amps=usable_amps(step.amps), phases=step.phases)
            for step in sorted(steps, key=lambda step: step.start)
        ]
    )
    limit = form.max_periods
    if limit is not None and len(clean) > limit and limit < MERGE_MIN_PERIODS:
        fitted = clean[:limit]
        end = clean[limit].start
    else:
        fitted = fit_periods(clean, limit)
    start = fitted[0].start
    periods = tuple(
        SchedulePeriod(
            start_s=int((step.start - start).total_seconds()),
            limit=to_unit(
                step.amps, form.unit, step.phases or electrical.phases, electrical
            ),
            phases=step.phases if phase_switching else None,
        )
        for step in fitted
    )
    return ChargingProfile(
        profile_id=profile_id,
        stack_level=stack_level,
        purpose=form.purpose,
        # Absolute everywhere: 2.x station-max profiles may not be Relative,
        # and an explicit start survives reconnects without ambiguity.
        kind=ProfileKind.ABSOLUTE,
        unit=form.unit,
        periods=periods,
        start=start,
        duration_s=int((end - start).total_seconds()) if end else None,
        transaction_id=transaction_id if form.purpose is ProfilePurpose.TX else None,
    )


def candidate_forms(
    rate_units: Sequence[RateUnit],
    max_periods: int | None,
    *,
    in_transaction: bool,
    learned: ProfileForm | None = None,
) -> list[ProfileForm]:
    """Return the forms to try, best first, ending with the most modest.

    TxProfile only while a transaction runs; amps before watts (chargers
    round watts oddly); the charger's own period limit first, one period last.
    """
    purposes = [ProfilePurpose.TX] if in_transaction else []
    purposes.append(ProfilePurpose.TX_DEFAULT)
    units = [unit for unit in (RateUnit.AMPS, RateUnit.WATTS) if unit in rate_units]
    units += [unit for unit in RateUnit if unit not in units]
    forms: list[ProfileForm] = []
    if learned is not None and (
        in_transaction or learned.purpose is not ProfilePurpose.TX
    ):
        forms.append(learned)
    for periods in dict.fromkeys([max_periods, 1]):
        for purpose in purposes:
            for unit in units:
                form = ProfileForm(purpose=purpose, unit=unit, max_periods=periods)
                if form not in forms:
                    forms.append(form)
    return forms
