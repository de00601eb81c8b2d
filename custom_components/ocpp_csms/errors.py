"""Turn core failures into translated Home Assistant errors for the user."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .csms.commands import CommandRejectedError
from .csms.errors import (
    CallErrorReceivedError,
    CallFailedError,
    CallTimeoutError,
    ConnectionLostError,
)


def command_error(charger_id: str, err: CallFailedError) -> HomeAssistantError:
    """Return the translated error for a failed request to a charger."""
    placeholders = {"charger_id": charger_id}
    match err:
        case CommandRejectedError():
            key = "command_rejected"
            placeholders |= {"action": err.action, "status": err.status}
        case CallErrorReceivedError():
            key = "command_error"
            placeholders |= {"action": err.action, "code": err.code}
        case CallTimeoutError():
            key = "charger_timeout"
        case ConnectionLostError():
            key = "charger_offline"
        case _:
            key = "command_failed"
            placeholders |= {"error": str(err)}
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )
