"""Read and change a charger's configuration in its version's words.

1.6: GetConfiguration / ChangeConfiguration (keys). 2.0.1 and 2.1:
GetVariables / SetVariables (component + variable), and the full device model
through GetBaseReport and its NotifyReport parts. Results are plain JSON-able
items, one per key or variable, with the charger's own status word.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .commands import CommandRejectedError
from .const import OcppVersion
from .errors import CallTimeoutError
from .reports import ReportCollector
from .session import Session

# A full report of a big station comes in many parts; allow it time.
REPORT_TIMEOUT_S = 60.0


@dataclass(frozen=True, kw_only=True)
class VariableRef:
    """A 2.x device-model address (component, variable, tiers)."""

    component: str
    variable: str
    component_instance: str | None = None
    instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    def as_wire(self) -> dict[str, Any]:
        """Return the component and variable objects of a request item."""
        component: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            component["instance"] = self.component_instance
        if self.evse_id is not None:
            component["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                component["evse"]["connectorId"] = self.connector_id
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance:
            variable["instance"] = self.instance
        return {"component": component, "variable": variable}


def _address(item: dict[str, Any]) -> dict[str, Any]:
    """Return a readable address from a wire component/variable pair."""
    component = item["component"]
    evse = component.get("evse") or {}
    return {
        "component": component["name"],
        "component_instance": component.get("instance"),
        "evse_id": evse.get("id"),
        "connector_id": evse.get("connectorId"),
        "variable": item["variable"]["name"],
        "instance": item["variable"].get("instance"),
    }


async def get_v16(session: Session, keys: Sequence[str]) -> dict[str, Any]:
    """Return the charger's keys (all when ``keys`` is empty) and unknown ones."""
    payload: dict[str, Any] = {"key": list(keys)} if keys else {}
    result = await session.call("GetConfiguration", payload)
    return {
        "configuration": [
            {
                "key": item["key"],
                "value": item.get("value"),
                "readonly": item.get("readonly"),
            }
            for item in result.get("configurationKey", [])
        ],
        "unknown_keys": list(result.get("unknownKey", [])),
    }


async def set_v16(session: Session, settings: dict[str, str]) -> list[dict[str, Any]]:
    """Change keys one by one (1.6 has one key per request)."""
    results = []
    for key, value in settings.items():
        result = await session.call("ChangeConfiguration", {"key": key, "value": value})
        results.append({"key": key, "status": str(result.get("status"))})
    return results


async def get_v2(session: Session, refs: Sequence[VariableRef]) -> list[dict[str, Any]]:
    """Return the Actual value of each variable with the charger's status."""
    result = await session.call(
        "GetVariables", {"getVariableData": [ref.as_wire() for ref in refs]}
    )
    return [
        _address(item)
        | {
            "attribute_type": item.get("attributeType", "Actual"),
            "status": item["attributeStatus"],
            "value": item.get("attributeValue"),
        }
        for item in result.get("getVariableResult", [])
    ]


async def set_v2(
    session: Session, settings: Sequence[tuple[VariableRef, str]]
) -> list[dict[str, Any]]:
    """Set Actual values; return each item's status."""
    result = await session.call(
        "SetVariables",
        {
            "setVariableData": [
                ref.as_wire() | {"attributeValue": value} for ref, value in settings
            ]
        },
    )
    return [
        _address(item) | {"status": item["attributeStatus"]}
        for item in result.get("setVariableResult", [])
    ]


async def full_report_v2(
    session: Session, reports: ReportCollector
) -> list[dict[str, Any]]:
    """Return the whole device model: GetBaseReport(FullInventory), all parts."""
    request_id, future = reports.expect()
    try:
        result = await session.call(
            "GetBaseReport", {"requestId": request_id, "reportBase": "FullInventory"}
        )
        status = str(result.get("status"))
        if status == "EmptyResultSet":
            return []
        if status != "Accepted":
            raise CommandRejectedError("GetBaseReport", status)
        async with asyncio.timeout(REPORT_TIMEOUT_S):
            data = await future
    except TimeoutError as err:
        raise CallTimeoutError("NotifyReport parts did not all arrive") from err
    finally:
        reports.forget(request_id)
    return [_report_item(item) for item in data]


def _report_item(item: dict[str, Any]) -> dict[str, Any]:
    characteristics = item.get("variableCharacteristics") or {}
    return _address(item) | {
        "attributes": [
            {
                "type": attribute.get("type", "Actual"),
                "value": attribute.get("value"),
                "mutability": attribute.get("mutability"),
            }
            for attribute in item.get("variableAttribute", [])
        ],
        "characteristics": {
            "data_type": characteristics.get("dataType"),
            "unit": characteristics.get("unit"),
            "min_limit": characteristics.get("minLimit"),
            "max_limit": characteristics.get("maxLimit"),
            "values_list": characteristics.get("valuesList"),
        }
        if characteristics
        else None,
    }


def readable_model(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Arrange report items for a person: tier → component → variable → values."""
    model: dict[str, Any] = {}
    for item in items:
        tier = "station"
        if item["evse_id"] is not None:
            tier = f"evse {item['evse_id']}"
            if item["connector_id"] is not None:
                tier += f" connector {item['connector_id']}"
        component = item["component"] + (
            f" ({item['component_instance']})" if item["component_instance"] else ""
        )
        variable = item["variable"] + (
            f" ({item['instance']})" if item["instance"] else ""
        )
        model.setdefault(tier, {}).setdefault(component, {})[variable] = {
            "attributes": {
                attribute["type"]: attribute["value"]
                for attribute in item["attributes"]
            },
            "mutability": next(
                (a["mutability"] for a in item["attributes"] if a["mutability"]), None
            ),
            "characteristics": item["characteristics"],
        }
    return model


def is_v16(session: Session) -> bool:
    """Return True for a 1.6 connection (keys instead of variables)."""
    return session.version is OcppVersion.V16
