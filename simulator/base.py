"""Behaviour shared by all versions: boot, heartbeat, meter loops, physics, profiles."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
import time
from typing import TYPE_CHECKING, Any

from .composite import CompositeSchedule, composite_schedule
from .meter import ReadingContext, utc_now
from .model import Car, EvseState, EvseStatus, InvalidResponseError, OcppCallError
from .profiles import Profile, RateUnit, Verdict, parse_profile
from .session import SessionBase

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

LOGGER = logging.getLogger(__name__)

# Never retry a boot faster than this, whatever the CSMS says.
MIN_BOOT_RETRY = 1.0
CALL_FAILURES = (OcppCallError, InvalidResponseError, TimeoutError, ConnectionError)


class ChargerBase(SessionBase):
    """Version-independent charge point behaviour; subclasses speak the version."""

    def _setup_charger(self) -> None:
        self._boot_now = asyncio.Event()
        self._boot_task: asyncio.Task[Any] | None = None
        self._heartbeat_task: asyncio.Task[Any] | None = None
        self._meter_tasks: dict[int, asyncio.Task[Any]] = {}
        self._announced = False
        self.heartbeat_interval = self.config.heartbeat_interval
        self._reaction: tuple[str, Callable[[], Awaitable[Any]]] | None = None

    # -------------------------------------------------- version specifics

    async def send_boot(self, reason: str) -> dict[str, Any]:
        """Send one BootNotification and return the answer."""
        raise NotImplementedError

    async def heartbeat(self) -> dict[str, Any]:
        """Send one Heartbeat."""
        raise NotImplementedError

    async def announce_status(self) -> None:
        """StatusNotification for every connector (after the first acceptance)."""
        raise NotImplementedError

    async def send_periodic(self, evse: EvseState) -> None:
        """One periodic meter sample of a running transaction."""
        raise NotImplementedError

    async def notify(self, evse: EvseState) -> None:
        """StatusNotification of one EVSE."""
        raise NotImplementedError

    async def authorize(self, id_tag: str) -> str:
        """Authorize a tag; return its status."""
        raise NotImplementedError

    async def plug_in(self, evse: EvseState, car: Car | None = None) -> None:
        """Connect a car."""
        raise NotImplementedError

    async def unplug(self, evse: EvseState) -> None:
        """Disconnect the car."""
        raise NotImplementedError

    async def start_transaction(self, evse: EvseState, id_tag: str) -> int | str:
        """Start (or authorize) a transaction; return its id."""
        raise NotImplementedError

    async def stop_transaction(self, evse: EvseState, reason: str = "Local") -> None:
        """End the running transaction."""
        raise NotImplementedError

    async def send_meter_values(
        self, evse: EvseState, context: ReadingContext = ReadingContext.PERIODIC
    ) -> None:
        """One meter sample now."""
        raise NotImplementedError

    async def resume_transaction(self, evse: EvseState) -> None:
        """First message of a transaction carried over a reboot."""
        raise NotImplementedError

    def store_setting(self, name: str, value: str) -> None:
        """Mirror a runtime value (e.g. the heartbeat interval) into the settings."""
        raise NotImplementedError

    def meter_interval(self) -> float:
        """Seconds between periodic samples (from the settings store)."""
        raise NotImplementedError

    def timestamp(self) -> str:
        """Now, as the charger's (possibly skewed) clock says it."""
        return utc_now(self.sim.faults.clock_skew + self.sim.clock_offset)

    def tasks_to_stop_offline(self) -> list[asyncio.Task[Any]]:
        """Timers end with the connection; with an offline queue, flows go on.

        A flow (e.g. a remote stop) interrupted half-way would lose its
        message; with the queue it finishes and its message waits.
        """
        if self.sim.outbox is None:
            return list(self._tasks)
        timers = [self._heartbeat_task, self._boot_task, *self._meter_tasks.values()]
        return [task for task in timers if task is not None]

    # ----------------------------------------------------------- reactions

    def then(self, what: str, action: Callable[[], Awaitable[Any]]) -> None:
        """Queue what to send once the request being handled has been answered."""
        self._reaction = (what, action)

    def run_reaction(self) -> None:
        """From an @after handler: run the queued action in its own task."""
        reaction, self._reaction = self._reaction, None
        if reaction is not None:
            self.spawn(self._guarded(*reaction), reaction[0])

    async def _guarded(self, what: str, action: Callable[[], Awaitable[Any]]) -> None:
        try:
            await action()
        except CALL_FAILURES as exc:
            LOGGER.warning("%s: %s failed: %s", self.id, what, exc)

    # ---------------------------------------------------------------- boot

    async def trigger_boot(self) -> None:
        """TriggerMessage(BootNotification): boot again right now."""
        self.start_boot("Triggered")

    def start_boot(self, reason: str) -> None:
        """Boot now: wake a waiting retry loop or start a new one."""
        if self._boot_task is not None and not self._boot_task.done():
            self._boot_reason = reason
            self._boot_now.set()
            return
        self._boot_task = self.spawn(self.boot_loop(reason), "boot")

    async def boot_loop(self, reason: str) -> None:
        """BootNotification until Accepted, retrying as the CSMS tells us."""
        self._boot_reason = reason
        while True:
            self._boot_now.clear()
            try:
                answer = await self.send_boot(self._boot_reason)
            except CALL_FAILURES as exc:
                LOGGER.warning("%s: BootNotification failed: %s", self.id, exc)
                wait = self.quirks.boot_retry_interval or self.config.boot_error_retry
            else:
                status = str(answer["status"])
                interval = float(answer.get("interval", 0))
                self.sim.set_registration(status)
                if status == "Accepted":
                    await self._accepted(interval)
                    if self._boot_now.is_set():
                        continue  # triggered again meanwhile
                    return
                override = self.quirks.boot_retry_interval
                wait = interval if override is None else override
            try:
                async with asyncio.timeout(max(MIN_BOOT_RETRY, wait)):
                    await self._boot_now.wait()
            except TimeoutError:
                pass

    async def _accepted(self, interval: float) -> None:
        if interval > 0:
            self.heartbeat_interval = interval
            self.store_setting("HeartbeatInterval", f"{interval:g}")
        self.restart_heartbeat()
        if not self._announced:
            self._announced = True
            await self.announce_status()
        self.sim.mark_announced()

    # ------------------------------------------------------------ timers

    def restart_heartbeat(self) -> None:
        """(Re)start the heartbeat timer at the current interval."""
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        self._heartbeat_task = self.spawn(self._heartbeat_loop(), "heartbeat")

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.heartbeat_interval))
            try:
                await self.heartbeat()
            except CALL_FAILURES as exc:
                LOGGER.warning("%s: Heartbeat failed: %s", self.id, exc)

    def start_meter_loop(self, evse: EvseState) -> None:
        """Start periodic samples for a transaction (no-op if the interval is 0)."""
        self.stop_meter_loop(evse)
        if self.meter_interval() > 0:
            self._meter_tasks[evse.evse_id] = self.spawn(
                self._meter_loop(evse), f"meter-{evse.evse_id}"
            )

    def stop_meter_loop(self, evse: EvseState) -> None:
        """Stop periodic samples of an EVSE."""
        task = self._meter_tasks.pop(evse.evse_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def restart_meter_loops(self) -> None:
        """Apply a changed sample interval to running transactions."""
        for evse in self.sim.evses.values():
            if evse.in_transaction:
                self.start_meter_loop(evse)

    async def _meter_loop(self, evse: EvseState) -> None:
        while evse.in_transaction:
            await asyncio.sleep(self.meter_interval())
            try:
                await self.send_periodic(evse)
            except CALL_FAILURES as exc:
                LOGGER.warning("%s: meter values failed: %s", self.id, exc)

    # ----------------------------------------------------------- physics

    def refresh(self, evse: EvseState) -> bool:
        """Integrate the meter, re-apply the offered current; True if state changed."""
        evse.advance(time.monotonic())
        changed = evse.apply_offer(self.sim.offer_for(evse))
        if evse.in_transaction:
            evse.status = {
                "Charging": EvseStatus.CHARGING,
                "SuspendedEV": EvseStatus.SUSPENDED_EV,
                "SuspendedEVSE": EvseStatus.SUSPENDED_EVSE,
            }.get(evse.charging_state.value, EvseStatus.PREPARING)
        return changed

    def refresh_all(self) -> None:
        """Limits changed: let every car follow them immediately."""
        for evse in self.sim.evses.values():
            self.refresh(evse)

    # ---------------------------------------------------------- profiles

    def try_install_profile(
        self, data: Mapping[str, Any], evse_id: int, *, v2x: bool
    ) -> Verdict:
        """SetChargingProfile: parse, check the charger's rules, store."""
        try:
            profile = parse_profile(data)
        except (KeyError, ValueError, TypeError) as exc:
            return Verdict(False, f"unreadable profile: {exc}")
        evse = self.sim.evses.get(evse_id)
        tx_id = (
            None if evse is None or evse.transaction_id is None else evse.transaction_id
        )
        verdict = self.sim.profiles.check(
            profile, evse_id, None if tx_id is None else str(tx_id), v2x=v2x
        )
        if verdict.accepted:
            self.install_profile(profile, evse_id)
        else:
            LOGGER.info("%s: profile rejected: %s", self.id, verdict.reason)
        return verdict

    def install_profile(self, profile: Profile, evse_id: int) -> None:
        """Store a profile (already checked) and follow it."""
        self.sim.profiles.install(profile, evse_id)
        self.profiles_changed()

    def profiles_changed(self) -> None:
        """Let power follow the limits after an install or clear."""
        self.refresh_all()

    def composite(
        self, evse_id: int, duration: int, unit: str | None
    ) -> CompositeSchedule | None:
        """GetCompositeSchedule; None if the EVSE or unit is not supported."""
        rate_unit = unit or self.quirks.rate_units[0]
        if rate_unit not in self.quirks.rate_units:
            return None
        if evse_id != 0 and evse_id not in self.sim.evses:
            return None
        return composite_schedule(
            self.sim.profiles.installed,
            self.sim.situation(evse_id),
            datetime.now(UTC),
            duration,
            RateUnit(rate_unit),
            self.sim.electrical,
        )
