"""Helpers reading a hub entry's charger sub-entries and TLS files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant

from .const import (
    CONF_CAFILE,
    CONF_CERTFILE,
    CONF_CHARGER_ID,
    CONF_FIRMWARE_VERSION,
    CONF_KEYFILE,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_PASSWORD,
    CONF_PREVIOUS_PASSWORD,
    CONF_SERIAL_NUMBER,
    CONF_VENDOR,
    SUBENTRY_CHARGER,
)
from .csms.const import OcppVersion
from .csms.model import BootInfo
from .csms.security import TlsFiles


def charger_subentries(entry: ConfigEntry) -> dict[str, ConfigSubentry]:
    """Return the accepted chargers of a hub entry, by charger id."""
    return {
        sub.data[CONF_CHARGER_ID]: sub
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_CHARGER
    }


def charger_credentials(entry: ConfigEntry) -> dict[str, tuple[str, ...]]:
    """Return each accepted charger's valid passwords (current first)."""
    return {
        charger_id: tuple(
            password
            for password in (
                sub.data.get(CONF_PASSWORD),
                sub.data.get(CONF_PREVIOUS_PASSWORD),
            )
            if password
        )
        for charger_id, sub in charger_subentries(entry).items()
    }


def tls_files(hass: HomeAssistant, data: Mapping[str, Any]) -> TlsFiles | None:
    """Return the TLS files of a hub, resolved inside the HA config folder."""
    if not data.get(CONF_CERTFILE) or not data.get(CONF_KEYFILE):
        return None
    cafile = data.get(CONF_CAFILE)
    return TlsFiles(
        certfile=hass.config.path(data[CONF_CERTFILE]),
        keyfile=hass.config.path(data[CONF_KEYFILE]),
        cafile=hass.config.path(cafile) if cafile else None,
    )


def charger_subentry_data(
    charger_id: str,
    info: BootInfo | None,
    version: OcppVersion | None,
    password: str,
) -> dict[str, Any]:
    """Return what a charger subentry stores about the charger."""
    data: dict[str, Any] = {CONF_CHARGER_ID: charger_id, CONF_PASSWORD: password}
    if info is not None:
        data |= {
            CONF_VENDOR: info.vendor,
            CONF_MODEL: info.model,
            CONF_SERIAL_NUMBER: info.serial_number,
            CONF_FIRMWARE_VERSION: info.firmware_version,
        }
    if version is not None:
        data[CONF_OCPP_VERSION] = version.value
    return data


def charger_title(charger_id: str, info: BootInfo | None) -> str:
    """Return a readable title for a charger."""
    if info is None:
        return charger_id
    return f"{info.vendor} {info.model} ({charger_id})"
