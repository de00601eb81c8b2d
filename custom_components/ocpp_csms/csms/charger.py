"""One connected charger: its session, its adapter and the acceptance gate."""

from __future__ import annotations

from typing import Any, Protocol

from .central_config import CentralConfig
from .const import OcppVersion
from .deviations import ChargerTolerance
from .errors import ErrorKind, OcppCallError
from .model import AuthorizationStatus, BootInfo, RegistrationStatus
from .reports import ReportCollector
from .session import FrameConnection, Session
from .tracker import ChargerTracker
from .v16 import V16Adapter
from .v201 import V201Adapter

# Before acceptance only these may be processed (2.0.1 B02.FR.02/B03).
_ALLOWED_BEFORE_ACCEPTANCE = frozenset({"BootNotification"})


class ChargerHost(Protocol):
    """What a connection asks of the central system (``CentralSystem``)."""

    @property
    def config(self) -> CentralConfig:
        """Return the settings in force."""

    def tracker(self, charger_id: str) -> ChargerTracker:
        """Return the charger's neutral state."""

    def tolerance(self, charger_id: str) -> ChargerTolerance:
        """Return the validation policy of the charger's session."""

    def is_accepted(self, charger_id: str) -> bool:
        """Return True when the charger may talk to us."""

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """Answer an id tag."""

    def decide_boot(
        self, charger_id: str, version: OcppVersion, info: BootInfo
    ) -> RegistrationStatus:
        """Decide a BootNotification."""

    def charger_accepted_boot(self, conn: ChargerConnection) -> None:
        """Handle an accepted boot of this connection."""

    def charger_resumed(self, conn: ChargerConnection) -> None:
        """Handle a reconnect without a boot."""


class ChargerConnection:
    """The lifetime of one WebSocket connection of one charger."""

    def __init__(
        self,
        charger_id: str,
        version: OcppVersion,
        connection: FrameConnection,
        central: ChargerHost,
    ) -> None:
        """Create the session and pick the adapter for the negotiated version."""
        self.charger_id = charger_id
        self.version = version
        self.boot_info: BootInfo | None = None
        self.registration: RegistrationStatus | None = None
        self._first_call_seen = False
        self.reports = ReportCollector()
        self._central = central
        self.tracker: ChargerTracker = central.tracker(charger_id)
        adapter = V16Adapter(self) if version is OcppVersion.V16 else V201Adapter(self)
        self._handlers = adapter.handlers
        self.session = Session(
            charger_id,
            version,
            connection,
            self._handle,
            call_timeout=central.config.call_timeout,
            tolerance=central.tolerance(charger_id),
        )

    @property
    def heartbeat_interval(self) -> int:
        """Return the configured heartbeat interval."""
        return self._central.config.heartbeat_interval

    def authorize(self, id_tag: str) -> AuthorizationStatus:
        """Answer an id tag under the central system's policy."""
        return self._central.authorize(id_tag)

    def boot(self, info: BootInfo) -> tuple[RegistrationStatus, int]:
        """Record the boot and let the central system decide."""
        self.boot_info = info
        self.registration = self._central.decide_boot(
            self.charger_id, self.version, info
        )
        if self.registration is RegistrationStatus.ACCEPTED:
            self.tracker.state.boot = info
            if info.reason != "Triggered":
                # A real reboot: the charger still owns what ran before it.
                self.tracker.interrupt_open_transactions()
            self._central.charger_accepted_boot(self)
        config = self._central.config
        interval = {
            RegistrationStatus.ACCEPTED: config.heartbeat_interval,
            RegistrationStatus.PENDING: config.pending_boot_interval,
            RegistrationStatus.REJECTED: config.rejected_boot_interval,
        }[self.registration]
        return self.registration, interval

    async def _handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self._first_call_seen:
            self._first_call_seen = True
            if action != "BootNotification":
                # Reconnected without rebooting: what we set may still hold.
                self._central.charger_resumed(self)
        if action not in _ALLOWED_BEFORE_ACCEPTANCE and not (
            self._central.is_accepted(self.charger_id)
        ):
            raise OcppCallError(
                ErrorKind.SECURITY,
                f"{self.charger_id} is not accepted; only BootNotification is allowed",
            )
        handler = self._handlers.get(action)
        if handler is None:
            raise OcppCallError(
                ErrorKind.NOT_SUPPORTED, f"{action} is not supported by this CSMS"
            )
        return await handler(payload)
