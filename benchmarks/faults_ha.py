"""The fault campaign's Home Assistant: a real core that can be restarted in-process.

A restart is what a user does: ``hass.async_stop()`` (the Store and restore
state are written), then a new core on the same config directory, which loads
the hub entry and its charger subentries from storage. The hub listens on a
fixed port so the chargers find it again by themselves.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
from pathlib import Path
import socket
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from .ha_server import DOMAIN, add_hub, start_core

STOP_TIMEOUT = 60
EVENT_SESSION_ENDED = f"{DOMAIN}_session_ended"
# HA marks the loop as shutting down at the end of async_stop; a second
# core on the same loop needs the mark removed.
_LOOP_SHUTDOWN_MARK = "_shutdown_run_callback_threadsafe"


def free_port() -> int:
    """Return a port of 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class EndedSession:
    """One ``ocpp_csms_session_ended`` event."""

    charger_id: str
    evse_id: int
    transaction_id: str
    energy_wh: float
    stop_reason: str | None


@dataclass
class LogWatch(logging.Handler):
    """Counts tracebacks and errors of every logger while the campaign runs."""

    tracebacks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Initialise the handler part (dataclasses do not call it)."""
        logging.Handler.__init__(self, logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the first line of each traceback or error."""
        line = f"{record.name}: {record.getMessage()}"[:300]
        if record.exc_info or "Traceback (most recent call last)" in line:
            self.tracebacks.append(line)
        elif record.levelno >= logging.ERROR:
            self.errors.append(line)

    __hash__ = logging.Handler.__hash__


class HaCore:
    """One Home Assistant installation; restart = stop this core, start another."""

    def __init__(self, config_dir: Path, port: int) -> None:
        """Nothing runs until ``start``."""
        self.config_dir = config_dir
        self.port = port
        self.hass: HomeAssistant | None = None
        self.ended: list[EndedSession] = []
        self.restarts = 0
        self._ended_signal = asyncio.Event()

    async def start(self) -> None:
        """Start a core; the first one adds the hub entry, later ones load it."""
        hass = await start_core(self.config_dir, recorder=False)
        hass.bus.async_listen(EVENT_SESSION_ENDED, self._on_ended)
        entries = hass.config_entries.async_entries(DOMAIN)
        if not entries:
            await add_hub(hass, chargers=0, port=self.port)
        else:
            await async_setup_component(hass, DOMAIN, {})
            await hass.async_block_till_done()
            if entries[0].state is not ConfigEntryState.LOADED:
                raise RuntimeError(f"hub entry did not load: {entries[0].state}")
        self.hass = hass

    async def stop(self) -> None:
        """Stop the core as HA does on shutdown (final writes included)."""
        hass, self.hass = self.hass, None
        if hass is None:
            return
        async with asyncio.timeout(STOP_TIMEOUT):
            await hass.async_stop()
        loop = asyncio.get_running_loop()
        if hasattr(loop, _LOOP_SHUTDOWN_MARK):
            delattr(loop, _LOOP_SHUTDOWN_MARK)

    async def restart(self) -> None:
        """Stop, then start on the same config directory."""
        await self.stop()
        await self.start()
        self.restarts += 1

    async def settle(self) -> None:
        """Let the core finish what it is doing."""
        if self.hass is not None:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.hass.async_block_till_done()

    def energy_wh(self, charger_id: str, evse_id: int) -> float | None:
        """State of the EVSE's Energy sensor in Wh (None if missing/unknown)."""
        hass = self.hass
        assert hass is not None
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{charger_id}_{evse_id}_energy"
        )
        state = hass.states.get(entity_id) if entity_id else None
        if state is None:
            return None
        try:
            value = float(state.state)
        except ValueError:
            return None
        unit = state.attributes.get("unit_of_measurement")
        return value * {"kWh": 1000.0, "MWh": 1e6}.get(str(unit), 1.0)

    async def wait_for_ended(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` sessions ended (False if they do not in time)."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.ended) < count:
                    self._ended_signal.clear()
                    await self._ended_signal.wait()
        except TimeoutError:
            return False
        return True

    def _on_ended(self, event: Event[Any]) -> None:
        data = event.data
        self.ended.append(
            EndedSession(
                charger_id=str(data["charger_id"]),
                evse_id=int(data["evse_id"]),
                transaction_id=str(data["transaction_id"]),
                energy_wh=float(data["energy_kwh"]) * 1000.0,
                stop_reason=data.get("stop_reason"),
            )
        )
        self._ended_signal.set()
