"""Meter samples of an EVSE, encoded as 1.6 or 2.0.1/2.1 MeterValue objects."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .faults import EnergyUnit

if TYPE_CHECKING:
    from .model import EvseState

PHASES = ("L1", "L2", "L3")


class ReadingContext(StrEnum):
    """Why a sample was taken (same names in 1.6 and 2.0.1)."""

    PERIODIC = "Sample.Periodic"
    CLOCK = "Sample.Clock"
    BEGIN = "Transaction.Begin"
    END = "Transaction.End"
    TRIGGER = "Trigger"


@dataclass(frozen=True)
class Sample:
    """One measured value, version-neutral."""

    measurand: str
    value: float
    unit: str
    phase: str | None = None
    location: str = "Outlet"


def utc_now(skew: timedelta = timedelta(0)) -> str:
    """Return the current time as OCPP wants it: UTC, ISO 8601 with a Z.

    ``skew`` plays a charger whose clock is off.
    """
    now = datetime.now(UTC) + skew
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def in_unit(samples: list[Sample], unit: EnergyUnit) -> list[Sample]:
    """Express the energy register in ``unit`` (chargers that switch to kWh)."""
    if unit is EnergyUnit.WH:
        return samples
    return [
        replace(s, value=s.value / 1000.0, unit=unit.value)
        if s.unit == EnergyUnit.WH.value
        else s
        for s in samples
    ]


def _text(sample: Sample) -> str:
    # kWh needs more decimals than Wh to keep the same resolution (0.1 Wh).
    decimals = 4 if sample.unit == EnergyUnit.KWH.value else 1
    return f"{sample.value:.{decimals}f}"


def take_samples(evse: EvseState, phases: int) -> list[Sample]:
    """Read the meter: energy register, power, per-phase current/voltage, SoC."""
    samples = [
        Sample("Energy.Active.Import.Register", round(evse.energy_wh, 1), "Wh"),
        Sample("Power.Active.Import", round(evse.power_w, 1), "W"),
    ]
    samples += [
        Sample("Current.Import", round(evse.current[i], 1), "A", phase)
        for i, phase in enumerate(PHASES[:phases])
    ]
    samples += [
        Sample("Voltage", round(evse.voltage, 1), "V", f"{phase}-N")
        for phase in PHASES[:phases]
    ]
    if evse.soc is not None:
        samples.append(Sample("SoC", round(evse.soc, 1), "Percent", location="EV"))
    return samples


def energy_only(evse: EvseState) -> list[Sample]:
    """Just the energy register (Transaction.Begin / End samples)."""
    return [Sample("Energy.Active.Import.Register", round(evse.energy_wh, 1), "Wh")]


def meter_value_v16(
    samples: list[Sample], context: ReadingContext, timestamp: str | None = None
) -> dict[str, Any]:
    """Encode samples as one 1.6 MeterValue (values are strings)."""
    sampled: list[dict[str, Any]] = []
    for sample in samples:
        item: dict[str, Any] = {
            "value": _text(sample),
            "context": context.value,
            "format": "Raw",
            "measurand": sample.measurand,
            "location": sample.location,
            "unit": sample.unit,
        }
        if sample.phase is not None:
            item["phase"] = sample.phase
        sampled.append(item)
    return {"timestamp": timestamp or utc_now(), "sampledValue": sampled}


def meter_value_v2x(
    samples: list[Sample], context: ReadingContext, timestamp: str | None = None
) -> dict[str, Any]:
    """Encode samples as one 2.0.1/2.1 MeterValue (values are numbers)."""
    sampled: list[dict[str, Any]] = []
    for sample in samples:
        item: dict[str, Any] = {
            "value": round(sample.value, 4),
            "context": context.value,
            "measurand": sample.measurand,
            "location": sample.location,
            "unitOfMeasure": {"unit": sample.unit},
        }
        if sample.phase is not None:
            item["phase"] = sample.phase
        sampled.append(item)
    return {"timestamp": timestamp or utc_now(), "sampledValue": sampled}
