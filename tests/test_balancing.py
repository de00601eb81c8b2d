"""Site load balancing: three chargers under one fuse with a changing house load."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_FALLBACK_LIMIT,
    CONF_FUSE_LIMIT,
    CONF_GRID_POWER_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_PHASE_SENSORS,
)
from simulator import ChargePointSimulator, Quirks, TxOnReboot

from .conftest import SimulatorFactory
from .helpers import entity_id

FUSE = 32
SENSORS = ["sensor.l1_current", "sensor.l2_current", "sensor.l3_current"]


@pytest.fixture
def hub_options() -> dict[str, Any]:
    return {
        CONF_HEARTBEAT_INTERVAL: 300,
        CONF_AUTO_ACCEPT: True,
        CONF_FUSE_LIMIT: FUSE,
        CONF_PHASE_SENSORS: SENSORS,
        CONF_FALLBACK_LIMIT: 6,
    }


def _ev_currents(sims: list[ChargePointSimulator]) -> list[float]:
    """What the cars draw per phase now, summed over all chargers."""
    return [sum(sim.evse(1).current[phase] for sim in sims) for phase in range(3)]


async def _measure(
    hass: HomeAssistant, sims: list[ChargePointSimulator], household: float
) -> None:
    """Report the meter: household plus cars; let the balancer react."""
    for sim in sims:
        await sim.send_meter_values(1)
    for sensor, ev in zip(SENSORS, _ev_currents(sims), strict=True):
        hass.states.async_set(sensor, str(household + ev), {"unit_of_measurement": "A"})
    await hass.async_block_till_done(wait_background_tasks=True)
    # The cars follow their new limits; report again (a real meter would).
    for sim in sims:
        await sim.send_meter_values(1)
    for sensor, ev in zip(SENSORS, _ev_currents(sims), strict=True):
        hass.states.async_set(sensor, str(household + ev), {"unit_of_measurement": "A"})
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_three_chargers_stay_under_the_fuse(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Fair shares, the newest session paused when short, fallback without data."""
    sims = []
    for number, version in enumerate(("1.6", "2.0.1", "2.1")):
        sim = await start_simulator(
            f"CP_{number}", version, max_current=32.0, meter_interval=0
        )
        await sim.wait_until_ready(timeout=10)
        await sim.plug_in(1)
        await sim.start_transaction(1, "CARD")
        await sim.wait_for_transaction(1)
        sims.append(sim)
    await hass.async_block_till_done(wait_background_tasks=True)
    # The safety net: each charger got the fuse as its station maximum.
    for sim in sims:
        sent = [
            c.payload for c in sim.received_calls if c.action == "SetChargingProfile"
        ]
        station = [
            body
            for payload in sent
            for body in (
                payload.get("csChargingProfiles") or payload["chargingProfile"],
            )
            if body["chargingProfilePurpose"]
            in ("ChargePointMaxProfile", "ChargingStationMaxProfile")
        ]
        assert station, sim.config.charger_id
        schedule = station[0]["chargingSchedule"]
        schedule = schedule[0] if isinstance(schedule, list) else schedule
        assert schedule["chargingSchedulePeriod"][0]["limit"] == FUSE

    for household in (4.0, 20.0, 10.0, 25.0):
        await _measure(hass, sims, household)
        for phase, ev in enumerate(_ev_currents(sims)):
            assert household + ev <= FUSE, (household, phase, ev)
        drawing = [sim for sim in sims if sim.evse(1).current[0] > 0]
        if household == 4.0:
            # 27 A available (1 A margin): 9 A each.
            assert [sim.evse(1).current[0] for sim in sims] == [9.0, 9.0, 9.0]
        if household == 20.0:
            # 11 A: not enough for three or two; the first session keeps 11 A.
            assert drawing == [sims[0]]
            assert sims[0].evse(1).current[0] == 11.0
        if household == 25.0:
            # 6 A: exactly one car at the minimum.
            assert [sim.evse(1).current[0] for sim in sims] == [6.0, 0.0, 0.0]

    # The meter goes away: every session gets the safe fallback.
    for sensor in SENSORS:
        hass.states.async_set(sensor, STATE_UNAVAILABLE)
    await hass.async_block_till_done(wait_background_tasks=True)
    for sim in sims:
        await sim.send_meter_values(1)
        assert sim.evse(1).current[0] == 6.0


async def test_user_maximum_caps_the_share(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """With plenty of room the share stops at the EVSE's maximum current."""
    sim = await start_simulator("CP_U", "2.0.1", max_current=32.0, meter_interval=0)
    await sim.wait_until_ready(timeout=10)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": entity_id(hass, "number", "CP_U_1_max_current"), "value": 12},
        blocking=True,
    )
    await _measure(hass, [sim], 2.0)
    assert sim.evse(1).current[0] == 12.0


@pytest.mark.parametrize(
    ("options", "states", "expected"),
    [
        # One sensor for all phases: 31 - 19 household = 12 A.
        (
            {CONF_PHASE_SENSORS: ["sensor.l1_current"]},
            {"sensor.l1_current": "19"},
            12.0,
        ),
        # Grid power: 13.8 kW over 3 x 230 V = 20 A per phase -> 11 A left.
        (
            {CONF_PHASE_SENSORS: [], CONF_GRID_POWER_SENSOR: "sensor.grid"},
            {"sensor.grid": "13800"},
            11.0,
        ),
        # Unreadable values fall back to the safe limit.
        (
            {CONF_PHASE_SENSORS: ["sensor.l1_current"]},
            {"sensor.l1_current": "n/a"},
            6.0,
        ),
        (
            {CONF_PHASE_SENSORS: [], CONF_GRID_POWER_SENSOR: "sensor.grid"},
            {"sensor.grid": "n/a"},
            6.0,
        ),
    ],
)
async def test_other_sensor_setups(
    hass: HomeAssistant,
    hub_options: dict[str, Any],
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    options: dict[str, Any],
    states: dict[str, str],
    expected: float,
) -> None:
    """Single-sensor and grid-power setups; unreadable values are unsafe."""
    hass.config_entries.async_update_entry(
        loaded_hub, options=dict(loaded_hub.options) | options
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    sim = await start_simulator("CP_G", "1.6", max_current=32.0, meter_interval=0)
    await sim.wait_until_ready(timeout=10)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    # The car is not drawing yet in this model, so the meter is the household.
    for sensor, value in states.items():
        hass.states.async_set(sensor, value)
    await hass.async_block_till_done(wait_background_tasks=True)
    await sim.send_meter_values(1)
    assert sim.evse(1).current[0] == expected


async def test_share_and_station_maximum_come_back_after_a_reboot(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A charger that forgets its profiles gets its share and the fuse again."""
    sim = await start_simulator(
        "CP_0",
        "2.0.1",
        max_current=32.0,
        meter_interval=0,
        quirks=Quirks(volatile_profiles=True),
    )
    await sim.wait_until_ready(timeout=10)
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await sim.wait_for_transaction(1)
    await _measure(hass, [sim], 20.0)
    assert sim.evse(1).current[0] == 11.0
    before = len(sim.received_calls)

    await sim.power_cycle(TxOnReboot.RESUME)
    await sim.wait_until_ready(timeout=10)
    await _measure(hass, [sim], 20.0)
    purposes = [
        (call.payload.get("chargingProfile") or {}).get("chargingProfilePurpose")
        for call in sim.received_calls[before:]
        if call.action == "SetChargingProfile"
    ]
    assert "ChargingStationMaxProfile" in purposes
    assert sim.profiles.installed, "the share was not sent again"
    assert sim.evse(1).current[0] == 11.0
