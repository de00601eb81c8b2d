"""Integration actions: charger passwords (read once more, rotate)."""

from __future__ import annotations

from datetime import timedelta
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
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .charging.engine import (
    PROFILE_ID_BASE,
    LimitNotAppliedError,
    LimitNotEffectiveError,
)
from .const import CONF_PASSWORD, CONF_PREVIOUS_PASSWORD, DOMAIN
from .csms.charger import ChargerConnection
from .csms.commands import CommandRejectedError
from .csms.const import OcppVersion
from .csms.errors import CallFailedError, ConnectionLostError
from .csms.security import new_password
from .csms.validation import schema_error
from .errors import command_error, limit_error
from .runtime import OcppCsmsConfigEntry
from .subentries import charger_subentries

SERVICE_GET_CHARGER_PASSWORD = "get_charger_password"
SERVICE_ROTATE_CHARGER_PASSWORD = "rotate_charger_password"
SERVICE_SET_CHARGING_LIMIT = "set_charging_limit"
SERVICE_SET_CHARGING_PROFILE = "set_charging_profile"
SERVICE_CLEAR_CHARGING_PROFILE = "clear_charging_profile"
SERVICE_GET_COMPOSITE_SCHEDULE = "get_composite_schedule"

ATTR_EVSE_ID = "evse_id"
ATTR_AMPS = "amps"
ATTR_WATTS = "watts"
ATTR_DURATION = "duration"
ATTR_PROFILE = "profile"
ATTR_PROFILE_ID = "profile_id"

DEVICE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})
EVSE_SCHEMA = DEVICE_SCHEMA.extend(
    {vol.Optional(ATTR_EVSE_ID, default=1): vol.All(vol.Coerce(int), vol.Range(min=0))}
)
LIMIT_SCHEMA = vol.All(
    EVSE_SCHEMA.extend(
        {
            vol.Exclusive(ATTR_AMPS, "limit"): vol.All(
                vol.Coerce(float), vol.Range(min=0, max=1000)
            ),
            vol.Exclusive(ATTR_WATTS, "limit"): vol.All(
                vol.Coerce(float), vol.Range(min=0, max=1_000_000)
            ),
            vol.Optional(ATTR_DURATION): cv.positive_time_period,
        }
    ),
    cv.has_at_least_one_key(ATTR_AMPS, ATTR_WATTS),
)
PROFILE_SCHEMA = EVSE_SCHEMA.extend({vol.Required(ATTR_PROFILE): dict})
CLEAR_SCHEMA = EVSE_SCHEMA.extend({vol.Optional(ATTR_PROFILE_ID): vol.Coerce(int)})
COMPOSITE_SCHEMA = EVSE_SCHEMA.extend(
    {vol.Optional(ATTR_DURATION, default=timedelta(hours=1)): cv.positive_time_period}
)


def charger_of(hass: HomeAssistant, device_id: str) -> tuple[OcppCsmsConfigEntry, str]:
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


def connection_of(
    hass: HomeAssistant, device_id: str
) -> tuple[OcppCsmsConfigEntry, str, ChargerConnection]:
    """Return the hub, charger id and live connection behind a device."""
    entry, charger_id = charger_of(hass, device_id)
    conn = entry.runtime_data.central.connection(charger_id)
    if conn is None:
        raise command_error(charger_id, ConnectionLostError(charger_id))
    return entry, charger_id, conn


async def _get_password(call: ServiceCall) -> ServiceResponse:
    entry, charger_id = charger_of(call.hass, call.data[ATTR_DEVICE_ID])
    subentry = charger_subentries(entry)[charger_id]
    return {"charger_id": charger_id, "password": subentry.data[CONF_PASSWORD]}


async def _rotate_password(call: ServiceCall) -> ServiceResponse:
    """Send the charger a new password; the old one stays valid until it is used."""
    hass = call.hass
    entry, charger_id = charger_of(hass, call.data[ATTR_DEVICE_ID])
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


async def _set_limit(call: ServiceCall) -> ServiceResponse:
    """Limit an EVSE through the profile engine; report what was applied."""
    entry, charger_id = charger_of(call.hass, call.data[ATTR_DEVICE_ID])
    duration: timedelta | None = call.data.get(ATTR_DURATION)
    try:
        applied = await entry.runtime_data.limiter(charger_id).set_limit(
            call.data[ATTR_EVSE_ID],
            now=dt_util.utcnow(),
            amps=call.data.get(ATTR_AMPS),
            watts=call.data.get(ATTR_WATTS),
            duration_s=int(duration.total_seconds()) if duration else None,
        )
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    except (LimitNotAppliedError, LimitNotEffectiveError) as err:
        entry.runtime_data.limit_result(call.hass, charger_id, ok=False)
        raise limit_error(charger_id, err) from err
    entry.runtime_data.limit_result(call.hass, charger_id, ok=True)
    return {
        "limit": applied.intended,
        "unit": applied.form.unit.value,
        "purpose": applied.form.purpose.value,
        "verified": applied.verified,
    }


async def _set_profile(call: ServiceCall) -> None:
    """Send a profile written by the user, checked against the official schema."""
    _, charger_id, conn = connection_of(call.hass, call.data[ATTR_DEVICE_ID])
    version = conn.version
    key = "csChargingProfiles" if version is OcppVersion.V16 else "chargingProfile"
    id_key = "connectorId" if version is OcppVersion.V16 else "evseId"
    payload = {id_key: call.data[ATTR_EVSE_ID], key: call.data[ATTR_PROFILE]}
    if error := schema_error(version, "SetChargingProfile", payload, request=True):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_profile",
            translation_placeholders={
                "version": version.schema_version,
                "error": error.description,
            },
        )
    try:
        result = await conn.session.call("SetChargingProfile", payload)
        if result.get("status") != "Accepted":
            raise CommandRejectedError("SetChargingProfile", str(result.get("status")))
    except CallFailedError as err:
        raise command_error(charger_id, err) from err


async def _clear_profile(call: ServiceCall) -> None:
    """Clear one profile by id, or every limit profile of ours on the EVSE."""
    entry, charger_id = charger_of(call.hass, call.data[ATTR_DEVICE_ID])
    evse_id = call.data[ATTR_EVSE_ID]
    ids = (
        [call.data[ATTR_PROFILE_ID]]
        if ATTR_PROFILE_ID in call.data
        else [base + evse_id for base in PROFILE_ID_BASE.values()]
    )
    try:
        commands = entry.runtime_data.central.commands(charger_id)
        for profile_id in ids:
            await commands.clear_profile(profile_id)
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    entry.runtime_data.limiter(charger_id).learned.pop(evse_id, None)


async def _get_composite(call: ServiceCall) -> ServiceResponse:
    """Return the schedule the charger will apply."""
    entry, charger_id = charger_of(call.hass, call.data[ATTR_DEVICE_ID])
    duration: timedelta = call.data[ATTR_DURATION]
    try:
        schedule = await entry.runtime_data.central.commands(
            charger_id
        ).composite_schedule(call.data[ATTR_EVSE_ID], int(duration.total_seconds()))
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    if schedule is None:
        return {"start": None, "unit": None, "periods": []}
    return {
        "start": schedule.start.isoformat() if schedule.start else None,
        "unit": schedule.unit.value,
        "periods": [
            {
                "start_period": period.start_s,
                "limit": period.limit,
                "phases": period.phases,
            }
            for period in schedule.periods
        ],
    }


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
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_CHARGING_LIMIT,
        _set_limit,
        schema=LIMIT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SET_CHARGING_PROFILE, _set_profile, schema=PROFILE_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_CLEAR_CHARGING_PROFILE, _clear_profile, schema=CLEAR_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_COMPOSITE_SCHEDULE,
        _get_composite,
        schema=COMPOSITE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
