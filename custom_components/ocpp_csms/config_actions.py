"""Actions reading and changing a charger's configuration (1.6 keys, 2.x variables).

2.x variables are named ``Component.Variable``, with ``:Instance`` where the
variable has instances (``DeviceDataCtrlr.ItemsPerMessage:GetReport``) and
an optional ``evse_id`` for EVSE-tier components. A change the charger only
applies after a reboot raises a repair issue that offers the reboot.
"""

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
from homeassistant.helpers import config_validation as cv, issue_registry as ir
import voluptuous as vol

from .actions import DEVICE_SCHEMA, connection_of
from .const import DOMAIN
from .csms.configuration import (
    VariableRef,
    full_report_v2,
    get_v2,
    get_v16,
    is_v16,
    set_v2,
    set_v16,
)
from .csms.errors import CallFailedError
from .errors import command_error

SERVICE_GET_CONFIGURATION = "get_configuration"
SERVICE_SET_CONFIGURATION = "set_configuration"
ATTR_KEYS = "keys"
ATTR_SETTINGS = "settings"
ATTR_EVSE_ID = "evse_id"
REBOOT_REQUIRED = "RebootRequired"
# 2.x answers for an address the charger does not have.
_UNKNOWN = frozenset(
    {"UnknownComponent", "UnknownVariable", "NotSupportedAttributeType"}
)

GET_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Optional(ATTR_KEYS, default=list): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_EVSE_ID): vol.All(vol.Coerce(int), vol.Range(min=1)),
    }
)
SET_SCHEMA = DEVICE_SCHEMA.extend(
    {
        vol.Required(ATTR_SETTINGS): vol.All(
            {cv.string: vol.Coerce(str)}, vol.Length(min=1)
        ),
        vol.Optional(ATTR_EVSE_ID): vol.All(vol.Coerce(int), vol.Range(min=1)),
    }
)


def reboot_issue_id(entry_id: str, charger_id: str) -> str:
    """Return the id of the "reboot to apply" repair issue of a charger."""
    return f"reboot_required_{entry_id}_{charger_id}"


def _refs(names: list[str], evse_id: int | None) -> list[VariableRef]:
    refs = []
    for name in names:
        address, _, instance = name.partition(":")
        component, dot, variable = address.partition(".")
        if not dot or not component or not variable:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_variable_name",
                translation_placeholders={"name": name},
            )
        refs.append(
            VariableRef(
                component=component,
                variable=variable,
                instance=instance or None,
                evse_id=evse_id,
            )
        )
    return refs


def _refuse(charger_id: str, translation_key: str, names: list[str]) -> None:
    """Refuse the whole request when any name is not settable."""
    if names:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={
                "charger_id": charger_id,
                "names": ", ".join(names),
            },
        )


async def _get_configuration(call: ServiceCall) -> ServiceResponse:
    """Return keys (1.6), variables or the whole device model (2.x)."""
    _, charger_id, conn = connection_of(call.hass, call.data[ATTR_DEVICE_ID])
    names: list[str] = call.data[ATTR_KEYS]
    try:
        if is_v16(conn.session):
            return await get_v16(conn.session, names)
        if names:
            refs = _refs(names, call.data.get(ATTR_EVSE_ID))
            variables = await get_v2(conn.session, refs)
            return _response("variables", variables)
        report = await full_report_v2(conn.session, conn.reports)
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    conn.tracker.last_report = report
    return _response("variables", report)


async def _set_configuration(call: ServiceCall) -> ServiceResponse:
    """Change settings; refuse unknown or read-only ones before changing any."""
    entry, charger_id, conn = connection_of(call.hass, call.data[ATTR_DEVICE_ID])
    entry_id = entry.entry_id
    settings: dict[str, str] = call.data[ATTR_SETTINGS]
    session = conn.session
    try:
        if is_v16(session):
            current = await get_v16(session, list(settings))
            _refuse(charger_id, "unknown_configuration", current["unknown_keys"])
            _refuse(
                charger_id,
                "read_only_configuration",
                [item["key"] for item in current["configuration"] if item["readonly"]],
            )
            results = await set_v16(session, settings)
        else:
            refs = _refs(list(settings), call.data.get(ATTR_EVSE_ID))
            current_v2 = await get_v2(session, refs)
            _refuse(
                charger_id,
                "unknown_configuration",
                [
                    name
                    for name, item in zip(settings, current_v2, strict=False)
                    if item["status"] in _UNKNOWN
                ],
            )
            results = await set_v2(
                session, list(zip(refs, settings.values(), strict=True))
            )
    except CallFailedError as err:
        raise command_error(charger_id, err) from err
    if any(item["status"] == REBOOT_REQUIRED for item in results):
        ir.async_create_issue(
            call.hass,
            DOMAIN,
            reboot_issue_id(entry_id, charger_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="reboot_required",
            translation_placeholders={"charger_id": charger_id},
            data={"entry_id": entry_id, "charger_id": charger_id},
        )
    return _response("results", results)


def _response(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: items}


@callback
def async_setup_config_actions(hass: HomeAssistant) -> None:
    """Register the configuration actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CONFIGURATION,
        _get_configuration,
        schema=GET_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_CONFIGURATION,
        _set_configuration,
        schema=SET_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
