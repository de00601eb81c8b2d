"""Read a PV production forecast from the common forecast integrations.

``parse_pv_forecast`` takes a forecast entity's state attributes and
returns ``(start, end, energy_wh)`` windows in time order:

- Solcast (HACS): ``detailedForecast`` (30 min) or ``detailedHourly``
  lists of ``{"period_start", "pv_estimate"}``, the estimate in kW;
- Forecast.Solar / Open-Meteo Solar Forecast style: ``wh_period``, a
  mapping of period start -> Wh in the period; or ``watts``, a mapping of
  moment -> W (each value holds until the next moment);
- generic: ``forecast``, a list of ``{"start", "end" (optional), "energy_wh"
  or "power_w"}``.

Times must carry a UTC offset (as for prices). A list without ends uses the
most common step between starts. Raises ``PriceFormatError`` (the shared
"this entity's data is not what we read" error) naming the problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from .prices import PriceFormatError, _parse_price, _parse_time

type ForecastWindow = tuple[datetime, datetime, float]

DEFAULT_STEP = timedelta(hours=1)


def parse_pv_forecast(attributes: Mapping[str, Any]) -> list[ForecastWindow]:
    """Return the forecast windows (UTC, Wh of PV production) in the attributes."""
    for key in ("detailedForecast", "detailedHourly"):
        if isinstance(attributes.get(key), list):
            return _solcast(attributes[key], key)
    if isinstance(attributes.get("wh_period"), Mapping):
        points = _points(attributes["wh_period"], "wh_period")
        return _windows(points, energy=True)
    if isinstance(attributes.get("watts"), Mapping):
        points = _points(attributes["watts"], "watts")
        return _windows(points, energy=False)
    if isinstance(attributes.get("forecast"), list):
        return _generic(attributes["forecast"])
    raise PriceFormatError(
        "no PV forecast found: expected detailedForecast/detailedHourly "
        "(Solcast), wh_period or watts (Forecast.Solar, Open-Meteo) or a "
        "generic 'forecast' list"
    )


def _step(starts: Sequence[datetime]) -> timedelta:
    gaps = Counter(after - before for before, after in pairwise(starts))
    return gaps.most_common(1)[0][0] if gaps else DEFAULT_STEP


def _solcast(entries: Sequence[Any], key: str) -> list[ForecastWindow]:
    points = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not isinstance(entry, Mapping):
            raise PriceFormatError(f"{where}: expected a mapping")
        start = _parse_time(entry.get("period_start"), f"{where}.period_start")
        kw = _parse_price(entry.get("pv_estimate"), f"{where}.pv_estimate")
        points.append((start, kw * 1000))
    return _windows(sorted(points), energy=False)


def _points(values: Mapping[Any, Any], key: str) -> list[tuple[datetime, float]]:
    return sorted(
        (
            _parse_time(moment, f"{key} key {moment!r}"),
            _parse_price(value, f"{key}[{moment!r}]"),
        )
        for moment, value in values.items()
    )


def _windows(
    points: list[tuple[datetime, float]], *, energy: bool
) -> list[ForecastWindow]:
    """Turn (start, value) points into windows; power is held to the next."""
    step = _step([start for start, _ in points])
    windows = []
    for index, (start, value) in enumerate(points):
        following = points[index + 1][0] if index + 1 < len(points) else None
        end = min(following, start + step) if following else start + step
        hours = (end - start).total_seconds() / 3600
        windows.append((start, end, value if energy else value * hours))
    return windows


def _generic(entries: Sequence[Any]) -> list[ForecastWindow]:
    rows = []
    for index, entry in enumerate(entries):
        where = f"forecast[{index}]"
        if not isinstance(entry, Mapping):
            raise PriceFormatError(f"{where}: expected a mapping")
        start = _parse_time(entry.get("start"), f"{where}.start")
        end = _parse_time(entry["end"], f"{where}.end") if "end" in entry else None
        if end is not None and end <= start:
            raise PriceFormatError(
                f"{where}.end: {end.isoformat()} is not after the start "
                f"{start.isoformat()}"
            )
        for key, is_energy in (("energy_wh", True), ("power_w", False)):
            if key in entry:
                value = _parse_price(entry[key], f"{where}.{key}")
                rows.append((start, end, value, is_energy))
                break
        else:
            raise PriceFormatError(f"{where}: needs energy_wh or power_w")
    rows.sort(key=lambda row: row[0])
    starts = sorted({row[0] for row in rows})
    following = dict(pairwise(starts))
    step = _step(starts)
    windows = []
    for start, given_end, value, is_energy in rows:
        # Without an end: to the next start, at most one step (a gap stays).
        end = given_end or min(start + step, following.get(start, start + step))
        hours = (end - start).total_seconds() / 3600
        windows.append((start, end, value if is_energy else value * hours))
    return windows


def ev_surplus_forecast(
    windows: Sequence[ForecastWindow], house_load_w: float
) -> list[ForecastWindow]:
    """Return what the EV could get: PV minus the household's expected load."""
    result = []
    for start, end, energy_wh in windows:
        hours = (end - start).total_seconds() / 3600
        result.append((start, end, max(0.0, energy_wh - house_load_w * hours)))
    return result
