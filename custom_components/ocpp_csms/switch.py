"""Switches: charge (start/stop), pause, and availability."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_REMOTE_ID_TAG, DEFAULT_REMOTE_ID_TAG, DOMAIN
from .csms.model import ConnectorStatus
from .entity import ChargerEntity, EvseEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 1

CHARGING = SwitchEntityDescription(key="charging", translation_key="charging")
PAUSED = SwitchEntityDescription(key="paused", translation_key="paused")
EVSE_AVAILABLE = SwitchEntityDescription(
    key="available", translation_key="available", entity_category=EntityCategory.CONFIG
)
STATION_AVAILABLE = SwitchEntityDescription(
    key="available",
    translation_key="station_available",
    entity_category=EntityCategory.CONFIG,
)


class ChargingSwitch(EvseEntity, SwitchEntity):
    """On while a transaction runs; turning it on/off starts/stops one."""

    @property
    def is_on(self) -> bool:
        """Return True while a transaction runs on this EVSE."""
        return self.evse.transaction is not None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start a transaction with the configured tag."""
        if self.evse.transaction is not None:
            return
        id_tag = self._entry.options.get(CONF_REMOTE_ID_TAG, DEFAULT_REMOTE_ID_TAG)
        remote_id = self.central.tracker(self.charger_id).new_transaction_number()
        await self._send(
            lambda commands: commands.remote_start(self.evse_id, id_tag, remote_id)
        )

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the running transaction."""
        if (transaction := self.evse.transaction) is None:
            return
        await self._send(
            lambda commands: commands.remote_stop(transaction.transaction_id)
        )


class PausedSwitch(EvseEntity, SwitchEntity):
    """Hold the running transaction at 0 A (it stays open), then resume."""

    @property
    def is_on(self) -> bool:
        """Return True while our pause profile holds the EVSE."""
        return self.evse.paused

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Pause: a 0 A profile bound to the running transaction."""
        if (transaction := self.evse.transaction) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_transaction",
                translation_placeholders={"charger_id": self.charger_id},
            )
        await self._send(
            lambda commands: commands.pause(self.evse_id, transaction.transaction_id)
        )
        self.evse.paused = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Resume: remove the pause profile."""
        await self._send(lambda commands: commands.resume(self.evse_id))
        self.evse.paused = False
        self.async_write_ha_state()


class EvseAvailableSwitch(EvseEntity, SwitchEntity):
    """Operative / inoperative (ChangeAvailability) for one EVSE."""

    @property
    def is_on(self) -> bool:
        """Return False when the EVSE reports Unavailable."""
        return self.evse.status is not ConnectorStatus.UNAVAILABLE

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Make the EVSE operative."""
        await self._set_available(self.evse_id, operative=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Make the EVSE inoperative."""
        await self._set_available(self.evse_id, operative=False)


class StationAvailableSwitch(ChargerEntity, SwitchEntity):
    """Operative / inoperative (ChangeAvailability) for the whole charger."""

    @property
    def is_on(self) -> bool:
        """Return False when the station (or all of its EVSEs) is unavailable."""
        return self.charger.operative

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Make the charger operative."""
        await self._set_available(0, operative=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Make the charger inoperative."""
        await self._set_available(0, operative=False)


def _charger_entities(
    entry: OcppCsmsConfigEntry, charger_id: str
) -> Iterable[ChargerEntity]:
    return [StationAvailableSwitch(entry, charger_id, STATION_AVAILABLE)]


def _evse_entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[EvseEntity]:
    return [
        ChargingSwitch(entry, charger_id, evse_id, CHARGING),
        PausedSwitch(entry, charger_id, evse_id, PAUSED),
        EvseAvailableSwitch(entry, charger_id, evse_id, EVSE_AVAILABLE),
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up switches for every accepted charger and EVSE."""
    async_setup_charger_entities(
        hass,
        entry,
        async_add_entities,
        charger_factory=_charger_entities,
        evse_factory=_evse_entities,
    )
