"""OCPP error kinds and their per-version spelling on the wire."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .const import OcppVersion


class ErrorKind(Enum):
    """What went wrong, independent of how a version spells it."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL = "InternalError"
    PROTOCOL = "ProtocolError"
    SECURITY = "SecurityError"
    FORMAT = "FormatViolation"
    PROPERTY_CONSTRAINT = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT = "TypeConstraintViolation"
    GENERIC = "GenericError"
    RPC_FRAMEWORK = "RpcFrameworkError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"

    def code(self, version: OcppVersion) -> str:
        """Return the error code string the given version uses."""
        if version is OcppVersion.V16:
            return _V16_CODES.get(self, self.value)
        if version is OcppVersion.V201 and self is ErrorKind.OCCURRENCE_CONSTRAINT:
            # 2.0.1 kept 1.6's misspelling; 2.1 fixed it.
            return "OccurenceConstraintViolation"
        return self.value


# 1.6 spells two codes differently and lacks the 2.x framework codes.
_V16_CODES: dict[ErrorKind, str] = {
    ErrorKind.FORMAT: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurenceConstraintViolation",
    ErrorKind.RPC_FRAMEWORK: "FormationViolation",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
}


class OcppCallError(Exception):
    """Raised by a handler to answer a CALL with a CALLERROR."""

    def __init__(
        self,
        kind: ErrorKind,
        description: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Store the error kind, a human description and optional details."""
        super().__init__(description)
        self.kind = kind
        self.description = description
        self.details: dict[str, Any] = details or {}


class CallFailedError(Exception):
    """A CSMS-initiated call did not produce a valid result."""


class CallErrorReceivedError(CallFailedError):
    """The charger answered our call with a CALLERROR."""

    def __init__(self, action: str, code: str, description: str) -> None:
        """Keep the charger's error code and description."""
        super().__init__(f"{action} answered {code}: {description}")
        self.action = action
        self.code = code
        self.description = description


class CallTimeoutError(CallFailedError):
    """The charger did not answer our call in time."""


class ConnectionLostError(CallFailedError):
    """The connection closed while our call was outstanding."""


class InvalidResponseError(CallFailedError):
    """The charger's result did not pass the schema for the action."""
