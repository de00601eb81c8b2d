"""Constants of the ocpp_csms integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "ocpp_csms"

CONF_HEARTBEAT_INTERVAL: Final = "heartbeat_interval"
CONF_AUTO_ACCEPT: Final = "auto_accept"
CONF_CHARGER_ID: Final = "charger_id"
CONF_HUB_ENTRY_ID: Final = "hub_entry_id"
CONF_VENDOR: Final = "vendor"
CONF_MODEL: Final = "model"
CONF_SERIAL_NUMBER: Final = "serial_number"
CONF_FIRMWARE_VERSION: Final = "firmware_version"
CONF_OCPP_VERSION: Final = "ocpp_version"

DEFAULT_HOST: Final = "0.0.0.0"  # noqa: S104 - chargers reach us over the LAN
DEFAULT_PORT: Final = 9000
DEFAULT_HEARTBEAT_INTERVAL: Final = 300
MIN_HEARTBEAT_INTERVAL: Final = 10
MAX_HEARTBEAT_INTERVAL: Final = 86400

SUBENTRY_CHARGER: Final = "charger"


def signal_charger_update(entry_id: str, charger_id: str) -> str:
    """Return the dispatcher signal for changes of one charger."""
    return f"{DOMAIN}_{entry_id}_{charger_id}_update"


def signal_new_charger(entry_id: str) -> str:
    """Return the dispatcher signal for a newly accepted charger."""
    return f"{DOMAIN}_{entry_id}_new_charger"
