"""Energy that is never wrong: replays of the situations that break others.

Each test drives a simulated 1.6 charger over a real socket with exact
register values, and reads the energy sensors from HA's state machine.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from .conftest import SimulatorFactory
from .helpers import Clock, accepted_charger, meter_v16, reload_hub, start_v16, state


def energy(hass: HomeAssistant, charger: str = "CP_1", evse: int = 1) -> float:
    """Return the EVSE's energy meter sensor, in the Wh it is kept in."""
    return float(state(hass, "sensor", f"{charger}_{evse}_energy")) * 1000


def session_energy(hass: HomeAssistant, charger: str = "CP_1") -> float:
    """Return the session energy sensor in Wh."""
    return float(state(hass, "sensor", f"{charger}_1_session_energy")) * 1000


async def test_energy_follows_register_and_survives_reconnect(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Plain increase is counted; a reconnect changes nothing."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    await sim.call("MeterValues", meter_v16(1, clock.iso(), 10_000))
    assert energy(hass) == 10_000
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=10), 11_500))
    assert energy(hass) == 11_500

    await sim.reconnect()
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=1), 11_500))
    assert energy(hass) == 11_500
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=10), 12_000))
    assert energy(hass) == 12_000


async def test_register_reset_and_meter_replacement_never_go_back(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """A register that restarts at 0, or a new meter, continues the total."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    await sim.call("MeterValues", meter_v16(1, clock.iso(), 50_000))
    # Charger reboot (firmware update) resets its register to 0.
    await sim.call(
        "BootNotification",
        {"chargePointVendor": "OcppCsmsSim", "chargePointModel": "SimCharger"},
    )
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 0))
    assert energy(hass) == 50_000
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 700))
    assert energy(hass) == 50_700
    # A replacement meter starting at some other reading.
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 300))
    assert energy(hass) == 50_700
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 400))
    assert energy(hass) == 50_800
    # Rounding noise (a tiny dip) is not a reset.
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 399.5))
    assert energy(hass) == 50_800
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=5), 400.5))
    assert energy(hass) == 50_800.5


async def test_kwh_and_wh_mixed_and_spikes_ignored(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """kWh readings are scaled; an impossible jump does not reach the sensor."""
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    await sim.call("MeterValues", meter_v16(1, clock.iso(), 12.5, unit="kWh"))
    assert energy(hass) == 12_500
    await sim.call("MeterValues", meter_v16(1, clock.advance(minutes=6), 12_600))
    assert energy(hass) == 12_600
    # A firmware that once reports Wh labelled as kWh: 1000x in a minute.
    await sim.call(
        "MeterValues", meter_v16(1, clock.advance(minutes=1), 12_700, unit="kWh")
    )
    assert energy(hass) == 12_600
    await sim.call(
        "MeterValues", meter_v16(1, clock.advance(minutes=1), 12_701, unit="kWh")
    )
    # It continues from there: +1 kWh in a minute at 60 kW is plausible.
    assert energy(hass) == 13_600


async def test_session_energy_resets_each_session(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """Session energy counts from each start; the meter keeps counting."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    first = await start_v16(sim, clock, 1_000)
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=30), 4_000, transaction_id=first),
    )
    assert session_energy(hass) == 3_000
    await sim.call(
        "StopTransaction",
        {
            "transactionId": first,
            "meterStop": 5_000,
            "timestamp": clock.advance(minutes=10),
        },
    )
    await hass.async_block_till_done()
    assert session_energy(hass) == 4_000
    assert ended[-1].data["energy_kwh"] == 4.0
    assert ended[-1].data["duration_s"] == 40 * 60

    clock.advance(hours=2)
    second = await start_v16(sim, clock, 5_000)
    assert second != first
    assert session_energy(hass) == 0
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=10), 5_500, transaction_id=second),
    )
    assert session_energy(hass) == 500
    assert energy(hass) == 5_500


async def test_ha_restart_mid_transaction_loses_and_doubles_nothing(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    hass_storage: dict[str, Any],
) -> None:
    """State comes back from the Store; the session continues exactly."""
    ended = async_capture_events(hass, "ocpp_csms_session_ended")
    sim = await accepted_charger(hass, start_simulator)
    clock = Clock()
    transaction = await start_v16(sim, clock, 20_000)
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=20), 22_000, transaction_id=transaction),
    )
    assert session_energy(hass) == 2_000

    await reload_hub(hass, loaded_hub)
    assert f"ocpp_csms.{loaded_hub.entry_id}" in hass_storage
    # The server restarted, so the charger is offline until it dials in again.
    assert state(hass, "sensor", "CP_1_1_energy") == "unavailable"
    await sim.reconnect()
    await hass.async_block_till_done()
    # Back without a reboot: the restored counters show at once.
    assert energy(hass) == 22_000
    assert session_energy(hass) == 2_000
    await sim.call(
        "MeterValues",
        meter_v16(1, clock.advance(minutes=20), 23_000, transaction_id=transaction),
    )
    assert session_energy(hass) == 3_000
    assert energy(hass) == 23_000
    await sim.call(
        "StopTransaction",
        {
            "transactionId": transaction,
            "meterStop": 23_500,
            "timestamp": clock.advance(minutes=5),
        },
    )
    await hass.async_block_till_done()
    (event,) = ended
    assert event.data["energy_kwh"] == 3.5
    assert event.data["transaction_id"] == str(transaction)
