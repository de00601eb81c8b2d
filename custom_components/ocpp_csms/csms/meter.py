"""Meter value parsing: 1.6 and 2.x sampled values into MeterSample."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
import logging
from typing import Any

from .model import Measurand, MeterSample

_LOGGER = logging.getLogger(__name__)

_KEPT = {measurand.value: measurand for measurand in Measurand}
# Units that need scaling to the model's base units (Wh, W, A, V, %, Celsius).
_SCALE = {"kWh": 1000.0, "kW": 1000.0, "kvarh": 1000.0, "kvar": 1000.0}
_DEFAULT_MEASURAND = Measurand.ENERGY_IMPORT.value


def parse_time(value: str | None) -> datetime | None:
    """Parse an OCPP dateTime, tolerating the 'Z' suffix; None when absent."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _phase(value: str | None) -> str | None:
    # "L1-N" (voltage to neutral) and "L1" describe the same phase for us.
    if value is None:
        return None
    return value.split("-", 1)[0] if value.endswith("-N") else value


# The units a measurand can honestly be in (None: the spec's default unit).
_ENERGY_UNITS = frozenset({None, "Wh", "kWh"})


def _sample(
    raw: dict[str, Any], value: float, unit: str | None, at: datetime | None
) -> MeterSample | None:
    measurand = _KEPT.get(raw.get("measurand", _DEFAULT_MEASURAND))
    if measurand is None:
        return None
    if measurand is Measurand.ENERGY_IMPORT and unit not in _ENERGY_UNITS:
        # Some chargers (Alfen) omit the measurand of a current in A: the
        # default "energy register" would turn 16 A into 16 Wh.
        _LOGGER.debug("Skipping an energy register in %s: %s", unit, raw)
        return None
    if unit is not None:
        value *= _SCALE.get(unit, 1.0)
    if unit == "K" and measurand is Measurand.TEMPERATURE:
        value -= 273.15
    elif unit == "Fahrenheit" and measurand is Measurand.TEMPERATURE:
        value = (value - 32) * 5 / 9
    return MeterSample(
        measurand=measurand,
        value=value,
        phase=_phase(raw.get("phase")),
        context=raw.get("context"),
        timestamp=at,
    )


def samples_v16(meter_values: Iterable[dict[str, Any]]) -> list[MeterSample]:
    """Parse 1.6 meterValue entries (values are strings, units by name)."""
    samples: list[MeterSample] = []
    for entry in meter_values:
        at = parse_time(entry.get("timestamp"))
        for raw in entry.get("sampledValue", []):
            if raw.get("format") == "SignedData":
                continue
            try:
                value = float(raw["value"])
            except (KeyError, ValueError):
                _LOGGER.debug("Skipping unreadable sampled value %s", raw)
                continue
            if (sample := _sample(raw, value, raw.get("unit"), at)) is not None:
                samples.append(sample)
    return samples


def samples_v2(meter_values: Iterable[dict[str, Any]]) -> list[MeterSample]:
    """Parse 2.x meterValue entries (numbers with unitOfMeasure/multiplier)."""
    samples: list[MeterSample] = []
    for entry in meter_values:
        at = parse_time(entry.get("timestamp"))
        for raw in entry.get("sampledValue", []):
            unit_of_measure = raw.get("unitOfMeasure") or {}
            value = float(raw["value"]) * 10.0 ** int(
                unit_of_measure.get("multiplier", 0)
            )
            sample = _sample(raw, value, unit_of_measure.get("unit"), at)
            if sample is not None:
                samples.append(sample)
    return samples
