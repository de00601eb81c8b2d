"""Runtime data of a hub entry, and helpers reading its charger sub-entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .charging.limits import ChargerLimiter
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
    LIMIT_FAILURE_REPAIR_THRESHOLD,
    SUBENTRY_CHARGER,
)
from .csms.central import CentralSystem
from .csms.const import OcppVersion
from .csms.model import BootInfo
from .csms.security import TlsFiles
from .csms.server import CsmsServer
from .repairs import FailureStreak
from .store import ChargerStore

if TYPE_CHECKING:
    from .balancing import SiteBalancer
    from .bridge import HubBridge
    from .smart import SmartCharging


@dataclass(kw_only=True)
class OcppCsmsRuntime:
    """Everything a loaded hub entry owns."""

    central: CentralSystem
    server: CsmsServer
    bridge: HubBridge
    store: ChargerStore
    accepted: set[str] = field(default_factory=set)
    # Transport options the server was started with (a change reloads).
    server_options: dict[str, Any] = field(default_factory=dict)
    balancing_options: dict[str, Any] = field(default_factory=dict)
    limiters: dict[str, ChargerLimiter] = field(default_factory=dict)
    # The user's maximum current per (charger, EVSE); balancing stays below.
    user_limits: dict[tuple[str, int], float] = field(default_factory=dict)
    # User limits a rebooted charger lost and refused to take back.
    limits_lost: set[tuple[str, int]] = field(default_factory=set)
    limit_failures: FailureStreak = field(
        default_factory=lambda: FailureStreak(
            "limit_not_applied",
            LIMIT_FAILURE_REPAIR_THRESHOLD,
            ir.IssueSeverity.ERROR,
            "limit_not_applied_",
        )
    )
    balancer: SiteBalancer | None = None
    smart: SmartCharging | None = None

    def limit_result(self, hass: HomeAssistant, charger_id: str, ok: bool) -> None:
        """Track limit failures; a charger that keeps refusing needs the user."""
        if ok:
            self.limit_failures.succeeded(hass, charger_id)
        else:
            self.limit_failures.failed(hass, charger_id, {"charger_id": charger_id})

    def limiter(self, charger_id: str) -> ChargerLimiter:
        """Return the charger's limiter (it remembers the working form)."""
        if charger_id not in self.limiters:
            self.limiters[charger_id] = ChargerLimiter(self.central, charger_id)
        return self.limiters[charger_id]


type OcppCsmsConfigEntry = ConfigEntry[OcppCsmsRuntime]


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
