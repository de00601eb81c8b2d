"""Power-user actions: TriggerMessage and DataTransfer; DataTransfer from chargers."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ocpp_csms.const import EVENT_DATA_TRANSFER
from simulator import ChargePointSimulator

from .conftest import SimulatorFactory
from .helpers import accepted_charger, charger_action, charger_device

VERSIONS = ["1.6", "2.0.1", "2.1"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_trigger_message_sends_the_versions_request(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """The charger is asked in its version's words and answers; we return it."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    response = await charger_action(
        hass, "trigger_message", message="StatusNotification", evse_id=1
    )
    assert response == {"status": "Accepted"}
    # The last one: accepting the charger triggered its boot before.
    call = [c for c in sim.received_calls if c.action == "TriggerMessage"][-1]
    if version == "1.6":
        assert call.payload == {
            "requestedMessage": "StatusNotification",
            "connectorId": 1,
        }
    else:
        assert call.payload == {
            "requestedMessage": "StatusNotification",
            "evse": {"id": 1},
        }


@pytest.mark.parametrize(
    ("version", "message"),
    [("1.6", "TransactionEvent"), ("2.0.1", "DiagnosticsStatusNotification")],
)
async def test_trigger_message_the_version_lacks_is_refused_with_the_list(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
    message: str,
) -> None:
    """A message from another version is refused before anything is sent."""
    sim = await accepted_charger(hass, start_simulator, version=version)

    def triggers() -> int:
        return [call.action for call in sim.received_calls].count("TriggerMessage")

    sent_before = triggers()
    with pytest.raises(ServiceValidationError) as err:
        await charger_action(hass, "trigger_message", message=message)
    assert err.value.translation_key == "invalid_trigger"
    assert "Heartbeat" in err.value.translation_placeholders["allowed"]
    assert message not in err.value.translation_placeholders["allowed"]
    await sim.heartbeat()  # a round trip: anything sent would have arrived
    assert triggers() == sent_before


@pytest.mark.parametrize("version", VERSIONS)
async def test_data_transfer_returns_the_chargers_answer(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """The simulator's vendor extension echoes; other vendors are unknown."""
    await accepted_charger(hass, start_simulator, version=version)
    echoed = await charger_action(
        hass, "data_transfer", vendor_id="OcppCsmsSim", message_id="Echo", data="hi"
    )
    assert echoed == {"status": "Accepted", "data": "hi"}
    unknown_message = await charger_action(
        hass, "data_transfer", vendor_id="OcppCsmsSim", message_id="Nope"
    )
    assert unknown_message == {"status": "UnknownMessageId", "data": None}
    unknown_vendor = await charger_action(hass, "data_transfer", vendor_id="ACME")
    assert unknown_vendor == {"status": "UnknownVendorId", "data": None}


async def test_data_transfer_structured_data_is_json_text_on_16(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """1.6 carries data as a string: structured data goes as JSON text."""
    sim = await accepted_charger(hass, start_simulator, version="1.6")
    response = await charger_action(
        hass,
        "data_transfer",
        vendor_id="OcppCsmsSim",
        message_id="Echo",
        data={"level": 3},
    )
    assert response == {"status": "Accepted", "data": '{"level": 3}'}
    call = await sim.wait_for_call("DataTransfer")
    assert call.payload["data"] == '{"level": 3}'


async def test_actions_on_an_offline_charger_raise_a_translated_error(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, start_simulator: SimulatorFactory
) -> None:
    """No connection: a clear error, nothing queued."""
    sim = await accepted_charger(hass, start_simulator, version="2.0.1")
    await sim.stop()
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await charger_action(hass, "trigger_message", message="Heartbeat")
    assert err.value.translation_key
    with pytest.raises(HomeAssistantError):
        await charger_action(hass, "data_transfer", vendor_id="OcppCsmsSim")


@pytest.mark.parametrize("version", VERSIONS)
async def test_data_transfer_from_the_charger_fires_an_event(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """Automations see what the charger sent; the charger hears we do not know it."""
    events = async_capture_events(hass, EVENT_DATA_TRANSFER)
    sim: ChargePointSimulator = await accepted_charger(
        hass, start_simulator, version=version
    )
    result = await sim.call(
        "DataTransfer",
        {"vendorId": "com.example", "messageId": "Temp", "data": "41.5"},
    )
    assert result == {"status": "UnknownVendorId"}
    await hass.async_block_till_done()
    (event,) = events
    assert event.data["charger_id"] == "CP_1"
    assert event.data["device_id"] == charger_device(hass).id
    assert event.data["vendor_id"] == "com.example"
    assert event.data["message_id"] == "Temp"
    assert event.data["data"] == "41.5"
