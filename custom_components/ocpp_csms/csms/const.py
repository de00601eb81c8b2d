"""Protocol constants shared by the core."""

from __future__ import annotations

from enum import StrEnum


class OcppVersion(StrEnum):
    """OCPP-J versions, valued by their WebSocket subprotocol name."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"
    V21 = "ocpp2.1"

    @property
    def schema_version(self) -> str:
        """Return the version string used to pick JSON schemas ("2.0.1")."""
        return self.value.removeprefix("ocpp")

    @property
    def is_v2(self) -> bool:
        """Return True for the 2.x family (2.0.1 and 2.1 share behaviour)."""
        return self is not OcppVersion.V16


# websockets picks the first server-listed subprotocol the client offers, so
# the newest version comes first.
SUBPROTOCOLS: tuple[OcppVersion, ...] = (
    OcppVersion.V21,
    OcppVersion.V201,
    OcppVersion.V16,
)

MAX_MESSAGE_ID_LENGTH = 36
# An unknown charger retries BootNotification after this many seconds; once a
# user accepts it we trigger a boot at once, so this only bounds the wait when
# a trigger is lost.
PENDING_BOOT_INTERVAL = 60
DEFAULT_HEARTBEAT_INTERVAL = 300
DEFAULT_CALL_TIMEOUT = 30.0
