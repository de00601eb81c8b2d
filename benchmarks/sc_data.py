"""Data for the smart-charging benchmark: prices, PV, household load, sessions.

Everything is brought to one clock: minute ``m`` is ``t0 + m minutes`` where
``t0`` is local midnight (Europe/Amsterdam) of the first simulated day, in
UTC. Prices become 15-minute ``PriceSlot`` objects from ``t0``.

Default sources are the data files of the PyPI package ``ev2gym`` 2.0.0:
NL day-ahead prices 2015-2024 (hourly, EUR/MWh, UTC), NL PV output per kWp
for 2019 (hourly kW, UTC; mapped onto the simulated year by month, day and
hour) and 25 residential load profiles (15-minute kW, no timestamps: row 0 is
taken as local midnight of 1 January). Hourly and 15-minute series are turned
into minutes by linear interpolation between interval centres; a seeded
AR(1) noise is then added and each source interval is re-scaled to keep its
energy, so the data's energy is kept exactly: PV clouds (1-minute AR(1),
phi 0.9, sigma up to 40% on partly cloudy hours, none on clear or overcast
ones, see ``cloudiness``), household appliances (phi 0.8, sigma 30%).
``--noise 0`` keeps the smooth interpolation.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
import importlib.util
from pathlib import Path
import random
from zoneinfo import ZoneInfo

import numpy as np
from scipy.ndimage import maximum_filter1d  # type: ignore[import-untyped]
from scipy.signal import lfilter  # type: ignore[import-untyped]

from custom_components.ocpp_csms.charging.prices import PriceSlot

TZ = ZoneInfo("Europe/Amsterdam")
SLOT_MIN = 15
EXTRA_DAYS = 2  # data beyond the last day: tomorrow's prices, late departures


def ev2gym_file(name: str) -> Path:
    """Return a data file of the installed ev2gym package."""
    spec = importlib.util.find_spec("ev2gym")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "ev2gym is not installed: pip install --no-deps -r "
            "benchmarks/requirements.txt (or give --prices, --pv and --load)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    if value.utcoffset() is None:
        raise ValueError(f"time without UTC offset: {text!r}")
    return value.astimezone(UTC)


def read_series(path: Path, columns: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV of ISO 8601 times (with offset) and numbers; UTC seconds."""
    times, values = [], []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            times.append(_parse_time(row[columns[0]]).timestamp())
            values.append(float(row[columns[1]]))
    order = np.argsort(times)
    return np.asarray(times)[order], np.asarray(values)[order]


def ev2gym_prices() -> tuple[np.ndarray, np.ndarray]:
    """NL day-ahead prices (UTC seconds, EUR/kWh); two date formats in the file."""
    times, values = [], []
    with ev2gym_file("Netherlands_day-ahead-2015-2024.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            text = row["Datetime (UTC)"].strip()
            if not text:
                continue
            if "/" in text:  # 2023-2025 rows: dd/mm/yyyy HH:MM
                stamp = datetime.strptime(text, "%d/%m/%Y %H:%M")
            else:
                stamp = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            times.append(stamp.replace(tzinfo=UTC).timestamp())
            values.append(float(row["Price (EUR/MWhe)"]) / 1000)
    order = np.argsort(times)
    return np.asarray(times)[order], np.asarray(values)[order]


def ev2gym_pv(year: int) -> tuple[np.ndarray, np.ndarray]:
    """NL PV kW per kWp (2019), re-dated to ``year`` (29 Feb repeats 28 Feb)."""
    by_key: dict[tuple[int, int, int], float] = {}
    with ev2gym_file("pv_netherlands.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            stamp = datetime.strptime(row["time"], "%Y-%m-%d %H:%M")
            by_key[stamp.month, stamp.day, stamp.hour] = float(row["electricity"])
    start = datetime(year - 1, 12, 31, tzinfo=UTC)
    times, values = [], []
    for hour in range(24 * 369):
        stamp = start + timedelta(hours=hour)
        day = 28 if (stamp.month, stamp.day) == (2, 29) else stamp.day
        times.append(stamp.timestamp())
        values.append(by_key.get((stamp.month, day, stamp.hour), 0.0))
    return np.asarray(times), np.asarray(values)


def ev2gym_load(year: int, profile: int) -> tuple[np.ndarray, np.ndarray]:
    """One ev2gym household's 15-minute kW, row 0 = local 1 January 00:00."""
    with ev2gym_file("residential_loads.csv").open(newline="") as f:
        column = [float(row[profile]) for row in csv.reader(f)]
    t0 = datetime(year, 1, 1, tzinfo=TZ).astimezone(UTC).timestamp()
    count = 96 * 368
    times = t0 - 96 * 900 + 900 * np.arange(count)
    values = np.asarray([column[i % len(column)] for i in range(-96, count - 96)])
    return times, values


def _step(times: np.ndarray) -> float:
    gaps = np.diff(times)
    return float(np.median(gaps)) if len(gaps) else 3600.0


def to_minutes(
    times: np.ndarray, values: np.ndarray, t0: float, minutes: int
) -> np.ndarray:
    """Interval averages -> per-minute values (linear between centres)."""
    step = _step(times)
    minute_mid = t0 + 60 * np.arange(minutes) + 30
    return np.asarray(np.interp(minute_mid, times + step / 2, values))


def add_noise(
    series: np.ndarray,
    source_step_min: int,
    sigma: float | np.ndarray,
    phi: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Multiply by AR(1) noise, then keep each source interval's energy."""
    if np.all(np.asarray(sigma) <= 0):
        return series
    shocks = rng.normal(0.0, 1.0, len(series)) * sigma * np.sqrt(1 - phi * phi)
    factor = np.clip(1 + lfilter([1.0], [1.0, -phi], shocks), 0.05, 2.0)
    noisy = series * factor
    blocks = len(series) // source_step_min * source_step_min
    shape = (-1, source_step_min)
    want = series[:blocks].reshape(shape).sum(axis=1, keepdims=True)
    have = noisy[:blocks].reshape(shape).sum(axis=1, keepdims=True)
    scale = np.divide(want, have, out=np.ones_like(want), where=have > 0)
    noisy[:blocks] = (noisy[:blocks].reshape(shape) * scale).reshape(-1)
    return np.asarray(noisy)


def cloudiness(pv_w: np.ndarray) -> np.ndarray:
    """Per minute, 4 k (1 - k) with k the hour's share of a clear sky.

    Clear sky: the highest output at that hour of day within +-10 days.
    0 on clear and on overcast hours, 1 at half of a clear sky, where
    passing clouds make PV jump the most.
    """
    days = len(pv_w) // 1440
    hourly = pv_w[: days * 1440].reshape(days, 24, 60).mean(axis=2)
    clear = maximum_filter1d(hourly, size=21, axis=0, mode="nearest")
    share = np.divide(hourly, clear, out=np.zeros_like(hourly), where=clear > 1)
    shape = np.repeat((4 * share * (1 - share)).reshape(-1), 60)
    return np.concatenate([shape, np.zeros(len(pv_w) - len(shape))])


@dataclass(frozen=True, kw_only=True)
class Session:
    """One plug-in: true need, what the planner is told, the car's battery."""

    index: int
    arrival: int  # minute
    departure: int  # minute (exclusive)
    energy_wh: float  # what the car really takes (to its target SoC)
    error: float  # estimate = energy_wh * (1 + error) in the "±15%" runs
    capacity_wh: float
    target_soc: float
    kind: str  # "overnight" or "daytime"

    @property
    def arrival_soc(self) -> float:
        """Return the SoC when plugged in."""
        return self.target_soc - self.energy_wh / self.capacity_wh


@dataclass
class World:
    """Minute series, price slots and the calendar of the simulated period."""

    t0: datetime
    days: int
    minutes: int
    price_min: np.ndarray  # EUR/kWh
    pv_w: np.ndarray
    load_w: np.ndarray
    slots: list[PriceSlot]
    slot_price: np.ndarray
    day_start: list[int]  # minute of local midnight, days + EXTRA_DAYS + 1
    day_noon13: list[int]  # minute of local 13:00 (tomorrow's prices published)
    pv_hour_w: np.ndarray  # hourly means (forecast basis)
    load_hour_w: np.ndarray
    forecast_factor: np.ndarray  # per day: forecast PV = actual x factor

    def at(self, minute: float) -> datetime:
        """Return the time of a (fractional) minute."""
        return self.t0 + timedelta(minutes=minute)

    def day_of(self, minute: int) -> int:
        """Return the local day index of a minute."""
        lo, hi = 0, len(self.day_start) - 1
        while lo < hi:  # last day_start <= minute
            mid = (lo + hi + 1) // 2
            if self.day_start[mid] <= minute:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def known_until(self, minute: int) -> int:
        """Return the minute up to which prices are known (tomorrow from 13:00)."""
        day = self.day_of(minute)
        ahead = 2 if minute >= self.day_noon13[day] else 1
        return self.day_start[min(day + ahead, len(self.day_start) - 1)]

    def prices(self, start: int, end: int) -> list[PriceSlot]:
        """Return the price slots overlapping minutes [start, end)."""
        return self.slots[start // SLOT_MIN : -(-end // SLOT_MIN)]


def build_world(
    *,
    start: date,
    days: int,
    prices: tuple[np.ndarray, np.ndarray],
    pv_kw_per_kwp: tuple[np.ndarray, np.ndarray],
    load_kw: tuple[np.ndarray, np.ndarray],
    kwp: float,
    load_kwh_year: float | None,
    noise: float,
    forecast_error: float,
    seed: int,
) -> World:
    """Bring all series onto the minute clock from local midnight of ``start``."""
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ).astimezone(UTC)
    day_start = []
    for day in range(days + EXTRA_DAYS + 1):
        local = datetime.combine(start + timedelta(days=day), datetime.min.time(), TZ)
        day_start.append(round((local.astimezone(UTC) - t0).total_seconds() / 60))
    day_noon13 = [m + 13 * 60 for m in day_start]  # DST days: close enough
    minutes = day_start[-1]
    rng = np.random.default_rng(seed)
    ts = t0.timestamp()
    price_times, price_values = prices
    slot_mid = ts + 60 * SLOT_MIN * (np.arange(minutes // SLOT_MIN) + 0.5)
    index = np.clip(np.searchsorted(price_times, slot_mid, "right") - 1, 0, None)
    slot_price = price_values[index]
    if (
        slot_mid[-1] > price_times[-1] + 2 * _step(price_times)
        or slot_mid[0] < (price_times[0])
    ):
        raise SystemExit("the price data does not cover the simulated period")
    slots = [
        PriceSlot(
            start=t0 + timedelta(minutes=SLOT_MIN * i),
            end=t0 + timedelta(minutes=SLOT_MIN * (i + 1)),
            price=float(price),
        )
        for i, price in enumerate(slot_price)
    ]
    pv_hourly = to_minutes(*pv_kw_per_kwp, ts, minutes) * kwp * 1000
    sigma = 0.4 * noise * cloudiness(pv_hourly)
    pv_w = np.clip(add_noise(pv_hourly, 60, sigma, 0.9, rng), 0, None)
    load_w = np.clip(to_minutes(*load_kw, ts, minutes), 0, None) * 1000
    if load_kwh_year:
        load_w *= load_kwh_year / (load_w.mean() * 8.76)
    load_w = add_noise(load_w, SLOT_MIN, 0.3 * noise, 0.8, rng)
    hours = minutes // 60
    return World(
        t0=t0,
        days=days,
        minutes=minutes,
        price_min=np.repeat(slot_price, SLOT_MIN),
        pv_w=pv_w,
        load_w=load_w,
        slots=slots,
        slot_price=slot_price,
        day_start=day_start,
        day_noon13=day_noon13,
        pv_hour_w=pv_w[: hours * 60].reshape(hours, 60).mean(axis=1),
        load_hour_w=load_w[: hours * 60].reshape(hours, 60).mean(axis=1),
        forecast_factor=np.exp(rng.normal(0.0, forecast_error, days + 3)),
    )


def synthetic_sessions(
    world: World, *, seed: int, capacity_kwh: float
) -> list[Session]:
    """Seeded sessions: weekday nights, weekend days (solar), 8-30 kWh each.

    Sunday to Thursday evenings: arrival 18:00 +- 1.5 h, departure next
    morning 07:00 +- 1 h. Saturday and Sunday: a daytime session, arrival
    10:00 +- 1 h, departure 17:00 +- 1.5 h. Normal spreads, clipped at 2
    sigma. Target SoC 80% (60%), 90% (30%) or 100% (10%) of a
    ``capacity_kwh`` battery; the estimate error is +15% or -15% by a coin.
    """
    rng = random.Random(seed)
    sessions: list[Session] = []

    def clipped(mean_h: float, sigma_h: float) -> int:
        value = max(-2.0, min(2.0, rng.gauss(0.0, 1.0)))
        return round((mean_h + sigma_h * value) * 60)

    for day in range(world.days):
        weekday = (world.t0.astimezone(TZ).date() + timedelta(days=day)).weekday()
        plans = []
        if weekday >= 5:
            plans.append(("daytime", day, clipped(10, 1), day, clipped(17, 1.5)))
        if weekday in {6, 0, 1, 2, 3}:
            plans.append(("overnight", day, clipped(18, 1.5), day + 1, clipped(7, 1)))
        for kind, d_arr, arr_min, d_dep, dep_min in plans:
            arrival = world.day_start[d_arr] + arr_min
            departure = world.day_start[d_dep] + dep_min
            if sessions and arrival < sessions[-1].departure + 30:
                arrival = sessions[-1].departure + 30
            if departure - arrival < 60:
                continue
            target = rng.choices((0.8, 0.9, 1.0), weights=(6, 3, 1))[0]
            sessions.append(
                Session(
                    index=len(sessions),
                    arrival=arrival,
                    departure=departure,
                    energy_wh=rng.uniform(8000, 30000),
                    error=rng.choice((-0.15, 0.15)),
                    capacity_wh=capacity_kwh * 1000,
                    target_soc=target,
                    kind=kind,
                )
            )
    return sessions


def csv_sessions(
    path: Path, world: World, *, seed: int, capacity_kwh: float
) -> list[Session]:
    """Sessions from a CSV: arrival,departure,energy_kwh (ISO 8601 with offset)."""
    rng = random.Random(seed)
    sessions = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            arrival = round(
                (_parse_time(row["arrival"]) - world.t0).total_seconds() / 60
            )
            departure = round(
                (_parse_time(row["departure"]) - world.t0).total_seconds() / 60
            )
            if arrival < 0 or departure > world.day_start[world.days] + 24 * 60:
                continue
            energy = float(row["energy_kwh"]) * 1000
            target = float(row.get("target_soc") or 0.9)
            sessions.append(
                Session(
                    index=0,
                    arrival=arrival,
                    departure=departure,
                    energy_wh=min(energy, capacity_kwh * 1000 * target),
                    error=rng.choice((-0.15, 0.15)),
                    capacity_wh=capacity_kwh * 1000,
                    target_soc=target,
                    kind=row.get("kind") or "csv",
                )
            )
    ordered = sorted(sessions, key=lambda s: s.arrival)
    return [replace(s, index=i) for i, s in enumerate(ordered)]
