"""ChargePointSimulator: the public face of a simulated charge point."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
import logging
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, NegotiationError
from websockets.typing import Subprotocol

from .base import CALL_FAILURES
from .composite import Electrical, Situation, effective_limit
from .config import OcppVersion, SimulatorConfig
from .device_model import build_device_model
from .faults import Faults
from .model import MIN_CURRENT, Car, EvseState, Offer, ReceivedCall
from .outbox import Outbox
from .profiles import ProfileStore, RateUnit
from .resilience import Resilience
from .settings import ConfigKeyStore
from .v2x_handlers import V21ChargePoint, V201ChargePoint
from .v16_handlers import V16ChargePoint
from .waiting import Signal

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from types import TracebackType

    from websockets.asyncio.client import ClientConnection

    from .base import ChargerBase
    from .session import SessionBase

LOGGER = logging.getLogger(__name__)

_SESSIONS: dict[
    OcppVersion, Callable[[ChargePointSimulator, ClientConnection], ChargerBase]
] = {
    OcppVersion.V16: V16ChargePoint,
    OcppVersion.V201: V201ChargePoint,
    OcppVersion.V21: V21ChargePoint,
}


class ChargePointSimulator(Resilience):
    """A simulated OCPP 1.6 / 2.0.1 / 2.1 charge point.

    ``start()`` raises what websockets raises when the CSMS refuses us:
    ``InvalidStatus`` for a non-101 answer (wrong password: 401, unknown id
    or no common subprotocol: usually 400/403/404), ``NegotiationError`` when
    the CSMS accepts without selecting one of our subprotocols, ``OSError``
    / ``TimeoutError`` when it cannot be reached.
    """

    def __init__(self, config: SimulatorConfig) -> None:
        """Build the hardware and settings; nothing connects yet."""
        self.config = config
        # Current password (rotated by AuthorizationKey / BasicAuthPassword).
        self.password = config.password
        self.evses = {
            i: EvseState(evse_id=i, voltage=config.voltage)
            for i in range(1, config.evses + 1)
        }
        self.profiles = ProfileStore(
            evses=config.evses,
            quirks=config.quirks,
            replace_same_stack=config.version is OcppVersion.V16,
        )
        self.config_keys = ConfigKeyStore.for_config(config)
        self.device_model = build_device_model(config)
        self.electrical = Electrical(
            config.voltage,
            config.phases,
            config.max_current,
            honour_number_phases=not config.quirks.ignore_number_phases,
        )
        self.local_list_version = 0
        self.reset_when_idle = False
        self.received_calls: list[ReceivedCall] = []
        self.negotiated_subprotocol: str | None = None
        self._consumed: set[int] = set()
        self._calls = Signal()
        self._registration: str | None = None
        self._registration_signal = Signal()
        # True once the statuses after the latest boot were sent (and answered).
        self.status_announced = False
        self._announced_signal = Signal()
        self._transaction_signal = Signal()
        self._state_signal = Signal()
        # Simulated time that passed on the charger's clock (advance_clock).
        self.clock_offset = timedelta(0)
        self._raw: asyncio.Queue[str] = asyncio.Queue()
        self._session: ChargerBase | None = None
        self._ws: ClientConnection | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # Transaction messages waiting for the CSMS (None: no offline queue).
        self.outbox = Outbox(self) if config.offline_queue else None
        # Boot reason owed at the next connect (after a power cycle or reset).
        self._pending_boot: str | None = None
        # EVSEs whose transaction was carried over a reboot, not yet resumed.
        self._resume: set[int] = set()
        self._status_skipped = False
        self._stopping = False
        self._redial_task: asyncio.Task[Any] | None = None
        # Cleared while a power cycle is under way: no redial meanwhile.
        self._powered = asyncio.Event()
        self._powered.set()
        # Sessions replaced by a reconnect whose flows may still finish.
        self._retired: list[ChargerBase] = []

    # ------------------------------------------------------ connection

    @property
    def url(self) -> str:
        """Full WebSocket URL: base URL plus the percent-encoded charger id."""
        return f"{self.config.url.rstrip('/')}/{quote(self.config.charger_id, safe='')}"

    @property
    def connected(self) -> bool:
        """Whether the WebSocket is open."""
        return self._session is not None and not self._session.closed.is_set()

    @property
    def rebooting(self) -> bool:
        """A reset or redial is in progress (disconnected, reconnecting)."""
        return bool(self._tasks)

    @property
    def id(self) -> str:
        """The charger identity."""
        return self.config.charger_id

    @property
    def faults(self) -> Faults:
        """Run-time fault switches."""
        return self.config.faults

    @property
    def ready(self) -> bool:
        """Connected and accepted: calls of our own may go out."""
        return self.connected and self._registration == "Accepted"

    @property
    def live_session(self) -> SessionBase | None:
        """The open session, if any."""
        return self._session if self.connected else None

    @property
    def queued(self) -> int:
        """Transaction messages waiting for the CSMS."""
        return 0 if self.outbox is None else len(self.outbox)

    async def wait_for_delivery(self, timeout: float | None = 10.0) -> None:
        """Wait until the offline queue is empty (every message answered)."""
        if self.outbox is not None:
            await self.outbox.wait_empty(timeout)

    async def wait_until_delivered(self, timeout: float | None = 10.0) -> None:
        """Wait until the charger is online and accepted with an empty queue."""
        await self._state_signal.wait_for(
            lambda: True if self.ready and self.queued == 0 else None, timeout
        )

    def state_changed(self) -> None:
        """Wake waiters: connection, registration or queue changed."""
        self._state_signal.notify()

    async def start(self) -> None:
        """Connect, then run the receive loop and boot sequence in the background."""
        if self._session is not None:
            raise RuntimeError("simulator already started")
        await self._open("PowerUp")

    async def reconnect(self) -> None:
        """Drop the connection and dial in again without rebooting.

        A network blip: the charger keeps its registration and transactions and
        sends no BootNotification (OCPP only boots after a restart).
        """
        registration = self._registration
        await self._close_session()
        await self._open(None)
        self._resumed_without_boot(registration)

    def _resumed_without_boot(self, registration: str | None) -> None:
        self.set_registration(registration)
        if registration == "Accepted" and self._session is not None:
            self._session.restart_heartbeat()
            self.mark_announced(booted=False)

    async def _open(self, boot_reason: str | None) -> None:
        headers = {}
        if self.password is not None:
            token = f"{self.config.charger_id}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        options: dict[str, Any] = {}
        if self.config.ssl is not None:
            options["ssl"] = self.config.ssl
        ws = await connect(
            self.url,
            subprotocols=[Subprotocol(s) for s in self.config.offered_subprotocols],
            additional_headers=headers,
            proxy=None,
            open_timeout=self.config.call_timeout,
            close_timeout=2,
            **options,
        )
        if ws.subprotocol is None:
            await ws.close()
            raise NegotiationError("the CSMS selected no OCPP subprotocol")
        version = OcppVersion.from_subprotocol(ws.subprotocol) or self.config.version
        session = _SESSIONS[version](self, ws)
        self._ws, self._session = ws, session
        self.negotiated_subprotocol = ws.subprotocol
        self.set_registration(None)
        self.status_announced = False
        LOGGER.info("%s: connected with %s", self.config.charger_id, ws.subprotocol)
        session.spawn(session.run(), "receive")
        if boot_reason is not None:
            session.start_boot(boot_reason)

    async def wait_for_disconnect(self, timeout: float | None = 10.0) -> None:
        """Wait until the current connection is closed (by either side)."""
        session = self._session
        if session is None:
            return
        async with asyncio.timeout(timeout):
            await session.closed.wait()

    async def stop(self) -> None:
        """Cancel every task and close the socket; nothing keeps running."""
        self._stopping = True
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.outbox is not None:
            await self.outbox.close()
        for session in self._retired:
            await session.shutdown()
        self._retired.clear()
        await self._close_session()

    async def _close_session(self) -> None:
        session, ws = self._session, self._ws
        self._session = self._ws = None
        if session is not None:
            await session.shutdown()
        if ws is not None:
            await ws.close()

    async def __aenter__(self) -> Self:
        """``async with ChargePointSimulator(config) as sim``: start."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def request_reboot(self, stop_reason: str) -> None:
        """Reset: end transactions, reconnect and boot again (from a task)."""
        self._spawn(self._reboot(stop_reason), f"{self.config.charger_id}:reboot")

    def transaction_ended(self) -> None:
        """Run a reset that waited for all transactions to end."""
        if self.reset_when_idle and not any(
            e.in_transaction for e in self.evses.values()
        ):
            self.reset_when_idle = False
            self.request_reboot("ImmediateReset")

    async def _reboot(self, stop_reason: str) -> None:
        session = self._session
        if session is not None:
            for evse in self.evses.values():
                if evse.in_transaction:
                    try:
                        await session.stop_transaction(evse, stop_reason)
                    except (*CALL_FAILURES, OSError) as exc:
                        LOGGER.warning("%s: stop before reset: %s", session.id, exc)
        await self._close_session()
        self._reboot_effects()
        self._pending_boot = "RemoteReset"
        try:
            await self._open("RemoteReset")
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            LOGGER.error(
                "%s: reconnect after reset failed: %s", self.config.charger_id, exc
            )
            if self.config.auto_reconnect:
                self._start_redial()

    # --------------------------------------------------- inbox (observed)

    @property
    def registration_status(self) -> str | None:
        """Last BootNotification status: Accepted, Pending, Rejected or None."""
        return self._registration

    def set_registration(self, status: str | None) -> None:
        """Record a BootNotification answer and wake waiters."""
        self._registration = status
        self._registration_signal.notify()
        self._state_signal.notify()

    async def wait_for_registration(
        self, status: str = "Accepted", timeout: float | None = 10.0
    ) -> str:
        """Wait until the registration status is ``status`` (TimeoutError if not)."""
        return await self._registration_signal.wait_for(
            lambda: status if self._registration == status else None, timeout
        )

    def transaction_changed(self) -> None:
        """Wake waiters: an EVSE's transaction started or ended."""
        self._transaction_signal.notify()

    async def wait_for_transaction(
        self, evse_id: int = 1, timeout: float | None = 10.0
    ) -> int | str:
        """Wait until the EVSE runs a transaction the CSMS confirmed; return its id."""
        return await self._transaction_signal.wait_for(
            lambda: self.evse(evse_id).transaction_id, timeout
        )

    def mark_announced(self, *, booted: bool = True) -> None:
        """Note that every connector status after a boot has been answered."""
        if booted:
            self._pending_boot = None
        self.status_announced = True
        self._announced_signal.notify()
        self._after_ready(booted=booted)

    async def wait_until_ready(self, timeout: float | None = 10.0) -> None:
        """Wait until Accepted and the boot-time statuses were answered."""
        await self._announced_signal.wait_for(
            lambda: True if self.status_announced else None, timeout
        )

    def record_call(self, call: ReceivedCall) -> None:
        """Remember a handled (or refused) CSMS request, in order."""
        self.received_calls.append(call)
        self._calls.notify()

    async def wait_for_call(
        self, action: str, timeout: float | None = 10.0
    ) -> ReceivedCall:
        """Return the first not yet consumed CSMS request of ``action`` (waits)."""

        def probe() -> ReceivedCall | None:
            for index, call in enumerate(self.received_calls):
                if call.action == action and index not in self._consumed:
                    self._consumed.add(index)
                    return call
            return None

        return await self._calls.wait_for(probe, timeout)

    def record_raw(self, frame: str) -> None:
        """Queue a frame that is neither a CALL nor an answer to our calls."""
        self._raw.put_nowait(frame)

    async def next_raw_reply(self, timeout: float | None = 5.0) -> str:
        """Next raw frame (e.g. the CSMS's CALLERROR to a malformed frame)."""
        async with asyncio.timeout(timeout):
            return await self._raw.get()

    # ------------------------------------------------------- the charger

    def _require(self) -> ChargerBase:
        if self._session is None:
            raise RuntimeError("simulator is not connected")
        return self._session

    def evse(self, evse_id: int) -> EvseState:
        """State of one EVSE (1-based)."""
        try:
            return self.evses[evse_id]
        except KeyError:
            raise ValueError(f"no EVSE {evse_id}") from None

    def free_evse(self, evse_id: int | None) -> EvseState | None:
        """Return the requested (or first) EVSE that can start a transaction."""
        for evse in self.evses.values():
            if (
                evse_id in (None, evse.evse_id)
                and evse.operative
                and evse.id_tag is None
            ):
                return evse
        return None

    def evse_with_transaction(self, transaction_id: int | str) -> EvseState | None:
        """Return the EVSE running this transaction."""
        for evse in self.evses.values():
            if evse.in_transaction and str(evse.transaction_id) == str(transaction_id):
                return evse
        return None

    def situation(self, evse_id: int) -> Situation:
        """Transaction context of an EVSE for limit evaluation."""
        evse = self.evses.get(evse_id)
        if evse is None or evse.transaction_id is None:
            return Situation(evse_id)
        return Situation(evse_id, str(evse.transaction_id), evse.tx_started_at)

    def offer_for(self, evse: EvseState) -> Offer:
        """Return what the EVSE offers the car now (THE limit hook).

        Composite limit now (profiles, hardware) in A per phase; quirks decide
        whether numberPhases counts and whether < 6 A suspends.
        """
        now = datetime.now(UTC)
        limit = effective_limit(
            self.profiles.installed,
            self.situation(evse.evse_id),
            now,
            now,
            RateUnit.AMPERE,
            self.electrical,
        )
        phases = min(limit.number_phases or self.config.phases, self.config.phases)
        current = limit.limit
        if self.config.quirks.suspend_below_min_current and current < MIN_CURRENT:
            current = 0.0
        return Offer(current, phases)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send any CALL (camelCase payload, not validated); return the answer.

        Raises OcppCallError (with ``.code``) if the CSMS answers CALLERROR.
        """
        return await self._require().exchange(action, payload, validate=False)

    async def send_raw(self, text: str) -> None:
        """Send a raw text frame (for malformed-frame tests)."""
        await self._require().send_raw(text)

    async def heartbeat(self) -> dict[str, Any]:
        """Send a Heartbeat now."""
        return await self._require().heartbeat()

    async def plug_in(self, evse_id: int = 1, car: Car | None = None) -> None:
        """Connect a car (default: 60 kWh at 30 %, 32 A, 3 phases)."""
        await self._require().plug_in(self.evse(evse_id), car)

    async def unplug(self, evse_id: int = 1) -> None:
        """Disconnect the car (ends a running transaction)."""
        await self._require().unplug(self.evse(evse_id))

    async def authorize(self, id_tag: str | None = None) -> str:
        """Authorize a tag; return the CSMS's status string."""
        return await self._require().authorize(id_tag or self.config.id_tag)

    async def start_transaction(
        self, evse_id: int = 1, id_tag: str | None = None
    ) -> int | str:
        """Start charging; return the transaction id (1.6 int, 2.x uuid)."""
        return await self._require().start_transaction(
            self.evse(evse_id), id_tag or self.config.id_tag
        )

    async def stop_transaction(self, evse_id: int = 1, reason: str = "Local") -> None:
        """Stop the running transaction with an OCPP stop reason."""
        await self._require().stop_transaction(self.evse(evse_id), reason)

    async def send_meter_values(self, evse_id: int = 1) -> None:
        """Send one meter sample now."""
        await self._require().send_meter_values(self.evse(evse_id))

    async def resume_transaction(self, evse_id: int = 1) -> None:
        """Send the first message of a carried-over transaction now."""
        await self._require().resume_transaction(self.evse(evse_id))

    def add_energy(self, evse_id: int, wh: float) -> None:
        """Let the car draw ``wh`` through the meter (deterministic, for tests).

        The register only counts: tests choose exact amounts instead of
        integrating power over wall-clock time.
        """
        evse = self.evse(evse_id)
        evse.energy_wh += wh
        if evse.car is not None:
            evse.car.add_energy(wh)

    def advance_clock(self, seconds: float) -> None:
        """Let simulated time pass on the charger's clock (timestamps only).

        A test that charges for hours in milliseconds keeps its samples
        realistically apart; the meter itself only moves by ``add_energy``.
        """
        self.clock_offset += timedelta(seconds=seconds)

    def skip_seq_no(self, evse_id: int = 1, count: int = 1) -> None:
        """2.x: the next TransactionEvent skips ``count`` seqNo (queue overflow)."""
        self.evse(evse_id).seq_no += count

    def restart_seq_no(self, evse_id: int = 1) -> None:
        """2.x: the next TransactionEvent starts counting at 0 again."""
        self.evse(evse_id).seq_no = 0
