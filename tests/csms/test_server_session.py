"""The OCPP core on a real socket, driven by a raw WebSocket client (no HA)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.errors import CallTimeoutError
from custom_components.ocpp_csms.csms.model import BootInfo, RegistrationStatus
from custom_components.ocpp_csms.csms.server import charger_id_from_path
from tests.corekit import Core

BOOT_201 = {
    "chargingStation": {"vendorName": "Acme", "model": "W1"},
    "reason": "PowerUp",
}
BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "W1"}


async def _open(core: Core, path: str, version: str = "ocpp2.0.1") -> ClientConnection:
    return await connect(f"{core.url}/{path}", subprotocols=[version])  # type: ignore[list-item]


async def _call(ws: ClientConnection, action: str, payload: Any, mid: str = "1") -> Any:
    await ws.send(json.dumps([2, mid, action, payload]))
    return json.loads(await ws.recv())


def test_charger_id_is_last_segment_percent_decoded() -> None:
    assert charger_id_from_path("/ocpp/CP%201") == "CP 1"
    assert charger_id_from_path("/CP_1/") == "CP_1"
    assert charger_id_from_path("/a/b/c?x=1") == "c"
    assert charger_id_from_path("/") == ""


async def test_newest_common_subprotocol_is_chosen(core: Core) -> None:
    async with connect(
        f"{core.url}/KNOWN",
        subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
    ) as ws:
        assert ws.subprotocol == "ocpp2.0.1"
    async with connect(
        f"{core.url}/KNOWN",
        subprotocols=["ocpp1.6", "ocpp2.1", "ocpp2.0.1"],  # type: ignore[list-item]
    ) as ws:
        assert ws.subprotocol == "ocpp2.1"


@pytest.mark.parametrize("offered", [["ocpp9.9"], None])
async def test_handshake_without_ocpp_subprotocol_is_refused(
    core: Core, caplog: pytest.LogCaptureFixture, offered: list[str] | None
) -> None:
    caplog.set_level(logging.WARNING)
    with pytest.raises(InvalidStatus) as err:
        await connect(f"{core.url}/CP_X", subprotocols=offered)  # type: ignore[arg-type]
    assert err.value.response.status_code == 400
    assert "Refused CP_X" in caplog.text
    assert "we speak ['ocpp2.1', 'ocpp2.0.1', 'ocpp1.6']" in caplog.text
    assert core.listener.of("connected") == []


async def test_path_without_id_is_refused(core: Core) -> None:
    with pytest.raises(InvalidStatus) as err:
        await connect(f"{core.url}/", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
    assert err.value.response.status_code == 404


async def test_percent_encoded_identity(core: Core) -> None:
    async with await _open(core, "ocpp/CP%20one") as ws:
        await _call(ws, "BootNotification", BOOT_201)
    assert core.listener.of("connected")[0] == ("CP one", OcppVersion.V201)


async def test_unknown_charger_gets_pending_and_no_other_calls(core: Core) -> None:
    async with await _open(core, "NEW") as ws:
        reply = await _call(ws, "BootNotification", BOOT_201)
        assert reply[:2] == [3, "1"]
        assert reply[2]["status"] == "Pending"
        assert reply[2]["interval"] == core.central.config.pending_boot_interval
        status = {
            "timestamp": "2026-01-01T00:00:00Z",
            "connectorStatus": "Available",
            "evseId": 1,
            "connectorId": 1,
        }
        reply = await _call(ws, "StatusNotification", status, "2")
        assert reply[:3] == [4, "2", "SecurityError"]
    (booted,) = core.listener.of("booted")
    assert booted[0] == "NEW"
    assert booted[1] == BootInfo(vendor="Acme", model="W1", reason="PowerUp")
    assert booted[2] is RegistrationStatus.PENDING


async def test_v16_before_acceptance_is_security_error(core: Core) -> None:
    async with await _open(core, "NEW16", "ocpp1.6") as ws:
        reply = await _call(ws, "BootNotification", BOOT_16)
        assert reply[2]["status"] == "Pending"
        reply = await _call(ws, "Heartbeat", {}, "2")
        assert reply[:3] == [4, "2", "SecurityError"]


async def test_accept_triggers_boot_then_accepted(core: Core) -> None:
    async with await _open(core, "NEW") as ws:
        await _call(ws, "BootNotification", BOOT_201)
        core.central.accept("NEW")
        trigger = json.loads(await ws.recv())
        assert trigger[0] == 2
        assert trigger[2:] == [
            "TriggerMessage",
            {"requestedMessage": "BootNotification"},
        ]
        await ws.send(json.dumps([3, trigger[1], {"status": "Accepted"}]))
        reply = await _call(ws, "BootNotification", BOOT_201, "2")
        assert reply[2]["status"] == "Accepted"
        assert reply[2]["interval"] == 123
        assert reply[2]["currentTime"].endswith("Z")
        # Once accepted, the CSMS asks what smart charging supports.
        question = json.loads(await ws.recv())
        assert question[2] == "GetVariables"
        names = {item["variable"]["name"] for item in question[3]["getVariableData"]}
        assert {"RateUnit", "PeriodsPerSchedule", "Phases3to1"} <= names
        await ws.send(json.dumps([4, question[1], "NotSupported", "no", {}]))
        reply = await _call(ws, "Heartbeat", {}, "3")
        assert reply[0] == 3
        assert reply[2]["currentTime"].endswith("Z")


@pytest.mark.parametrize(
    "answer",
    [
        lambda mid: [3, mid, {"status": "Rejected"}],
        lambda mid: [4, mid, "NotImplemented", "no triggers here", {}],
    ],
    ids=["rejected", "callerror"],
)
async def test_refused_trigger_is_logged_and_boot_accepted_later(
    core: Core, caplog: pytest.LogCaptureFixture, answer: Any
) -> None:
    async with await _open(core, "NEW") as ws:
        await _call(ws, "BootNotification", BOOT_201)
        core.central.accept("NEW")
        trigger = json.loads(await ws.recv())
        await ws.send(json.dumps(answer(trigger[1])))
        # The charger's own next boot is accepted.
        reply = await _call(ws, "BootNotification", BOOT_201, "2")
        assert reply[2]["status"] == "Accepted"
    await core.server.stop()
    assert "it will be accepted at its next boot" in caplog.text


async def test_accepting_twice_or_offline_sends_nothing(core: Core) -> None:
    core.central.accept("KNOWN")
    core.central.accept("OFFLINE")
    assert core.central.is_accepted("OFFLINE")
    async with await _open(core, "OFFLINE") as ws:
        reply = await _call(ws, "BootNotification", BOOT_201)
        assert reply[2]["status"] == "Accepted"


async def test_auto_accept(core: Core) -> None:
    core.central.config.auto_accept = True
    async with await _open(core, "AUTO", "ocpp1.6") as ws:
        reply = await _call(ws, "BootNotification", BOOT_16)
    assert reply[2] == {
        "status": "Accepted",
        "currentTime": reply[2]["currentTime"],
        "interval": 123,
    }
    assert core.central.is_accepted("AUTO")


@pytest.mark.parametrize(
    ("version", "raw", "expected"),
    [
        ("ocpp2.0.1", "not json", [4, "-1", "RpcFrameworkError"]),
        ("ocpp1.6", "not json", [4, "-1", "FormationViolation"]),
        ("ocpp2.0.1", '{"a": 1}', [4, "-1", "RpcFrameworkError"]),
        ("ocpp2.0.1", '[2, 17, "Heartbeat", {}]', [4, "-1", "RpcFrameworkError"]),
        ("ocpp2.0.1", '[2, "' + "x" * 37 + '", "Heartbeat", {}]', [4, "-1"]),
        ("ocpp2.0.1", '[2, "m1", "Heartbeat"]', [4, "m1", "FormatViolation"]),
        ("ocpp1.6", '[2, "m1", "Heartbeat"]', [4, "m1", "FormationViolation"]),
        ("ocpp2.0.1", '[7, "m1", {}]', [4, "m1", "MessageTypeNotSupported"]),
        ("ocpp2.0.1", '[2, "m1", "NoSuchAction", {}]', [4, "m1", "NotImplemented"]),
        ("ocpp1.6", '[2, "m1", "NoSuchAction", {}]', [4, "m1", "NotImplemented"]),
        # Known to OCPP but not something a charger sends us.
        ("ocpp1.6", '[2, "m1", "ClearCache", {}]', [4, "m1", "NotSupported"]),
        # A 2.1-only action we do not support; unknown to 2.0.1.
        (
            "ocpp2.1",
            '[2, "m1", "NotifyPriorityCharging", '
            '{"transactionId": "T", "activated": true}]',
            [4, "m1", "NotSupported"],
        ),
        (
            "ocpp2.0.1",
            '[2, "m1", "NotifyPriorityCharging", '
            '{"transactionId": "T", "activated": true}]',
            [4, "m1", "NotImplemented"],
        ),
        (
            "ocpp1.6",
            '[2, "m1", "BootNotification", {"chargePointVendor": "A"}]',
            [4, "m1", "OccurenceConstraintViolation"],
        ),
        (
            "ocpp2.0.1",
            '[2, "m1", "BootNotification", {"reason": "PowerUp"}]',
            [4, "m1", "OccurenceConstraintViolation"],
        ),
        (
            "ocpp2.1",
            '[2, "m1", "BootNotification", {"reason": "PowerUp"}]',
            [4, "m1", "OccurrenceConstraintViolation"],
        ),
        (
            "ocpp1.6",
            # An essential field of a type no lossless reading fixes.
            '[2, "m1", "BootNotification", {"chargePointVendor": true, '
            '"chargePointModel": "x"}]',
            [4, "m1", "TypeConstraintViolation"],
        ),
    ],
)
async def test_malformed_frames_get_the_right_callerror(
    core: Core, version: str, raw: str, expected: list[Any]
) -> None:
    async with await _open(core, "KNOWN", version) as ws:
        await ws.send(raw)
        reply = json.loads(await ws.recv())
        assert reply[: len(expected)] == expected
        assert len(reply) == 5
        assert isinstance(reply[3], str)
        # The connection survives and keeps working.
        assert (await _call(ws, "Heartbeat", {}, "after"))[:2] == [3, "after"]


@pytest.mark.parametrize("strict", [False, True])
async def test_extra_property_tolerated_unless_strict(core: Core, strict: bool) -> None:
    """A non-essential violation is processed, or refused under strict validation."""
    core.central.config.strict_validation = strict
    boot = BOOT_16 | {"extra": 1}
    async with await _open(core, "KNOWN", "ocpp1.6") as ws:
        reply = await _call(ws, "BootNotification", boot)
    if strict:
        assert reply[:3] == [4, "1", "FormationViolation"]
        assert core.listener.of("deviated") == []
        return
    assert reply[0] == 3
    assert reply[2]["status"] == "Accepted"
    ((charger_id, action, (deviation,)),) = core.listener.of("deviated")
    assert (charger_id, action) == ("KNOWN", "BootNotification")
    assert deviation.kind == "extra_property:extra"
    assert core.central.deviation_log("KNOWN").kinds["extra_property:extra"].count == 1


async def test_duplicate_call_id_replays_answer_once_processed(core: Core) -> None:
    async with await _open(core, "NEW") as ws:
        first = await _call(ws, "BootNotification", BOOT_201, "dup")
        second = await _call(ws, "BootNotification", BOOT_201, "dup")
    assert first == second
    assert len(core.listener.of("booted")) == 1


async def test_unmatched_result_is_ignored(core: Core) -> None:
    async with await _open(core, "KNOWN") as ws:
        await ws.send(json.dumps([3, "never-asked", {}]))
        await ws.send(json.dumps([4, "never-asked", "GenericError", "x", {}]))
        assert (await _call(ws, "Heartbeat", {}, "h"))[:2] == [3, "h"]


async def test_reconnect_replaces_stale_socket(core: Core) -> None:
    old = await _open(core, "KNOWN")
    new = await _open(core, "KNOWN")
    await old.wait_closed()
    assert old.close_code == 1000
    assert (await _call(new, "Heartbeat", {}, "n"))[:2] == [3, "n"]
    assert core.listener.of("disconnected") == []
    await new.close()
    await core.listener.changed.wait()
    assert core.listener.of("disconnected") == ["KNOWN"]


async def test_our_call_times_out_when_charger_is_silent(core: Core) -> None:
    async with await _open(core, "KNOWN") as ws:
        await _call(ws, "Heartbeat", {})
        conn = core.central.connection("KNOWN")
        assert conn is not None
        with pytest.raises(CallTimeoutError):
            await conn.session.call(
                "TriggerMessage", {"requestedMessage": "Heartbeat"}, 0.05
            )
        # The late answer is ignored; the session keeps working.
        late = json.loads(await ws.recv())
        await ws.send(json.dumps([3, late[1], {"status": "Accepted"}]))
        assert (await _call(ws, "Heartbeat", {}, "2"))[:2] == [3, "2"]


async def test_forget_closes_connection(core: Core) -> None:
    ws = await _open(core, "KNOWN")
    await _call(ws, "Heartbeat", {})
    await core.central.forget("KNOWN")
    await ws.wait_closed()
    assert not core.central.is_accepted("KNOWN")


async def test_stop_closes_every_connection(core: Core) -> None:
    ws = await _open(core, "KNOWN")
    await _call(ws, "Heartbeat", {})
    await core.server.stop()
    await ws.wait_closed()
    assert core.central.connected_ids == []
