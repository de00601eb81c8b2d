"""The driver must catch a misbehaving CSMS: a suite that cannot fail proves nothing.

A tiny fake CSMS (plain websockets, not our integration) breaks one rule per
message; the driver has to name each break.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from .harness import run_scenario
from .scenario import V16, V201, call, connect, raw

LONG_ID = "x" * 40


async def _misbehave(ws: ServerConnection) -> None:
    """Answer every CALL wrongly, each in its own way."""
    async for text in ws:
        frame = json.loads(text)
        if frame[0] != 2:
            continue
        _, message_id, action, _payload = frame
        if action == "BootNotification":
            # Required currentTime and interval are missing.
            await ws.send(json.dumps([3, message_id, {"status": "Accepted"}]))
        elif action == "Heartbeat":
            # Answered twice.
            reply = json.dumps([3, message_id, {"currentTime": "2020-01-01T00:00:00Z"}])
            await ws.send(reply)
            await ws.send(reply)
        elif action == "StatusNotification":
            # 2.x's spelling on a 1.6 socket, then a CALL with a 40-char id
            # and a property the schema forbids.
            await ws.send(json.dumps([4, message_id, "FormatViolation", "", {}]))
            await ws.send(
                json.dumps([2, LONG_ID, "Reset", {"type": "Soft", "extra": 1}])
            )
        elif action == "Authorize":
            # Answers an id nobody used.
            await ws.send(json.dumps([3, "never-sent", {}]))
            await ws.send(
                json.dumps([3, message_id, {"idTagInfo": {"status": "Accepted"}}])
            )


@pytest.fixture
async def fake_csms(socket_enabled: None) -> AsyncIterator[int]:
    """Serve the misbehaving CSMS on a free loopback port."""
    server = await serve(
        _misbehave,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
    )
    port = next(iter(server.sockets)).getsockname()[1]
    yield int(port)
    server.close()
    await server.wait_closed()


async def test_driver_reports_every_broken_rule(fake_csms: int) -> None:
    """Invalid results, double answers, wrong codes, long ids, stray answers."""
    result = await run_scenario(
        fake_csms,
        [
            connect("CP_FAKE", V16),
            {
                "op": "call",
                "action": "BootNotification",
                "payload": {"chargePointVendor": "V", "chargePointModel": "M"},
                "expect": {"any": True},
            },
            call("Heartbeat", {}),
            call(
                "StatusNotification",
                {"connectorId": 0, "errorCode": "NoError", "status": "Available"},
                error="FormatViolation",
            ),
            call("Authorize", {"idTag": "T"}),
            raw([2, "probe", "Heartbeat", {}], any=True),
        ],
        timeout=10,
    )
    assert not result.ok
    kinds = {v["kind"] for v in result.violations}
    assert {
        "strict-validation",
        "typed-ocpp",
        "answer-count",
        "csms-message-id",
        "answer-to-unknown-id",
    } <= kinds, result.explain()
    problems = json.dumps(result.violations)
    assert "FormatViolation is not one of ocpp1.6's" in problems
    assert "currentTime" in problems
    # The strict client refused the Reset with the extra property (so it
    # never reached a handler).
    assert any(
        v["kind"] == "strict-validation" and v["method"] == "Reset"
        for v in result.violations
    ), result.explain()


async def test_driver_reports_an_unexpected_answer(fake_csms: int) -> None:
    """A step whose answer differs from the expectation fails the scenario."""
    result = await run_scenario(
        fake_csms,
        [
            connect("CP_FAKE", V201),
            call("Heartbeat", {}, error="NotImplemented"),
        ],
        timeout=10,
    )
    assert not result.ok
    assert result.violations[0]["kind"] == "step-failed"
    assert "expected CALLERROR" in result.violations[0]["error"]
