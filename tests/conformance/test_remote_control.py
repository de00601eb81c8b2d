"""GUIDE §5 requests HA sends (31 in part, 32-35), driven through HA entities.

The strict client answers each request; its strict mode (and typed-ocpp on the
recording) proves every frame the CSMS sends passes the official schemas.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.conftest import wait_for_state

from .conftest import MANUAL_ACCEPT
from .ha import accept_flow, entity, service, state
from .harness import Driver
from .scenario import (
    ACCEPTING_CHARGER,
    V16,
    VERSIONS,
    boot,
    call,
    checkpoint,
    connect,
    online,
    serve,
    start_v16,
    status,
    stop_v16,
    transaction_event,
    wait_call,
)

REMOTE_TAG = "HomeAssistant"


def _remote_start(version: str) -> str:
    return "RemoteStartTransaction" if version == V16 else "RequestStartTransaction"


def _remote_stop(version: str) -> str:
    return "RemoteStopTransaction" if version == V16 else "RequestStopTransaction"


def _charging_started(version: str) -> list[dict[str, Any]]:
    """What a charger sends after accepting a remote start."""
    if version == V16:
        return [
            status(version, 1, "Preparing"),
            call(
                "StartTransaction",
                start_v16(tag=REMOTE_TAG, meter=0),
                save={"tx": "transactionId"},
            ),
            status(version, 1, "Charging"),
        ]
    started = transaction_event(
        "Started",
        "TX-REMOTE",
        0,
        trigger="RemoteStart",
        charging_state="Charging",
        remote_start_id="${rid}",
        wh=0,
    )
    started["idToken"] = {"idToken": REMOTE_TAG, "type": "Central"}
    return [status(version, 1, "Occupied"), call("TransactionEvent", started)]


def _charging_stopped(version: str) -> list[dict[str, Any]]:
    if version == V16:
        return [call("StopTransaction", stop_v16("${tx}", reason="Remote"), result={})]
    ended = transaction_event(
        "Ended", "TX-REMOTE", 1, trigger="RemoteStop", stopped_reason="Remote", wh=10
    )
    return [call("TransactionEvent", ended, result={})]


@pytest.mark.parametrize("version", VERSIONS)
async def test_b32_remote_start_and_stop(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """32: the Charge switch starts and stops a transaction remotely."""
    if version == V16:
        start_payload: dict[str, Any] = {"connectorId": 1, "idTag": REMOTE_TAG}
        stop_payload: dict[str, Any] = {"transactionId": "${tx}"}
    else:
        start_payload = {
            "evseId": 1,
            "idToken": {"idToken": REMOTE_TAG, "type": "Central"},
            "remoteStartId": "~integer",
        }
        stop_payload = {"transactionId": "TX-REMOTE"}
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call(
            _remote_start(version),
            payload=start_payload,
            save={"rid": "remoteStartId"},
            reply={"status": "Accepted"},
        ),
        *_charging_started(version),
        checkpoint("charging"),
        wait_call(
            _remote_stop(version), payload=stop_payload, reply={"status": "Accepted"}
        ),
        *_charging_stopped(version),
        checkpoint("stopped"),
        {"op": "signal", "name": "checked"},
    ]
    switch = "CP_1_1_charging"
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "switch", "turn_on", switch)
        await driver.checkpoint("charging")
        await wait_for_state(hass, entity(hass, "switch", switch), "on")
        await service(hass, "switch", "turn_off", switch)
        await driver.checkpoint("stopped")
        await wait_for_state(hass, entity(hass, "switch", switch), "off")
        await driver.signal("checked")
        result = await driver.result()
    result.assert_ok()


@pytest.mark.parametrize("version", VERSIONS)
async def test_b32_remote_start_and_stop_rejected(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """32: Rejected remote start/stop reach the user as translated errors."""
    if version == V16:
        own_start = [
            call("StartTransaction", start_v16(), save={"tx": "transactionId"})
        ]
    else:
        own_start = [
            call("TransactionEvent", transaction_event("Started", "TX-OWN", 0, wh=0))
        ]
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call(_remote_start(version), reply={"status": "Rejected"}),
        *own_start,
        checkpoint("charging"),
        wait_call(_remote_stop(version), reply={"status": "Rejected"}),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        with pytest.raises(HomeAssistantError) as start_err:
            await service(hass, "switch", "turn_on", "CP_1_1_charging")
        await driver.checkpoint("charging")
        await wait_for_state(hass, entity(hass, "switch", "CP_1_1_charging"), "on")
        with pytest.raises(HomeAssistantError) as stop_err:
            await service(hass, "switch", "turn_off", "CP_1_1_charging")
        result = await driver.result()
    result.assert_ok()
    assert start_err.value.translation_key == "command_rejected"
    assert stop_err.value.translation_key == "command_rejected"


async def _press_each(
    hass: HomeAssistant, platform: str, name: str, unique_id: str, outcomes: list[bool]
) -> list[str | None]:
    """Operate an entity once per expected outcome; return the error keys."""
    keys: list[str | None] = []
    for succeeds in outcomes:
        if succeeds:
            await service(hass, platform, name, unique_id)
            keys.append(None)
            continue
        with pytest.raises(HomeAssistantError) as err:
            await service(hass, platform, name, unique_id)
        keys.append(err.value.translation_key)
    return keys


@pytest.mark.parametrize("version", VERSIONS)
async def test_b33_reset_results(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """33: Reset (soft): Accepted / Scheduled succeed, Rejected is reported."""
    answers = ["Accepted", "Rejected"] + ([] if version == V16 else ["Scheduled"])
    reset = {"type": "Soft"} if version == V16 else {"type": "OnIdle"}
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        *[wait_call("Reset", payload=reset, reply={"status": a}) for a in answers],
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        keys = await _press_each(
            hass,
            "button",
            "press",
            "CP_1_soft_reset",
            [a != "Rejected" for a in answers],
        )
        result = await driver.result()
    result.assert_ok()
    assert keys == [None, "command_rejected"] + ([] if version == V16 else [None])


@pytest.mark.parametrize("version", VERSIONS)
async def test_b33_change_availability_results(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """33 (with Reset): ChangeAvailability of an EVSE and the station; Rejected reported."""
    if version == V16:
        evse_off: dict[str, Any] = {"connectorId": 1, "type": "Inoperative"}
        station_on: dict[str, Any] = {"connectorId": 0, "type": "Operative"}
    else:
        evse_off = {"operationalStatus": "Inoperative", "evse": {"id": 1}}
        station_on = {"operationalStatus": "Operative"}
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call(
            "ChangeAvailability", payload=evse_off, reply={"status": "Scheduled"}
        ),
        wait_call(
            "ChangeAvailability", payload=station_on, reply={"status": "Rejected"}
        ),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "switch", "turn_off", "CP_1_1_available")
        with pytest.raises(HomeAssistantError) as err:
            await service(hass, "switch", "turn_on", "CP_1_available")
        result = await driver.result()
    result.assert_ok()
    assert err.value.translation_key == "command_rejected"


@pytest.mark.parametrize("version", VERSIONS)
async def test_b34_unlock_connector_results(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """34: Unlocked succeeds; every failure status is reported to the user."""
    if version == V16:
        answers = ["Unlocked", "UnlockFailed", "NotSupported"]
        payload: dict[str, Any] = {"connectorId": 1}
    else:
        answers = [
            "Unlocked",
            "UnlockFailed",
            "OngoingAuthorizedTransaction",
            "UnknownConnector",
        ]
        payload = {"evseId": 1, "connectorId": 1}
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        *[
            wait_call("UnlockConnector", payload=payload, reply={"status": a})
            for a in answers
        ],
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        keys = await _press_each(
            hass, "button", "press", "CP_1_1_unlock", [a == "Unlocked" for a in answers]
        )
        result = await driver.result()
    result.assert_ok()
    assert keys == [None] + ["command_rejected"] * (len(answers) - 1)


@pytest.mark.parametrize("hub_options", [MANUAL_ACCEPT], ids=["manual"])
@pytest.mark.parametrize("refusal", ["Rejected", "NotImplemented"])
@pytest.mark.parametrize("version", VERSIONS)
async def test_b35_trigger_message_rejected_or_not_implemented(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    hub_port: int,
    version: str,
    refusal: str,
) -> None:
    """35: a charger refusing TriggerMessage(BootNotification) is accepted at its next boot."""
    how: dict[str, Any] = (
        {"reply": {"status": refusal}} if refusal == "Rejected" else {"error": refusal}
    )
    trigger = wait_call(
        "TriggerMessage", payload={"requestedMessage": "BootNotification"}
    )
    trigger.pop("reply")
    steps = [
        connect("CP_NEW", version),
        boot(version, "Pending"),
        checkpoint("pending"),
        trigger | how,
        # Its own retry after the Pending interval.
        boot(version),
        call("Heartbeat", {}, result={"currentTime": "~utc-now"}),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("pending")
        await accept_flow(hass, "CP_NEW")
        result = await driver.result()
    result.assert_ok()
    assert len(result.csms_calls("TriggerMessage")) == 1


def _profiles(result: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return (request payload, profile) of every SetChargingProfile sent."""
    found = []
    for message in result.csms_calls("SetChargingProfile"):
        payload = message[3]
        found.append(
            (payload, payload.get("csChargingProfiles") or payload["chargingProfile"])
        )
    return found


def _schedules(profile: dict[str, Any]) -> list[dict[str, Any]]:
    schedule = profile["chargingSchedule"]
    return schedule if isinstance(schedule, list) else [schedule]


def _check_profile_rules(profile: dict[str, Any], units: set[str]) -> None:
    """GUIDE §5 31: first period at 0, Relative without start, a supported unit."""
    purpose = profile["chargingProfilePurpose"]
    for schedule in _schedules(profile):
        assert schedule["chargingSchedulePeriod"][0]["startPeriod"] == 0
        assert schedule["chargingRateUnit"] in units
        if profile["chargingProfileKind"] == "Relative":
            assert "startSchedule" not in schedule
    if purpose == "TxProfile":
        assert "transactionId" in profile
    if purpose in ("ChargingStationMaxProfile", "ChargePointMaxProfile"):
        assert profile["chargingProfileKind"] != "Relative"


@pytest.mark.parametrize("version", VERSIONS)
async def test_b31_tx_default_profile_from_max_current(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """31 (in part): the Maximum current number installs a valid TxDefaultProfile."""
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        serve(ACCEPTING_CHARGER, "done"),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "number", "set_value", "CP_1_1_max_current", value=10)
        assert state(hass, "number", "CP_1_1_max_current") == "10.0"
        await driver.signal("done")
        result = await driver.result()
    result.assert_ok()
    profiles = _profiles(result)
    assert profiles
    for payload, profile in profiles:
        assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
        assert payload.get("connectorId", payload.get("evseId")) in (0, 1)
        _check_profile_rules(profile, {"A", "W"})


@pytest.mark.parametrize("version", VERSIONS)
async def test_b31_pause_uses_tx_profile_only_with_a_transaction(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """31 (in part): pause = a TxProfile bound to the running transaction; resume clears."""
    if version == V16:
        own_start = [
            call("StartTransaction", start_v16(), save={"tx": "transactionId"})
        ]
    else:
        own_start = [
            call("TransactionEvent", transaction_event("Started", "TX-PAUSE", 0, wh=0))
        ]
    steps = [
        *online("CP_1", version),
        *own_start,
        checkpoint("charging"),
        serve(ACCEPTING_CHARGER, "done"),
    ]
    async with Driver(hub_port, steps) as driver:
        vars_ = await driver.checkpoint("charging")
        await wait_for_state(hass, entity(hass, "switch", "CP_1_1_charging"), "on")
        await service(hass, "switch", "turn_on", "CP_1_1_paused")
        await service(hass, "switch", "turn_off", "CP_1_1_paused")
        await driver.signal("done")
        result = await driver.result()
    result.assert_ok()
    profiles = _profiles(result)
    tx_profiles = [p for _, p in profiles if p["chargingProfilePurpose"] == "TxProfile"]
    assert tx_profiles
    expected_tx = vars_.get("tx", "TX-PAUSE")
    for profile in tx_profiles:
        assert str(profile["transactionId"]) == str(expected_tx)
        _check_profile_rules(profile, {"A", "W"})
    assert result.csms_calls("ClearChargingProfile")


@pytest.mark.parametrize(
    "hub_options",
    [
        {
            "heartbeat_interval": 300,
            "auto_accept": True,
            "fuse_limit": 25,
            "phase_current_sensors": ["sensor.grid_l1"],
            "fallback_limit": 6,
        }
    ],
    ids=["balancing"],
)
@pytest.mark.parametrize("version", VERSIONS)
async def test_b31_station_max_profile_never_relative(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """31: with load balancing the fuse goes out as a station maximum, Absolute."""
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        serve(ACCEPTING_CHARGER, "done"),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done(wait_background_tasks=True)
        await driver.signal("done")
        result = await driver.result()
    result.assert_ok()
    station = [
        (payload, profile)
        for payload, profile in _profiles(result)
        if profile["chargingProfilePurpose"]
        in ("ChargePointMaxProfile", "ChargingStationMaxProfile")
    ]
    assert station
    for payload, profile in station:
        assert payload.get("connectorId", payload.get("evseId")) == 0
        assert profile["chargingProfileKind"] == "Absolute"
        _check_profile_rules(profile, {"A"})


@pytest.mark.parametrize("version", VERSIONS)
async def test_b31_refused_profiles_try_every_valid_form(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """31: Rejected profiles lead to the other valid forms, then a clear error."""
    refusing = ACCEPTING_CHARGER | {
        "SetChargingProfile": {"reply": {"status": "Rejected"}}
    }
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        serve(refusing, "done"),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        with pytest.raises(HomeAssistantError) as err:
            await service(hass, "number", "set_value", "CP_1_1_max_current", value=10)
        assert err.value.translation_key == "limit_not_applied"
        await driver.signal("done")
        result = await driver.result()
    result.assert_ok()
    profiles = _profiles(result)
    assert {_schedules(profile)[0]["chargingRateUnit"] for _, profile in profiles} == {
        "A",
        "W",
    }
    for _, profile in profiles:
        _check_profile_rules(profile, {"A", "W"})
