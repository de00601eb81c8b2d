"""What a charger's smart charging supports, read from its configuration.

1.6: GetConfiguration keys. 2.0.1/2.1: GetVariables on SmartChargingCtrlr.
Whatever a charger does not report keeps a permissive default; the profile
engine learns the rest from the charger's answers.
"""

from __future__ import annotations

import logging
from typing import Any

from .const import OcppVersion
from .errors import CallFailedError
from .model import SmartChargingCapabilities
from .profiles import RateUnit
from .session import Session

_LOGGER = logging.getLogger(__name__)

V16_KEYS = (
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargingScheduleMaxPeriods",
    "MaxChargingProfilesInstalled",
    "ConnectorSwitch3to1PhaseSupported",
    "SupportedFeatureProfiles",
)
# (variable, instance) of component SmartChargingCtrlr.
V2_VARIABLES = (
    ("Enabled", None),
    ("RateUnit", None),
    ("PeriodsPerSchedule", None),
    ("ProfileStackLevel", None),
    ("Phases3to1", None),
    ("LimitChangeSignificance", None),
    ("Entries", "ChargingProfiles"),
)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


def _units(value: str | None) -> tuple[RateUnit, ...]:
    if not value:
        return (RateUnit.AMPS, RateUnit.WATTS)
    names = {"current": RateUnit.AMPS, "a": RateUnit.AMPS}
    names |= {"power": RateUnit.WATTS, "w": RateUnit.WATTS}
    units = [names[item] for item in _items(value) if item in names]
    return tuple(dict.fromkeys(units)) or (RateUnit.AMPS, RateUnit.WATTS)


def _items(value: str) -> list[str]:
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def parse_v16(keys: list[dict[str, Any]]) -> SmartChargingCapabilities:
    """Build capabilities from 1.6 configurationKey entries."""
    values = {item["key"]: item.get("value") for item in keys}
    profiles = values.get("SupportedFeatureProfiles")
    return SmartChargingCapabilities(
        enabled=profiles is None or "smartcharging" in _items(profiles),
        rate_units=_units(values.get("ChargingScheduleAllowedChargingRateUnit")),
        max_periods=_int(values.get("ChargingScheduleMaxPeriods")),
        max_stack_level=_int(values.get("ChargeProfileMaxStackLevel")),
        max_profiles=_int(values.get("MaxChargingProfilesInstalled")),
        phase_switching=bool(_bool(values.get("ConnectorSwitch3to1PhaseSupported"))),
        reported=True,
    )


def parse_v2(results: list[dict[str, Any]]) -> SmartChargingCapabilities:
    """Build capabilities from 2.x getVariableResult entries."""
    values: dict[str, str | None] = {}
    for item in results:
        if item.get("attributeStatus") == "Accepted":
            values[item["variable"]["name"]] = item.get("attributeValue")
    enabled = _bool(values.get("Enabled"))
    return SmartChargingCapabilities(
        enabled=True if enabled is None else enabled,
        rate_units=_units(values.get("RateUnit")),
        max_periods=_int(values.get("PeriodsPerSchedule")),
        max_stack_level=_int(values.get("ProfileStackLevel")),
        max_profiles=_int(values.get("Entries")),
        phase_switching=bool(_bool(values.get("Phases3to1"))),
        limit_change_significance=_float(values.get("LimitChangeSignificance")),
        reported=True,
    )


async def read_capabilities(session: Session) -> SmartChargingCapabilities:
    """Ask the charger; on any failure keep the permissive defaults."""
    try:
        if session.version is OcppVersion.V16:
            result = await session.call("GetConfiguration", {"key": list(V16_KEYS)})
            return parse_v16(result.get("configurationKey", []))
        result = await session.call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "SmartChargingCtrlr"},
                        "variable": {"name": name}
                        | ({"instance": instance} if instance else {}),
                    }
                    for name, instance in V2_VARIABLES
                ]
            },
        )
        return parse_v2(result.get("getVariableResult", []))
    except CallFailedError as err:
        _LOGGER.info(
            "%s did not report its smart-charging settings (%s); assuming defaults",
            session.charger_id,
            err,
        )
        return SmartChargingCapabilities()


async def read_resumption_timeout(session: Session) -> int | None:
    """Return a 2.1 charger's TxResumptionTimeout in seconds, when it says."""
    try:
        result = await session.call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "TxCtrlr"},
                        "variable": {"name": "TxResumptionTimeout"},
                    }
                ]
            },
        )
    except CallFailedError as err:
        _LOGGER.debug("%s: no TxResumptionTimeout (%s)", session.charger_id, err)
        return None
    for item in result.get("getVariableResult", []):
        if item.get("attributeStatus") == "Accepted":
            return _int(item.get("attributeValue"))
    return None
