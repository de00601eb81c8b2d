"""Frame parsing rules (GUIDE §5 items 13, 16, 18)."""

from __future__ import annotations

import json

import pytest

from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.errors import ErrorKind
from custom_components.ocpp_csms.csms.frames import (
    Call,
    CallError,
    CallResult,
    FrameError,
    encode_call,
    encode_error,
    encode_result,
    parse_frame,
)

V201 = OcppVersion.V201


def test_roundtrip() -> None:
    assert parse_frame(encode_call("a", "Heartbeat", {}), V201) == Call(
        "a", "Heartbeat", {}
    )
    assert parse_frame(encode_result("a", {"x": 1}), V201) == CallResult("a", {"x": 1})
    assert parse_frame(encode_error("a", "GenericError", "d"), V201) == CallError(
        "a", "GenericError", "d", {}
    )


def test_send_frame_only_in_21() -> None:
    frame = parse_frame('[6, "s1", "NotifyPeriodicEventStream", {}]', OcppVersion.V21)
    assert frame == Call("s1", "NotifyPeriodicEventStream", {}, expects_reply=False)
    with pytest.raises(FrameError) as err:
        parse_frame('[6, "s1", "NotifyPeriodicEventStream", {}]', V201)
    assert err.value.kind is ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED


def test_callresulterror_in_21_is_an_error_answer() -> None:
    frame = parse_frame('[5, "r1", "InternalError", "boom", {}]', OcppVersion.V21)
    assert frame == CallError("r1", "InternalError", "boom", {})


@pytest.mark.parametrize(
    ("raw", "kind", "message_id", "is_reply"),
    [
        ("[2]", ErrorKind.RPC_FRAMEWORK, "-1", False),
        (
            '[true, "m", "Heartbeat", {}]',
            ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
            "m",
            False,
        ),
        ('[2, "m", 5, {}]', ErrorKind.FORMAT, "m", False),
        ('[2, "m", "Heartbeat", []]', ErrorKind.FORMAT, "m", False),
        ('[3, "m", []]', ErrorKind.FORMAT, "m", True),
        ('[3, "m", {}, 1]', ErrorKind.FORMAT, "m", True),
        ('[4, "m", "X"]', ErrorKind.FORMAT, "m", True),
        ('[4, "m", 1, "d", {}]', ErrorKind.FORMAT, "m", True),
    ],
)
def test_malformed(raw: str, kind: ErrorKind, message_id: str, is_reply: bool) -> None:
    with pytest.raises(FrameError) as err:
        parse_frame(raw, V201)
    assert err.value.kind is kind
    assert err.value.message_id == message_id
    assert err.value.is_reply is is_reply


def test_error_details_not_an_object_become_empty() -> None:
    frame = parse_frame('[4, "m", "GenericError", "d", "oops"]', V201)
    assert frame == CallError("m", "GenericError", "d", {})


def test_encoding_is_compact_json() -> None:
    text = encode_call("id", "Heartbeat", {"ä": 1})
    assert text == '[2,"id","Heartbeat",{"ä":1}]'
    assert json.loads(text)[0] == 2


@pytest.mark.parametrize(
    ("kind", "v16", "v201", "v21"),
    [
        (ErrorKind.FORMAT, "FormationViolation", "FormatViolation", "FormatViolation"),
        (
            ErrorKind.OCCURRENCE_CONSTRAINT,
            "OccurenceConstraintViolation",
            "OccurenceConstraintViolation",
            "OccurrenceConstraintViolation",
        ),
        (
            ErrorKind.RPC_FRAMEWORK,
            "FormationViolation",
            "RpcFrameworkError",
            "RpcFrameworkError",
        ),
        (ErrorKind.SECURITY, "SecurityError", "SecurityError", "SecurityError"),
    ],
)
def test_error_codes_per_version(
    kind: ErrorKind, v16: str, v201: str, v21: str
) -> None:
    assert kind.code(OcppVersion.V16) == v16
    assert kind.code(OcppVersion.V201) == v201
    assert kind.code(OcppVersion.V21) == v21
