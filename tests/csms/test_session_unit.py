"""Session framing with an in-memory connection (fast, precise)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
from typing import Any

import pytest

from custom_components.ocpp_csms.csms.const import OcppVersion
from custom_components.ocpp_csms.csms.errors import (
    CallErrorReceivedError,
    ConnectionLostError,
    ErrorKind,
    InvalidResponseError,
    OcppCallError,
)
from custom_components.ocpp_csms.csms.session import ANSWER_CACHE_SIZE, Session


class FakeConnection:
    """Frames in through a queue, frames out into a queue."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.outgoing: asyncio.Queue[Any] = asyncio.Queue()
        self.fail_send = False
        self.send_failed = asyncio.Event()

    async def send(self, message: str) -> None:
        if self.fail_send:
            self.send_failed.set()
            raise OSError("broken pipe")
        self.outgoing.put_nowait(json.loads(message))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.incoming.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (item := await self.incoming.get()) is not None:
            yield item

    async def next_sent(self) -> Any:
        async with asyncio.timeout(5):
            return await self.outgoing.get()


class Handler:
    """Records calls; behaviour chosen per action."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(action)
        if action == "Heartbeat":
            return {"currentTime": "2026-01-01T00:00:00Z"}
        if action == "StatusNotification":
            raise RuntimeError("handler bug")
        if action == "Authorize":
            return {"wrong": True}
        raise OcppCallError(ErrorKind.NOT_SUPPORTED, "no")


@contextlib.asynccontextmanager
async def running(
    version: OcppVersion = OcppVersion.V201,
) -> AsyncIterator[tuple[Session, FakeConnection, Handler]]:
    conn, handler = FakeConnection(), Handler()
    session = Session("CP", version, conn, handler, call_timeout=5)
    task = asyncio.create_task(session.run())
    try:
        yield session, conn, handler
    finally:
        await session.close()
        await task


async def test_handler_exception_becomes_internal_error() -> None:
    async with running() as (_, conn, _handler):
        status = {
            "timestamp": "2026-01-01T00:00:00Z",
            "connectorStatus": "Available",
            "evseId": 1,
            "connectorId": 1,
        }
        conn.incoming.put_nowait(json.dumps([2, "s", "StatusNotification", status]))
        reply = await conn.next_sent()
        assert reply[:3] == [4, "s", "InternalError"]


async def test_our_invalid_answer_is_not_sent() -> None:
    async with running() as (_, conn, _handler):
        conn.incoming.put_nowait(
            json.dumps(
                [2, "a", "Authorize", {"idToken": {"idToken": "x", "type": "Central"}}]
            )
        )
        reply = await conn.next_sent()
        assert reply[:3] == [4, "a", "InternalError"]


async def test_send_frames_are_processed_without_reply() -> None:
    async with running(OcppVersion.V21) as (_, conn, handler):
        conn.incoming.put_nowait(json.dumps([6, "s1", "Heartbeat", {}]))
        conn.incoming.put_nowait(json.dumps([2, "c1", "Heartbeat", {}]))
        reply = await conn.next_sent()
        assert reply[:2] == [3, "c1"]
        assert handler.calls == ["Heartbeat", "Heartbeat"]
        assert conn.outgoing.empty()


async def test_call_error_reply_raises() -> None:
    async with running() as (session, conn, _handler):
        call = asyncio.create_task(
            session.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        )
        sent = await conn.next_sent()
        conn.incoming.put_nowait(json.dumps([4, sent[1], "NotImplemented", "nope", {}]))
        with pytest.raises(CallErrorReceivedError) as err:
            await call
        assert err.value.code == "NotImplemented"


async def test_invalid_result_raises() -> None:
    async with running() as (session, conn, _handler):
        call = asyncio.create_task(
            session.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        )
        sent = await conn.next_sent()
        conn.incoming.put_nowait(json.dumps([3, sent[1], {"status": "Maybe"}]))
        with pytest.raises(InvalidResponseError):
            await call


async def test_malformed_result_fails_call_without_reply() -> None:
    async with running() as (session, conn, _handler):
        call = asyncio.create_task(
            session.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        )
        sent = await conn.next_sent()
        conn.incoming.put_nowait(json.dumps([3, sent[1], ["not", "an", "object"]]))
        with pytest.raises(InvalidResponseError):
            await call
        assert conn.outgoing.empty()


async def test_invalid_outgoing_payload_is_refused() -> None:
    async with running() as (session, conn, _handler):
        with pytest.raises(ValueError, match="Refusing to send invalid"):
            await session.call("TriggerMessage", {"requestedMessage": "Nonsense"})
        assert conn.outgoing.empty()


async def test_call_fails_when_connection_drops() -> None:
    conn, handler = FakeConnection(), Handler()
    session = Session("CP", OcppVersion.V16, conn, handler)
    task = asyncio.create_task(session.run())
    call = asyncio.create_task(
        session.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    )
    await conn.next_sent()
    conn.incoming.put_nowait(None)
    await task
    with pytest.raises(ConnectionLostError):
        await call
    assert session.closed
    with pytest.raises(ConnectionLostError):
        await session.call("TriggerMessage", {"requestedMessage": "Heartbeat"})


async def test_send_failure_marks_session_closed() -> None:
    async with running() as (session, conn, _handler):
        conn.fail_send = True
        conn.incoming.put_nowait(json.dumps([2, "h", "Heartbeat", {}]))
        async with asyncio.timeout(5):
            await conn.send_failed.wait()
        assert session.closed


async def test_answer_cache_is_bounded() -> None:
    async with running() as (_, conn, handler):
        for number in range(ANSWER_CACHE_SIZE + 1):
            conn.incoming.put_nowait(json.dumps([2, f"m{number}", "Heartbeat", {}]))
            await conn.next_sent()
        # The oldest id fell out of the cache: it is processed again.
        conn.incoming.put_nowait(json.dumps([2, "m0", "Heartbeat", {}]))
        await conn.next_sent()
        assert len(handler.calls) == ANSWER_CACHE_SIZE + 2
        # A recent one is replayed.
        conn.incoming.put_nowait(
            json.dumps([2, f"m{ANSWER_CACHE_SIZE}", "Heartbeat", {}])
        )
        await conn.next_sent()
        assert len(handler.calls) == ANSWER_CACHE_SIZE + 2
