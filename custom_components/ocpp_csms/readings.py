"""Read numbers from other integrations' entities (meters, batteries, prices)."""

from __future__ import annotations

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant

_POWER_FACTORS: dict[str, float] = {
    UnitOfPower.WATT: 1.0,
    UnitOfPower.KILO_WATT: 1000.0,
    UnitOfPower.MEGA_WATT: 1_000_000.0,
}


def read_number(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """Return an entity's state as a number; None when unset or unknown."""
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return None
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        return float(state.state)
    except ValueError:
        return None


def read_power_w(
    hass: HomeAssistant, entity_id: str | None, *, invert: bool = False
) -> float | None:
    """Return a power sensor in W (kW and MW converted), optionally negated."""
    value = read_number(hass, entity_id)
    if value is None or entity_id is None:
        return None
    state = hass.states.get(entity_id)
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
    watts = value * _POWER_FACTORS.get(str(unit), 1.0)
    return -watts if invert else watts


def price_currency(hass: HomeAssistant, entity_id: str | None) -> str:
    """Return the currency of a price entity ("EUR/kWh" -> "EUR")."""
    state = hass.states.get(entity_id) if entity_id else None
    if state is not None:
        currency = state.attributes.get("currency")
        if isinstance(currency, str) and currency:
            return currency
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if isinstance(unit, str) and "/" in unit:
            return unit.split("/", 1)[0].strip()
    return hass.config.currency
