"""A cheapest plan goes to the charger as ONE profile it follows on its own.

The simulated charger evaluates its installed profiles at any moment, so the
test can ask what it will do at 02:00 without Home Assistant taking part:
the plan must hold there exactly (issue: keep following if HA goes away).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ocpp_csms.charging.engine import apply_limit
from custom_components.ocpp_csms.charging.planner import PlanRequest, plan_cheapest
from custom_components.ocpp_csms.charging.prices import PriceSlot
from custom_components.ocpp_csms.charging.profiles import Electrical
from custom_components.ocpp_csms.csms.capabilities import read_capabilities
from custom_components.ocpp_csms.csms.commands import ChargerCommands
from simulator import ChargePointSimulator, Quirks, SimulatorConfig
from simulator.composite import RateUnit as SimUnit, effective_limit
from tests.corekit import Core


@pytest.fixture(params=[("1.6", None), ("2.0.1", None), ("2.0.1", 10)])
async def charger(
    core: Core, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[ChargePointSimulator, ChargerCommands]]:
    version, max_periods = request.param
    quirks = Quirks(max_periods=max_periods) if max_periods else Quirks()
    sim = ChargePointSimulator(
        SimulatorConfig(
            charger_id="KNOWN",
            url=core.url,
            ocpp_version=version,
            max_current=32.0,
            meter_interval=0,
            quirks=quirks,
        )
    )
    await sim.start()
    await sim.wait_until_ready(timeout=10)
    conn = core.central.connection("KNOWN")
    assert conn is not None
    yield sim, ChargerCommands(conn.session)
    await sim.stop()


async def test_cheapest_plan_is_one_profile_the_charger_follows(
    charger: tuple[ChargePointSimulator, ChargerCommands],
) -> None:
    sim, commands = charger
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now.replace(minute=0) + timedelta(hours=1)
    prices = [
        PriceSlot(
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i + 1),
            price=price,
        )
        for i, price in enumerate([0.31, 0.12, 0.29, 0.08, 0.10, 0.35, 0.30, 0.33])
    ]
    departure = start + timedelta(hours=8)
    plan = plan_cheapest(
        PlanRequest(
            now=now,
            departure=departure,
            energy_wh=25_000,
            prices=prices,
            max_a=16,
        )
    )
    assert plan.complete
    capabilities = await read_capabilities(commands._session)
    applied = await apply_limit(
        commands,
        1,
        plan.steps(now, departure),
        capabilities,
        Electrical(),
        now=now,
        end=departure,
    )
    assert applied.verified
    actions = [call.action for call in sim.received_calls]
    assert actions.count("SetChargingProfile") == 1, "one profile for the whole plan"

    # Ask the charger itself (no CSMS involved) what it does during each slot.
    situation = sim.situation(1)
    for slot in prices:
        middle = slot.start + timedelta(minutes=30)
        planned = [p for p in plan.slots if p.start <= middle < p.end]
        limit = effective_limit(
            sim.profiles.installed,
            situation,
            middle,
            middle,
            SimUnit.AMPERE,
            sim.electrical,
        )
        expected = planned[0].amps if planned else 0.0
        assert limit.limit == pytest.approx(expected, abs=0.1), (slot.price, limit)
