"""The charger's queue of transaction messages: it survives drops and reboots.

Real chargers keep StartTransaction/StopTransaction/MeterValues (1.6) and
TransactionEvent (2.x) in persistent memory until the CSMS answered them.
A message goes out directly when the charger is online and nothing waits
before it; otherwise (or when the connection fails under it) it is queued
and delivered in order once the CSMS accepted the charger again. A lost
answer means a re-send with a NEW message id: the CSMS must de-duplicate.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any

from .model import InvalidResponseError, OcppCallError
from .waiting import Signal

if TYPE_CHECKING:
    from .session import SessionBase
    from .simulator import ChargePointSimulator

LOGGER = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Queued:
    """One transaction message waiting for its answer."""

    action: str
    body: dict[str, Any]
    # 1.6 StartTransaction not answered yet: the local (negative) id that
    # the messages of its transaction carry until the CSMS assigns one.
    local_id: int | None = None
    # CALLERRORs received for it so far.
    attempts: int = 0

    @property
    def waits_for_start(self) -> bool:
        """A 1.6 follower whose transaction id is still a local one."""
        tx_id = self.body.get("transactionId")
        return (
            self.action != "StartTransaction" and isinstance(tx_id, int) and tx_id < 0
        )


def offline_answer(action: str, v16: bool) -> dict[str, Any] | None:
    """Answer locally what an offline charger does not ask the CSMS.

    Statuses are skipped (they are announced again on reconnect) and tags are
    authorized locally (LocalAuthorizeOffline). None: the call must go out.
    """
    if action in ("StatusNotification", "MeterValues"):
        return {}
    if action == "Authorize":
        key = "idTagInfo" if v16 else "idTokenInfo"
        return {key: {"status": "Accepted"}}
    return None


class Outbox:
    """Ordered delivery of transaction messages across connections."""

    def __init__(self, sim: ChargePointSimulator) -> None:
        """Empty queue; deliveries use the simulator's live session."""
        self._sim = sim
        self._items: list[Queued] = []
        # One transaction message on the wire at a time, in queue order.
        self._lock = asyncio.Lock()
        self._next_local_id = -1
        self._resolved: dict[int, int] = {}
        self._drain: asyncio.Task[None] | None = None
        self._changed = Signal()
        # Messages the CSMS kept refusing (CALLERROR) until the charger gave up.
        self.dropped: list[Queued] = []

    def __len__(self) -> int:
        """Messages still waiting for an answer."""
        return len(self._items)

    @property
    def pending(self) -> list[Queued]:
        """The queue, oldest first (a copy)."""
        return list(self._items)

    async def submit(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send now if online with an empty queue, else queue; return an answer.

        A queued message gets the answer the charger assumes (1.6: a local
        transaction id and an accepted tag). CALLERRORs of a direct send are
        raised as before; a failing connection only queues the message.
        """
        tx_id = body.get("transactionId")
        if isinstance(tx_id, int) and tx_id in self._resolved:
            body["transactionId"] = self._resolved[tx_id]
        item = Queued(action=action, body=body)
        async with self._lock:
            if self._items or not self._sim.ready:
                return self._enqueue(item, offline=True)
            try:
                return await self._deliver(item)
            except (ConnectionError, TimeoutError) as exc:
                LOGGER.info("%s: %s queued: %s", self._sim.id, action, exc)
            except (OcppCallError, InvalidResponseError) as exc:
                # Transaction messages are retried (1.6 TransactionMessageAttempts).
                item.attempts = 1
                LOGGER.info("%s: %s refused, will retry: %s", self._sim.id, action, exc)
            answer = self._enqueue(item, offline=False)
        self.kick()  # on a live link the queue retries after the interval
        return answer

    def _enqueue(self, item: Queued, *, offline: bool) -> dict[str, Any]:
        if offline and item.action == "TransactionEvent":
            item.body["offline"] = True
        self._items.append(item)
        self._notify()
        if item.action == "StartTransaction":
            item.local_id = self._next_local_id
            self._next_local_id -= 1
            return {"transactionId": item.local_id, "idTagInfo": {"status": "Accepted"}}
        return {}

    def kick(self) -> None:
        """Deliver what waits, in a task (the charger is accepted again)."""
        if self._items and (self._drain is None or self._drain.done()):
            self._drain = asyncio.get_running_loop().create_task(
                self._deliver_queue(), name=f"{self._sim.id}:outbox"
            )

    async def close(self) -> None:
        """Stop delivering (the queue is kept)."""
        if self._drain is not None:
            self._drain.cancel()
            await asyncio.gather(self._drain, return_exceptions=True)
            self._drain = None

    async def wait_empty(self, timeout: float | None = 10.0) -> None:
        """Wait until every message was answered."""
        await self._changed.wait_for(lambda: True if not self._items else None, timeout)

    async def _deliver_queue(self) -> None:
        newest_first: bool | None = None
        while True:
            async with self._lock:
                if not self._items or not self._sim.ready:
                    return
                if newest_first is None:
                    # Decided when the first message of this run goes out.
                    faults = self._sim.faults
                    newest_first = faults.out_of_order and len(self._items) > 1
                    if newest_first:
                        faults.out_of_order = False
                item = self._pick(newest_first=newest_first)
                try:
                    answer = await self._deliver(item)
                except ConnectionError as exc:
                    LOGGER.info("%s: delivery paused: %s", self._sim.id, exc)
                    return  # the next connection kicks us again
                except TimeoutError:
                    answer = None  # no answer on a live link: try again later
                except (OcppCallError, InvalidResponseError) as exc:
                    answer = None
                    self._refused(item, exc)
                if answer is not None:
                    self._done(item, answer)
                retry = answer is None and item in self._items
            if retry:
                await asyncio.sleep(self._sim.config.tx_retry_interval)

    def _refused(self, item: Queued, exc: Exception) -> None:
        """Count a CALLERROR; give up after TransactionMessageAttempts."""
        item.attempts += 1
        if item.attempts >= self._sim.config.tx_message_attempts:
            LOGGER.warning("%s: %s dropped: %s", self._sim.id, item.action, exc)
            self._items.remove(item)
            self.dropped.append(item)
            self._notify()

    def _done(self, item: Queued, answer: dict[str, Any]) -> None:
        self._items.remove(item)
        if item.local_id is not None:
            self._resolve(item.local_id, int(answer["transactionId"]))
        self._notify()

    def _notify(self) -> None:
        self._changed.notify()
        self._sim.state_changed()

    def _pick(self, *, newest_first: bool) -> Queued:
        if newest_first:
            for item in reversed(self._items):
                if not item.waits_for_start:
                    return item
        return self._items[0]

    def resolved_id(self, tx_id: int | str) -> int | str:
        """Return the CSMS id of a transaction started offline (else ``tx_id``)."""
        if isinstance(tx_id, int):
            return self._resolved.get(tx_id, tx_id)
        return tx_id

    def _resolve(self, local_id: int, tx_id: int) -> None:
        """Use the id the CSMS gave an offline 1.6 transaction from now on."""
        self._resolved[local_id] = tx_id
        for item in self._items:
            if item.body.get("transactionId") == local_id:
                item.body["transactionId"] = tx_id
        for evse in self._sim.evses.values():
            if evse.transaction_id == local_id:
                evse.transaction_id = tx_id
                self._sim.transaction_changed()

    async def _deliver(self, item: Queued) -> dict[str, Any]:
        """One message on the live session, with at most one injected fault."""
        session: SessionBase | None = self._sim.live_session
        if session is None:
            raise ConnectionError("not connected")
        faults = self._sim.faults
        if faults.drop_socket_mid_call > 0:
            faults.drop_socket_mid_call -= 1
            return await session.exchange(item.action, item.body, drop_after_send=True)
        if faults.lose_answers > 0:
            faults.lose_answers -= 1
            # The CSMS answers, the answer never arrives: send again, new id.
            await session.exchange(item.action, item.body)
            LOGGER.info("%s: %s answer lost, re-sending", self._sim.id, item.action)
        elif faults.duplicate_frames > 0:
            faults.duplicate_frames -= 1
            return await session.exchange(item.action, item.body, duplicate=True)
        answer = await session.exchange(item.action, item.body)
        if self._sim.config.quirks.retry_with_new_message_id:
            try:
                await session.exchange(item.action, item.body)
            except (OcppCallError, InvalidResponseError, TimeoutError) as exc:
                LOGGER.warning(
                    "%s: duplicate %s failed: %s", session.id, item.action, exc
                )
        return answer
