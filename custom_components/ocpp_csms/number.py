"""Numbers: an EVSE's maximum current, and its charging targets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import PERCENTAGE, UnitOfElectricCurrent, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import EvseEntity, ModeEntity, async_setup_charger_entities
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


@dataclass(frozen=True, kw_only=True)
class TargetNumberDescription(NumberEntityDescription):
    """A charging target and the setting it edits."""

    setting: str


TARGETS = (
    TargetNumberDescription(
        key="target_energy",
        translation_key="target_energy",
        setting="target_energy_kwh",
        device_class=NumberDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        native_min_value=0,
        native_max_value=200,
        native_step=0.5,
        mode=NumberMode.BOX,
    ),
    TargetNumberDescription(
        key="target_soc",
        translation_key="target_soc",
        setting="target_soc",
        native_unit_of_measurement=PERCENTAGE,
        native_min_value=0,
        native_max_value=100,
        native_step=1,
        mode=NumberMode.SLIDER,
    ),
)


PRICE_CAP = TargetNumberDescription(
    key="price_cap",
    translation_key="price_cap",
    setting="price_cap",
    native_min_value=0,
    native_max_value=10,
    native_step=0.01,
    mode=NumberMode.BOX,
)


class TargetNumber(ModeEntity, NumberEntity):
    """Target energy (kWh) or SoC (%) by the departure."""

    entity_description: TargetNumberDescription

    @property
    def native_value(self) -> float:
        """Return the stored target."""
        value: float = getattr(self.charging.settings, self.entity_description.setting)
        return value

    async def async_set_native_value(self, value: float) -> None:
        """Store the target and re-plan."""
        await self.smart.async_update_settings(
            (self.charger_id, self.evse_id),
            **{self.entity_description.setting: value},
        )
        self.async_write_ha_state()


class PriceCapNumber(TargetNumber):
    """The dearest price the plans may buy at, in the price sensor's unit."""

    @property
    def native_unit_of_measurement(self) -> str:
        """Return the price entity's currency per kWh."""
        return f"{self.smart.currency}/kWh"


class MaxCurrentNumber(EvseEntity, RestoreNumber):
    """The current limit we last applied to the EVSE."""

    _attr_native_value: float | None = None

    @property
    def native_value(self) -> float | None:
        """Return the limit, unknown while a rebooted charger refuses it back."""
        if (self.charger_id, self.evse_id) in self._entry.runtime_data.limits_lost:
            return None
        return self._attr_native_value

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
        key = (self.charger_id, self.evse_id)
        smart = runtime.smart
        if smart is not None and smart.controls(key):
            # The mode caps its plan or surplus at this limit.
            runtime.user_limits[key] = value
            await smart.async_apply(key, explicit=True)
        elif balancer is not None and balancer.enabled and self.evse.transaction:
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
    return [
        MaxCurrentNumber(entry, charger_id, evse_id, MAX_CURRENT),
        *(TargetNumber(entry, charger_id, evse_id, desc) for desc in TARGETS),
        PriceCapNumber(entry, charger_id, evse_id, PRICE_CAP),
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the current limit of every EVSE."""
    async_setup_charger_entities(
        hass, entry, async_add_entities, evse_factory=_entities
    )
