"""Binary sensors: charger connectivity, vehicle plugged in, charging."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .csms.model import EvseState
from .entity import ChargerEntity, EvseEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 0

CONNECTED = BinarySensorEntityDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


@dataclass(frozen=True, kw_only=True)
class EvseBinarySensorDescription(BinarySensorEntityDescription):
    """Describes an EVSE binary sensor."""

    value_fn: Callable[[EvseState], bool]


EVSE_SENSORS: tuple[EvseBinarySensorDescription, ...] = (
    EvseBinarySensorDescription(
        key="plugged_in",
        translation_key="plugged_in",
        device_class=BinarySensorDeviceClass.PLUG,
        value_fn=lambda evse: evse.plugged_in,
    ),
    EvseBinarySensorDescription(
        key="charging",
        translation_key="charging",
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        value_fn=lambda evse: evse.charging,
    ),
)


class ChargerConnectedSensor(ChargerEntity, BinarySensorEntity):
    """Whether the charger holds an open OCPP connection."""

    @property
    def available(self) -> bool:
        """Return True: connectivity is known even while disconnected."""
        return True

    @property
    def is_on(self) -> bool:
        """Return True while the charger is connected."""
        return self.central.connection(self.charger_id) is not None


class EvseBinarySensor(EvseEntity, BinarySensorEntity):
    """A yes/no fact about an EVSE."""

    entity_description: EvseBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """Return the fact from the neutral model."""
        return self.entity_description.value_fn(self.evse)


def _charger_entities(
    entry: OcppCsmsConfigEntry, charger_id: str
) -> Iterable[ChargerEntity]:
    return [ChargerConnectedSensor(entry, charger_id, CONNECTED)]


def _evse_entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[EvseEntity]:
    return [EvseBinarySensor(entry, charger_id, evse_id, d) for d in EVSE_SENSORS]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors for every accepted charger and EVSE."""
    async_setup_charger_entities(
        hass,
        entry,
        async_add_entities,
        charger_factory=_charger_entities,
        evse_factory=_evse_entities,
    )
