"""Home Assistant side of the conformance tests: entities, services, flows."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import DOMAIN


def entity(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity id of one of our unique ids."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity {unique_id}"
    return found


def state(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the state of one of our entities."""
    current = hass.states.get(entity(hass, platform, unique_id))
    assert current is not None, unique_id
    return current.state


async def service(
    hass: HomeAssistant, platform: str, name: str, unique_id: str, **data: Any
) -> None:
    """Call an entity service and wait for it (it awaits the charger's answer)."""
    await hass.services.async_call(
        platform,
        name,
        {"entity_id": entity(hass, platform, unique_id), **data},
        blocking=True,
    )


async def accept_flow(hass: HomeAssistant, charger_id: str) -> None:
    """Accept a Pending charger through its discovery flow (as a user would)."""
    await hass.async_block_till_done()
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"].get("unique_id") == charger_id
    ]
    assert len(flows) == 1, flows
    await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})


def accepted_ids(hub: MockConfigEntry) -> set[str]:
    """Return the charger ids accepted on the hub (its subentries)."""
    return {str(sub.unique_id) for sub in hub.subentries.values()}
