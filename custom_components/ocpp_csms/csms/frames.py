"""OCPP-J frame parsing and encoding (RPC layer, no payload semantics)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import json
from typing import Any

from .const import MAX_MESSAGE_ID_LENGTH, OcppVersion
from .errors import ErrorKind

UNREADABLE_ID = "-1"


class MessageType(IntEnum):
    """OCPP-J message type ids (5 and 6 exist from OCPP 2.1 on)."""

    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4
    CALLRESULTERROR = 5
    SEND = 6


@dataclass(frozen=True, slots=True)
class Call:
    """A request; SEND (2.1) is a request that expects no answer."""

    message_id: str
    action: str
    payload: dict[str, Any]
    expects_reply: bool = True


@dataclass(frozen=True, slots=True)
class CallResult:
    """A successful answer to one of our calls."""

    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    """An error answer (CALLERROR, or 2.1 CALLRESULTERROR) to one of our calls."""

    message_id: str
    code: str
    description: str
    details: dict[str, Any]


type Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that cannot be processed; answered with a CALLERROR."""

    def __init__(
        self,
        kind: ErrorKind,
        message_id: str,
        description: str,
        *,
        is_reply: bool = False,
    ) -> None:
        """Keep the error kind, the id to answer with, and if it was a reply.

        A broken CALLRESULT/CALLERROR is never answered (nobody waits for an
        answer to an answer); it only fails the call it belonged to.
        """
        super().__init__(description)
        self.kind = kind
        self.message_id = message_id
        self.description = description
        self.is_reply = is_reply


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID_LENGTH


def parse_frame(raw: str | bytes, version: OcppVersion) -> Frame:
    """Parse one WebSocket text frame, raising FrameError when it is malformed."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK, UNREADABLE_ID, "Frame is not valid JSON"
        ) from err
    if not isinstance(data, list) or len(data) < 2:
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK,
            UNREADABLE_ID,
            "Frame must be a JSON array [type, id, ...]",
        )
    message_type, message_id = data[0], data[1]
    if not _valid_id(message_id):
        raise FrameError(
            ErrorKind.RPC_FRAMEWORK,
            UNREADABLE_ID,
            f"Message id must be a string of 1-{MAX_MESSAGE_ID_LENGTH} characters",
        )
    if len(data) < 3:
        raise FrameError(ErrorKind.FORMAT, message_id, "Frame is missing elements")
    allowed = {MessageType.CALL, MessageType.CALLRESULT, MessageType.CALLERROR}
    if version is OcppVersion.V21:
        allowed |= {MessageType.CALLRESULTERROR, MessageType.SEND}
    if type(message_type) is not int or message_type not in allowed:
        raise FrameError(
            ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
            message_id,
            f"Message type {message_type!r} is not supported",
        )
    kind = MessageType(message_type)
    if kind in (MessageType.CALL, MessageType.SEND):
        return _parse_call(data, message_id, expects_reply=kind is MessageType.CALL)
    if kind is MessageType.CALLRESULT:
        if len(data) != 3 or not isinstance(data[2], dict):
            raise FrameError(
                ErrorKind.FORMAT,
                message_id,
                "CALLRESULT payload must be an object",
                is_reply=True,
            )
        return CallResult(message_id, data[2])
    return _parse_error(data, message_id)


def _parse_call(data: list[Any], message_id: str, *, expects_reply: bool) -> Call:
    if len(data) != 4:
        raise FrameError(
            ErrorKind.FORMAT, message_id, "CALL must be [2, id, action, payload]"
        )
    action, payload = data[2], data[3]
    if not isinstance(action, str) or not action:
        raise FrameError(ErrorKind.FORMAT, message_id, "Action must be a string")
    if not isinstance(payload, dict):
        raise FrameError(ErrorKind.FORMAT, message_id, "Payload must be an object")
    return Call(message_id, action, payload, expects_reply)


def _parse_error(data: list[Any], message_id: str) -> CallError:
    if len(data) != 5:
        raise FrameError(
            ErrorKind.FORMAT,
            message_id,
            "CALLERROR must be [4, id, code, description, details]",
            is_reply=True,
        )
    code, description, details = data[2], data[3], data[4]
    if not isinstance(code, str) or not isinstance(description, str):
        raise FrameError(
            ErrorKind.FORMAT, message_id, "Malformed CALLERROR", is_reply=True
        )
    return CallError(
        message_id, code, description, details if isinstance(details, dict) else {}
    )


def _dumps(frame: list[Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> str:
    """Encode a CALL frame."""
    return _dumps([MessageType.CALL, message_id, action, payload])


def encode_result(message_id: str, payload: dict[str, Any]) -> str:
    """Encode a CALLRESULT frame."""
    return _dumps([MessageType.CALLRESULT, message_id, payload])


def encode_error(
    message_id: str,
    code: str,
    description: str,
    details: dict[str, Any] | None = None,
) -> str:
    """Encode a CALLERROR frame."""
    return _dumps([MessageType.CALLERROR, message_id, code, description, details or {}])
