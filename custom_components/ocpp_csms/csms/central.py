"""The central system: which chargers are accepted, who is connected.

The integration implements ``CsmsListener`` and owns the list of accepted
chargers (it persists them); the core decides boots with that list and tells
the listener what happened. Nothing here knows about Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping, Sequence
import logging
from typing import Any, Protocol

from .capabilities import read_capabilities, read_resumption_timeout
from .central_config import CentralConfig
from .charger import ChargerConnection
from .commands import ChargerCommands
from .const import OcppVersion
from .deviations import ChargerTolerance, DeviationLog
from .errors import CallFailedError, ConnectionLostError
from .events import TrackerListener
from .model import AuthorizationStatus, BootInfo, RegistrationStatus
from .session import FrameConnection
from .tolerance import Deviation
from .tracker import DEFAULT_RESUMPTION_WINDOW_S, ChargerTracker

_LOGGER = logging.getLogger(__name__)

CLOSE_REPLACED = 1000
CLOSE_FORGOTTEN = 1000


class CsmsListener(TrackerListener, Protocol):
    """Callbacks from the core to the integration (all on the event loop).

    Besides these, ``evse_changed`` and ``charger_event`` (from
    TrackerListener) report state changes and session/tag events.
    """

    def charger_connected(self, charger_id: str, version: OcppVersion) -> None:
        """Handle a charger opening a connection (accepted or not)."""

    def charger_disconnected(self, charger_id: str) -> None:
        """Handle the end of a charger's current connection."""

    def charger_booted(
        self,
        charger_id: str,
        version: OcppVersion,
        info: BootInfo,
        status: RegistrationStatus,
    ) -> None:
        """Handle a BootNotification that was answered with ``status``."""

    def charger_auth_failed(self, charger_id: str, reason: str) -> None:
        """Handle a refused connection attempt (wrong password, certificate)."""

    def charger_authenticated(self, charger_id: str, password: str | None) -> None:
        """Handle a successful authentication (password None: certificate)."""

    def charger_resumed(self, charger_id: str) -> None:
        """Handle an accepted charger that reconnected without booting."""

    def charger_deviated(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        """Handle a frame processed although it broke its schema."""


class CentralSystem:
    """Accepted chargers, live connections and the onboarding decisions."""

    def __init__(
        self,
        listener: CsmsListener,
        config: CentralConfig,
        accepted: Iterable[str] = (),
        restored: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        """Start with the accepted chargers and their persisted state."""
        self.config = config
        self._listener = listener
        self._accepted: set[str] = set(accepted)
        self._trackers: dict[str, ChargerTracker] = {}
        self._deviation_logs: dict[str, DeviationLog] = {}
        # Valid Basic-auth passwords per charger (current first, then the one
        # being rotated out), kept up to date by the integration.
        self.credentials: dict[str, tuple[str, ...]] = {}
        for charger_id, data in (restored or {}).items():
            self.tracker(charger_id).restore(data)
        self._connections: dict[str, ChargerConnection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def is_accepted(self, charger_id: str) -> bool:
        """Return True when the charger may talk to us."""
        return charger_id in self._accepted and charger_id not in self.config.rejected

    def tracker(self, charger_id: str) -> ChargerTracker:
        """Return the charger's neutral state (kept across connections)."""
        tracker = self._trackers.get(charger_id)
        if tracker is None:
            tracker = self._trackers[charger_id] = ChargerTracker(
                charger_id, self._listener
            )
        return tracker

    def deviation_log(self, charger_id: str) -> DeviationLog:
        """Return the charger's schema deviations (kept across connections)."""
        log = self._deviation_logs.get(charger_id)
        if log is None:
            log = self._deviation_logs[charger_id] = DeviationLog(charger_id)
        return log

    def tolerance(self, charger_id: str) -> ChargerTolerance:
        """Return the validation policy a charger's session follows."""
        return ChargerTolerance(charger_id, self)

    @property
    def strict_validation(self) -> bool:
        """Return True when every schema violation is refused."""
        return self.config.strict_validation

    def deviated(
        self, charger_id: str, action: str, deviations: Sequence[Deviation]
    ) -> None:
        """Count and log a tolerated frame's deviations; tell the integration."""
        self.deviation_log(charger_id).record(action, deviations)
        self._listener.charger_deviated(charger_id, action, deviations)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Return the persistent state of every accepted charger."""
        return {
            charger_id: tracker.snapshot()
            for charger_id, tracker in self._trackers.items()
            if charger_id in self._accepted
        }

    def passwords(self, charger_id: str) -> tuple[str, ...]:
        """Return the passwords an accepted charger may use."""
        if charger_id not in self._accepted:
            return ()
        return self.credentials.get(charger_id, ())

    def auth_failed(self, charger_id: str, reason: str) -> None:
        """Report a refused connection attempt."""
        self._listener.charger_auth_failed(charger_id, reason)

    def authenticated(self, charger_id: str, password: str | None) -> None:
        """Report a successful authentication."""
        self._listener.charger_authenticated(charger_id, password)

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """Answer an id tag under the configured policy."""
        if self.config.authorize_all or id_tag in self.config.allowed_tags:
            return AuthorizationStatus.ACCEPTED
        return AuthorizationStatus.INVALID

    def commands(self, charger_id: str) -> ChargerCommands:
        """Return the request API of a connected charger."""
        conn = self._connections.get(charger_id)
        if conn is None:
            raise ConnectionLostError(f"{charger_id} is not connected")
        return ChargerCommands(conn.session)

    def connection(self, charger_id: str) -> ChargerConnection | None:
        """Return the charger's live connection, if any."""
        return self._connections.get(charger_id)

    @property
    def connected_ids(self) -> list[str]:
        """Return the ids of all connected chargers."""
        return list(self._connections)

    def decide_boot(
        self, charger_id: str, version: OcppVersion, info: BootInfo
    ) -> RegistrationStatus:
        """Accept known chargers; others wait (or are accepted automatically)."""
        if charger_id in self.config.rejected:
            self._listener.charger_booted(
                charger_id, version, info, RegistrationStatus.REJECTED
            )
            return RegistrationStatus.REJECTED
        if charger_id not in self._accepted and self.config.auto_accept:
            _LOGGER.info("Accepting new charger %s automatically", charger_id)
            self._accepted.add(charger_id)
        status = (
            RegistrationStatus.ACCEPTED
            if charger_id in self._accepted
            else RegistrationStatus.PENDING
        )
        self._listener.charger_booted(charger_id, version, info, status)
        return status

    def charger_accepted_boot(self, conn: ChargerConnection) -> None:
        """Learn what an accepted charger supports, restore its availability."""
        self._spawn(self._after_boot(conn), f"after boot {conn.charger_id}")

    async def _after_boot(self, conn: ChargerConnection) -> None:
        """Read what the charger supports; put back what a reboot may lose."""
        capabilities = await read_capabilities(conn.session)
        conn.tracker.state.capabilities = capabilities
        _LOGGER.debug("%s smart charging: %s", conn.charger_id, capabilities)
        if conn.version is OcppVersion.V21:
            timeout = await read_resumption_timeout(conn.session)
            if timeout is not None:
                # Never give up before the charger would resume it.
                conn.tracker.resumption_window_s = max(
                    DEFAULT_RESUMPTION_WINDOW_S, float(timeout)
                )
        await self._restore_availability(conn)

    async def _restore_availability(self, conn: ChargerConnection) -> None:
        """Make EVSEs the user switched off inoperative again after a boot."""
        commands = ChargerCommands(conn.session)
        for evse_id in sorted(conn.tracker.inoperative):
            try:
                await commands.set_availability(evse_id, operative=False)
            except CallFailedError as err:
                _LOGGER.warning(
                    "%s: could not make EVSE %s inoperative again after its boot (%s)",
                    conn.charger_id,
                    evse_id,
                    err,
                )

    def charger_resumed(self, conn: ChargerConnection) -> None:
        """Report a reconnect without a boot (its first call is not a boot)."""
        if self.is_accepted(conn.charger_id):
            self._listener.charger_resumed(conn.charger_id)

    def accept(self, charger_id: str) -> None:
        """Accept a charger; if it waits connected, ask it to boot again now."""
        if charger_id in self._accepted:
            return
        self._accepted.add(charger_id)
        conn = self._connections.get(charger_id)
        if conn is not None and conn.registration is not RegistrationStatus.ACCEPTED:
            self._spawn(self._trigger_boot(conn), f"trigger boot {charger_id}")

    async def forget(self, charger_id: str) -> None:
        """Forget a charger; a live connection is closed so it boots as new."""
        self._accepted.discard(charger_id)
        self._deviation_logs.pop(charger_id, None)
        if (tracker := self._trackers.pop(charger_id, None)) is not None:
            tracker.close()
        conn = self._connections.get(charger_id)
        if conn is not None:
            await conn.session.close(CLOSE_FORGOTTEN, "Charger removed")

    async def serve(
        self, charger_id: str, version: OcppVersion, connection: FrameConnection
    ) -> None:
        """Run one charger connection until it closes."""
        conn = ChargerConnection(charger_id, version, connection, self)
        previous = self._connections.get(charger_id)
        self._connections[charger_id] = conn
        if previous is not None:
            _LOGGER.info("%s reconnected; closing its previous connection", charger_id)
            # In the background: a dead socket may take the close timeout to go.
            self._spawn(
                previous.session.close(CLOSE_REPLACED, "Replaced by new connection"),
                f"close replaced {charger_id}",
            )
        _LOGGER.info("%s connected using %s", charger_id, version.value)
        self._listener.charger_connected(charger_id, version)
        try:
            await conn.session.run()
        finally:
            if self._connections.get(charger_id) is conn:
                del self._connections[charger_id]
                _LOGGER.info("%s disconnected", charger_id)
                self._listener.charger_disconnected(charger_id)

    async def shutdown(self) -> None:
        """Cancel background work (the server closes the connections)."""
        for tracker in self._trackers.values():
            tracker.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _trigger_boot(self, conn: ChargerConnection) -> None:
        try:
            result = await conn.session.call(
                "TriggerMessage", {"requestedMessage": "BootNotification"}
            )
        except CallFailedError as err:
            _LOGGER.warning(
                "%s: TriggerMessage(BootNotification) failed (%s); it will be "
                "accepted at its next boot",
                conn.charger_id,
                err,
            )
            return
        if result.get("status") != "Accepted":
            _LOGGER.warning(
                "%s refused TriggerMessage(BootNotification) (%s); it will be "
                "accepted at its next boot",
                conn.charger_id,
                result.get("status"),
            )

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


__all__ = ["CentralConfig", "CentralSystem", "CsmsListener"]
