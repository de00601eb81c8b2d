"""Time: when the car leaves (the plan delivers the target by then)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from homeassistant.components.time import TimeEntity, TimeEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ModeEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 1

DEPARTURE = TimeEntityDescription(key="departure", translation_key="departure")


class DepartureTime(ModeEntity, TimeEntity):
    """The next time of day the car must be charged by."""

    @property
    def native_value(self) -> time:
        """Return the departure time of day."""
        return self.charging.settings.departure

    async def async_set_value(self, value: time) -> None:
        """Set the departure and re-plan."""
        await self.smart.async_update_settings(
            (self.charger_id, self.evse_id),
            departure=value.replace(second=0, microsecond=0),
        )
        self.async_write_ha_state()


def _entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[ModeEntity]:
    return [DepartureTime(entry, charger_id, evse_id, DEPARTURE)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the departure time of every EVSE."""
    async_setup_charger_entities(
        hass, entry, async_add_entities, evse_factory=_entities
    )
