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
CONF_AUTHORIZATION: Final = "authorization"
CONF_ALLOWED_TAGS: Final = "allowed_tags"
CONF_REMOTE_ID_TAG: Final = "remote_id_tag"
CONF_REJECTED_CHARGERS: Final = "rejected_chargers"
# Refuse every schema violation (certification) instead of tolerating the
# non-essential ones (off by default).
CONF_STRICT_VALIDATION: Final = "strict_validation"

CONF_SECURITY_PROFILE: Final = "security_profile"
CONF_CERTFILE: Final = "certfile"
CONF_KEYFILE: Final = "keyfile"
CONF_CAFILE: Final = "cafile"
CONF_PASSWORD: Final = "password"
CONF_PREVIOUS_PASSWORD: Final = "previous_password"

CONF_PING_INTERVAL: Final = "ping_interval"
CONF_MAX_FRAME_SIZE: Final = "max_frame_size"
CONF_MAX_CONNECTIONS: Final = "max_connections"
DEFAULT_PING_INTERVAL: Final = 60
DEFAULT_MAX_FRAME_SIZE: Final = 256 * 1024
DEFAULT_MAX_CONNECTIONS: Final = 1000

CONF_FUSE_LIMIT: Final = "fuse_limit"
CONF_PHASE_SENSORS: Final = "phase_current_sensors"
CONF_GRID_POWER_SENSOR: Final = "grid_power_sensor"
CONF_FALLBACK_LIMIT: Final = "fallback_limit"
DEFAULT_FALLBACK_LIMIT: Final = 6

# Smart charging (options section "smart_charging").
CONF_SMART_CHARGING: Final = "smart_charging"
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_GRID_EXPORT_POSITIVE: Final = "grid_export_positive"
CONF_PV_POWER_SENSOR: Final = "pv_power_sensor"
CONF_BATTERY_POWER_SENSOR: Final = "battery_power_sensor"
CONF_BATTERY_SOC_SENSOR: Final = "battery_soc_sensor"
CONF_BATTERY_PRIORITY_SOC: Final = "battery_priority_soc"
CONF_PV_FORECAST_ENTITY: Final = "pv_forecast_entity"
SMART_CHARGING_OPTIONS: Final = (
    CONF_PRICE_ENTITY,
    CONF_GRID_EXPORT_POSITIVE,
    CONF_PV_POWER_SENSOR,
    CONF_BATTERY_POWER_SENSOR,
    CONF_BATTERY_SOC_SENSOR,
    CONF_BATTERY_PRIORITY_SOC,
    CONF_PV_FORECAST_ENTITY,
)

# Consecutive refused connection attempts before we ask the user to act.
AUTH_FAILURE_REPAIR_THRESHOLD: Final = 5
# Consecutive limits a charger would not take before we raise a repair issue.
LIMIT_FAILURE_REPAIR_THRESHOLD: Final = 3
# Frames a charger sends that break the schema (tolerated) before a repair
# issue tells the user what it sends and what we do with it.
DEVIATION_REPAIR_THRESHOLD: Final = 10

AUTH_ACCEPT_ALL: Final = "accept_all"
AUTH_LISTED_TAGS: Final = "listed_tags"
DEFAULT_REMOTE_ID_TAG: Final = "HomeAssistant"

EVENT_SESSION_STARTED: Final = f"{DOMAIN}_session_started"
EVENT_SESSION_ENDED: Final = f"{DOMAIN}_session_ended"
EVENT_TAG_PRESENTED: Final = f"{DOMAIN}_tag_presented"
EVENT_SECURITY_EVENT: Final = f"{DOMAIN}_security_event"
EVENT_DATA_TRANSFER: Final = f"{DOMAIN}_data_transfer"

DEFAULT_HOST: Final = "0.0.0.0"  # noqa: S104 - chargers reach us over the LAN
DEFAULT_PORT: Final = 9000
DEFAULT_HEARTBEAT_INTERVAL: Final = 300
MIN_HEARTBEAT_INTERVAL: Final = 10
MAX_HEARTBEAT_INTERVAL: Final = 86400

SUBENTRY_CHARGER: Final = "charger"


def signal_charger_update(entry_id: str, charger_id: str) -> str:
    """Return the dispatcher signal for changes of one charger."""
    return f"{DOMAIN}_{entry_id}_{charger_id}_update"


def signal_evse_update(entry_id: str, charger_id: str, evse_id: int) -> str:
    """Return the dispatcher signal for changes of one EVSE."""
    return f"{DOMAIN}_{entry_id}_{charger_id}_{evse_id}_update"


def signal_new_evse(entry_id: str) -> str:
    """Return the dispatcher signal for an EVSE seen for the first time."""
    return f"{DOMAIN}_{entry_id}_new_evse"


def signal_new_charger(entry_id: str) -> str:
    """Return the dispatcher signal for a newly accepted charger."""
    return f"{DOMAIN}_{entry_id}_new_charger"


def signal_plan_update(entry_id: str, charger_id: str, evse_id: int) -> str:
    """Return the dispatcher signal for a new plan or setting of one EVSE."""
    return f"{DOMAIN}_{entry_id}_{charger_id}_{evse_id}_plan"


def evse_device_identifier(charger_id: str, evse_id: int) -> str:
    """Return the device identifier of an EVSE sub-device."""
    return f"{charger_id}_evse_{evse_id}"
