"""Binary sensors of a charger."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ChargerEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 0

CONNECTED = BinarySensorEntityDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


class ChargerConnectedSensor(ChargerEntity, BinarySensorEntity):
    """Whether the charger holds an open OCPP connection."""

    @property
    def is_on(self) -> bool:
        """Return True while the charger is connected."""
        return self.central.connection(self.charger_id) is not None


def _entities(entry: OcppCsmsConfigEntry, charger_id: str) -> Iterable[ChargerEntity]:
    return [ChargerConnectedSensor(entry, charger_id, CONNECTED)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors for every accepted charger."""
    async_setup_charger_entities(hass, entry, async_add_entities, _entities)
