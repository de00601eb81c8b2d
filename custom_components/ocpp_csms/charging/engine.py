"""Apply a limit to a charger: try valid forms until one sticks, then verify.

Chargers refuse profiles for many reasons (a purpose, a unit, too many
periods). The engine tries the candidate forms in order, remembers the one
that worked, replaces our previous profile cleanly, and asks the charger
(GetCompositeSchedule) what it will really apply. It never reports success
for a limit the charger did not take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
import logging
from typing import Protocol

from ..csms.commands import CommandRejectedError
from ..csms.errors import (
    CallErrorReceivedError,
    CallFailedError,
    CallTimeoutError,
    InvalidResponseError,
)
from ..csms.model import SmartChargingCapabilities
from ..csms.profiles import (
    ChargingProfile,
    CompositeSchedule,
    ProfilePurpose,
    RateUnit,
)
from .profiles import (
    Electrical,
    LimitStep,
    ProfileForm,
    build_profile,
    candidate_forms,
)

_LOGGER = logging.getLogger(__name__)

# Our profile ids: one per purpose and EVSE, so we replace our own only.
PROFILE_ID_BASE = {
    ProfilePurpose.TX_DEFAULT: 1000,
    ProfilePurpose.TX: 1100,
    ProfilePurpose.STATION_MAX: 1200,
}
LIMIT_STACK_LEVEL = 1
# Layers above the base limit (e.g. a surplus override on top of a plan) use
# their own profile ids and the next stack level.
LAYER_ID_OFFSET = 50


class LimitLayer(IntEnum):
    """Which of our stacked limits a profile is."""

    BASE = 0  # the user's limit, or a plan
    OVERRIDE = 1  # short-lived, above the base (solar surplus)


def our_profile_id(purpose: ProfilePurpose, evse_id: int, layer: LimitLayer) -> int:
    """Return the id of our profile for a purpose, EVSE and layer."""
    return PROFILE_ID_BASE[purpose] + layer * LAYER_ID_OFFSET + evse_id


VERIFY_WINDOW_S = 300
# What counts as "the same limit" when the charger reports it back.
TOLERANCE = {RateUnit.AMPS: 0.5, RateUnit.WATTS: 150.0}
# The charger refused this form; another form may work.
_REFUSALS = (CommandRejectedError, CallErrorReceivedError, InvalidResponseError)


class ProfilePort(Protocol):
    """The requests the engine needs (implemented by csms ChargerCommands)."""

    async def set_profile(self, evse_id: int, profile: ChargingProfile) -> None:
        """Install a profile (raise on refusal)."""

    async def clear_profile(self, profile_id: int) -> None:
        """Remove a profile of ours."""

    async def composite_schedule(
        self, evse_id: int, duration_s: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        """Return what the charger will apply."""


@dataclass(frozen=True, kw_only=True)
class AppliedLimit:
    """A limit the charger accepted, and what it reported back."""

    form: ProfileForm
    profile: ChargingProfile
    intended: float
    effective: float | None
    verified: bool

    @property
    def resend_at(self) -> datetime | None:
        """Return when the profile ends (re-send the rest of a plan then)."""
        start, duration = self.profile.start, self.profile.duration_s
        if start is None or duration is None:
            return None
        return start + timedelta(seconds=duration)


@dataclass
class LimitNotAppliedError(Exception):
    """Every candidate form was refused."""

    attempts: list[tuple[ProfileForm, str]] = field(default_factory=list)

    def __str__(self) -> str:
        """Say what was tried."""
        tried = "; ".join(
            f"{form.purpose.value}/{form.unit.value}/{form.max_periods}: {why}"
            for form, why in self.attempts
        )
        return f"no profile form was accepted ({tried})"


@dataclass
class LimitNotEffectiveError(Exception):
    """The charger accepted the profile but applies something else."""

    intended: float
    effective: float | None
    unit: RateUnit

    def __str__(self) -> str:
        """Say both values."""
        return (
            f"charger applies {self.effective} {self.unit.value}, "
            f"not {self.intended} {self.unit.value}"
        )


async def apply_limit(
    port: ProfilePort,
    evse_id: int,
    steps: Sequence[LimitStep],
    capabilities: SmartChargingCapabilities,
    electrical: Electrical,
    *,
    now: datetime,
    transaction_id: str | None = None,
    learned: ProfileForm | None = None,
    end: datetime | None = None,
    layer: LimitLayer = LimitLayer.BASE,
) -> AppliedLimit:
    """Install the limit in the first form the charger takes, then verify it."""
    error = LimitNotAppliedError()
    for form in candidate_forms(
        capabilities.rate_units,
        capabilities.max_periods,
        in_transaction=transaction_id is not None,
        learned=learned,
    ):
        profile = build_profile(
            steps,
            form,
            profile_id=our_profile_id(form.purpose, evse_id, layer),
            stack_level=LIMIT_STACK_LEVEL + layer,
            electrical=electrical,
            phase_switching=capabilities.phase_switching,
            transaction_id=transaction_id,
            end=end,
        )
        try:
            await port.set_profile(evse_id, profile)
        except (*_REFUSALS, CallTimeoutError) as err:
            error.attempts.append((form, str(err)))
            continue
        await _clear_other_purposes(port, evse_id, form.purpose, layer)
        return await _verify(port, evse_id, profile, form, electrical, now)
    raise error


async def _clear_other_purposes(
    port: ProfilePort,
    evse_id: int,
    kept: ProfilePurpose | None,
    layer: LimitLayer = LimitLayer.BASE,
) -> None:
    """Remove our limit of the other purpose, so one limit of ours applies."""
    for purpose in (ProfilePurpose.TX_DEFAULT, ProfilePurpose.TX):
        if purpose is kept:
            continue
        try:
            await port.clear_profile(our_profile_id(purpose, evse_id, layer))
        except CallFailedError as err:
            _LOGGER.debug("Could not clear profile %s: %s", purpose, err)


async def clear_layer(port: ProfilePort, evse_id: int, layer: LimitLayer) -> None:
    """Remove our profiles of one layer (e.g. the surplus override ended)."""
    await _clear_other_purposes(port, evse_id, None, layer)


def _intended_now(profile: ChargingProfile, now: datetime) -> float:
    """Return the profile's own limit at ``now`` (after fitting, in its unit)."""
    offset = (now - profile.start).total_seconds() if profile.start else 0.0
    limit = profile.periods[0].limit
    for period in profile.periods:
        if period.start_s <= offset:
            limit = period.limit
    return limit


async def _verify(
    port: ProfilePort,
    evse_id: int,
    profile: ChargingProfile,
    form: ProfileForm,
    electrical: Electrical,
    now: datetime,
) -> AppliedLimit:
    intended = _intended_now(profile, now)
    try:
        composite = await port.composite_schedule(evse_id, VERIFY_WINDOW_S, form.unit)
    except CallFailedError as err:
        _LOGGER.info("Cannot verify the limit (%s); the charger accepted it", err)
        composite = None
    if composite is None:
        return AppliedLimit(
            form=form,
            profile=profile,
            intended=intended,
            effective=None,
            verified=False,
        )
    offset = (now - composite.start).total_seconds() if composite.start else 0.0
    effective = composite.limit_at(max(0.0, offset))
    if effective is not None and composite.unit is not form.unit:
        effective = _convert(effective, composite.unit, form.unit, electrical)
    if effective is None or abs(effective - intended) > TOLERANCE[form.unit]:
        raise LimitNotEffectiveError(intended, effective, form.unit)
    return AppliedLimit(
        form=form,
        profile=profile,
        intended=intended,
        effective=effective,
        verified=True,
    )


def _convert(
    value: float, source: RateUnit, target: RateUnit, electrical: Electrical
) -> float:
    watts_per_amp = electrical.voltage_v * electrical.phases
    return value * watts_per_amp if target is RateUnit.WATTS else value / watts_per_amp
