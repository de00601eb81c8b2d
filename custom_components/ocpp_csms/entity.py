"""Base entity and platform helper shared by every platform."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_CHARGER_ID, DOMAIN, signal_charger_update, signal_new_charger
from .csms.central import CentralSystem
from .runtime import OcppCsmsConfigEntry, charger_subentries


class ChargerEntity(Entity):
    """An entity of one accepted charger, updated by push."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        entry: OcppCsmsConfigEntry,
        charger_id: str,
        description: EntityDescription,
    ) -> None:
        """Bind the entity to its charger and description."""
        self.entity_description = description
        self._entry = entry
        self.charger_id = charger_id
        self._attr_unique_id = f"{charger_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, charger_id)})

    @property
    def central(self) -> CentralSystem:
        """Return the central system this charger talks to."""
        return self._entry.runtime_data.central

    async def async_added_to_hass(self) -> None:
        """Follow the charger's updates."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_charger_update(self._entry.entry_id, self.charger_id),
                self._handle_charger_update,
            )
        )

    @callback
    def _handle_charger_update(self) -> None:
        self.async_write_ha_state()


type EntityFactory = Callable[[OcppCsmsConfigEntry, str], Iterable[Entity]]


@callback
def async_setup_charger_entities(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: EntityFactory,
) -> None:
    """Add a platform's entities for every charger, now and when accepted."""
    for charger_id, subentry in charger_subentries(entry).items():
        async_add_entities(
            factory(entry, charger_id), config_subentry_id=subentry.subentry_id
        )

    @callback
    def _add_new(subentry: ConfigSubentry) -> None:
        async_add_entities(
            factory(entry, subentry.data[CONF_CHARGER_ID]),
            config_subentry_id=subentry.subentry_id,
        )

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_new_charger(entry.entry_id), _add_new)
    )
