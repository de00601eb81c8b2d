"""Config flow: hub creation, reconfigure, options, discovery and chargers."""

from __future__ import annotations

import socket
from typing import Any

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import (
    AUTH_LISTED_TAGS,
    CONF_ALLOWED_TAGS,
    CONF_AUTHORIZATION,
    CONF_AUTO_ACCEPT,
    CONF_CHARGER_ID,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HUB_ENTRY_ID,
    CONF_MODEL,
    CONF_OCPP_VERSION,
    CONF_REMOTE_ID_TAG,
    CONF_SECURITY_PROFILE,
    CONF_VENDOR,
    DOMAIN,
    SUBENTRY_CHARGER,
)

from .conftest import TRANSPORT_DEFAULTS, free_port


async def _start_user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return str(result["flow_id"])


async def test_user_flow_creates_hub(hass: HomeAssistant, hub_port: int) -> None:
    """A free port creates the hub with heartbeat in the options."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_HOST: "127.0.0.1", CONF_PORT: hub_port, CONF_HEARTBEAT_INTERVAL: 120},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"OCPP server (port {hub_port})"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: hub_port,
        CONF_SECURITY_PROFILE: 0,
    }
    assert result["options"] == {CONF_HEARTBEAT_INTERVAL: 120, CONF_AUTO_ACCEPT: False}
    entry = result["result"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_user_flow_port_in_use(hass: HomeAssistant, hub_port: int) -> None:
    """A port another program listens on is refused, then a free one works."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", hub_port))
        busy.listen()
        flow_id = await _start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {CONF_HOST: "127.0.0.1", CONF_PORT: hub_port, CONF_HEARTBEAT_INTERVAL: 60},
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "port_in_use"}
    other = free_port()
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_HOST: "127.0.0.1", CONF_PORT: other, CONF_HEARTBEAT_INTERVAL: 60},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_user_flow_cannot_bind(hass: HomeAssistant, hub_port: int) -> None:
    """An address this machine does not have is refused."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        # TEST-NET-1 (RFC 5737): never assigned to a local interface.
        {CONF_HOST: "192.0.2.1", CONF_PORT: hub_port, CONF_HEARTBEAT_INTERVAL: 60},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_bind"}


async def test_user_flow_one_entry_per_port(
    hass: HomeAssistant, hub_entry: MockConfigEntry, hub_port: int
) -> None:
    """A second hub on the same port aborts."""
    hub_entry.add_to_hass(hass)
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_HOST: "0.0.0.0", CONF_PORT: hub_port, CONF_HEARTBEAT_INTERVAL: 60},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_server(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """Reconfigure to a free port reloads the hub on the new port."""
    result = await loaded_hub.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    new_port = free_port()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: new_port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert loaded_hub.data[CONF_PORT] == new_port
    assert loaded_hub.runtime_data.server.port == new_port


async def test_reconfigure_same_address_keeps_port(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """Submitting the current address succeeds although our server holds it."""
    result = await loaded_hub.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: hub_port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def test_reconfigure_port_in_use(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """A busy port is refused with a form error."""
    result = await loaded_hub.start_reconfigure_flow(hass)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: port}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "port_in_use"}


async def test_reconfigure_port_of_other_hub(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """Moving onto another hub's port aborts."""
    other = MockConfigEntry(
        domain=DOMAIN, data={CONF_HOST: "127.0.0.1", CONF_PORT: free_port()}
    )
    other.add_to_hass(hass)
    result = await loaded_hub.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: other.data[CONF_PORT]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_flow_applies_without_reload(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """Heartbeat, acceptance and tag policy change in the running core."""
    server = loaded_hub.runtime_data.server
    central = loaded_hub.runtime_data.central
    assert central.authorize("ANY").value == "Accepted"
    result = await hass.config_entries.options.async_init(loaded_hub.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEARTBEAT_INTERVAL: 90,
            CONF_AUTO_ACCEPT: True,
            CONF_AUTHORIZATION: AUTH_LISTED_TAGS,
            CONF_ALLOWED_TAGS: [" CARD1 ", "CARD2", "", "CARD1"],
            CONF_REMOTE_ID_TAG: "HA",
        }
        | TRANSPORT_DEFAULTS,
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert (
        loaded_hub.options
        == {
            CONF_HEARTBEAT_INTERVAL: 90,
            CONF_AUTO_ACCEPT: True,
            CONF_AUTHORIZATION: AUTH_LISTED_TAGS,
            CONF_ALLOWED_TAGS: ["CARD1", "CARD2"],
            CONF_REMOTE_ID_TAG: "HA",
            "rejected_chargers": [],
        }
        | TRANSPORT_DEFAULTS
    )
    assert loaded_hub.runtime_data.server is server
    assert central.config.heartbeat_interval == 90
    assert central.config.auto_accept is True
    assert central.authorize("CARD2").value == "Accepted"
    assert central.authorize("STRANGER").value == "Invalid"


def _discovery(hub_entry_id: str, charger_id: str = "CP_9") -> dict[str, Any]:
    return {
        CONF_HUB_ENTRY_ID: hub_entry_id,
        CONF_CHARGER_ID: charger_id,
        CONF_VENDOR: "Acme",
        CONF_MODEL: "Wallbox 1",
        CONF_OCPP_VERSION: "ocpp2.0.1",
    }


async def test_discovery_confirm_adds_charger(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """Confirming a discovered charger adds it as a subentry of the hub."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery(loaded_hub.entry_id),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"]["vendor"] == "Acme"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "charger_accepted"
    (subentry,) = loaded_hub.subentries.values()
    assert subentry.subentry_type == SUBENTRY_CHARGER
    assert subentry.unique_id == "CP_9"
    assert subentry.title == "Acme Wallbox 1 (CP_9)"
    assert subentry.data[CONF_OCPP_VERSION] == "ocpp2.0.1"
    await hass.async_block_till_done()
    assert loaded_hub.runtime_data.central.is_accepted("CP_9")


async def test_discovery_of_known_charger_aborts(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """A charger already accepted is not offered again."""
    await _add_charger(hass, loaded_hub, "CP_9")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery(loaded_hub.entry_id),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_adding_charger_by_id_closes_its_discovery(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """Accepting a charger another way removes its "new charger found" card."""
    await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery(loaded_hub.entry_id),
    )
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await _add_charger(hass, loaded_hub, "CP_9")
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(loaded_hub.subentries) == 1


async def test_discovery_confirm_after_hub_unloaded_aborts(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """A hub that stopped meanwhile cannot accept the charger."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery(loaded_hub.entry_id),
    )
    await hass.config_entries.async_unload(loaded_hub.entry_id)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hub_not_loaded"


async def test_discovery_for_unknown_hub_aborts(hass: HomeAssistant) -> None:
    """Discovery naming a hub that is not loaded aborts."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery("no-such-entry"),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hub_not_loaded"


async def test_discovery_of_ignored_charger_aborts(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """A charger the user ignored is not offered again."""
    MockConfigEntry(domain=DOMAIN, source=SOURCE_IGNORE, unique_id="CP_9").add_to_hass(
        hass
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data=_discovery(loaded_hub.entry_id),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def _add_charger(
    hass: HomeAssistant, hub: MockConfigEntry, charger_id: str
) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (hub.entry_id, SUBENTRY_CHARGER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CHARGER_ID: charger_id}
    )
    await hass.async_block_till_done()
    return dict(result)


async def test_add_charger_subentry(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """A charger can be accepted by id before it ever connects."""
    result = await _add_charger(hass, loaded_hub, " CP_7 ")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = loaded_hub.subentries.values()
    assert subentry.unique_id == "CP_7"
    assert subentry.data[CONF_CHARGER_ID] == "CP_7"
    assert len(subentry.data["password"]) == 40
    assert loaded_hub.runtime_data.central.is_accepted("CP_7")


@pytest.mark.parametrize("charger_id", ["", "  ", "a/b"])
async def test_add_charger_invalid_id(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, charger_id: str
) -> None:
    """An empty id or one with a slash is refused."""
    result = await _add_charger(hass, loaded_hub, charger_id)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CHARGER_ID: "invalid_charger_id"}


async def test_add_charger_twice_aborts(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """The same charger id cannot be added twice."""
    await _add_charger(hass, loaded_hub, "CP_7")
    result = await _add_charger(hass, loaded_hub, "CP_7")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_smart_charging_section(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """The smart-charging inputs are grouped in the form, stored flat, reload."""
    server = loaded_hub.runtime_data.server
    base = {
        CONF_HEARTBEAT_INTERVAL: 300,
        CONF_AUTO_ACCEPT: False,
        CONF_AUTHORIZATION: "accept_all",
        CONF_REMOTE_ID_TAG: "HomeAssistant",
    } | TRANSPORT_DEFAULTS
    smart = {
        "price_entity": "sensor.nordpool",
        "grid_export_positive": True,
        "pv_forecast_entity": "sensor.solcast_today",
        "battery_priority_soc": 40,
    }
    result = await hass.config_entries.options.async_init(loaded_hub.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], base | {"smart_charging": smart}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "smart_charging" not in loaded_hub.options
    for key, value in smart.items():
        assert loaded_hub.options[key] == value
    # New inputs: the hub restarts with them (listeners follow the new entities).
    assert loaded_hub.runtime_data.server is not server

    # Shown again inside the section, as stored.
    result = await hass.config_entries.options.async_init(loaded_hub.entry_id)
    section = result["data_schema"].schema["smart_charging"]
    suggested = {
        str(key): key.description["suggested_value"]
        for key in section.schema.schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == smart
