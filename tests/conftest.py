"""Fixtures: a real HA core (pytest-homeassistant-custom-component) with our hub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import socket
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_csms.const import (
    CONF_AUTO_ACCEPT,
    CONF_HEARTBEAT_INTERVAL,
    CONF_MAX_CONNECTIONS,
    CONF_MAX_FRAME_SIZE,
    CONF_PING_INTERVAL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_PING_INTERVAL,
    DOMAIN,
)
from custom_components.ocpp_csms.csms.central import CentralConfig, CentralSystem
from custom_components.ocpp_csms.csms.server import CsmsServer, ServerConfig

from .corekit import Core, RecordingListener

if TYPE_CHECKING:
    from simulator import ChargePointSimulator


TRANSPORT_DEFAULTS = {
    CONF_PING_INTERVAL: DEFAULT_PING_INTERVAL,
    CONF_MAX_FRAME_SIZE: DEFAULT_MAX_FRAME_SIZE,
    CONF_MAX_CONNECTIONS: DEFAULT_MAX_CONNECTIONS,
    "fuse_limit": 0,
    "fallback_limit": 6,
    "strict_validation": False,
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/ocpp_csms."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hub_port(socket_enabled: None) -> int:
    """Return a free port for the hub (and allow loopback sockets)."""
    return free_port()


@pytest.fixture
def hub_options() -> dict[str, Any]:
    """Return the hub's options; override in a test module to change them."""
    return {CONF_HEARTBEAT_INTERVAL: 300, CONF_AUTO_ACCEPT: False}


@pytest.fixture
def hub_entry(hub_port: int, hub_options: dict[str, Any]) -> MockConfigEntry:
    """Return a hub config entry listening on 127.0.0.1."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"OCPP server (port {hub_port})",
        data={CONF_HOST: "127.0.0.1", CONF_PORT: hub_port},
        options=hub_options,
    )


@pytest.fixture
async def loaded_hub(
    hass: HomeAssistant, hub_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """Set the hub up; unload it at the end so nothing lingers."""
    hub_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(hub_entry.entry_id)
    await hass.async_block_till_done()
    yield hub_entry
    if hub_entry.state.recoverable:
        await hass.config_entries.async_unload(hub_entry.entry_id)
        await hass.async_block_till_done()


type SimulatorFactory = Callable[..., Awaitable[ChargePointSimulator]]


@pytest.fixture
async def start_simulator(
    hub_port: int,
) -> AsyncIterator[SimulatorFactory]:
    """Start simulated chargers against the hub; stop them at the end."""
    from simulator import ChargePointSimulator, SimulatorConfig

    started: list[ChargePointSimulator] = []

    async def _start(
        charger_id: str = "CP_1", ocpp_version: str = "2.0.1", **kwargs: Any
    ) -> ChargePointSimulator:
        kwargs.setdefault("url", f"ws://127.0.0.1:{hub_port}")
        sim = ChargePointSimulator(
            SimulatorConfig(charger_id=charger_id, ocpp_version=ocpp_version, **kwargs)
        )
        started.append(sim)
        await sim.start()
        return sim

    yield _start
    for sim in started:
        await sim.stop()


async def wait_for_state(
    hass: HomeAssistant, entity_id: str, state: str, timeout: float = 5
) -> None:
    """Wait (event-driven) until an entity reaches a state."""
    reached: asyncio.Future[None] = hass.loop.create_future()

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == state and not reached.done():
            reached.set_result(None)

    unsubscribe = async_track_state_change_event(hass, [entity_id], _changed)
    try:
        current = hass.states.get(entity_id)
        if current is None or current.state != state:
            async with asyncio.timeout(timeout):
                await reached
    finally:
        unsubscribe()


@pytest.fixture
async def core(socket_enabled: None) -> AsyncIterator[Core]:
    """Run the OCPP core alone (no HA) on a free port."""
    listener = RecordingListener()
    central = CentralSystem(
        listener, CentralConfig(heartbeat_interval=123, call_timeout=2.0), ["KNOWN"]
    )
    server = CsmsServer(ServerConfig(host="127.0.0.1", port=0), central)
    await server.start()
    yield Core(central, server, listener)
    await server.stop()
