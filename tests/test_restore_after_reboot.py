"""What we set survives the charger's reboot (limits, availability).

The simulated chargers here keep their profiles in RAM only (the
``volatile_profiles`` quirk), as many real ones do: after a power cycle they
would charge at full power unless the CSMS sends the limit again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import ChargePointSimulator, Quirks
from simulator.composite import RateUnit as SimUnit, effective_limit

from .conftest import SimulatorFactory
from .helpers import accepted_charger, entity_id, state

VERSIONS = ["1.6", "2.0.1", "2.1"]


async def _set_max_current(hass: HomeAssistant, amps: float) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {
            "entity_id": entity_id(hass, "number", "CP_1_1_max_current"),
            "value": amps,
        },
        blocking=True,
    )


def _charger_limit(sim: ChargePointSimulator) -> float:
    """Return the current the charger itself applies now."""
    now = datetime.now(UTC)
    period = effective_limit(
        sim.profiles.installed,
        sim.situation(1),
        now,
        now,
        SimUnit.AMPERE,
        sim.electrical,
    )
    return float(period.limit)


async def _volatile_charger(
    hass: HomeAssistant, start_simulator: SimulatorFactory, version: str
) -> ChargePointSimulator:
    return await accepted_charger(
        hass,
        start_simulator,
        version=version,
        max_current=16.0,
        quirks=Quirks(volatile_profiles=True),
    )


@pytest.mark.parametrize("version", VERSIONS)
async def test_limit_set_before_reboot_is_in_force_after_it(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """10 A before the power cut, 10 A after it: sent again and verified."""
    sim = await _volatile_charger(hass, start_simulator, version)
    await _set_max_current(hass, 10)
    await sim.wait_for_call("SetChargingProfile")
    assert _charger_limit(sim) == 10

    await sim.power_cycle()
    # The charger forgot it: 16 A until we send it again.
    await sim.wait_until_ready(timeout=10)
    call = await sim.wait_for_call("SetChargingProfile")
    await sim.wait_for_call("GetCompositeSchedule")
    await hass.async_block_till_done(wait_background_tasks=True)
    profile = call.payload.get("csChargingProfiles") or call.payload["chargingProfile"]
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert _charger_limit(sim) == 10
    assert state(hass, "number", "CP_1_1_max_current") == "10.0"


async def test_reconnect_without_boot_checks_and_resends_only_if_lost(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """A network blip: the composite schedule decides whether to send again."""
    sim = await _volatile_charger(hass, start_simulator, "2.0.1")
    await _set_max_current(hass, 10)
    await sim.wait_for_call("SetChargingProfile")
    await sim.wait_for_call("GetCompositeSchedule")

    # Still in force after the blip: checked, not sent again.
    await sim.reconnect()
    await sim.heartbeat()
    await sim.wait_for_call("GetCompositeSchedule")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [call.action for call in sim.received_calls].count("SetChargingProfile") == 1

    # Lost meanwhile (someone cleared it): sent again.
    sim.profiles.installed = []
    await sim.reconnect()
    await sim.heartbeat()
    await sim.wait_for_call("SetChargingProfile")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _charger_limit(sim) == 10


async def test_limit_refused_after_reboot_is_not_shown_as_in_force(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """If the rebooted charger will not take the limit back, we do not pretend."""
    sim = await _volatile_charger(hass, start_simulator, "1.6")
    await _set_max_current(hass, 10)
    await sim.wait_for_call("SetChargingProfile")
    sim.config.quirks.rate_units = ()  # after its reboot it refuses every profile
    await sim.power_cycle()
    await sim.wait_until_ready(timeout=10)
    await sim.wait_for_call("SetChargingProfile")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state(hass, "number", "CP_1_1_max_current") == "unknown"


@pytest.mark.parametrize("version", VERSIONS)
async def test_unavailable_evse_stays_unavailable_after_reboot(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """Switched off in HA, switched off again after the charger's reboot."""
    sim = await _volatile_charger(hass, start_simulator, version)
    switch = entity_id(hass, "switch", "CP_1_1_available")
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": switch}, blocking=True
    )
    await sim.wait_for_call("ChangeAvailability")
    await sim.power_cycle()
    await sim.wait_until_ready(timeout=10)
    call = await sim.wait_for_call("ChangeAvailability")
    payload: dict[str, Any] = call.payload
    assert "Inoperative" in (payload.get("type"), payload.get("operationalStatus"))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not sim.evse(1).operative
