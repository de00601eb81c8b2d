"""Diagnostics for the hub entry and for one charger device."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN
from .csms.configuration import readable_model
from .runtime import OcppCsmsConfigEntry
from .subentries import charger_subentries

TO_REDACT = {"serial_number", "password", "authorization_key", "id_tag"}


def _charger(entry: OcppCsmsConfigEntry, charger_id: str) -> dict[str, Any]:
    central = entry.runtime_data.central
    conn = central.connection(charger_id)
    subentry = charger_subentries(entry).get(charger_id)
    tracker = central.tracker(charger_id)
    return async_redact_data(
        {
            "charger_id": charger_id,
            "accepted": central.is_accepted(charger_id),
            "stored": dict(subentry.data) if subentry else None,
            "station_status": tracker.state.station_status,
            "smart_charging": asdict(tracker.state.capabilities),
            # Schema deviations tolerated, per kind (GUIDE §5 item 15).
            "schema_deviations": central.deviation_log(charger_id).as_dict(),
            "evses": {
                str(evse_id): asdict(evse)
                for evse_id, evse in sorted(tracker.state.evses.items())
            },
            "charging_modes": _modes(entry, charger_id),
            # The last full report (get_configuration), tier → component → variable.
            "device_model": None
            if tracker.last_report is None
            else readable_model(tracker.last_report),
            # Message keys embed id tags; they are de-duplication detail only.
            "persisted": {
                key: value
                for key, value in tracker.snapshot().items()
                if key != "message_keys"
            },
            "connection": None
            if conn is None
            else {
                "ocpp_version": conn.version.value,
                "registration": conn.registration,
                "boot": None
                if conn.boot_info is None
                else {
                    "vendor": conn.boot_info.vendor,
                    "model": conn.boot_info.model,
                    "serial_number": conn.boot_info.serial_number,
                    "firmware_version": conn.boot_info.firmware_version,
                    "reason": conn.boot_info.reason,
                },
            },
        },
        TO_REDACT,
    )


def _modes(entry: OcppCsmsConfigEntry, charger_id: str) -> dict[str, Any]:
    """Return each EVSE's mode settings, plan and last surplus decision."""
    smart = entry.runtime_data.smart
    if smart is None:
        return {}
    return {
        str(evse_id): {
            "settings": state.settings.as_dict(),
            "plan": asdict(state.view),
            "sent_steps": None
            if state.sent_steps is None
            else [asdict(step) for step in state.sent_steps],
            "override_until": state.override_until,
            "session_cost": state.session_cost,
            "capacity_kwh": state.capacity_kwh,
        }
        for (charger, evse_id), state in sorted(smart.evses.items())
        if charger == charger_id
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: OcppCsmsConfigEntry
) -> dict[str, Any]:
    """Return the server settings and every known or connected charger."""
    central = entry.runtime_data.central
    ids = sorted(set(charger_subentries(entry)) | set(central.connected_ids))
    return {
        "data": dict(entry.data),
        "options": dict(entry.options),
        "listening_port": entry.runtime_data.server.port,
        "chargers": [_charger(entry, charger_id) for charger_id in ids],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: OcppCsmsConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return what we know about the charger behind a device."""
    charger_id = next(
        identifier for domain, identifier in device.identifiers if domain == DOMAIN
    )
    return _charger(entry, charger_id)
