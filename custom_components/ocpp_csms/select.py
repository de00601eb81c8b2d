"""Select: the charging mode of an EVSE."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .charging.modes import ChargingMode
from .entity import ModeEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 1

CHARGING_MODE = SelectEntityDescription(
    key="charging_mode",
    translation_key="charging_mode",
    options=[mode.value for mode in ChargingMode],
)


class ChargingModeSelect(ModeEntity, SelectEntity):
    """Off, fast, cheapest, solar, solar + minimum or smart."""

    @property
    def current_option(self) -> str:
        """Return the EVSE's mode."""
        return self.charging.settings.mode.value

    async def async_select_option(self, option: str) -> None:
        """Switch the mode (refused when its sensors are not configured)."""
        await self.smart.async_update_settings(
            (self.charger_id, self.evse_id), mode=ChargingMode(option)
        )
        self.async_write_ha_state()


def _entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[ModeEntity]:
    return [ChargingModeSelect(entry, charger_id, evse_id, CHARGING_MODE)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the charging mode of every EVSE."""
    async_setup_charger_entities(
        hass, entry, async_add_entities, evse_factory=_entities
    )
