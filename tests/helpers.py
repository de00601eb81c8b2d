"""Shared test steps: accept a simulated charger, find entities, send frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import DOMAIN
from simulator import ChargePointSimulator

from .conftest import SimulatorFactory


async def accept_pending(hass: HomeAssistant, sim: ChargePointSimulator) -> None:
    """Accept a Pending charger through its discovery flow, wait for Accepted."""
    await sim.wait_for_registration("Pending", timeout=10)
    await hass.async_block_till_done()
    (flow,) = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"].get("unique_id") == sim.config.charger_id
    ]
    await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    await sim.wait_until_ready(timeout=10)
    await hass.async_block_till_done()


async def accepted_charger(
    hass: HomeAssistant,
    start_simulator: SimulatorFactory,
    charger_id: str = "CP_1",
    version: str = "1.6",
    **kwargs: Any,
) -> ChargePointSimulator:
    """Start a simulator (no periodic meter values) and accept it."""
    kwargs.setdefault("meter_interval", 0)
    sim = await start_simulator(charger_id, version, **kwargs)
    await accept_pending(hass, sim)
    return sim


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity id registered for one of our unique ids."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the state string of one of our entities."""
    current = hass.states.get(entity_id(hass, platform, unique_id))
    assert current is not None, unique_id
    return current.state


class Clock:
    """Timestamps for frames: starts now, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def advance(self, **delta: float) -> str:
        self.now += timedelta(**delta)
        return self.iso()

    def iso(self) -> str:
        return self.now.isoformat().replace("+00:00", "Z")


def meter_v16(
    connector: int,
    timestamp: str,
    wh: float,
    *,
    unit: str = "Wh",
    transaction_id: int | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a 1.6 MeterValues payload with an energy register reading."""
    value = f"{wh:g}"
    sampled: list[dict[str, Any]] = [
        {"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit}
    ]
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [
            {"timestamp": timestamp, "sampledValue": sampled + (extra or [])}
        ],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


async def reload_hub(hass: HomeAssistant, hub: MockConfigEntry) -> None:
    """Unload and set the hub up again (an HA restart, as far as we care)."""
    assert await hass.config_entries.async_unload(hub.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(hub.entry_id)
    await hass.async_block_till_done()


async def start_v16(
    sim: ChargePointSimulator, clock: Clock, meter_start: float, tag: str = "TAG1"
) -> int:
    """Send a 1.6 StartTransaction on connector 1; return the transaction id."""
    result = await sim.call(
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": tag,
            "meterStart": meter_start,
            "timestamp": clock.iso(),
        },
    )
    return int(result["transactionId"])


def charger_device(hass: HomeAssistant, charger_id: str = "CP_1") -> dr.DeviceEntry:
    """Return a charger's device."""
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, charger_id)})
    assert device is not None, charger_id
    return device


async def charger_action(hass: HomeAssistant, name: str, **data: Any) -> dict[str, Any]:
    """Call one of our actions on charger CP_1 and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        name,
        {"device_id": charger_device(hass).id} | data,
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response
