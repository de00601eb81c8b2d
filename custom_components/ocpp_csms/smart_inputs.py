"""What the charging modes read: prices, meters, forecast, the EVSE's limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .charging.limits import electrical_of
from .charging.modes import EnergyNeed, energy_needed
from .charging.prices import PriceFormatError, PriceSlot
from .charging.profiles import MIN_CURRENT_A
from .charging.pv_forecast import ev_surplus_forecast, parse_pv_forecast
from .charging.surplus import SurplusConfig, SurplusInputs
from .const import (
    CONF_BATTERY_POWER_SENSOR,
    CONF_BATTERY_PRIORITY_SOC,
    CONF_BATTERY_SOC_SENSOR,
    CONF_GRID_EXPORT_POSITIVE,
    CONF_GRID_POWER_SENSOR,
    CONF_PRICE_ENTITY,
    CONF_PV_FORECAST_ENTITY,
    CONF_PV_POWER_SENSOR,
    DOMAIN,
)
from .hub import hub_of
from .price_source import PriceSource
from .readings import price_currency, read_number, read_power_w

if TYPE_CHECKING:
    from .smart_state import EvseCharging, EvseKey

_LOGGER = logging.getLogger(__name__)

# Without a PV sensor, the household is assumed to use this much.
DEFAULT_HOUSE_LOAD_W = 500.0
HOUSE_LOAD_SMOOTHING = 0.05


class SiteInputs:
    """Reads the hub's configured entities and an EVSE's state for the brain."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Read the entities named in the hub's options."""
        self._hass = hass
        self._entry = entry
        self.prices: list[PriceSlot] = []
        self._price_error: str | None = None
        price_entity = entry.options.get(CONF_PRICE_ENTITY)
        self._price_source = PriceSource(hass, price_entity) if price_entity else None
        self._house_load_w = DEFAULT_HOUSE_LOAD_W

    @property
    def _options(self) -> Mapping[str, Any]:
        return self._entry.options

    async def async_read_prices(self) -> None:
        """Re-read the prices; an unreadable entity raises a repair issue."""
        issue_id = f"price_entity_unreadable_{self._entry.entry_id}"
        if self._price_source is None:
            return
        try:
            self.prices = await self._price_source.async_prices()
        except PriceFormatError as err:
            self.prices = []
            if self._price_error != str(err):
                self._price_error = str(err)
                ir.async_create_issue(
                    self._hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="price_entity_unreadable",
                    translation_placeholders={
                        "entity_id": self._price_source.entity_id,
                        "error": str(err),
                    },
                )
            return
        if self._price_error is not None:
            self._price_error = None
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)

    def price_at(self, moment: datetime) -> float | None:
        """Return the price of the slot holding ``moment``, if known."""
        for slot in self.prices:
            if slot.start <= moment < slot.end:
                return slot.price
        return None

    @property
    def currency(self) -> str:
        """Return the price entity's currency."""
        return price_currency(self._hass, self._options.get(CONF_PRICE_ENTITY))

    def max_a(self, key: EvseKey) -> float:
        """Return the EVSE's cap: the user's maximum current, within the fuse."""
        runtime = hub_of(self._entry)
        user = runtime.user_limits.get(key)
        limit = user if user else 32.0
        if runtime.balancer is not None and runtime.balancer.enabled:
            limit = min(limit, runtime.balancer.fuse_a)
        return max(MIN_CURRENT_A, limit)

    def phases(self, key: EvseKey) -> tuple[int, float]:
        """Return the phases the car uses (3 until seen) and the voltage."""
        evse = hub_of(self._entry).central.tracker(key[0]).state.evse(key[1])
        electrical = electrical_of(evse)
        return electrical.phases, electrical.voltage_v

    def phase_switching(self, key: EvseKey) -> bool:
        """Return whether the charger can switch between one and three phases."""
        tracker = hub_of(self._entry).central.tracker(key[0])
        return tracker.state.capabilities.phase_switching

    def need(self, key: EvseKey, state: EvseCharging) -> EnergyNeed:
        """Return the energy the car still needs for the EVSE's target."""
        evse = hub_of(self._entry).central.tracker(key[0]).state.evse(key[1])
        session_wh = (evse.session_energy_wh or 0.0) if evse.transaction else 0.0
        return energy_needed(
            state.settings,
            session_wh=session_wh,
            soc=evse.soc_percent if evse.transaction else None,
            capacity_kwh=state.capacity_kwh,
        )

    def solar_forecast(self) -> list[tuple[datetime, datetime, float]]:
        """Return the EV-usable surplus forecast (PV less the household's use)."""
        entity_id = self._options.get(CONF_PV_FORECAST_ENTITY)
        forecast_state = self._hass.states.get(entity_id) if entity_id else None
        if forecast_state is None:
            return []
        try:
            windows = parse_pv_forecast(forecast_state.attributes)
        except PriceFormatError as err:
            _LOGGER.warning("Cannot read the PV forecast %s: %s", entity_id, err)
            return []
        return ev_surplus_forecast(windows, self._house_load_w)

    def surplus_config(self, key: EvseKey) -> SurplusConfig:
        """Return the surplus controller's limits for this EVSE and charger."""
        phases, voltage = self.phases(key)
        available = (1, 3) if self.phase_switching(key) else (phases,)
        priority = self._options.get(CONF_BATTERY_PRIORITY_SOC)
        return SurplusConfig(
            max_a=self.max_a(key),
            voltage_v=voltage,
            phases_available=available if set(available) <= {1, 3} else (3,),
            battery_priority_soc=float(priority) if priority else None,
        )

    def surplus_inputs(self, key: EvseKey, now: datetime) -> SurplusInputs | None:
        """Return the meter readings, or None while the grid sensor has none."""
        options = self._options
        grid = read_power_w(
            self._hass,
            options.get(CONF_GRID_POWER_SENSOR),
            invert=bool(options.get(CONF_GRID_EXPORT_POSITIVE)),
        )
        if grid is None:
            return None
        evse = hub_of(self._entry).central.tracker(key[0]).state.evse(key[1])
        ev = evse.power_w or 0.0
        battery = read_power_w(self._hass, options.get(CONF_BATTERY_POWER_SENSOR))
        pv = read_power_w(self._hass, options.get(CONF_PV_POWER_SENSOR))
        if pv is not None:
            house = pv + grid - ev - (battery or 0.0)
            self._house_load_w += HOUSE_LOAD_SMOOTHING * (
                max(0.0, house) - self._house_load_w
            )
        return SurplusInputs(
            now=now,
            grid_power_w=grid,
            ev_power_w=ev,
            battery_power_w=battery or 0.0,
            battery_soc=read_number(self._hass, options.get(CONF_BATTERY_SOC_SENSOR)),
        )
