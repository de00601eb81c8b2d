"""Persistence of the chargers' state (energy counters, transactions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .csms.central import CentralSystem

STORAGE_VERSION = 1
# Meter values arrive every few seconds; batch them into one write.
SAVE_DELAY = 15


class ChargerStore:
    """One HA Store per hub entry holding every accepted charger's state."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Store under .storage/ocpp_csms.<entry_id>."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._central: CentralSystem | None = None
        self._modes: Callable[[], dict[str, Any]] | None = None
        self._save_pending = False
        self.loaded_modes: dict[str, Any] = {}

    async def async_load(self) -> dict[str, dict[str, Any]]:
        """Return the persisted state per charger id (modes kept aside)."""
        data = await self._store.async_load() or {}
        chargers: dict[str, dict[str, Any]] = data.get("chargers", {})
        self.loaded_modes = data.get("modes", {})
        return chargers

    def attach(
        self,
        central: CentralSystem,
        modes: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """Save this central system's state (and the EVSE modes) from now on."""
        self._central = central
        self._modes = modes

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        return {
            "chargers": self._central.snapshot() if self._central else {},
            "modes": self._modes() if self._modes else self.loaded_modes,
        }

    @callback
    def schedule_save(self) -> None:
        """Write within SAVE_DELAY seconds, however often this is called.

        Store.async_delay_save restarts its timer on every call, so a steady
        stream of meter values would postpone the write forever; we only
        schedule when no write is pending.
        """
        if self._central is not None and not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_save_now(self) -> None:
        """Write at once (on unload, so nothing is lost)."""
        if self._central is not None:
            await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete the file (the hub entry was removed)."""
        await self._store.async_remove()
