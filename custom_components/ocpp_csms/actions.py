"""Integration actions: charger passwords (read once more, rotate)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
import voluptuous as vol

from .const import CONF_PASSWORD, CONF_PREVIOUS_PASSWORD, DOMAIN
from .csms.errors import CallFailedError
from .csms.security import new_password
from .errors import command_error
from .runtime import OcppCsmsConfigEntry, charger_subentries

SERVICE_GET_CHARGER_PASSWORD = "get_charger_password"
SERVICE_ROTATE_CHARGER_PASSWORD = "rotate_charger_password"

DEVICE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})


def _charger_of(hass: HomeAssistant, device_id: str) -> tuple[OcppCsmsConfigEntry, str]:
    """Return the loaded hub entry and charger id behind a device."""
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        charger_ids = [
            ident for domain, ident in device.identifiers if domain == DOMAIN
        ]
        for entry_id in device.config_entries:
            entry = hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.domain != DOMAIN:
                continue
            for charger_id in charger_ids:
                if charger_id in charger_subentries(entry):
                    if entry.state is not ConfigEntryState.LOADED:
                        raise ServiceValidationError(
                            translation_domain=DOMAIN,
                            translation_key="hub_not_loaded",
                        )
                    return entry, charger_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_charger",
        translation_placeholders={"device_id": device_id},
    )


async def _get_password(call: ServiceCall) -> ServiceResponse:
    entry, charger_id = _charger_of(call.hass, call.data[ATTR_DEVICE_ID])
    subentry = charger_subentries(entry)[charger_id]
    return {"charger_id": charger_id, "password": subentry.data[CONF_PASSWORD]}


async def _rotate_password(call: ServiceCall) -> ServiceResponse:
    """Send the charger a new password; the old one stays valid until it is used."""
    hass = call.hass
    entry, charger_id = _charger_of(hass, call.data[ATTR_DEVICE_ID])
    password = new_password()
    try:
        await entry.runtime_data.central.commands(charger_id).set_password(password)
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    subentry = charger_subentries(entry)[charger_id]
    data: dict[str, Any] = dict(subentry.data)
    data[CONF_PREVIOUS_PASSWORD] = data[CONF_PASSWORD]
    data[CONF_PASSWORD] = password
    hass.config_entries.async_update_subentry(entry, subentry, data=data)
    return {"charger_id": charger_id, "password": password}


@callback
def async_setup_actions(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGER_PASSWORD,
        _get_password,
        schema=DEVICE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ROTATE_CHARGER_PASSWORD,
        _rotate_password,
        schema=DEVICE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
