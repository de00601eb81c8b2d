"""GUIDE §5 framing (10-19): answers, errors, ids, duplicates, schemas on the wire."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_STRICT_VALIDATION,
    EVENT_TAG_PRESENTED,
)

from .conftest import HEARTBEAT_INTERVAL
from .ha import service
from .harness import Driver, run_scenario
from .scenario import (
    ACCEPTING_CHARGER,
    ALL_VERSIONS,
    FORMAT,
    FRAMEWORK,
    OCCURRENCE,
    V16,
    V21,
    VERSIONS,
    answer,
    authorize_payload,
    call,
    checkpoint,
    id_status,
    online,
    raw,
    serve,
    status,
    status_payload,
    wait_call,
)

HEARTBEAT_RESULT = {"currentTime": "~utc-now"}
# A CALL whose structure is broken but whose id is readable.
FORMAT_LIKE = {v: [FORMAT[v], *FRAMEWORK[v], "ProtocolError"] for v in ALL_VERSIONS}
MESSAGE_TYPE_UNSUPPORTED = {
    "1.6": ["ProtocolError", "FormationViolation"],
    "2.0.1": ["MessageTypeNotSupported"],
    "2.1": ["MessageTypeNotSupported"],
}


def _probe() -> dict[str, Any]:
    """A Heartbeat that must still work: the connection survived."""
    return call("Heartbeat", {}, result=HEARTBEAT_RESULT)


@pytest.mark.parametrize("version", VERSIONS)
async def test_b10_every_call_answered_once_with_its_id(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """10: a burst of good, unknown and broken CALLs: one answer each, same id."""
    burst: list[Any] = [[2, f"burst-{i}", "Heartbeat", {}] for i in range(8)]
    burst += [
        [2, "burst-unknown", "NoSuchAction", {}],
        [2, "burst-incomplete", "Heartbeat"],
        [2, "burst-invalid", "StatusNotification", {}],
        [2, "burst-last", "Heartbeat", {}],
    ]
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", version),
            {"op": "raw", "frames": burst, "expect": {"any": True}},
            _probe(),
        ],
    )
    result.assert_ok()
    answered = [m[1] for m in result.messages("in") if m[:1] in ([3], [4])]
    for frame in burst:
        assert answered.count(frame[1]) == 1, frame
    assert "-1" not in answered


@pytest.mark.parametrize("version", VERSIONS)
async def test_b11_one_outstanding_csms_call_and_callerror_tolerated(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """11: two requests at once reach the charger one after the other.

    The first is held unanswered: no second CALL may arrive meanwhile (a
    Heartbeat round trip on the same socket proves nothing was queued behind
    it on the wire). Its CALLERROR answer is tolerated: the second follows.
    """
    replies = {
        "UnlockConnector": {"reply": {"status": "Unlocked"}},
        "ChangeAvailability": {"reply": {"status": "Accepted"}},
    }
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call("*", hold="first"),
        _probe(),
        {"op": "expect_no_call"},
        answer("first", error="NotSupported"),
        {"op": "wait_call", "action": "*", "replies": replies, "timeout_ms": 10_000},
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        # Different platforms, so HA's PARALLEL_UPDATES does not serialise them.
        tasks = [
            asyncio.create_task(service(hass, "button", "press", "CP_1_1_unlock")),
            asyncio.create_task(
                service(hass, "switch", "turn_off", "CP_1_1_available")
            ),
        ]
        result = await driver.result()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    result.assert_ok()
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1, outcomes
    assert isinstance(failed[0], HomeAssistantError)
    assert failed[0].translation_key == "command_error"
    # On the wire: CALL, our CALLERROR, and only then the second CALL.
    texts = [(f["dir"], f["text"]) for f in result.frames]
    calls = [
        i
        for i, (d, t) in enumerate(texts)
        if d == "in" and ('"UnlockConnector"' in t or '"ChangeAvailability"' in t)
    ]
    error = next(
        i for i, (d, t) in enumerate(texts) if d == "out" and "NotSupported" in t
    )
    assert len(calls) == 2
    assert calls[0] < error < calls[1]


@pytest.mark.parametrize("version", VERSIONS)
async def test_b11_call_timeout_then_late_answer_ignored(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """11/18: an unanswered request times out; the late answer is ignored."""
    loaded_hub.runtime_data.central.config.call_timeout = 0.3
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call("UnlockConnector", hold="late"),
        {"op": "signal", "name": "timed-out", "timeout_ms": 10_000},
        answer("late", reply={"status": "Unlocked"}),
        _probe(),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        with pytest.raises(HomeAssistantError) as err:
            await service(hass, "button", "press", "CP_1_1_unlock")
        assert err.value.translation_key == "charger_timeout"
        await driver.signal("timed-out")
        result = await driver.result()
    result.assert_ok()
    assert result.data["closes"]["main"]["by"] == "driver"


@pytest.mark.parametrize("version", VERSIONS)
async def test_b12_receive_loop_never_blocks(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """12: while our request is outstanding, the charger's CALLs are answered."""
    steps = [
        *online("CP_1", version),
        checkpoint("ready"),
        wait_call("UnlockConnector", hold="unlock"),
        _probe(),
        status(version, 1, "Preparing" if version == V16 else "Occupied"),
        call("Authorize", authorize_payload(version, "TAG-1")),
        answer("unlock", reply={"status": "Unlocked"}),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "button", "press", "CP_1_1_unlock")
        result = await driver.result()
    result.assert_ok()


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b13_broken_json_gets_rpc_framework_error(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """13: broken JSON, non-arrays, missing elements, unknown message types."""
    unreadable = ["{broken", '{"a": 1}', "[]", "[2]", '"text"', "42"]
    steps = [
        *online("CP_1", version),
        *[raw(text, id="-1", error=FRAMEWORK[version]) for text in unreadable],
        raw([2, "m-incomplete", "Heartbeat"], error=FORMAT_LIKE[version]),
        raw([2, "m-action", 42, {}], error=FORMAT_LIKE[version]),
        raw([2, "m-payload", "Heartbeat", "text"], error=FORMAT_LIKE[version]),
        raw([2, "m-extra", "Heartbeat", {}, {}], error=FORMAT_LIKE[version]),
        raw([9, "m-type", "Heartbeat", {}], error=MESSAGE_TYPE_UNSUPPORTED[version]),
        _probe(),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()


async def test_b13_v21_send_and_callresulterror_need_no_answer(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """13 (2.1): SEND (6) and an unmatched CALLRESULTERROR (5) get no answer."""
    stream = {
        "id": 1,
        "pending": 0,
        "basetime": "${now}",
        "data": [{"t": 0, "v": "230.1"}],
    }
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", V21),
            raw([6, "send-1", "NotifyPeriodicEventStream", stream], silent=True),
            raw([5, "cre-1", "GenericError", "late", {}], silent=True),
            _probe(),
        ],
    )
    result.assert_ok()


@pytest.mark.parametrize("version", VERSIONS)
async def test_b14_unknown_action_not_implemented(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """14: an action no version defines → NotImplemented."""
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", version),
            raw([2, "u-1", "TeleportCar", {}], error="NotImplemented"),
            raw([2, "u-2", "heartbeat", {}], error="NotImplemented"),
            _probe(),
        ],
    )
    result.assert_ok()


@pytest.mark.parametrize("version", VERSIONS)
async def test_b14_known_but_unsupported_action_not_supported(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """14: an action of the version that a CSMS does not serve → NotSupported."""
    if version == V16:
        calls = [
            call("GetConfiguration", {}, error="NotSupported"),
            call("Reset", {"type": "Soft"}, error="NotSupported"),
        ]
    else:
        variable = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "X"}}
        calls = [
            call("GetVariables", {"getVariableData": [variable]}, error="NotSupported"),
            call("Reset", {"type": "OnIdle"}, error="NotSupported"),
        ]
    result = await run_scenario(hub_port, [*online("CP_1", version), *calls, _probe()])
    result.assert_ok()


TOLERANT = {CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL, CONF_AUTO_ACCEPT: True}
STRICT = {
    CONF_HEARTBEAT_INTERVAL: HEARTBEAT_INTERVAL,
    CONF_AUTO_ACCEPT: True,
    CONF_STRICT_VALIDATION: True,
}


@pytest.mark.parametrize("hub_options", [TOLERANT, STRICT], ids=["tolerant", "strict"])
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b15_schema_errors_use_the_versions_codes(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    hub_port: int,
    version: str,
    hub_options: dict[str, Any],
) -> None:
    """15: missing / mistyped / out-of-range / extra fields, in the version's words.

    Essential fields (a status, an id tag) are refused in both modes; an extra
    property is processed unless the hub validates strictly.
    """
    strict = hub_options.get(CONF_STRICT_VALIDATION, False)
    tags = async_capture_events(hass, EVENT_TAG_PRESENTED)
    good = status_payload(version, 1, "Available")
    missing = {
        k: v for k, v in good.items() if k not in ("errorCode", "connectorStatus")
    }
    mistyped = good | ({"connectorId": "one"} if version == V16 else {"evseId": "one"})
    enum = good | (
        {"status": "Bogus"} if version == V16 else {"connectorStatus": "Bogus"}
    )
    # One character over the version's limit (idTag 20, idToken 36; 2.1: 255).
    long_tag = authorize_payload(version, "T" * {V16: 21, V21: 256}.get(version, 37))
    extra: dict[str, Any] = (
        {"error": FORMAT[version]} if strict else {"result": HEARTBEAT_RESULT}
    )
    steps = [
        *online("CP_1", version),
        raw([2, "s-missing", "StatusNotification", missing], error=OCCURRENCE[version]),
        raw(
            [2, "s-type", "StatusNotification", mistyped],
            error="TypeConstraintViolation",
        ),
        raw(
            [2, "s-enum", "StatusNotification", enum],
            error="PropertyConstraintViolation",
        ),
        raw([2, "s-extra", "Heartbeat", {"unexpected": 1}], tolerated=True, **extra),
        raw([2, "s-long", "Authorize", long_tag], error="PropertyConstraintViolation"),
        _probe(),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    await hass.async_block_till_done()
    assert not tags, "an invalid Authorize was processed"


def _field_quirks(version: str) -> list[tuple[str, dict[str, Any]]]:
    """Frames real chargers send: understood, but breaking the schema."""
    if version == V16:
        register = {
            "value": "1500",
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
        }
        current_max = {
            "value": "16",
            "measurand": "Current.Import",
            "unit": "A",
            "context": "CurrentMax",
        }
        return [
            # Alfen Eve: a context the schema does not list.
            (
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [
                        {
                            "timestamp": "${now}",
                            "sampledValue": [register, current_max],
                        }
                    ],
                },
            ),
            # Legrand: errorCode "Error".
            (
                "StatusNotification",
                {"connectorId": 1, "errorCode": "Error", "status": "Faulted"},
            ),
            # Vestel: an empty sampledValue list.
            (
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [{"timestamp": "${now}", "sampledValue": []}],
                },
            ),
            (
                "StopTransaction",
                {"transactionId": "-1", "meterStop": "100", "timestamp": "${now}"},
            ),
        ]
    return [
        (
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "${now}",
                "triggerReason": "Authorized",
                "seqNo": "0",
                "transactionInfo": {"transactionId": 2**63 - 1},
                "evse": {"id": 1, "connectorId": 1},
            },
        ),
        (
            "StatusNotification",
            {"evseId": 1, "connectorId": 1, "connectorStatus": "Occupied"},
        ),
    ]


@pytest.mark.parametrize("hub_options", [TOLERANT, STRICT], ids=["tolerant", "strict"])
@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b15_understood_frames_processed_unless_strict(
    hass: HomeAssistant,
    loaded_hub: MockConfigEntry,
    hub_port: int,
    version: str,
    hub_options: dict[str, Any],
) -> None:
    """15: a frame whose essential content is clear gets a valid CALLRESULT.

    Strict validation refuses the same frames with the version's codes. The
    driver checks every answer against the official schemas.
    """
    strict = hub_options.get(CONF_STRICT_VALIDATION, False)
    codes = [
        FORMAT[version],
        *OCCURRENCE[version],
        "PropertyConstraintViolation",
        "TypeConstraintViolation",
    ]
    steps = [*online("CP_1", version)]
    for index, (action, payload) in enumerate(_field_quirks(version)):
        expect: dict[str, Any] = {"error": codes} if strict else {"any": True}
        steps.append(raw([2, f"q-{index}", action, payload], tolerated=True, **expect))
    steps.append(_probe())
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    replies = [m for m in result.messages("in") if str(m[1]).startswith("q-")]
    assert len(replies) == len(_field_quirks(version))
    assert all(m[0] == (4 if strict else 3) for m in replies), replies


@pytest.mark.parametrize("version", VERSIONS)
async def test_b16_message_id_is_a_string_of_at_most_36_chars(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """16: 36 characters pass; longer, empty or numeric ids are refused.

    The CSMS's own request ids are checked the same way (every scenario).
    """
    bad_id = FRAMEWORK[version] + ["TypeConstraintViolation"]
    steps = [
        *online("CP_1", version),
        raw([2, "i" * 36, "Heartbeat", {}], result=HEARTBEAT_RESULT),
        raw([2, "j" * 37, "Heartbeat", {}], id=["-1", "j" * 37], error=bad_id),
        raw([2, "", "Heartbeat", {}], id="-1", error=bad_id),
        raw([2, 12345, "Heartbeat", {}], id=["-1", "12345"], error=bad_id),
        checkpoint("ready"),
        wait_call("UnlockConnector", reply={"status": "Unlocked"}),
        _probe(),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "button", "press", "CP_1_1_unlock")
        result = await driver.result()
    result.assert_ok()
    (request,) = result.csms_calls("UnlockConnector")
    assert isinstance(request[1], str)
    assert 0 < len(request[1]) <= 36


@pytest.mark.parametrize("version", VERSIONS)
async def test_b17_duplicate_id_replays_answer(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """17: the same CALL id twice → the cached answer again, processed once."""
    tags = async_capture_events(hass, EVENT_TAG_PRESENTED)
    authorize = [2, "dup-1", "Authorize", authorize_payload(version, "TAG-DUP")]
    steps = [
        *online("CP_1", version),
        # Back to back: the second arrives while the first may be in progress.
        {"op": "raw", "frames": [authorize, authorize], "expect": {"any": True}},
        # And later, after the answer went out.
        raw(authorize, result=id_status(version, "Accepted"), save_reply="first"),
        raw([2, "dup-2", "Heartbeat", {}], save_reply="beat"),
        raw([2, "dup-2", "Heartbeat", {}], equals="beat"),
    ]
    result = await run_scenario(hub_port, steps)
    result.assert_ok()
    answers = [m for m in result.messages("in") if m[1] == "dup-1"]
    assert len(answers) == 3
    assert answers[0] == answers[1] == answers[2]
    await hass.async_block_till_done()
    assert len(tags) == 1, [event.data for event in tags]


@pytest.mark.parametrize("version", VERSIONS)
async def test_b18_unmatched_answers_ignored(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """18: CALLRESULT / CALLERROR for ids nobody sent: no answer, no close."""
    result = await run_scenario(
        hub_port,
        [
            *online("CP_1", version),
            raw([3, "nobody-asked", {}], silent=True),
            raw([4, "nobody-asked-2", "GenericError", "", {}], silent=True),
            raw([3, "nobody-asked-3", {"status": "Accepted"}], silent=True),
            _probe(),
        ],
    )
    result.assert_ok()
    assert result.data["closes"]["main"]["by"] == "driver"


def _charger_side_calls(version: str) -> list[dict[str, Any]]:
    """Every charger→CSMS action the CSMS handles, with valid payloads."""
    data_transfer = {"vendorId": "com.example", "messageId": "Ping", "data": "x"}
    if version == V16:
        return [
            call("Heartbeat", {}, result=HEARTBEAT_RESULT),
            status(version, 0),
            call("Authorize", authorize_payload(version, "TAG-1")),
            call(
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": "TAG-1",
                    "meterStart": 0,
                    "timestamp": "${now}",
                },
                save={"tx": "transactionId"},
            ),
            call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": "${tx}",
                    "meterValue": [
                        {
                            "timestamp": "${now}",
                            "sampledValue": [
                                {
                                    "value": "1500",
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                }
                            ],
                        }
                    ],
                },
            ),
            call(
                "StopTransaction",
                {
                    "transactionId": "${tx}",
                    "meterStop": 2000,
                    "timestamp": "${now}",
                    "idTag": "TAG-1",
                },
            ),
            call("DataTransfer", data_transfer),
            call("FirmwareStatusNotification", {"status": "Idle"}),
            call("DiagnosticsStatusNotification", {"status": "Idle"}),
        ]
    return [
        call("Heartbeat", {}, result=HEARTBEAT_RESULT),
        call("Authorize", authorize_payload(version, "TAG-1")),
        call(
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "${now}",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {
                    "transactionId": "TX-19",
                    "chargingState": "Charging",
                },
                "evse": {"id": 1, "connectorId": 1},
                "idToken": {"idToken": "TAG-1", "type": "ISO14443"},
            },
        ),
        call(
            "MeterValues",
            {
                "evseId": 1,
                "meterValue": [
                    {
                        "timestamp": "${now}",
                        "sampledValue": [
                            {
                                "value": 1500,
                                "measurand": "Energy.Active.Import.Register",
                            }
                        ],
                    }
                ],
            },
        ),
        call(
            "TransactionEvent",
            {
                "eventType": "Ended",
                "timestamp": "${now}",
                "triggerReason": "StopAuthorized",
                "seqNo": 1,
                "transactionInfo": {"transactionId": "TX-19", "stoppedReason": "Local"},
                "idToken": {"idToken": "TAG-1", "type": "ISO14443"},
            },
        ),
        call(
            "NotifyEvent",
            {
                "generatedAt": "${now}",
                "seqNo": 0,
                "eventData": [
                    {
                        "eventId": 1,
                        "timestamp": "${now}",
                        "trigger": "Delta",
                        "actualValue": "Available",
                        "eventNotificationType": "HardWiredNotification",
                        "component": {
                            "name": "Connector",
                            "evse": {"id": 1, "connectorId": 1},
                        },
                        "variable": {"name": "AvailabilityState"},
                    }
                ],
            },
        ),
        call("DataTransfer", data_transfer),
        call("FirmwareStatusNotification", {"status": "Installed"}),
        call("LogStatusNotification", {"status": "Idle"}),
        call(
            "SecurityEventNotification",
            {"type": "StartupOfTheDevice", "timestamp": "${now}"},
        ),
    ]


@pytest.mark.parametrize("version", ALL_VERSIONS)
async def test_b19_every_frame_we_send_passes_the_official_schemas(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int, version: str
) -> None:
    """19: answers to every charger action and every request HA can send.

    Strict ocpp-rpc checks each frame as it arrives and typed-ocpp checks the
    recording against the official schemas of the negotiated version.
    """
    steps = [
        *online("CP_1", version),
        *_charger_side_calls(version),
        checkpoint("ready"),
        serve(ACCEPTING_CHARGER, "done"),
    ]
    async with Driver(hub_port, steps) as driver:
        await driver.checkpoint("ready")
        await hass.async_block_till_done()
        await service(hass, "button", "press", "CP_1_1_unlock")
        await service(hass, "number", "set_value", "CP_1_1_max_current", value=10)
        await service(hass, "switch", "turn_off", "CP_1_1_available")
        await service(hass, "switch", "turn_off", "CP_1_available")
        await service(hass, "button", "press", "CP_1_soft_reset")
        await driver.signal("done")
        result = await driver.result()
    result.assert_ok()
    actions = {m[2] for m in result.csms_calls()}
    assert {"UnlockConnector", "SetChargingProfile", "ChangeAvailability", "Reset"} <= (
        actions
    )
    from_csms = result.messages("in")
    assert len(from_csms) >= 15
    assert not [m for m in from_csms if m[:1] == [4]], "a valid CALL got a CALLERROR"
