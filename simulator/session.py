"""One WebSocket session: framing, calls in both directions, raw frames, tasks.

The ocpp library's ``ChargePoint`` routes CSMS requests to ``@on``/``@after``
handlers; this mixin adds what the library lacks for a charge point:
- a receive loop that never blocks on our own calls (answers to our calls are
  matched to futures here, so ``@after`` tasks may call the CSMS freely),
- correct NotImplemented/NotSupported errors for unknown/unhandled actions,
- a raw side channel for malformed-frame tests,
- tracked tasks that are all cancelled when the session ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import logging
from typing import TYPE_CHECKING, Any, ClassVar, cast
import uuid

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, validate_payload
from ocpp.routing import after as _ocpp_after, on as _ocpp_on
from websockets.exceptions import ConnectionClosed

from .model import InvalidResponseError, OcppCallError, ReceivedCall
from .outbox import offline_answer

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from websockets.asyncio.client import ClientConnection

    from .config import Quirks, SimulatorConfig
    from .simulator import ChargePointSimulator

LOGGER = logging.getLogger(__name__)
FRAMES = logging.getLogger("simulator.frames")

MESSAGE_CALL, MESSAGE_RESULT, MESSAGE_ERROR = 2, 3, 4


def on[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Typed wrapper of ``ocpp.routing.on`` (the library is untyped)."""
    return cast("Callable[[F], F]", _ocpp_on(action))


def after[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Typed wrapper of ``ocpp.routing.after``; handlers stay synchronous and spawn."""
    return cast("Callable[[F], F]", _ocpp_after(action))


class SessionBase:
    """Link-layer half of a simulated charge point (mixed into a library ChargePoint)."""

    # Actions the version defines; anything else is answered NotImplemented.
    known_actions: ClassVar[frozenset[str]] = frozenset()
    # 1.6 spells the framing error differently from 2.x.
    format_violation: ClassVar[str] = "FormatViolation"

    if TYPE_CHECKING:
        # Provided by ocpp.ChargePoint (untyped library).
        id: str
        route_map: dict[str, dict[str, Any]]
        _ocpp_version: str
        _call: Any
        _call_result: Any

        async def route_message(self, raw_msg: str) -> None:
            """Let the library validate and route a CALL to its handler."""

    def _setup_session(
        self, sim: ChargePointSimulator, connection: ClientConnection
    ) -> None:
        self.sim = sim
        self.config: SimulatorConfig = sim.config
        self.quirks: Quirks = sim.config.quirks
        self._ws = connection
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}
        # OCPP allows one outstanding CALL per direction.
        self._call_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = asyncio.Event()

    # ------------------------------------------------------------- tasks

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as a task owned by this session (cancelled on close)."""
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.id}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            LOGGER.error("%s: task %s failed", self.id, task.get_name(), exc_info=exc)

    async def shutdown(self) -> None:
        """Cancel every task of this session and fail calls still waiting."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._fail_pending()
        self.closed.set()

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed"))
                # The caller may be cancelled right after: no "never retrieved".
                future.exception()
        self._pending.clear()

    # ------------------------------------------------------------ frames

    async def _send(self, message: str) -> None:
        """Send one frame (also used by the library to send our answers)."""
        FRAMES.info("%s -> %s", self.id, message)
        try:
            await self._ws.send(message)
        except ConnectionClosed as exc:
            raise ConnectionError(f"connection closed: {exc}") from exc

    async def send_raw(self, text: str) -> None:
        """Send an arbitrary text frame, bypassing all framing rules."""
        await self._send(text)

    async def run(self) -> None:
        """Receive loop: route CALLs, match answers, keep the rest as raw frames."""
        try:
            async for message in self._ws:
                text = message if isinstance(message, str) else message.decode()
                FRAMES.info("%s <- %s", self.id, text)
                await self._dispatch(text)
        except ConnectionClosed as exc:
            LOGGER.info("%s: connection closed (%s)", self.id, exc)
        finally:
            self.closed.set()
            self._fail_pending()
            # The charger is offline: stop timers and loops of this session.
            current = asyncio.current_task()
            for task in self.tasks_to_stop_offline():
                if task is not current:
                    task.cancel()
            self.sim.connection_lost(self)

    def tasks_to_stop_offline(self) -> list[asyncio.Task[Any]]:
        """Tasks that end with the connection (default: all of them)."""
        return list(self._tasks)

    async def cut(self) -> None:
        """Lose the connection without a closing handshake (power loss)."""
        self._ws.transport.abort()
        async with asyncio.timeout(5):
            await self.closed.wait()

    async def _dispatch(self, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        if (
            not isinstance(frame, list)
            or len(frame) < 3
            or frame[0] not in (MESSAGE_CALL, MESSAGE_RESULT, MESSAGE_ERROR)
            or not isinstance(frame[1], str)
        ):
            self.sim.record_raw(text)
            return
        if frame[0] != MESSAGE_CALL:
            future = self._pending.get(frame[1])
            if future is None or future.done():
                self.sim.record_raw(text)
            else:
                future.set_result(frame)
            return
        if self.sim.registration_status == "Rejected":
            # 1.6 §4.2 / 2.0.1 B03: a rejected charger does not answer.
            LOGGER.info("%s: rejected, ignoring %s", self.id, text)
            return
        if self.quirks.response_delay > 0:
            self.spawn(self._answer_later(text, frame), "slow-answer")
        else:
            await self._answer(text, frame)

    async def _answer_later(self, text: str, frame: list[Any]) -> None:
        await asyncio.sleep(self.quirks.response_delay)
        await self._answer(text, frame)

    async def _answer(self, text: str, frame: list[Any]) -> None:
        unique_id = frame[1]
        action = frame[2] if isinstance(frame[2], str) else None
        payload = frame[3] if len(frame) > 3 else None
        if action is None or not isinstance(payload, dict):
            await self._reply_error(unique_id, self.format_violation, "Malformed CALL")
            return
        if "_on_action" not in self.route_map.get(action, {}):
            # The library swaps these two codes; OCPP-J: unknown -> NotImplemented.
            known = action in self.known_actions
            code = "NotSupported" if known else "NotImplemented"
            await self._reply_error(unique_id, code, f"{action} is not supported")
        else:
            try:
                await self.route_message(text)
            except ConnectionError as exc:
                # The link died before our answer left: the CSMS asks again.
                LOGGER.info("%s: %s not answered: %s", self.id, action, exc)
            except Exception:
                LOGGER.exception("%s: handling %s failed", self.id, action)
        self.sim.record_call(ReceivedCall(action, payload))

    async def _reply_error(self, unique_id: str, code: str, description: str) -> None:
        try:
            await self._send(
                json.dumps([MESSAGE_ERROR, unique_id, code, description, {}])
            )
        except ConnectionError as exc:
            LOGGER.info("%s: error reply not sent: %s", self.id, exc)

    # ------------------------------------------------------------- calls

    async def exchange(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        validate: bool = True,
        duplicate: bool = False,
        drop_after_send: bool = False,
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload.

        Raises OcppCallError on CALLERROR, InvalidResponseError if the answer
        breaks the schema, TimeoutError after ``call_timeout`` and
        ConnectionError if the connection closes meanwhile. Faults:
        ``duplicate`` sends the frame twice with the same message id,
        ``drop_after_send`` closes the socket before the answer can come.
        """
        request = Call(str(uuid.uuid4()), action, payload)
        if validate:
            await validate_payload(request, self._ocpp_version)
        async with self._call_lock:
            future: asyncio.Future[list[Any]] = (
                asyncio.get_running_loop().create_future()
            )
            self._pending[request.unique_id] = future
            try:
                await self._send(request.to_json())
                if duplicate:
                    await self._send(request.to_json())
                if drop_after_send:
                    self._ws.transport.abort()
                    self.closed.set()  # offline from now on, not when the loop sees it
                    raise ConnectionError(f"socket dropped after {action} was sent")
                async with asyncio.timeout(self.config.call_timeout):
                    frame = await future
            finally:
                self._pending.pop(request.unique_id, None)
        if frame[0] == MESSAGE_ERROR:
            details = frame[4] if len(frame) > 4 else None
            description = str(frame[3]) if len(frame) > 3 else ""
            raise OcppCallError(str(frame[2]), description, details)
        result = frame[2]
        if not isinstance(result, dict):
            raise InvalidResponseError(action, "payload is not an object")
        if validate:
            try:
                await validate_payload(
                    CallResult(request.unique_id, result, action), self._ocpp_version
                )
            except OCPPError as exc:
                raise InvalidResponseError(action, str(exc)) from exc
        return result

    async def send_payload(
        self, payload: object, *, tx_message: bool = False
    ) -> dict[str, Any]:
        """Send a library call dataclass (nested values given camelCase)."""
        action = type(payload).__name__
        body = snake_to_camel_case(remove_nones(serialize_as_dict(payload)))
        outbox = self.sim.outbox
        if outbox is not None:
            if tx_message:
                return await outbox.submit(action, body)
            if not self.sim.ready:
                answer = offline_answer(action, v16=self._ocpp_version == "1.6")
                if answer is not None:
                    self.sim.skipped_while_offline(action)
                    return answer
            live = self.sim.live_session
            session = live if self.closed.is_set() and live is not None else self
            try:
                # A flow that began before a reconnect goes on on the new link.
                return await session.exchange(action, body)
            except ConnectionError:
                answer = offline_answer(action, v16=self._ocpp_version == "1.6")
                if answer is None:
                    raise
                self.sim.skipped_while_offline(action)
                return answer
        result = await self.exchange(action, body)
        if tx_message and self.quirks.retry_with_new_message_id:
            # Same content, new message id: the CSMS must de-duplicate.
            try:
                await self.exchange(action, body)
            except (OcppCallError, InvalidResponseError, TimeoutError) as exc:
                LOGGER.warning("%s: duplicate %s failed: %s", self.id, action, exc)
        return result
