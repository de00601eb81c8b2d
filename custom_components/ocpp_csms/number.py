"""Number: the maximum current of an EVSE (a TxDefaultProfile limit)."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import EvseEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 1

MAX_CURRENT = NumberEntityDescription(
    key="max_current",
    translation_key="max_current",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    # IEC 61851: below 6 A a car cannot charge; 0 means "no power".
    native_min_value=0,
    native_max_value=32,
    native_step=1,
    mode=NumberMode.SLIDER,
)


class MaxCurrentNumber(EvseEntity, RestoreNumber):
    """The current limit we last applied to the EVSE."""

    _attr_native_value: float | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the last limit we set."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_number_data()) is not None:
            self._attr_native_value = last.native_value
            if last.native_value is not None:
                self._entry.runtime_data.user_limits[
                    (self.charger_id, self.evse_id)
                ] = last.native_value

    async def async_set_native_value(self, value: float) -> None:
        """Apply the limit (verified); with load balancing, cap the shares."""
        runtime = self._entry.runtime_data
        balancer = runtime.balancer
        if balancer is not None and balancer.enabled and self.evse.transaction:
            # The balancer sends min(share, this limit) for running sessions.
            balancer.sent.pop((self.charger_id, self.evse_id), None)
            balancer.schedule()
        else:
            await self._limit(self.evse_id, amps=value)
        runtime.user_limits[(self.charger_id, self.evse_id)] = value
        self._attr_native_value = value
        self.async_write_ha_state()


def _entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[EvseEntity]:
    return [MaxCurrentNumber(entry, charger_id, evse_id, MAX_CURRENT)]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the current limit of every EVSE."""
    async_setup_charger_entities(
        hass, entry, async_add_entities, evse_factory=_entities
    )
