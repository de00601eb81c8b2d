"""Actions for power users: TriggerMessage and DataTransfer, in every version."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .actions import DEVICE_SCHEMA, connection_of
from .const import DOMAIN
from .csms.commands import ChargerCommands
from .csms.errors import CallFailedError
from .csms.validation import request_enum, schema_error
from .errors import command_error

SERVICE_TRIGGER_MESSAGE = "trigger_message"
SERVICE_DATA_TRANSFER = "data_transfer"

ATTR_MESSAGE = "message"
ATTR_EVSE_ID = "evse_id"
ATTR_VENDOR_ID = "vendor_id"
ATTR_MESSAGE_ID = "message_id"
ATTR_DATA = "data"

TRIGGER_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_EVSE_ID): vol.All(vol.Coerce(int), vol.Range(min=0)),
    }
)
DATA_TRANSFER_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_VENDOR_ID): vol.All(cv.string, vol.Length(min=1, max=255)),
        vol.Optional(ATTR_MESSAGE_ID): vol.All(cv.string, vol.Length(max=50)),
        vol.Optional(ATTR_DATA): object,
    }
)


def _connected(call: ServiceCall) -> tuple[str, ChargerCommands]:
    _, charger_id, conn = connection_of(call.hass, call.data[ATTR_DEVICE_ID])
    return charger_id, ChargerCommands(conn.session)


async def _trigger_message(call: ServiceCall) -> ServiceResponse:
    """Ask the charger to send a message now; the answer is the charger's word."""
    charger_id, commands = _connected(call)
    version = commands.version
    message: str = call.data[ATTR_MESSAGE]
    payload = commands.trigger_request(message, call.data.get(ATTR_EVSE_ID))
    if schema_error(version, "TriggerMessage", payload, request=True):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_trigger",
            translation_placeholders={
                "message": message,
                "version": version.schema_version,
                "allowed": ", ".join(
                    request_enum(version, "TriggerMessage", "requestedMessage")
                ),
            },
        )
    try:
        status = await commands.trigger_message(message, call.data.get(ATTR_EVSE_ID))
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    return {"status": status}


async def _data_transfer(call: ServiceCall) -> ServiceResponse:
    """Send a vendor-specific message; return the charger's status and data."""
    charger_id, commands = _connected(call)
    try:
        result: dict[str, Any] = await commands.data_transfer(
            call.data[ATTR_VENDOR_ID],
            call.data.get(ATTR_MESSAGE_ID),
            call.data.get(ATTR_DATA),
        )
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    return {"status": result.get("status"), "data": result.get("data")}


@callback
def async_setup_raw_actions(hass: HomeAssistant) -> None:
    """Register the power-user actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRIGGER_MESSAGE,
        _trigger_message,
        schema=TRIGGER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DATA_TRANSFER,
        _data_transfer,
        schema=DATA_TRANSFER_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
