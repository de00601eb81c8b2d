"""Onboarding end to end: real HA core, real socket, simulated chargers."""

from __future__ import annotations

import socket
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.assertion import SnapshotAssertion
from websockets.exceptions import InvalidStatus

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_CHARGER_ID,
    CONF_FIRMWARE_VERSION,
    CONF_HEARTBEAT_INTERVAL,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_SERIAL_NUMBER,
    CONF_VENDOR,
    DOMAIN,
    SUBENTRY_CHARGER,
)
from simulator import ChargePointSimulator

from .conftest import SimulatorFactory, wait_for_state

VERSIONS = ["1.6", "2.0.1", "2.1"]


async def _discovery_flow(hass: HomeAssistant, charger_id: str) -> dict[str, Any]:
    """Return the in-progress discovery flow of a charger, waiting for it."""
    await hass.async_block_till_done()
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"].get("unique_id") == charger_id
    ]
    assert len(flows) == 1, flows
    return dict(flows[0])


@pytest.mark.parametrize("version", VERSIONS)
async def test_unknown_charger_is_discovered_and_accepted(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    version: str,
) -> None:
    """Unknown → Pending → discovery flow → accept → TriggerMessage → Accepted."""
    bystander = await start_simulator("CP_OTHER", version)
    await _accept_via_flow(hass, bystander)

    sim = await start_simulator("CP_NEW", version, vendor="Acme", model="Box")
    await sim.wait_for_registration("Pending", timeout=10)
    assert sim.negotiated_subprotocol == f"ocpp{version}"

    flow = await _discovery_flow(hass, "CP_NEW")
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["step_id"] == "discovery_confirm"
    assert flow["context"]["title_placeholders"]["name"] == "Acme Box (CP_NEW)"
    assert not device_registry.async_get_device(identifiers={(DOMAIN, "CP_NEW")})

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_accepted"

    trigger = await sim.wait_for_call("TriggerMessage", timeout=10)
    assert trigger.payload["requestedMessage"] == "BootNotification"
    await sim.wait_for_registration("Accepted", timeout=10)
    await hass.async_block_till_done()

    device = device_registry.async_get_device(identifiers={(DOMAIN, "CP_NEW")})
    assert device is not None
    assert device.manufacturer == "Acme"
    assert device.model == "Box"
    assert device.serial_number == sim.config.serial_number
    assert device.sw_version == sim.config.firmware_version
    subentry = next(
        sub for sub in loaded_hub.subentries.values() if sub.unique_id == "CP_NEW"
    )
    assert subentry.subentry_type == SUBENTRY_CHARGER
    assert subentry.data[CONF_OCPP_VERSION] == f"ocpp{version}"
    assert device.config_entries_subentries[loaded_hub.entry_id] == {
        subentry.subentry_id
    }
    entity_id = entity_registry.async_get_entity_id(
        "binary_sensor", DOMAIN, "CP_NEW_connected"
    )
    assert entity_id is not None
    assert hass.states.get(entity_id).state == "on"

    # No reload of the hub and no other charger disconnected.
    assert loaded_hub.state is ConfigEntryState.LOADED
    assert bystander.connected
    assert sim.connected


async def _accept_via_flow(hass: HomeAssistant, sim: ChargePointSimulator) -> None:
    """Wait for the charger to be Pending, then accept its discovery flow."""
    await sim.wait_for_registration("Pending", timeout=10)
    flow = await _discovery_flow(hass, sim.config.charger_id)
    await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    await sim.wait_until_ready(timeout=10)
    await hass.async_block_till_done()


async def test_ignored_charger_stays_pending(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """Ignoring the discovery leaves the charger Pending and unregistered."""
    sim = await start_simulator("CP_IGN")
    await sim.wait_for_registration("Pending", timeout=10)
    flow = await _discovery_flow(hass, "CP_IGN")
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": "ignore"},
        data={"unique_id": "CP_IGN", "title": "CP_IGN"},
    )
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["flow_id"]
    assert not loaded_hub.runtime_data.central.is_accepted("CP_IGN")
    # It keeps booting and keeps being told Pending.
    result = await sim.call(
        "BootNotification",
        {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"},
    )
    assert result["status"] == "Pending"
    assert loaded_hub.subentries == {}


async def test_auto_accept_registers_charger(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """With auto-accept on, a new charger is Accepted at once and gets a device."""
    hass.config_entries.async_update_entry(
        loaded_hub,
        options={CONF_HEARTBEAT_INTERVAL: 300, CONF_AUTO_ACCEPT: True},
    )
    await hass.async_block_till_done()
    sim = await start_simulator("CP_AUTO", "1.6")
    await sim.wait_for_registration("Accepted", timeout=10)
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    (subentry,) = loaded_hub.subentries.values()
    assert subentry.unique_id == "CP_AUTO"
    assert subentry.data[CONF_VENDOR] == sim.config.vendor
    assert device_registry.async_get_device(identifiers={(DOMAIN, "CP_AUTO")})
    assert not any(call.action == "TriggerMessage" for call in sim.received_calls), (
        "an accepted boot needs no trigger"
    )


async def test_preaccepted_charger_boot_updates_device(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A charger added by id is Accepted on first boot; its details are stored."""
    result = await hass.config_entries.subentries.async_init(
        (loaded_hub.entry_id, SUBENTRY_CHARGER), context={"source": "user"}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: "CP_PRE"}
    )
    await hass.async_block_till_done()
    sim = await start_simulator("CP_PRE", "2.0.1", firmware_version="9.9")
    await sim.wait_for_registration("Accepted", timeout=10)
    await hass.async_block_till_done()
    (subentry,) = loaded_hub.subentries.values()
    assert subentry.data[CONF_FIRMWARE_VERSION] == "9.9"
    assert subentry.data[CONF_SERIAL_NUMBER] == sim.config.serial_number
    assert subentry.data[CONF_MODEL] == sim.config.model
    device = device_registry.async_get_device(identifiers={(DOMAIN, "CP_PRE")})
    assert device is not None
    assert device.sw_version == "9.9"


async def test_removing_device_forgets_charger(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Deleting the device removes the charger; it must be accepted again."""
    sim = await start_simulator("CP_DEL")
    await _accept_via_flow(hass, sim)
    device = device_registry.async_get_device(identifiers={(DOMAIN, "CP_DEL")})
    assert device is not None

    from custom_components.ocpp_csms import async_remove_config_entry_device

    assert await async_remove_config_entry_device(hass, loaded_hub, device)
    await hass.async_block_till_done()
    assert loaded_hub.subentries == {}
    assert not loaded_hub.runtime_data.central.is_accepted("CP_DEL")
    assert device_registry.async_get_device(identifiers={(DOMAIN, "CP_DEL")}) is None

    # The charger's connection was closed; when it comes back it is new again.
    again = await start_simulator("CP_DEL")
    await again.wait_for_registration("Pending", timeout=10)
    await _discovery_flow(hass, "CP_DEL")


async def test_refused_subprotocol(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A charger offering no OCPP version we speak is refused at the handshake."""
    with pytest.raises(InvalidStatus):
        await start_simulator("CP_OLD", "1.6", subprotocols=["ocpp1.5"])
    assert "Refused CP_OLD" in caplog.text
    assert loaded_hub.runtime_data.central.connected_ids == []


async def test_unload_stops_everything(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    hub_port: int,
) -> None:
    """Unloading closes connections and frees the port; reload serves again."""
    sim = await start_simulator("CP_U")
    await sim.wait_for_registration("Pending", timeout=10)
    central = loaded_hub.runtime_data.central
    assert await hass.config_entries.async_unload(loaded_hub.entry_id)
    await hass.async_block_till_done()
    assert loaded_hub.state is ConfigEntryState.NOT_LOADED
    assert central.connected_ids == []
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", hub_port))


async def test_setup_retries_when_port_busy(
    hass: HomeAssistant, hub_entry: MockConfigEntry, hub_port: int
) -> None:
    """A port taken by another program leaves the entry in setup-retry."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", hub_port))
        busy.listen()
        hub_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(hub_entry.entry_id)
        await hass.async_block_till_done()
        assert hub_entry.state is ConfigEntryState.SETUP_RETRY
        assert str(hub_port) in (hub_entry.reason or "")
    await hass.config_entries.async_unload(hub_entry.entry_id)


async def test_connected_sensor_follows_connection(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The connectivity sensor turns off when the charger goes away."""
    sim = await start_simulator("CP_C")
    await _accept_via_flow(hass, sim)
    entity_id = entity_registry.async_get_entity_id(
        "binary_sensor", DOMAIN, "CP_C_connected"
    )
    assert entity_id
    assert hass.states.get(entity_id).state == "on"
    await sim.stop()
    await wait_for_state(hass, entity_id, "off")
    assert loaded_hub.runtime_data.central.connection("CP_C") is None


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: Any,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Entry and device diagnostics show chargers, with serials redacted."""
    sim = await start_simulator("CP_D", "1.6", firmware_version="1.2.3")
    await _accept_via_flow(hass, sim)
    # The capabilities question is answered; a round trip after it orders us
    # behind the CSMS task that stores the answer.
    await sim.wait_for_call("GetConfiguration", timeout=10)
    await sim.heartbeat()
    pending = await start_simulator("CP_P", "2.0.1")
    await pending.wait_for_registration("Pending", timeout=10)
    entry_diag = await get_diagnostics_for_config_entry(hass, hass_client, loaded_hub)
    entry_diag["listening_port"] = "<port>"
    entry_diag["data"]["port"] = "<port>"
    assert entry_diag == snapshot(name="entry")
    device = device_registry.async_get_device(identifiers={(DOMAIN, "CP_D")})
    assert device is not None
    device_diag = await get_diagnostics_for_device(
        hass, hass_client, loaded_hub, device
    )
    assert device_diag == snapshot(name="device")
    assert device_diag["stored"]["serial_number"] == "**REDACTED**"
