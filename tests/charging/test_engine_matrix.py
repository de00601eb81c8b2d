"""The limit engine against every charger quirk, for 1.6 and 2.0.1.

Each cell: a simulated charger with one quirk charges a car; the engine
applies a limit; the test asserts what the charger reports (composite
schedule) and what the car really draws equal the intended limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ocpp_csms.charging.engine import (
    LimitNotAppliedError,
    apply_limit,
)
from custom_components.ocpp_csms.charging.profiles import Electrical, LimitStep
from custom_components.ocpp_csms.csms.capabilities import read_capabilities
from custom_components.ocpp_csms.csms.commands import ChargerCommands
from custom_components.ocpp_csms.csms.profiles import ProfilePurpose, RateUnit
from simulator import ChargePointSimulator, Quirks, SimulatorConfig
from tests.corekit import Core

QUIRKS: dict[str, Quirks] = {
    "plain": Quirks(),
    "watts_only": Quirks(rate_units=("W",)),
    "amps_only": Quirks(rate_units=("A",)),
    "station_max_rejected": Quirks(reject_station_max_profile=True),
    "tx_profile_only_in_transaction": Quirks(tx_profile_only_in_transaction=True),
    "max_periods_1": Quirks(max_periods=1),
    "max_periods_10": Quirks(max_periods=10),
    "max_periods_24": Quirks(max_periods=24),
    "number_phases_ignored": Quirks(ignore_number_phases=True),
    "suspend_below_6a": Quirks(suspend_below_min_current=True),
    "slow_answers": Quirks(response_delay=0.3),
}


@dataclass
class Rig:
    sim: ChargePointSimulator
    commands: ChargerCommands
    transaction_id: str


@pytest.fixture
async def rig(core: Core, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    version, quirk = request.param
    sim = ChargePointSimulator(
        SimulatorConfig(
            charger_id="KNOWN",
            url=core.url,
            ocpp_version=version,
            max_current=32.0,
            meter_interval=0,
            quirks=QUIRKS[quirk],
        )
    )
    await sim.start()
    await sim.wait_until_ready(timeout=10)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    transaction_id = str(await sim.wait_for_transaction(1))
    conn = core.central.connection("KNOWN")
    assert conn is not None
    yield Rig(sim, ChargerCommands(conn.session), transaction_id)
    await sim.stop()


MATRIX = [(version, quirk) for version in ("1.6", "2.0.1") for quirk in QUIRKS]


@pytest.mark.parametrize(
    "rig", MATRIX, indirect=True, ids=[f"{v}-{q}" for v, q in MATRIX]
)
@pytest.mark.parametrize("amps", [10.0, 16.0])
async def test_limit_applied_and_drawn(rig: Rig, amps: float) -> None:
    """The engine finds a form the charger takes; the car draws the limit."""
    capabilities = await read_capabilities(rig.commands._session)
    now = datetime.now(UTC)
    applied = await apply_limit(
        rig.commands,
        1,
        [LimitStep(start=now, amps=amps)],
        capabilities,
        Electrical(phases=3, voltage_v=230.0),
        now=now,
        transaction_id=rig.transaction_id,
    )
    assert applied.verified
    assert applied.form.unit in capabilities.rate_units
    evse = rig.sim.evse(1)
    await rig.sim.send_meter_values(1)
    assert rig.sim.offer_for(evse).current == pytest.approx(amps, abs=0.1)
    assert evse.power_w == pytest.approx(amps * 230.0 * 3, rel=0.02)


@pytest.mark.parametrize(
    "rig", [("1.6", "suspend_below_6a"), ("2.0.1", "plain")], indirect=True
)
async def test_below_minimum_becomes_zero(rig: Rig) -> None:
    """4 A is sent as 0 A: the car pauses instead of a charger fault."""
    capabilities = await read_capabilities(rig.commands._session)
    now = datetime.now(UTC)
    applied = await apply_limit(
        rig.commands,
        1,
        [LimitStep(start=now, amps=4.0)],
        capabilities,
        Electrical(),
        now=now,
        transaction_id=rig.transaction_id,
    )
    assert applied.profile.periods[0].limit == 0
    await rig.sim.send_meter_values(1)
    assert rig.sim.evse(1).power_w == 0


@pytest.mark.parametrize(
    "rig", [("1.6", "max_periods_1"), ("2.0.1", "max_periods_10")], indirect=True
)
async def test_schedule_fitted_to_max_periods(rig: Rig) -> None:
    """A 12-step plan fits the charger's period limit and is never higher."""
    capabilities = await read_capabilities(rig.commands._session)
    now = datetime.now(UTC)
    steps = [
        LimitStep(start=now + timedelta(minutes=15 * i), amps=amps)
        for i, amps in enumerate([16, 16, 0, 0, 10, 12, 0, 16, 8, 0, 16, 6])
    ]
    applied = await apply_limit(
        rig.commands,
        1,
        steps,
        capabilities,
        Electrical(),
        now=now,
        transaction_id=rig.transaction_id,
        end=now + timedelta(hours=3),
    )
    assert capabilities.max_periods is not None
    assert len(applied.profile.periods) <= capabilities.max_periods
    assert applied.verified
    # Never more than the plan at any time it covers.
    for period in applied.profile.periods:
        at = now + timedelta(seconds=period.start_s)
        planned = [step.amps for step in steps if step.start <= at][-1]
        assert period.limit <= (planned if planned >= 6 else 0)
    if capabilities.max_periods == 1:
        # Cut, not flattened: 16 A now, re-sent when the next slot begins.
        assert applied.profile.periods[0].limit == 16
        assert applied.resend_at == now + timedelta(minutes=30)
    else:
        assert applied.resend_at == now + timedelta(hours=3)


async def test_every_form_refused(core: Core) -> None:
    """When nothing is accepted the caller learns every attempt, no success."""
    sim = ChargePointSimulator(
        SimulatorConfig(
            charger_id="KNOWN",
            url=core.url,
            ocpp_version="1.6",
            meter_interval=0,
            # Refuses TxDefault (no transaction running means no TxProfile
            # either) in any unit: nothing left to try.
            quirks=Quirks(rate_units=()),
        )
    )
    await sim.start()
    await sim.wait_until_ready(timeout=10)
    conn = core.central.connection("KNOWN")
    assert conn is not None
    commands = ChargerCommands(conn.session)
    now = datetime.now(UTC)
    with pytest.raises(LimitNotAppliedError) as err:
        await apply_limit(
            commands,
            1,
            [LimitStep(start=now, amps=10)],
            await read_capabilities(conn.session),
            Electrical(),
            now=now,
        )
    assert {form.purpose for form, _ in err.value.attempts} == {
        ProfilePurpose.TX_DEFAULT
    }
    assert {form.unit for form, _ in err.value.attempts} == set(RateUnit)
    await sim.stop()
