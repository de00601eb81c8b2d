"""Engine decisions against a scripted port (no socket)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ocpp_csms.charging.engine import (
    LimitNotAppliedError,
    LimitNotEffectiveError,
    apply_limit,
)
from custom_components.ocpp_csms.charging.profiles import (
    Electrical,
    LimitStep,
    ProfileForm,
    build_profile,
    candidate_forms,
)
from custom_components.ocpp_csms.csms.commands import CommandRejectedError
from custom_components.ocpp_csms.csms.errors import CallErrorReceivedError
from custom_components.ocpp_csms.csms.model import SmartChargingCapabilities
from custom_components.ocpp_csms.csms.profiles import (
    ChargingProfile,
    CompositeSchedule,
    ProfilePurpose,
    RateUnit,
    SchedulePeriod,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


class Port:
    """Accepts what ``accept`` allows; reports ``composite``."""

    def __init__(
        self,
        composite: CompositeSchedule | Exception | None,
        accept: set[RateUnit] = frozenset(RateUnit),  # type: ignore[assignment]
    ) -> None:
        self.composite = composite
        self.accept = accept
        self.sent: list[ChargingProfile] = []
        self.cleared: list[int] = []

    async def set_profile(self, evse_id: int, profile: ChargingProfile) -> None:
        self.sent.append(profile)
        if profile.unit not in self.accept:
            raise CommandRejectedError("SetChargingProfile", "Rejected")

    async def clear_profile(self, profile_id: int) -> None:
        self.cleared.append(profile_id)
        raise CallErrorReceivedError("ClearChargingProfile", "NotSupported", "no")

    async def composite_schedule(
        self, evse_id: int, duration_s: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        if isinstance(self.composite, Exception):
            raise self.composite
        return self.composite


def _composite(limit: float, unit: RateUnit = RateUnit.AMPS) -> CompositeSchedule:
    return CompositeSchedule(
        start=NOW, unit=unit, periods=(SchedulePeriod(start_s=0, limit=limit),)
    )


async def _apply(port: Port, amps: float = 10.0) -> object:
    return await apply_limit(
        port,
        1,
        [LimitStep(start=NOW, amps=amps)],
        SmartChargingCapabilities(),
        Electrical(),
        now=NOW,
    )


async def test_composite_in_other_unit_is_converted() -> None:
    applied = await _apply(Port(_composite(6900.0, RateUnit.WATTS)))
    assert applied.verified  # type: ignore[attr-defined]


async def test_unverifiable_when_composite_unsupported() -> None:
    port = Port(CallErrorReceivedError("GetCompositeSchedule", "NotSupported", "x"))
    applied = await _apply(port)
    assert not applied.verified  # type: ignore[attr-defined]
    assert applied.effective is None  # type: ignore[attr-defined]
    # Our TxProfile of the same EVSE was asked to go (errors tolerated).
    assert port.cleared == [1101]
    port = Port(None)
    assert not (await _apply(port)).verified  # type: ignore[attr-defined]


async def test_charger_applying_something_else_is_an_error() -> None:
    with pytest.raises(LimitNotEffectiveError) as err:
        await _apply(Port(_composite(16.0)))
    assert "16.0 A, not 10" in str(err.value)
    with pytest.raises(LimitNotEffectiveError) as err:
        await _apply(
            Port(
                CompositeSchedule(
                    start=NOW + timedelta(hours=1), unit=RateUnit.AMPS, periods=()
                )
            )
        )
    assert "nothing" not in str(err.value)
    assert err.value.effective is None


async def test_all_refused_lists_attempts() -> None:
    with pytest.raises(LimitNotAppliedError) as err:
        await _apply(Port(_composite(10.0), accept=set()))
    assert "TxDefaultProfile/A" in str(err.value)


def test_learned_form_goes_first_but_never_tx_without_transaction() -> None:
    learned = ProfileForm(purpose=ProfilePurpose.TX, unit=RateUnit.WATTS)
    forms = candidate_forms((RateUnit.AMPS,), 24, in_transaction=True, learned=learned)
    assert forms[0] == learned
    forms = candidate_forms((RateUnit.AMPS,), 24, in_transaction=False, learned=learned)
    assert all(form.purpose is ProfilePurpose.TX_DEFAULT for form in forms)


def test_build_profile_needs_steps_and_sets_phases() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        build_profile(
            [],
            ProfileForm(purpose=ProfilePurpose.TX_DEFAULT, unit=RateUnit.AMPS),
            profile_id=1,
            stack_level=1,
            electrical=Electrical(),
        )
    profile = build_profile(
        [LimitStep(start=NOW, amps=10, phases=1)],
        ProfileForm(purpose=ProfilePurpose.TX_DEFAULT, unit=RateUnit.WATTS),
        profile_id=1,
        stack_level=1,
        electrical=Electrical(voltage_v=230),
        phase_switching=True,
    )
    assert profile.periods[0].phases == 1
    assert profile.periods[0].limit == 2300
