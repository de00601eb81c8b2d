"""The tolerant reader: what it keeps, drops, coerces and still refuses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import logging
from typing import Any

from jsonschema.exceptions import ValidationError
import pytest

from custom_components.ocpp_csms.csms import session as session_module, tolerance
from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.deviations import (
    MAX_KINDS,
    ChargerTolerance,
    DeviationLog,
)
from custom_components.ocpp_csms.csms.session import Session
from custom_components.ocpp_csms.csms.tolerance import (
    Deviation,
    Handling,
    Repaired,
    repair,
)
from custom_components.ocpp_csms.csms.validation import load_schemas, schema_error

from .test_session_unit import FakeConnection

V16, V201, V21 = OcppVersion.V16, OcppVersion.V201, OcppVersion.V21
ARRIVAL = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ARRIVAL_TEXT = "2026-03-01T12:00:00.000Z"
TS = "2026-03-01T11:59:00Z"
MAX_ID = 2**63 - 1


@pytest.fixture(autouse=True, scope="module")
def _schemas() -> None:
    load_schemas()


def _fixed(version: OcppVersion, action: str, payload: dict[str, Any]) -> Repaired:
    assert schema_error(version, action, payload, request=True) is not None
    repaired = repair(version, action, payload, ARRIVAL)
    assert repaired is not None
    return repaired


def _kinds(repaired: Repaired) -> dict[str, Handling]:
    return {d.kind: d.handling for d in repaired.deviations}


def _sampled(value: str = "1500", **extra: str) -> dict[str, str]:
    return {"value": value, "measurand": "Energy.Active.Import.Register"} | extra


def test_alfen_unknown_context_drops_only_that_sampled_value() -> None:
    current_max = {
        "value": "16",
        "measurand": "Current.Import",
        "phase": "L1",
        "unit": "A",
        "context": "CurrentMax",
    }
    payload = {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [
            {"timestamp": TS, "sampledValue": [_sampled(unit="Wh"), current_max]}
        ],
    }
    repaired = _fixed(V16, "MeterValues", payload)
    assert repaired.payload["meterValue"][0]["sampledValue"] == [_sampled(unit="Wh")]
    (deviation,) = repaired.deviations
    assert deviation == Deviation(
        "unknown_enum:context",
        "meterValue/0/sampledValue/1/context",
        '"CurrentMax"',
        Handling.DROPPED,
        "dropped meterValue/0/sampledValue/1",
    )
    # The original is untouched.
    assert len(payload["meterValue"][0]["sampledValue"]) == 2  # type: ignore[index]


@pytest.mark.parametrize(
    "qualifier", ["measurand", "phase", "unit", "location", "format", "context"]
)
def test_unknown_qualifier_drops_the_sampled_value_never_defaults(
    qualifier: str,
) -> None:
    """Without it, the reader would assume the default: data we never got."""
    broken = _sampled("7") | {qualifier: "Bogus"}
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [_sampled(), broken]}],
    }
    repaired = _fixed(V16, "MeterValues", payload)
    assert repaired.payload["meterValue"][0]["sampledValue"] == [_sampled()]
    assert _kinds(repaired) == {f"unknown_enum:{qualifier}": Handling.DROPPED}


def test_v2_unknown_measurand_and_unit_of_measure() -> None:
    good = {"value": 1500, "measurand": "Energy.Active.Import.Register"}
    payload = {
        "evseId": 1,
        "meterValue": [
            {
                "timestamp": TS,
                "sampledValue": [
                    good,
                    {"value": 3, "measurand": "Energy.Magic"},
                    {"value": 4, "unitOfMeasure": {"unit": "W" * 30}},
                    {"value": "230.5", "measurand": "Voltage", "phase": "L1-N"},
                ],
            }
        ],
    }
    repaired = _fixed(V201, "MeterValues", payload)
    assert repaired.payload["meterValue"][0]["sampledValue"] == [
        good,
        {"value": 230.5, "measurand": "Voltage", "phase": "L1-N"},
    ]
    assert _kinds(repaired) == {
        "unknown_enum:measurand": Handling.DROPPED,
        "too_long:unit": Handling.DROPPED,
        "string_number:value": Handling.COERCED,
    }


def test_legrand_error_code_becomes_other_error_keeping_the_word() -> None:
    payload = {"connectorId": 1, "errorCode": "Error", "status": "Faulted"}
    repaired = _fixed(V16, "StatusNotification", payload)
    assert repaired.payload == payload | {
        "errorCode": "OtherError",
        "vendorErrorCode": "Error",
    }
    (deviation,) = repaired.deviations
    assert deviation.handling is Handling.CATCH_ALL
    assert "kept in vendorErrorCode" in deviation.detail


def test_error_code_word_goes_to_info_or_nowhere() -> None:
    payload = {
        "connectorId": 1,
        "errorCode": "Error",
        "status": "Faulted",
        "vendorErrorCode": "E17",
    }
    repaired = _fixed(V16, "StatusNotification", payload)
    assert repaired.payload["info"] == "Error"
    full = payload | {"info": "busy"}
    repaired = _fixed(V16, "StatusNotification", full)
    assert repaired.payload == full | {"errorCode": "OtherError"}
    long_word = payload | {"errorCode": "E" * 60}
    repaired = _fixed(V16, "StatusNotification", long_word)
    assert "info" not in repaired.payload


@pytest.mark.parametrize(
    ("version", "action", "payload", "field", "expected"),
    [
        (
            V16,
            "StopTransaction",
            {"transactionId": 1, "meterStop": 5, "timestamp": TS, "reason": "Odd"},
            "reason",
            "Other",
        ),
        (
            V201,
            "BootNotification",
            {"chargingStation": {"vendorName": "A", "model": "B"}, "reason": "Odd"},
            "reason",
            "Unknown",
        ),
    ],
)
def test_catch_all_replaces_unknown_reasons(
    version: OcppVersion,
    action: str,
    payload: dict[str, Any],
    field: str,
    expected: str,
) -> None:
    """Dropping an optional reason would claim the default (1.6: Local)."""
    repaired = _fixed(version, action, payload)
    assert repaired.payload[field] == expected
    assert _kinds(repaired) == {f"unknown_enum:{field}": Handling.CATCH_ALL}


def test_vestel_empty_sampled_value_drops_the_entry_keeps_the_rest() -> None:
    payload = {
        "connectorId": 1,
        "meterValue": [
            {"timestamp": TS, "sampledValue": []},
            {"timestamp": TS, "sampledValue": [_sampled()]},
        ],
    }
    repaired = _fixed(V16, "MeterValues", payload)
    assert repaired.payload["meterValue"] == [payload["meterValue"][1]]  # type: ignore[index]
    assert _kinds(repaired) == {"empty_array:sampledValue": Handling.DROPPED}


def test_emptied_meter_value_list_is_read_as_nothing() -> None:
    payload = {"connectorId": 1, "meterValue": [{"timestamp": TS, "sampledValue": []}]}
    repaired = _fixed(V16, "MeterValues", payload)
    assert repaired.payload == {"connectorId": 1, "meterValue": []}
    repaired = _fixed(V16, "MeterValues", {"connectorId": 1, "meterValue": []})
    assert _kinds(repaired) == {"empty_array:meterValue": Handling.KEPT}


def test_optional_list_emptied_is_dropped() -> None:
    payload = {
        "transactionId": 3,
        "meterStop": 10,
        "timestamp": TS,
        "transactionData": [
            {"timestamp": TS, "sampledValue": [{"value": "1", "phase": "L9"}]}
        ],
    }
    repaired = _fixed(V16, "StopTransaction", payload)
    # 1.6 allows an empty sampledValue list here: the entry stays.
    assert repaired.payload["transactionData"] == [
        {"timestamp": TS, "sampledValue": []}
    ]
    assert _kinds(repaired) == {"unknown_enum:phase": Handling.DROPPED}
    event = _event(
        meterValue=[{"timestamp": TS, "sampledValue": [{"value": 1, "phase": "L9"}]}]
    )
    repaired = _fixed(V201, "TransactionEvent", event)
    assert "meterValue" not in repaired.payload
    assert repaired.deviations[0].detail == "dropped meterValue"


def test_numbers_as_strings_and_strings_as_numbers() -> None:
    payload = {
        "connectorId": "1",
        "idTag": "TAG",
        "meterStart": "1200.0",
        "timestamp": TS,
        "reservationId": 4.0,
    }
    repaired = _fixed(V16, "StartTransaction", payload)
    assert repaired.payload == {
        "connectorId": 1,
        "idTag": "TAG",
        "meterStart": 1200,
        "timestamp": TS,
        "reservationId": 4,
    }
    assert _kinds(repaired) == {
        "string_number:connectorId": Handling.COERCED,
        "string_number:meterStart": Handling.COERCED,
        "float_integer:reservationId": Handling.COERCED,
    }
    meter = {
        "connectorId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 1500.5}]}],
    }
    repaired = _fixed(V16, "MeterValues", meter)
    assert repaired.payload["meterValue"][0]["sampledValue"] == [{"value": "1500.5"}]
    assert _kinds(repaired) == {"number_string:value": Handling.COERCED}


def test_lossy_or_odd_values_are_not_coerced() -> None:
    for bad in ("12.5", "1,5", "NaN", True, [1]):
        payload = {"connectorId": 1, "meterValue": [], "transactionId": bad}
        repaired = _fixed(V16, "MeterValues", payload)
        assert "transactionId" not in repaired.payload, bad
    event = _event(offline="yes")
    assert repair(V201, "TransactionEvent", event, ARRIVAL) is not None
    boolean = _fixed(V201, "TransactionEvent", _event(offline="true"))
    assert boolean.payload["offline"] is True


@pytest.mark.parametrize("transaction_id", [-1, MAX_ID, "-1", str(MAX_ID)])
def test_out_of_range_transaction_ids_are_read(transaction_id: int | str) -> None:
    payload = {"transactionId": transaction_id, "meterStop": 5, "timestamp": TS}
    repaired = repair(V16, "StopTransaction", payload, ARRIVAL)
    if isinstance(transaction_id, int):
        # Valid 1.6 already: the schema sets no range.
        assert schema_error(V16, "StopTransaction", payload, request=True) is None
        return
    assert repaired is not None
    assert repaired.payload["transactionId"] == int(transaction_id)
    event = _event(transactionInfo={"transactionId": int(transaction_id)})
    repaired = _fixed(V201, "TransactionEvent", event)
    assert repaired.payload["transactionInfo"]["transactionId"] == transaction_id


def test_missing_or_unparsable_timestamps_become_arrival_time() -> None:
    payload = {"transactionId": 1, "meterStop": 5}
    repaired = _fixed(V16, "StopTransaction", payload)
    assert repaired.payload["timestamp"] == ARRIVAL_TEXT
    assert _kinds(repaired) == {"missing_timestamp:timestamp": Handling.ARRIVAL_TIME}
    # Unparsable text is only looked at when the frame needs repair anyway.
    payload = {"transactionId": 1, "meterStop": "5", "timestamp": "yesterday"}
    repaired = _fixed(V16, "StopTransaction", payload)
    assert repaired.payload["timestamp"] == ARRIVAL_TEXT
    assert _kinds(repaired)["unparsable_timestamp:timestamp"] is Handling.ARRIVAL_TIME
    meter = {"connectorId": 1, "meterValue": [{"sampledValue": [_sampled()]}]}
    repaired = _fixed(V16, "MeterValues", meter)
    assert repaired.payload["meterValue"][0]["timestamp"] == ARRIVAL_TEXT


def test_extra_properties_are_dropped_where_the_schema_forbids_them() -> None:
    repaired = _fixed(V16, "Heartbeat", {"unexpected": 1})
    assert repaired.payload == {}
    assert _kinds(repaired) == {"extra_property:unexpected": Handling.DROPPED}
    # customData allows vendor properties: kept.
    status = {
        "timestamp": TS,
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
        "customData": {"vendorId": "x", "more": 1},
        "bogus": 2,
    }
    repaired = _fixed(V201, "StatusNotification", status)
    assert repaired.payload["customData"] == {"vendorId": "x", "more": 1}


def _event(**changes: Any) -> dict[str, Any]:
    return {
        "eventType": "Updated",
        "timestamp": TS,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 1,
        "transactionInfo": {"transactionId": "TX"},
    } | changes


def test_fields_no_handler_reads_are_kept_as_sent() -> None:
    repaired = _fixed(V201, "TransactionEvent", _event(triggerReason="Whatever"))
    assert repaired.payload["triggerReason"] == "Whatever"
    assert _kinds(repaired) == {"unknown_enum:triggerReason": Handling.KEPT}
    status = {"timestamp": TS, "connectorStatus": "Occupied", "evseId": 1}
    repaired = _fixed(V201, "StatusNotification", status)
    assert repaired.payload == status
    assert _kinds(repaired) == {"missing:connectorId": Handling.KEPT}
    token = {"idToken": {"idToken": "T", "type": "Bogus"}}
    repaired = _fixed(V201, "Authorize", token)
    assert repaired.payload == token
    firmware = _fixed(V16, "FirmwareStatusNotification", {"status": "Odd"})
    assert firmware.payload == {"status": "Odd"}


def test_optional_parts_of_a_transaction_event() -> None:
    event = _event(
        transactionInfo={"transactionId": "TX", "chargingState": "Flying"},
        evse={"id": "1", "connectorId": 1},
        meterValue=[{"timestamp": TS, "sampledValue": [{"value": 1, "context": "X"}]}],
        cableMaxCurrent="lots",
    )
    repaired = _fixed(V201, "TransactionEvent", event)
    assert repaired.payload == _event(evse={"id": 1, "connectorId": 1})
    assert _kinds(repaired) == {
        "unknown_enum:chargingState": Handling.DROPPED,
        "string_number:id": Handling.COERCED,
        "unknown_enum:context": Handling.DROPPED,
        "wrong_type:cableMaxCurrent": Handling.DROPPED,
    }


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        # Essential fields missing or unreadable.
        (V16, "StopTransaction", {"meterStop": 5, "timestamp": TS}),
        (V16, "StopTransaction", {"transactionId": 1, "timestamp": TS}),
        (V16, "StopTransaction", {"transactionId": "one", "meterStop": 5}),
        (
            V16,
            "StartTransaction",
            {"connectorId": 1, "idTag": "T" * 21, "meterStart": 0},
        ),
        (V16, "BootNotification", {"chargePointVendor": "A"}),
        (
            V16,
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Odd"},
        ),
        (V201, "TransactionEvent", _event(seqNo="first")),
        (V201, "TransactionEvent", _event(eventType="Paused")),
        (V201, "TransactionEvent", _event(transactionInfo={"transactionId": "T" * 37})),
        (
            V201,
            "BootNotification",
            {"chargingStation": {"model": "B"}, "reason": "PowerUp"},
        ),
        (V201, "StatusNotification", {"timestamp": TS, "evseId": 1, "connectorId": 1}),
        # Not essential, but read and without an honest repair: a missing enum
        # would have to be invented.
        (V16, "StatusNotification", {"connectorId": 1, "status": "Available"}),
    ],
)
def test_frames_that_cannot_be_understood(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> None:
    assert schema_error(version, action, payload, request=True) is not None
    assert repair(version, action, payload, ARRIVAL) is None


def test_notify_report_keeps_readable_items() -> None:
    item = {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "X"}}
    broken = {"component": {"evse": {"id": 3}}, "variable": {"name": "X"}}
    payload = {
        "requestId": 1,
        "generatedAt": TS,
        "seqNo": 0,
        "tbc": "no",
        "reportData": [item | {"variableAttribute": []}, broken],
    }
    repaired = _fixed(V201, "NotifyReport", payload)
    assert repaired.payload["tbc"] == "no"
    assert repaired.payload["reportData"] == [item | {"variableAttribute": []}]


def test_deviation_log_logs_each_kind_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    log = DeviationLog("CP_7")
    first = Deviation("extra_property:x", "x", "1", Handling.DROPPED, "dropped x")
    second = Deviation(
        "unknown_enum:phase", "a/0/phase", '"L9"', Handling.DROPPED, "dropped a/0"
    )
    log.record("Heartbeat", [first])
    log.record("MeterValues", [first, second])
    log.record("MeterValues", [second])
    assert caplog.text.count("CP_7 sent") == 2
    assert "CP_7 sent MeterValues with unknown_enum:phase at a/0/phase" in caplog.text
    assert '(value "L9")' in caplog.text
    assert "we dropped a/0" in caplog.text
    summary = log.as_dict()
    assert summary["extra_property:x"]["count"] == 2
    assert summary["extra_property:x"]["action"] == "MeterValues"
    assert summary["unknown_enum:phase"] | {"last_seen": None} == {
        "count": 2,
        "action": "MeterValues",
        "path": "a/0/phase",
        "value": '"L9"',
        "handling": "dropped",
        "detail": "dropped a/0",
        "last_seen": None,
    }
    for index in range(MAX_KINDS + 5):
        log.record(
            "Heartbeat",
            [Deviation(f"extra_property:{index}", "", "", Handling.DROPPED, "")],
        )
    assert len(log.kinds) == MAX_KINDS


def test_charger_tolerance_reads_the_policy_live() -> None:
    class Sink:
        def __init__(self) -> None:
            self.strict_validation = False
            self.seen: list[tuple[str, str, int]] = []

        def deviated(self, charger_id: str, action: str, deviations: Any) -> None:
            self.seen.append((charger_id, action, len(deviations)))

    sink = Sink()
    tolerance = ChargerTolerance("CP", sink)
    assert tolerance.strict is False
    sink.strict_validation = True
    assert tolerance.strict is True
    tolerance.deviated("Heartbeat", [])
    assert sink.seen == [("CP", "Heartbeat", 0)]


def test_range_and_size_limits() -> None:
    """2.1 bounds numbers and lists; a broken optional goes, an unread one stays."""
    repaired = _fixed(V21, "TransactionEvent", _event(numberOfPhasesUsed=7))
    assert "numberOfPhasesUsed" not in repaired.payload
    assert _kinds(repaired) == {"out_of_range:numberOfPhasesUsed": Handling.DROPPED}
    attribute = {"value": "1"}
    item = {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "X"},
        "variableAttribute": [attribute] * 5,
    }
    payload = {"requestId": 1, "generatedAt": TS, "seqNo": 0, "reportData": [item]}
    repaired = _fixed(V201, "NotifyReport", payload)
    assert repaired.payload == payload
    assert _kinds(repaired) == {"too_many:variableAttribute": Handling.KEPT}


def test_infinite_number_text_is_not_coerced() -> None:
    value = {"value": "1e999", "measurand": "Voltage"}
    payload = {
        "evseId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [_sampled_v2(), value]}],
    }
    repaired = _fixed(V201, "MeterValues", payload)
    assert repaired.payload["meterValue"][0]["sampledValue"] == [_sampled_v2()]
    assert _kinds(repaired) == {"wrong_type:value": Handling.DROPPED}


def _sampled_v2() -> dict[str, Any]:
    return {"value": 1, "measurand": "Energy.Active.Import.Register"}


def test_a_repair_the_schema_still_refuses_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk is checked against the full validator; a miss refuses the frame."""
    payload = {"connectorId": 1, "errorCode": "Error", "status": "Faulted"}
    assert repair(V16, "StatusNotification", payload, ARRIVAL) is not None
    monkeypatch.setattr(
        tolerance,
        "request_errors",
        lambda *_: [ValidationError("odd", validator="enum", path=["status"])],
    )
    assert repair(V16, "StatusNotification", payload, ARRIVAL) is None


def test_offending_id_tags_are_not_repeated() -> None:
    payload = {"transactionId": 1, "meterStop": 5, "timestamp": TS, "idTag": "X" * 25}
    repaired = _fixed(V16, "StopTransaction", payload)
    assert "idTag" not in repaired.payload
    (deviation,) = repaired.deviations
    assert deviation.kind == "too_long:idTag"
    assert deviation.value == "(id tag hidden)"


def test_boot_without_reason_is_read_without_one() -> None:
    payload = {"chargingStation": {"vendorName": "A", "model": "B"}}
    repaired = _fixed(V201, "BootNotification", payload)
    assert repaired.payload == payload
    assert _kinds(repaired) == {"missing:reason": Handling.KEPT}


class _Policy:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.seen: list[str] = []

    def deviated(self, action: str, deviations: Any) -> None:
        self.seen.append(action)


async def _answer(
    policy: _Policy | None, payload: dict[str, Any]
) -> tuple[list[Any], list[str]]:
    """Send one Heartbeat through a session; return its answer and the handled."""
    conn = FakeConnection()
    handled: list[str] = []

    async def handler(action: str, request: dict[str, Any]) -> dict[str, Any]:
        handled.append(action)
        return {"currentTime": "2026-01-01T00:00:00Z"}

    session = Session("CP", V201, conn, handler, tolerance=policy)
    task = asyncio.create_task(session.run())
    conn.incoming.put_nowait(json.dumps([2, "h", "Heartbeat", payload]))
    reply = await conn.next_sent()
    await session.close()
    await task
    return reply, handled


async def test_session_follows_its_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"unexpected": 1}
    reply, handled = await _answer(None, extra)
    assert reply[:3] == [4, "h", "FormatViolation"]
    assert handled == []
    strict = _Policy(strict=True)
    reply, handled = await _answer(strict, extra)
    assert reply[:3] == [4, "h", "FormatViolation"]
    assert strict.seen == []
    tolerant = _Policy(strict=False)
    reply, handled = await _answer(tolerant, extra)
    assert reply[:2] == [3, "h"]
    assert handled == ["Heartbeat"]
    assert tolerant.seen == ["Heartbeat"]

    def broken(*_: Any) -> None:
        raise RuntimeError("repair bug")

    monkeypatch.setattr(session_module, "repair", broken)
    reply, handled = await _answer(tolerant, extra)
    assert reply[:3] == [4, "h", "FormatViolation"]
    assert handled == []
