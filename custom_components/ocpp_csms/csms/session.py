"""One OCPP-J RPC session over one WebSocket connection.

The session owns framing: every CALL gets exactly one answer with its id,
malformed frames get the version's CALLERROR, duplicate CALL ids replay the
cached answer, and our own calls go out one at a time with a timeout. The
receive loop only parses and routes; CALLs are processed in order by a worker
task, so a handler that awaits one of our calls never blocks the loop that
delivers that call's result.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import contextlib
from datetime import UTC, datetime
import logging
from typing import Any, Protocol
import uuid

from websockets.exceptions import ConnectionClosed

from .const import DEFAULT_CALL_TIMEOUT, OcppVersion
from .errors import (
    CallErrorReceivedError,
    CallTimeoutError,
    ConnectionLostError,
    ErrorKind,
    InvalidResponseError,
    OcppCallError,
)
from .frames import (
    Call,
    CallError,
    CallResult,
    FrameError,
    encode_call,
    encode_error,
    encode_result,
    parse_frame,
)
from .tolerance import Deviation, repair
from .validation import is_known_action, schema_error

_LOGGER = logging.getLogger(__name__)

# Enough to recognise a retried CALL; chargers retry the last few at most.
ANSWER_CACHE_SIZE = 32

type CallHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class FrameConnection(Protocol):
    """The part of a WebSocket connection a session needs."""

    async def send(self, message: str) -> None:
        """Send one text frame."""

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection."""

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        """Iterate over received frames until the connection closes."""


class Tolerance(Protocol):
    """How a session treats requests that break their schema (GUIDE §5 item 15)."""

    @property
    def strict(self) -> bool:
        """Return True to refuse every schema violation (certification)."""

    def deviated(self, action: str, deviations: Sequence[Deviation]) -> None:
        """Report the repairs that made a request readable."""


class Session:
    """RPC framing for one charger connection."""

    def __init__(
        self,
        charger_id: str,
        version: OcppVersion,
        connection: FrameConnection,
        handler: CallHandler,
        *,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        tolerance: Tolerance | None = None,
    ) -> None:
        """Bind the session to a connection and a handler for incoming CALLs.

        Without ``tolerance`` every schema violation is refused.
        """
        self.charger_id = charger_id
        self.version = version
        self._connection = connection
        self._handler = handler
        self._call_timeout = call_timeout
        self._tolerance = tolerance
        self._inbox: asyncio.Queue[Call] = asyncio.Queue()
        self._answers: OrderedDict[str, str] = OrderedDict()
        self._call_lock = asyncio.Lock()
        self._pending: dict[str, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        """Return True once the connection has ended."""
        return self._closed

    async def run(self) -> None:
        """Receive frames until the connection closes."""
        worker = asyncio.create_task(
            self._process_calls(), name=f"ocpp {self.charger_id} worker"
        )
        try:
            async for raw in self._connection:
                await self._on_frame(raw)
        except ConnectionClosed as err:
            # An abnormal close (network loss, protocol error) ends us quietly.
            _LOGGER.debug("%s: connection lost: %s", self.charger_id, err)
        finally:
            self._closed = True
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            self._fail_pending()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection; ``run`` then returns."""
        await self._connection.close(code, reason)

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a CALL and return the charger's validated result payload.

        Only one of our calls is outstanding per connection (OCPP-J 4.1.1).
        Raises CallFailedError subclasses on CALLERROR, timeout or closed connection.
        """
        if error := schema_error(self.version, action, payload, request=True):
            # Our own bug: never put an invalid frame on the wire.
            raise ValueError(f"Refusing to send invalid {action}: {error}")
        async with self._call_lock:
            if self._closed:
                raise ConnectionLostError(f"{self.charger_id} is not connected")
            message_id = str(uuid.uuid4())
            future: asyncio.Future[dict[str, Any]] = (
                asyncio.get_running_loop().create_future()
            )
            self._pending[message_id] = (action, future)
            try:
                await self._send(encode_call(message_id, action, payload))
                async with asyncio.timeout(timeout or self._call_timeout):
                    result = await future
            except TimeoutError as err:
                raise CallTimeoutError(
                    f"{action} to {self.charger_id} timed out"
                ) from err
            finally:
                self._pending.pop(message_id, None)
        if error := schema_error(self.version, action, result, request=False):
            raise InvalidResponseError(f"{action} result is invalid: {error}")
        return result

    async def _on_frame(self, raw: str | bytes) -> None:
        _LOGGER.debug("%s -> %s", self.charger_id, raw)
        try:
            frame = parse_frame(raw, self.version)
        except FrameError as err:
            _LOGGER.warning(
                "%s sent a malformed frame: %s", self.charger_id, err.description
            )
            if err.is_reply:
                self._fail_call(err.message_id, InvalidResponseError(err.description))
                return
            await self._send(
                encode_error(
                    err.message_id, err.kind.code(self.version), err.description
                )
            )
            return
        if isinstance(frame, Call):
            self._inbox.put_nowait(frame)
        else:
            self._resolve(frame)

    def _fail_call(self, message_id: str, error: Exception) -> None:
        entry = self._pending.get(message_id)
        if entry is not None and not entry[1].done():
            entry[1].set_exception(error)

    def _resolve(self, frame: CallResult | CallError) -> None:
        entry = self._pending.get(frame.message_id)
        if entry is None or entry[1].done():
            _LOGGER.debug(
                "%s: ignoring unmatched answer %s", self.charger_id, frame.message_id
            )
            return
        action, future = entry
        if isinstance(frame, CallResult):
            future.set_result(frame.payload)
        else:
            future.set_exception(
                CallErrorReceivedError(action, frame.code, frame.description)
            )

    async def _process_calls(self) -> None:
        while True:
            call = await self._inbox.get()
            cached = self._answers.get(call.message_id)
            if cached is not None:
                _LOGGER.debug(
                    "%s: replaying answer to duplicate %s %s",
                    self.charger_id,
                    call.action,
                    call.message_id,
                )
                await self._send(cached)
                continue
            answer = await self._answer(call)
            if not call.expects_reply:
                continue
            self._answers[call.message_id] = answer
            if len(self._answers) > ANSWER_CACHE_SIZE:
                self._answers.popitem(last=False)
            await self._send(answer)

    async def _answer(self, call: Call) -> str:
        try:
            payload = await self._dispatch(call)
        except OcppCallError as err:
            return encode_error(
                call.message_id,
                err.kind.code(self.version),
                err.description,
                err.details,
            )
        except Exception:
            _LOGGER.exception("%s: error handling %s", self.charger_id, call.action)
            return encode_error(
                call.message_id,
                ErrorKind.INTERNAL.code(self.version),
                f"Internal error while handling {call.action}",
            )
        return encode_result(call.message_id, payload)

    async def _dispatch(self, call: Call) -> dict[str, Any]:
        if not is_known_action(self.version, call.action):
            raise OcppCallError(
                ErrorKind.NOT_IMPLEMENTED,
                f"Unknown action {call.action} for {self.version.schema_version}",
            )
        request = call.payload
        if error := schema_error(self.version, call.action, request, request=True):
            request = self._readable_part(call, error)
        payload = await self._handler(call.action, request)
        if error := schema_error(self.version, call.action, payload, request=False):
            _LOGGER.error(
                "%s: our %s answer failed its schema: %s",
                self.charger_id,
                call.action,
                error.description,
            )
            raise OcppCallError(
                ErrorKind.INTERNAL, f"Could not build a valid {call.action} answer"
            )
        return payload

    def _readable_part(self, call: Call, error: OcppCallError) -> dict[str, Any]:
        """Return the repaired request, or raise the schema's CALLERROR."""
        tolerance = self._tolerance
        if tolerance is None or tolerance.strict:
            raise error
        try:
            # Processed moments after it arrived: the worker takes CALLs in order.
            repaired = repair(
                self.version, call.action, call.payload, datetime.now(UTC)
            )
        except Exception:
            # A bug in the repair must not cost more than strict validation.
            _LOGGER.exception("%s: could not repair %s", self.charger_id, call.action)
            repaired = None
        if repaired is None:
            raise error
        tolerance.deviated(call.action, repaired.deviations)
        return repaired.payload

    async def _send(self, text: str) -> None:
        if self._closed:
            return
        _LOGGER.debug("%s <- %s", self.charger_id, text)
        try:
            await self._connection.send(text)
        except Exception as err:  # noqa: BLE001 - any transport failure ends us
            _LOGGER.debug("%s: send failed: %s", self.charger_id, err)
            self._closed = True

    def _fail_pending(self) -> None:
        for action, future in self._pending.values():
            if not future.done():
                future.set_exception(
                    ConnectionLostError(f"{action}: {self.charger_id} disconnected")
                )
        self._pending.clear()
