"""Controls: start/stop, pause/resume, availability, limit, reset, unlock."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import CONF_REMOTE_ID_TAG
from custom_components.ocpp_csms.csms.commands import CommandRejectedError
from custom_components.ocpp_csms.csms.errors import (
    CallErrorReceivedError,
    CallFailedError,
    CallTimeoutError,
    ConnectionLostError,
)
from custom_components.ocpp_csms.errors import command_error
from simulator import Quirks

from .conftest import SimulatorFactory
from .helpers import accepted_charger, entity_id, state

VERSIONS = ["1.6", "2.0.1"]


async def _service(
    hass: HomeAssistant, domain: str, service: str, target: str, **data: object
) -> None:
    await hass.services.async_call(
        domain, service, {"entity_id": target, **data}, blocking=True
    )
    await hass.async_block_till_done()


@pytest.mark.parametrize("version", VERSIONS)
async def test_charge_switch_starts_and_stops(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """The Charge switch sends a remote start with our tag, then a remote stop."""
    hass.config_entries.async_update_entry(
        loaded_hub, options=dict(loaded_hub.options) | {CONF_REMOTE_ID_TAG: "HA-TAG"}
    )
    sim = await accepted_charger(hass, start_simulator, version=version)
    switch = entity_id(hass, "switch", "CP_1_1_charging")
    await _service(hass, "switch", "turn_on", switch)
    start = await sim.wait_for_call(
        "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction"
    )
    if version == "1.6":
        assert start.payload == {"connectorId": 1, "idTag": "HA-TAG"}
    else:
        assert start.payload["evseId"] == 1
        assert start.payload["idToken"] == {"idToken": "HA-TAG", "type": "Central"}
    await sim.plug_in(1)
    await _wait_transaction(hass, sim)
    assert state(hass, "switch", "CP_1_1_charging") == "on"

    running = await sim.wait_for_transaction(1)
    assert state(hass, "sensor", "CP_1_1_transaction_id") == str(running)
    await _service(hass, "switch", "turn_off", switch)
    stop = await sim.wait_for_call(
        "RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction"
    )
    assert str(stop.payload["transactionId"]) == str(running)


async def _wait_transaction(hass: HomeAssistant, sim: object) -> None:
    """Wait until the simulator's remote-started transaction reached HA."""
    from .conftest import wait_for_state

    await wait_for_state(hass, entity_id(hass, "switch", "CP_1_1_charging"), "on")


@pytest.mark.parametrize("version", VERSIONS)
async def test_pause_and_resume_keep_the_transaction(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """Pause installs a 0 A TxProfile for the transaction; resume clears it."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    paused = entity_id(hass, "switch", "CP_1_1_paused")
    with pytest.raises(ServiceValidationError) as err:
        await _service(hass, "switch", "turn_on", paused)
    assert err.value.translation_key == "no_transaction"

    await sim.plug_in(1)
    await sim.start_transaction(1, "CARD")
    await hass.async_block_till_done()
    await _service(hass, "switch", "turn_on", paused)
    profile_call = await sim.wait_for_call("SetChargingProfile")
    profile = profile_call.payload.get(
        "csChargingProfiles"
    ) or profile_call.payload.get("chargingProfile")
    assert profile["chargingProfilePurpose"] == "TxProfile"
    assert str(profile["transactionId"]) == str(sim.evse(1).transaction_id)
    assert state(hass, "switch", "CP_1_1_paused") == "on"
    assert state(hass, "switch", "CP_1_1_charging") == "on"

    await _service(hass, "switch", "turn_off", paused)
    clear = await sim.wait_for_call("ClearChargingProfile")
    assert profile["id" if version != "1.6" else "chargingProfileId"] in (
        clear.payload.values()
    )
    assert state(hass, "switch", "CP_1_1_paused") == "off"


@pytest.mark.parametrize("version", VERSIONS)
async def test_max_current_sets_default_profile(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """The number writes a TxDefaultProfile and shows the applied limit."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    number = entity_id(hass, "number", "CP_1_1_max_current")
    await _service(hass, "number", "set_value", number, value=10)
    call = await sim.wait_for_call("SetChargingProfile")
    profile = call.payload.get("csChargingProfiles") or call.payload["chargingProfile"]
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    schedule = profile["chargingSchedule"]
    schedule = schedule[0] if isinstance(schedule, list) else schedule
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}]
    assert state(hass, "number", "CP_1_1_max_current") == "10.0"


async def test_watts_only_charger_gets_a_watt_limit(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """An amp limit is converted for a charger that only takes watts."""
    sim = await accepted_charger(
        hass, start_simulator, version="1.6", quirks=Quirks(rate_units=("W",))
    )
    number = entity_id(hass, "number", "CP_1_1_max_current")
    await _service(hass, "number", "set_value", number, value=10)
    call = await sim.wait_for_call("SetChargingProfile")
    schedule = call.payload["csChargingProfiles"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W"
    assert schedule["chargingSchedulePeriod"][0]["limit"] == 10 * 230 * 3
    assert state(hass, "number", "CP_1_1_max_current") == "10.0"


async def test_limit_nobody_accepts_raises_translated_error(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
) -> None:
    """When every form is refused the user is told; the value is not faked."""
    await accepted_charger(
        hass, start_simulator, version="2.0.1", quirks=Quirks(rate_units=())
    )
    number = entity_id(hass, "number", "CP_1_1_max_current")
    with pytest.raises(HomeAssistantError) as err:
        await _service(hass, "number", "set_value", number, value=10)
    assert err.value.translation_key == "limit_not_applied"
    assert "TxDefaultProfile/W" in err.value.translation_placeholders["attempts"]
    assert state(hass, "number", "CP_1_1_max_current") == "unknown"


@pytest.mark.parametrize("version", VERSIONS)
async def test_buttons_and_availability(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    start_simulator: SimulatorFactory,
    version: str,
) -> None:
    """Reset, unlock and availability send the right requests."""
    sim = await accepted_charger(hass, start_simulator, version=version)
    await _service(hass, "button", "press", entity_id(hass, "button", "CP_1_1_unlock"))
    unlock = await sim.wait_for_call("UnlockConnector")
    assert unlock.payload == (
        {"connectorId": 1} if version == "1.6" else {"evseId": 1, "connectorId": 1}
    )
    await _service(
        hass, "switch", "turn_off", entity_id(hass, "switch", "CP_1_1_available")
    )
    change = await sim.wait_for_call("ChangeAvailability")
    if version == "1.6":
        assert change.payload == {"connectorId": 1, "type": "Inoperative"}
    else:
        assert change.payload == {
            "operationalStatus": "Inoperative",
            "evse": {"id": 1},
        }
    await _service(
        hass, "switch", "turn_on", entity_id(hass, "switch", "CP_1_available")
    )
    change = await sim.wait_for_call("ChangeAvailability")
    assert change.payload.get("type", change.payload.get("operationalStatus")) == (
        "Operative"
    )
    await _service(
        hass, "button", "press", entity_id(hass, "button", "CP_1_soft_reset")
    )
    reset = await sim.wait_for_call("Reset")
    assert reset.payload == {"type": "Soft" if version == "1.6" else "OnIdle"}


@pytest.mark.parametrize(
    ("error", "key", "extra"),
    [
        (
            CommandRejectedError("Reset", "Rejected"),
            "command_rejected",
            {"action": "Reset", "status": "Rejected"},
        ),
        (
            CallErrorReceivedError("Reset", "NotSupported", "no"),
            "command_error",
            {"action": "Reset", "code": "NotSupported"},
        ),
        (CallTimeoutError("slow"), "charger_timeout", {}),
        (ConnectionLostError("gone"), "charger_offline", {}),
        (CallFailedError("odd"), "command_failed", {"error": "odd"}),
    ],
)
def test_command_errors_are_translated(
    error: CallFailedError, key: str, extra: dict[str, str]
) -> None:
    """Every failure of a request maps to its own translated message."""
    translated = command_error("CP_9", error)
    assert translated.translation_key == key
    assert translated.translation_placeholders == {"charger_id": "CP_9"} | extra
