"""Runtime data of a hub entry and the bridge from the OCPP core to HA."""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    SOURCE_INTEGRATION_DISCOVERY,
    ConfigEntry,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, discovery_flow
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import (
    CONF_CHARGER_ID,
    CONF_FIRMWARE_VERSION,
    CONF_HUB_ENTRY_ID,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_SERIAL_NUMBER,
    CONF_VENDOR,
    DOMAIN,
    SUBENTRY_CHARGER,
    signal_charger_update,
)
from .csms.central import CentralSystem
from .csms.const import OcppVersion
from .csms.model import BootInfo, RegistrationStatus
from .csms.server import CsmsServer

_LOGGER = logging.getLogger(__name__)


@dataclass(kw_only=True)
class OcppCsmsRuntime:
    """Everything a loaded hub entry owns."""

    central: CentralSystem
    server: CsmsServer
    bridge: HubBridge
    accepted: set[str] = field(default_factory=set)


type OcppCsmsConfigEntry = ConfigEntry[OcppCsmsRuntime]


def charger_subentries(entry: ConfigEntry) -> dict[str, ConfigSubentry]:
    """Return the accepted chargers of a hub entry, by charger id."""
    return {
        sub.data[CONF_CHARGER_ID]: sub
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_CHARGER
    }


def charger_subentry_data(
    charger_id: str, info: BootInfo | None, version: OcppVersion | None
) -> dict[str, Any]:
    """Return what a charger subentry stores about the charger."""
    data: dict[str, Any] = {CONF_CHARGER_ID: charger_id}
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


class HubBridge:
    """Receive the core's callbacks and turn them into HA changes."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Bridge for one hub entry."""
        self._hass = hass
        self._entry = entry

    @callback
    def charger_connected(self, charger_id: str, version: OcppVersion) -> None:
        """Tell the charger's entities it is online."""
        self._notify(charger_id)

    @callback
    def charger_disconnected(self, charger_id: str) -> None:
        """Tell the charger's entities it went offline."""
        self._notify(charger_id)

    @callback
    def charger_booted(
        self,
        charger_id: str,
        version: OcppVersion,
        info: BootInfo,
        status: RegistrationStatus,
    ) -> None:
        """Offer unknown chargers to the user; keep accepted ones up to date."""
        if status is RegistrationStatus.PENDING:
            discovery_flow.async_create_flow(
                self._hass,
                DOMAIN,
                context={"source": SOURCE_INTEGRATION_DISCOVERY},
                data={
                    CONF_HUB_ENTRY_ID: self._entry.entry_id,
                    CONF_CHARGER_ID: charger_id,
                    CONF_VENDOR: info.vendor,
                    CONF_MODEL: info.model,
                    CONF_SERIAL_NUMBER: info.serial_number,
                    CONF_FIRMWARE_VERSION: info.firmware_version,
                    CONF_OCPP_VERSION: version.value,
                },
            )
            return
        if status is not RegistrationStatus.ACCEPTED:
            return
        data = charger_subentry_data(charger_id, info, version)
        subentry = charger_subentries(self._entry).get(charger_id)
        if subentry is None:
            # Accepted automatically: record it as if the user had accepted.
            self._hass.config_entries.async_add_subentry(
                self._entry,
                ConfigSubentry(
                    data=MappingProxyType(data),
                    subentry_type=SUBENTRY_CHARGER,
                    title=charger_title(charger_id, info),
                    unique_id=charger_id,
                ),
            )
            return
        if dict(subentry.data) != data:
            self._hass.config_entries.async_update_subentry(
                self._entry, subentry, data=data
            )
        self.update_device(charger_id, subentry.subentry_id, info)
        self._notify(charger_id)

    @callback
    def update_device(
        self, charger_id: str, subentry_id: str, info: BootInfo | None
    ) -> None:
        """Create or refresh the charger's device from what it told us."""
        device_registry = dr.async_get(self._hass)
        kwargs: dict[str, Any] = {}
        if info is not None:
            kwargs = {
                "manufacturer": info.vendor,
                "model": info.model,
                "serial_number": info.serial_number,
                "sw_version": info.firmware_version,
            }
        device_registry.async_get_or_create(
            config_entry_id=self._entry.entry_id,
            config_subentry_id=subentry_id,
            identifiers={(DOMAIN, charger_id)},
            name=charger_id,
            **kwargs,
        )

    @callback
    def _notify(self, charger_id: str) -> None:
        async_dispatcher_send(
            self._hass, signal_charger_update(self._entry.entry_id, charger_id)
        )
