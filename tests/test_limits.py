"""Transport limits: frame size (close 1009), connection count, restart on change."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from custom_components.ocpp_csms.const import (
    CONF_MAX_CONNECTIONS,
    CONF_MAX_FRAME_SIZE,
    CONF_PING_INTERVAL,
)

from .conftest import TRANSPORT_DEFAULTS


async def _set_options(
    hass: HomeAssistant, hub: MockConfigEntry, **changes: int
) -> None:
    result = await hass.config_entries.options.async_init(hub.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "heartbeat_interval": 300,
            "auto_accept": False,
            "authorization": "accept_all",
            "remote_id_tag": "HomeAssistant",
        }
        | TRANSPORT_DEFAULTS
        | changes,
    )
    await hass.async_block_till_done()


async def test_limits_restart_server_and_apply(
    hass: HomeAssistant, loaded_hub: MockConfigEntry, hub_port: int
) -> None:
    """Changing a transport limit restarts the server; the limits hold."""
    server = loaded_hub.runtime_data.server
    await _set_options(
        hass, loaded_hub, **{CONF_MAX_FRAME_SIZE: 4096, CONF_MAX_CONNECTIONS: 1}
    )
    assert loaded_hub.runtime_data.server is not server
    assert loaded_hub.runtime_data.server.config.max_frame_size == 4096

    url = f"ws://127.0.0.1:{hub_port}"
    first = await connect(f"{url}/CP_A", subprotocols=[Subprotocol("ocpp1.6")])
    # The core has the first connection once it answers a frame.
    await first.send(json.dumps([2, "1", "Heartbeat", {}]))
    await first.recv()
    with pytest.raises(InvalidStatus) as err:
        await connect(f"{url}/CP_B", subprotocols=[Subprotocol("ocpp1.6")])
    assert err.value.response.status_code == 503

    await first.send(json.dumps([2, "2", "DataTransfer", {"vendorId": "x" * 5000}]))
    with pytest.raises(ConnectionClosed):
        await first.recv()
    assert first.close_code == 1009


async def test_ping_interval_option(
    hass: HomeAssistant, loaded_hub: MockConfigEntry
) -> None:
    """0 turns keep-alive pings off."""
    await _set_options(hass, loaded_hub, **{CONF_PING_INTERVAL: 0})
    config = loaded_hub.runtime_data.server.config
    assert config.ping_interval is None
    assert config.ping_timeout is None
