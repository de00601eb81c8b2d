"""Turn core failures into translated Home Assistant errors for the user."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .charging.engine import LimitNotAppliedError, LimitNotEffectiveError
from .const import DOMAIN
from .csms.commands import CommandRejectedError
from .csms.errors import (
    CallErrorReceivedError,
    CallFailedError,
    CallTimeoutError,
    ConnectionLostError,
)


def limit_error(
    charger_id: str, err: LimitNotAppliedError | LimitNotEffectiveError
) -> HomeAssistantError:
    """Return the translated error for a limit the charger does not apply."""
    if isinstance(err, LimitNotAppliedError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="limit_not_applied",
            translation_placeholders={"charger_id": charger_id, "attempts": str(err)},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="limit_not_effective",
        translation_placeholders={
            "charger_id": charger_id,
            "intended": f"{err.intended:g} {err.unit.value}",
            "effective": "nothing"
            if err.effective is None
            else f"{err.effective:g} {err.unit.value}",
        },
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
