"""Sensors of an EVSE: status, power, energy, session and measurements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .csms.model import ConnectorStatus, EvseState
from .entity import EvseEntity, ModeEntity, async_setup_charger_entities
from .runtime import OcppCsmsConfigEntry

PARALLEL_UPDATES = 0

type Value = float | str | None


@dataclass(frozen=True, kw_only=True)
class EvseSensorDescription(SensorEntityDescription):
    """Describes an EVSE sensor and how to read it from the model."""

    value_fn: Callable[[EvseState], Value]


def _session_duration(evse: EvseState) -> float | None:
    if evse.transaction is not None:
        return (dt_util.utcnow() - evse.transaction.started_at).total_seconds()
    if evse.last_session is not None:
        session = evse.last_session
        return (session.ended_at - session.started_at).total_seconds()
    return None


def _phase_current(phase: str) -> Callable[[EvseState], Value]:
    return lambda evse: evse.current_a.get(phase)


def _phase_voltage(phase: str) -> Callable[[EvseState], Value]:
    return lambda evse: evse.voltage_v.get(phase)


SENSORS: tuple[EvseSensorDescription, ...] = (
    EvseSensorDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ConnectorStatus],
        value_fn=lambda evse: evse.status.value,
    ),
    EvseSensorDescription(
        key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda evse: evse.power_w,
    ),
    EvseSensorDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda evse: evse.energy_wh,
    ),
    EvseSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda evse: evse.session_energy_wh,
    ),
    EvseSensorDescription(
        key="session_duration",
        translation_key="session_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        value_fn=_session_duration,
    ),
    EvseSensorDescription(
        key="current_offered",
        translation_key="current_offered",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda evse: evse.current_offered_a,
    ),
    EvseSensorDescription(
        key="soc",
        translation_key="soc",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda evse: evse.soc_percent,
    ),
    EvseSensorDescription(
        key="temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda evse: evse.temperature_c,
    ),
    *(
        EvseSensorDescription(
            key=f"current_{phase.lower()}",
            translation_key="current_phase",
            translation_placeholders={"phase": phase},
            device_class=SensorDeviceClass.CURRENT,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
            suggested_display_precision=1,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            value_fn=_phase_current(phase),
        )
        for phase in ("L1", "L2", "L3")
    ),
    *(
        EvseSensorDescription(
            key=f"voltage_{phase.lower()}",
            translation_key="voltage_phase",
            translation_placeholders={"phase": phase},
            device_class=SensorDeviceClass.VOLTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfElectricPotential.VOLT,
            suggested_display_precision=0,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
            value_fn=_phase_voltage(phase),
        )
        for phase in ("L1", "L2", "L3")
    ),
    EvseSensorDescription(
        key="error_code",
        translation_key="error_code",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda evse: evse.error_code,
    ),
    EvseSensorDescription(
        key="id_tag",
        translation_key="id_tag",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda evse: evse.transaction.id_tag if evse.transaction else None,
    ),
    EvseSensorDescription(
        key="transaction_id",
        translation_key="transaction_id",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda evse: (
            evse.transaction.transaction_id if evse.transaction else None
        ),
    ),
)


class EvseSensor(EvseEntity, SensorEntity):
    """A sensor reading one value of an EVSE."""

    entity_description: EvseSensorDescription

    @property
    def native_value(self) -> Value:
        """Return the value from the neutral model."""
        return self.entity_description.value_fn(self.evse)


CHARGING_PLAN = SensorEntityDescription(
    key="charging_plan",
    translation_key="charging_plan",
    device_class=SensorDeviceClass.TIMESTAMP,
)
SESSION_COST = SensorEntityDescription(
    key="session_cost",
    translation_key="session_cost",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)


class ChargingPlanSensor(ModeEntity, SensorEntity):
    """When charging starts next; the whole plan in the attributes."""

    # The slots list is long and changes often: keep it out of the history.
    _unrecorded_attributes = frozenset({"slots"})

    @property
    def native_value(self) -> datetime | None:
        """Return the next planned start."""
        return self.charging.view.next_start

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the plan: status, energy, cost, the slots."""
        view = self.charging.view
        need = view.need
        return {
            "mode": view.mode.value,
            "status": view.status,
            "departure": view.departure.isoformat() if view.departure else None,
            "needed_energy_kwh": round(need.energy_wh / 1000, 3) if need else None,
            "target_basis": need.basis if need else None,
            "planned_energy_kwh": round(view.energy_wh / 1000, 3),
            "expected_solar_kwh": round(view.expected_solar_wh / 1000, 3),
            "expected_cost": round(view.cost, 4) if view.cost is not None else None,
            "complete": view.complete,
            "reason": view.reason,
            "slots": list(view.slots),
        }


class SessionCostSensor(ModeEntity, SensorEntity):
    """What the running (or last) session cost at the slot prices."""

    @property
    def native_value(self) -> float:
        """Return the cost so far."""
        return round(self.charging.session_cost, 4)

    @property
    def native_unit_of_measurement(self) -> str:
        """Return the price entity's currency."""
        return self.smart.currency

    @property
    def last_reset(self) -> datetime | None:
        """Return when the session started (the cost restarts at 0)."""
        evse = self.evse
        if evse.transaction is not None:
            return evse.transaction.started_at
        return evse.last_session.started_at if evse.last_session else None


def _entities(
    entry: OcppCsmsConfigEntry, charger_id: str, evse_id: int
) -> Iterable[EvseEntity]:
    return [
        *(EvseSensor(entry, charger_id, evse_id, desc) for desc in SENSORS),
        ChargingPlanSensor(entry, charger_id, evse_id, CHARGING_PLAN),
        SessionCostSensor(entry, charger_id, evse_id, SESSION_COST),
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: OcppCsmsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors for every EVSE."""
    async_setup_charger_entities(
        hass, entry, async_add_entities, evse_factory=_entities
    )
