"""How the charger lives through a lost CSMS and its own power cycles.

Mixed into ChargePointSimulator: redial with a doubling back-off, power cycle
(transactions ended by a queued PowerLoss stop or carried on), what a reboot
forgets (volatile profiles, a reset meter) and the catch-up once the CSMS
accepts the charger again (statuses, resumed transactions, the queue).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from websockets.exceptions import InvalidHandshake

from .base import CALL_FAILURES
from .faults import TxOnReboot
from .model import EvseStatus

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from .base import ChargerBase
    from .config import SimulatorConfig
    from .faults import Faults
    from .model import EvseState
    from .outbox import Outbox
    from .profiles import ProfileStore
    from .session import SessionBase

LOGGER = logging.getLogger(__name__)
_DIAL_FAILURES = (OSError, TimeoutError, InvalidHandshake)


class Resilience:
    """Reconnect, power-cycle and catch-up behaviour of a simulated charger."""

    if TYPE_CHECKING:
        config: SimulatorConfig
        evses: dict[int, EvseState]
        profiles: ProfileStore
        outbox: Outbox | None
        _session: ChargerBase | None
        _registration: str | None
        _pending_boot: str | None
        _resume: set[int]
        _status_skipped: bool
        _stopping: bool
        _redial_task: asyncio.Task[Any] | None
        _powered: asyncio.Event
        _retired: list[ChargerBase]

        @property
        def id(self) -> str: ...  # noqa: D102
        @property
        def connected(self) -> bool: ...  # noqa: D102
        @property
        def faults(self) -> Faults: ...  # noqa: D102
        async def _open(self, boot_reason: str | None) -> None: ...
        async def _close_session(self) -> None: ...
        def _resumed_without_boot(self, registration: str | None) -> None: ...
        def state_changed(self) -> None: ...  # noqa: D102
        def _spawn(
            self, coro: Coroutine[Any, Any, Any], name: str
        ) -> asyncio.Task[Any]: ...

    # ------------------------------------------------------------ redial

    def connection_lost(self, session: SessionBase) -> None:
        """Redial if configured: the receive loop of ``session`` ended."""
        self.state_changed()
        if session is self._session and not self._stopping:
            LOGGER.info("%s: connection lost", self.id)
            if self.config.auto_reconnect:
                self._start_redial()

    def _start_redial(self) -> None:
        if self._redial_task is None or self._redial_task.done():
            self._redial_task = self._spawn(self._redial(), f"{self.id}:redial")

    async def _redial(self) -> None:
        delay = self.config.reconnect_delay
        try:
            while True:
                await asyncio.sleep(delay)
                await self._powered.wait()
                try:
                    await self._dial_again()
                except _DIAL_FAILURES as exc:
                    LOGGER.debug("%s: redial failed: %s", self.id, exc)
                    delay = min(2 * delay, self.config.reconnect_delay_max)
                else:
                    return
        finally:
            if self._redial_task is asyncio.current_task():
                self._redial_task = None

    async def _dial_again(self) -> None:
        registration, reason = self._registration, self._pending_boot
        if reason is None and registration != "Accepted":
            reason = "PowerUp"  # never accepted: a reconnect must boot
        old = self._session
        LOGGER.debug(
            "%s: dialling (registration %s, boot %s)", self.id, registration, reason
        )
        await self._open(reason)
        if self._redial_task is asyncio.current_task():
            self._redial_task = None  # a drop from now on needs a new redial
        if old is not None and old is not self._session:
            self._retired.append(old)
        if reason is None:
            self._resumed_without_boot(registration)

    # ------------------------------------------------------- power cycle

    async def power_cycle(self, transactions: TxOnReboot = TxOnReboot.END) -> None:
        """Power loss and restart: gone without a word, then BootNotification(PowerUp).

        Running transactions end with a queued PowerLoss stop carrying the
        register at the power loss, or carry on after the boot (``RESUME``).
        Works offline too: the boot then comes with the next connection.
        """
        redial = self._redial_task
        if redial is not None:
            redial.cancel()
            await asyncio.gather(redial, return_exceptions=True)
        self._powered.clear()
        self._pending_boot = "PowerUp"
        try:
            session = self._session
            if session is not None:
                for evse in self.evses.values():
                    session.refresh(evse)  # the meter counts up to the loss
                if not session.closed.is_set():
                    await session.cut()
                for evse in self.evses.values():
                    if evse.in_transaction:
                        await self._carry_over(session, evse, transactions)
            self._reboot_effects()
        finally:
            self._powered.set()
        if self.config.auto_reconnect:
            if not self.connected:
                self._start_redial()
            return
        await self._close_session()
        await self._open("PowerUp")

    async def _carry_over(
        self, session: ChargerBase, evse: EvseState, mode: TxOnReboot
    ) -> None:
        session.stop_meter_loop(evse)
        # What follows is sent after the boot: no EVSE named (many chargers).
        evse.omit_evse_field = True
        if self.faults.seq_no_restart_on_boot:
            evse.seq_no = 0
        if mode is TxOnReboot.RESUME:
            self._resume.add(evse.evse_id)
            return
        try:
            await session.stop_transaction(evse, "PowerLoss")
        except (*CALL_FAILURES, OSError) as exc:
            # No offline queue: the stop is lost, as on a charger without one.
            LOGGER.warning("%s: stop at power loss lost: %s", self.id, exc)

    def _reboot_effects(self) -> None:
        """Forget what a reboot forgets: RAM-only profiles, availability, meter."""
        for evse in self.evses.values():
            evse.last_update = None  # no energy while the power was off
            if self.config.quirks.volatile_profiles:
                evse.pending_inoperative = False
                if not evse.operative:
                    evse.operative = True
                    evse.status = (
                        EvseStatus.PREPARING if evse.car else EvseStatus.AVAILABLE
                    )
            if self.faults.meter_reset_on_boot:
                evse.energy_wh = 0.0
                evse.meter_start_wh = 0.0
        if self.config.quirks.volatile_profiles:
            self.profiles.installed = []

    # ----------------------------------------------------------- catch-up

    def skipped_while_offline(self, action: str) -> None:
        """Remember that a status was skipped while offline."""
        if action == "StatusNotification":
            self._status_skipped = True

    def _after_ready(self, *, booted: bool) -> None:
        """Catch up once accepted: meter loops, statuses, resumptions, queue."""
        session = self._session
        if session is None:
            return
        for evse in self.evses.values():
            if evse.in_transaction and evse.evse_id not in self._resume:
                session.start_meter_loop(evse)
        announce = self._status_skipped and not booted
        self._status_skipped = False
        resume = [self.evses[i] for i in sorted(self._resume)]
        self._resume.clear()
        if announce or resume:
            session.spawn(self._catch_up(session, resume, announce), "catch-up")
        elif self.outbox is not None:
            self.outbox.kick()

    async def _catch_up(
        self, session: ChargerBase, resume: list[EvseState], announce: bool
    ) -> None:
        try:
            if announce:
                await session.announce_status()
            for evse in resume:
                if evse.in_transaction:
                    await session.resume_transaction(evse)
                    session.start_meter_loop(evse)
        except CALL_FAILURES as exc:
            LOGGER.warning("%s: catch-up after reconnect failed: %s", self.id, exc)
        finally:
            if self.outbox is not None:
                self.outbox.kick()
