"""Devices and entities of 1.6 and 2.0.1 chargers with one and two EVSEs."""

from __future__ import annotations

from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.ocpp_csms.const import DOMAIN

from .conftest import SimulatorFactory, wait_for_state
from .helpers import accepted_charger, entity_id, state


def _describe(
    hass: HomeAssistant, hub: MockConfigEntry, charger_id: str
) -> list[dict[str, Any]]:
    """Return every entity of a charger with its device, sorted, id-free."""
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    rows = []
    for entry in er.async_entries_for_config_entry(entity_registry, hub.entry_id):
        if not entry.unique_id.startswith(f"{charger_id}_"):
            continue
        device = device_registry.async_get(entry.device_id or "")
        assert device is not None
        via = device_registry.async_get(device.via_device_id or "")
        current = hass.states.get(entry.entity_id)
        rows.append(
            {
                "entity_id": entry.entity_id,
                "unique_id": entry.unique_id,
                "translation_key": entry.translation_key,
                "device_class": entry.original_device_class,
                "entity_category": entry.entity_category,
                "disabled_by": entry.disabled_by,
                "unit": entry.unit_of_measurement,
                "device": sorted(device.identifiers),
                "via_device": sorted(via.identifiers) if via else None,
                "state": current.state if current else None,
                "attributes": dict(current.attributes) if current else None,
            }
        )
    # Unique ids repeat across platforms (switch and binary sensor "charging").
    return sorted(rows, key=lambda row: (row["unique_id"], row["entity_id"]))


@pytest.mark.parametrize(
    ("version", "evses"), [("1.6", 1), ("1.6", 2), ("2.0.1", 1), ("2.0.1", 2)]
)
async def test_entities_snapshot(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    snapshot: SnapshotAssertion,
    version: str,
    evses: int,
) -> None:
    """Every entity, its device and state right after a charger is accepted."""
    sim = await accepted_charger(hass, start_simulator, "CP_S", version, evses=evses)
    assert sim.status_announced
    assert _describe(hass, loaded_hub, "CP_S") == snapshot


async def test_two_evses_get_sub_devices(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """With two EVSEs each gets a device under the charger's device."""
    await accepted_charger(hass, start_simulator, "CP_2", "2.0.1", evses=2)
    charger = device_registry.async_get_device(identifiers={(DOMAIN, "CP_2")})
    assert charger is not None
    for evse_id in (1, 2):
        device = device_registry.async_get_device(
            identifiers={(DOMAIN, f"CP_2_evse_{evse_id}")}
        )
        assert device is not None
        assert device.via_device_id == charger.id
        assert device.name == f"CP_2 EVSE {evse_id}"
        status = er.async_get(hass).async_get(
            entity_id(hass, "sensor", f"CP_2_{evse_id}_status")
        )
        assert status is not None
        assert status.device_id == device.id


async def test_entities_unavailable_while_disconnected(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """Entities go unavailable with the connection and come back with it."""
    sim = await accepted_charger(hass, start_simulator)
    status = entity_id(hass, "sensor", "CP_1_1_status")
    assert hass.states.get(status).state == "available"
    await sim.stop()
    await wait_for_state(hass, status, STATE_UNAVAILABLE)
    assert state(hass, "binary_sensor", "CP_1_connected") == "off"
    await sim.start()
    await sim.wait_until_ready(timeout=10)
    await wait_for_state(hass, status, "available")


async def test_charging_session_from_the_simulated_car(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """Plug in, authorize, charge: status, power, meters and session follow."""
    sim = await accepted_charger(hass, start_simulator, "CP_C", "2.0.1")
    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD1")
    await sim.send_meter_values(1)
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP_C_1_status") == "charging"
    assert state(hass, "binary_sensor", "CP_C_1_plugged_in") == "on"
    assert state(hass, "binary_sensor", "CP_C_1_charging") == "on"
    assert state(hass, "switch", "CP_C_1_charging") == "on"
    assert state(hass, "sensor", "CP_C_1_id_tag") == "CARD1"
    assert float(state(hass, "sensor", "CP_C_1_power")) > 0
    await sim.stop_transaction(1, "Local")
    await hass.async_block_till_done()
    assert state(hass, "switch", "CP_C_1_charging") == "off"
    assert state(hass, "binary_sensor", "CP_C_1_charging") == "off"
    assert state(hass, "sensor", "CP_C_1_status") == "finishing"
    await sim.unplug(1)
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP_C_1_status") == "available"
    assert state(hass, "binary_sensor", "CP_C_1_plugged_in") == "off"
