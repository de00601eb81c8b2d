"""Fetch the price forecast behind a price entity.

Most price integrations put the forecast in their entity's attributes; the
core Nord Pool integration offers it only through its
``nordpool.get_prices_for_date`` action, which is asked for today and, once
published, tomorrow (each day fetched once).
"""

from __future__ import annotations

from datetime import date, timedelta
import logging

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .charging.prices import PriceSlot, parse_prices

_LOGGER = logging.getLogger(__name__)

NORDPOOL = "nordpool"


class PriceSource:
    """The prices of one entity, read from its attributes or its action."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        """Read the prices of ``entity_id``."""
        self._hass = hass
        self.entity_id = entity_id
        self._days: dict[date, list[PriceSlot]] = {}

    async def async_prices(self) -> list[PriceSlot]:
        """Return the known price slots (raise PriceFormatError when unreadable)."""
        state = self._hass.states.get(self.entity_id)
        if state is None:
            return []
        entry = er.async_get(self._hass).async_get(self.entity_id)
        if entry is not None and entry.platform == NORDPOOL and entry.config_entry_id:
            return await self._async_nordpool(entry)
        return parse_prices(state.attributes)

    async def _async_nordpool(self, entry: er.RegistryEntry) -> list[PriceSlot]:
        today = dt_util.now().date()
        # The core sensors' unique ids start with the area ("SE3-current_price").
        area = entry.unique_id.split("-", 1)[0] or None
        for day in (today, today + timedelta(days=1)):
            if day in self._days:
                continue
            try:
                response = await self._hass.services.async_call(
                    NORDPOOL,
                    "get_prices_for_date",
                    {"config_entry": entry.config_entry_id, "date": day.isoformat()},
                    blocking=True,
                    return_response=True,
                )
            except HomeAssistantError as err:
                # Tomorrow's prices are published around 13:00.
                _LOGGER.debug("No Nord Pool prices for %s yet: %s", day, err)
                continue
            if response is not None:
                self._days[day] = parse_prices(action_response=response, area=area)
        self._days = {day: slots for day, slots in self._days.items() if day >= today}
        return sorted(
            (slot for slots in self._days.values() for slot in slots),
            key=lambda slot: slot.start,
        )
