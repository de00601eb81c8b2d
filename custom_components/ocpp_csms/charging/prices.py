"""Read electricity price forecasts from the common price integrations.

``parse_prices`` takes a price entity's state attributes, or the response of
a price action, detects the source by its keys and returns ``PriceSlot``
objects: UTC start/end and the price per kWh in the source's currency.

Recognised state attributes (the source is told apart by the keys of the
entries, so each one is detected without guessing):

- Nord Pool (HACS custom sensor): ``raw_today`` / ``raw_tomorrow`` lists of
  ``{"start", "end", "value"}``; a ``None`` value (missing hour) is skipped,
  ``raw_tomorrow`` is ignored while ``tomorrow_valid`` is False, and a
  ``unit`` of ``MWh`` or ``Wh`` is converted to per kWh.
- Energi Data Service (HACS): ``raw_today`` / ``raw_tomorrow`` lists of
  ``{"hour", "price"}``, plus ``forecast`` (same shape) used only where no
  real price is known.
- ENTSO-E (HACS): ``prices_today`` / ``prices_tomorrow`` / ``prices`` lists of
  ``{"time", "price"}``; all given lists are merged.
- Tibber sensor: ``today`` / ``tomorrow`` lists of ``{"startsAt" or
  "starts_at", "total"}``.
- Octopus Energy (HACS) rates event: ``rates`` list of
  ``{"start", "end", "value_inc_vat"}``.
- Generic: ``prices`` list of ``{"start", "end" (optional), "price"}``.

Recognised action responses:

- ``nordpool.get_prices_for_date``: ``{"<area>": [{"start", "end", "price"}]}``
  with prices per MWh (divided by 1000).
- ``tibber.get_prices``: ``{"prices": {"<home>": [{"start_time", "price"}]}}``.
- Generic: ``{"prices": [...]}`` as above.

When a response holds several areas or homes, ``area`` picks one by name;
without it the first one is used.

The generic format is what a template sensor can produce from any source,
for example an attribute written with a template like::

    prices: >-
      {{ [{"start": "2025-03-30T00:00:00+01:00",
           "end": "2025-03-30T01:00:00+01:00", "price": 0.213}] }}

Times are ISO 8601 strings or ``datetime`` objects with a UTC offset; naive
times and bare dates are refused because they would be ambiguous. Without an
``end`` a slot ends at the next start, but lasts at most the list's usual
step (the most common gap between starts; ``default_slot`` for a single
entry), so a gap in the data stays a gap.

The result is sorted by start; a later entry with the same start replaces an
earlier one; all slots have the same length: coarser slots are split into
the finest length found, so a source's 15-minute resolution is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import math
from typing import Any

EXPECTED_KEYS = (
    "raw_today/raw_tomorrow, prices_today/prices_tomorrow, today/tomorrow, "
    "rates, prices (or an action response of nordpool.get_prices_for_date, "
    "tibber.get_prices or {'prices': [...]})"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class PriceSlot:
    """The price per kWh over [start, end)."""

    start: datetime
    end: datetime
    price: float

    def __post_init__(self) -> None:
        """Refuse slots that would make plans ambiguous."""
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("price slot times must be timezone-aware")
        # In UTC: times sharing a zone compare without their DST fold.
        if _length(self) <= timedelta(0):
            raise ValueError(f"price slot ends before it starts: {self.start}")


class PriceFormatError(ValueError):
    """Price data that is not recognised, or an entry that cannot be read."""


@dataclass(frozen=True, kw_only=True, slots=True)
class _Shape:
    """Where a source keeps an entry's start, end and price."""

    starts: tuple[str, ...]  # accepted spellings, first present wins
    price: str
    end: str | None = None  # optional even when named: derived when absent
    per_kwh: float = 1.0  # factor from the source's unit to per kWh
    skip_missing: bool = False  # a None price is a normal gap, not an error


NORD_POOL = _Shape(starts=("start",), end="end", price="value", skip_missing=True)
NORD_POOL_ACTION = _Shape(starts=("start",), end="end", price="price", per_kwh=1e-3)
ENERGI_DATA_SERVICE = _Shape(starts=("hour",), price="price")
ENTSOE = _Shape(starts=("time",), price="price")
TIBBER = _Shape(starts=("startsAt", "starts_at"), price="total")
TIBBER_ACTION = _Shape(starts=("start_time",), price="price")
OCTOPUS = _Shape(starts=("start",), end="end", price="value_inc_vat")
GENERIC = _Shape(starts=("start",), end="end", price="price")

# Nord Pool (HACS) can be set to price per MWh or Wh instead of kWh.
_NORD_POOL_UNITS = {"MWh": 1e-3, "kWh": 1.0, "Wh": 1e3}


@dataclass(frozen=True, kw_only=True, slots=True)
class _PriceList:
    """One list of entries, named for error messages."""

    name: str
    entries: Sequence[Any]
    shape: _Shape


def parse_prices(
    state_attributes: Mapping[str, Any] | None = None,
    *,
    action_response: Mapping[str, Any] | None = None,
    area: str | None = None,
    default_slot: timedelta = timedelta(hours=1),
) -> list[PriceSlot]:
    """Return the price slots found in state attributes or an action response.

    ``area`` picks the Nord Pool area or Tibber home of an action response
    (first one when None). Raise ``PriceFormatError`` naming what is wrong.
    """
    if state_attributes is not None and action_response is not None:
        raise TypeError("pass state attributes or an action response, not both")
    if default_slot <= timedelta(0):
        raise ValueError("default_slot must be positive")
    if action_response is not None:
        lists = _action_lists(action_response, area)
    else:
        lists = _attribute_lists(state_attributes or {})
    # Lists come lowest priority first, so later ones replace on merge.
    return _merge([_parse_list(price_list, default_slot) for price_list in lists])


def slots_between(
    slots: Sequence[PriceSlot], start: datetime, end: datetime
) -> list[PriceSlot]:
    """Return the slots overlapping [start, end), whole and in input order."""
    return [slot for slot in slots if slot.start < end and slot.end > start]


def to_resolution(slots: Sequence[PriceSlot], step: timedelta) -> list[PriceSlot]:
    """Split slots into ``step``-long slots with the same price.

    Only splitting is possible: averaging finer prices into a coarser slot
    would hide the cheap part, so it raises ``ValueError``, as does a slot
    whose length is not a whole number of steps.
    """
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    result: list[PriceSlot] = []
    for slot in slots:
        length = _length(slot)
        if length == step:
            result.append(slot)
            continue
        if length < step or length % step:
            raise ValueError(
                f"cannot turn the {length} slot at {slot.start.isoformat()} "
                f"into {step} slots: only splitting into whole parts is possible"
            )
        start = slot.start.astimezone(UTC)
        result.extend(
            PriceSlot(
                start=start + i * step, end=start + (i + 1) * step, price=slot.price
            )
            for i in range(length // step)
        )
    return result


def horizon(slots: Sequence[PriceSlot]) -> datetime | None:
    """Return when the known prices end (grows when tomorrow's arrive)."""
    return max((slot.end for slot in slots), default=None)


def _length(slot: PriceSlot) -> timedelta:
    # In UTC: subtracting times that share a zone ignores a DST change.
    return slot.end.astimezone(UTC) - slot.start.astimezone(UTC)


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _list(source: Mapping[str, Any], key: str, where: str = "") -> Sequence[Any]:
    """Return ``source[key]`` as a list; a missing or None value is empty."""
    value = source.get(key)
    if value is None:
        return []
    if not _is_list(value):
        raise PriceFormatError(
            f"{where}{key}: expected a list, got {type(value).__name__}"
        )
    return value  # type: ignore[no-any-return]


def _attribute_lists(attributes: Mapping[str, Any]) -> list[_PriceList]:
    """Detect the source of state attributes; exactly one must match."""
    found = {
        keys: lists
        for keys, lists in (
            ("raw_today/raw_tomorrow", _raw_lists(attributes)),
            ("prices", _prices_lists(attributes)),
            ("rates", _rates_lists(attributes)),
            ("today/tomorrow", _tibber_lists(attributes)),
        )
        if lists is not None
    }
    if not found:
        keys = ", ".join(sorted(map(str, attributes))) or "none"
        raise PriceFormatError(
            f"no price list found: expected one of {EXPECTED_KEYS}; got keys: {keys}"
        )
    if len(found) > 1:
        raise PriceFormatError(
            f"ambiguous price attributes: found {' and '.join(found)}; "
            "expose one price list per entity"
        )
    return next(iter(found.values()))


def _raw_lists(attributes: Mapping[str, Any]) -> list[_PriceList] | None:
    """Nord Pool or Energi Data Service, told apart by their entries' keys."""
    if "raw_today" not in attributes and "raw_tomorrow" not in attributes:
        return None
    names = ["raw_today"]
    # Both integrations keep stale or placeholder data until it is valid.
    if attributes.get("tomorrow_valid") is not False:
        names.append("raw_tomorrow")
    days = [(name, _list(attributes, name)) for name in names]
    forecast = _list(attributes, "forecast")
    first = next(((name, entries[0]) for name, entries in days if entries), None)
    if first is None and not forecast:
        return []  # nothing published yet: either source, no slots
    if first is not None and isinstance(first[1], Mapping) and "value" in first[1]:
        unit = attributes.get("unit", "kWh")
        if unit not in _NORD_POOL_UNITS:
            raise PriceFormatError(
                f"unit: unknown Nord Pool price unit {unit!r} "
                f"(expected one of {', '.join(_NORD_POOL_UNITS)})"
            )
        shape = replace(NORD_POOL, per_kwh=_NORD_POOL_UNITS[unit])
        return [_PriceList(name=name, entries=e, shape=shape) for name, e in days]
    if first is not None and not (isinstance(first[1], Mapping) and "hour" in first[1]):
        raise PriceFormatError(
            f"{first[0]}[0]: expected Nord Pool keys (start, end, value) or "
            "Energi Data Service keys (hour, price)"
        )
    # Forecast first: real prices for the same start replace it.
    return [
        _PriceList(name=name, entries=entries, shape=ENERGI_DATA_SERVICE)
        for name, entries in [("forecast", forecast), *days]
    ]


def _prices_lists(attributes: Mapping[str, Any]) -> list[_PriceList] | None:
    """ENTSO-E, or the generic format, both of which may use ``prices``."""
    names = ("prices", "prices_today", "prices_tomorrow")
    if not any(name in attributes for name in names):
        return None
    prices = _list(attributes, "prices")
    entsoe = "prices_today" in attributes or "prices_tomorrow" in attributes
    if entsoe or (prices and isinstance(prices[0], Mapping) and "time" in prices[0]):
        # The day lists repeat ``prices``; all are merged, day lists last.
        return [
            _PriceList(name=name, entries=_list(attributes, name), shape=ENTSOE)
            for name in names
        ]
    return [_PriceList(name="prices", entries=prices, shape=GENERIC)]


def _rates_lists(attributes: Mapping[str, Any]) -> list[_PriceList] | None:
    """Octopus Energy rates."""
    if "rates" not in attributes:
        return None
    return [_PriceList(name="rates", entries=_list(attributes, "rates"), shape=OCTOPUS)]


def _tibber_lists(attributes: Mapping[str, Any]) -> list[_PriceList] | None:
    """Tibber's ``today``/``tomorrow``; Nord Pool's are plain numbers."""
    names = ("today", "tomorrow")
    days: list[Any] = [attributes.get(name) for name in names]
    if not any(
        _is_list(day) and any(isinstance(entry, Mapping) for entry in day)
        for day in days
    ):
        return None
    return [
        _PriceList(name=name, entries=_list(attributes, name), shape=TIBBER)
        for name in names
    ]


def _action_lists(response: Mapping[str, Any], area: str | None) -> list[_PriceList]:
    """Detect the source of an action response."""
    prices = response.get("prices")
    if isinstance(prices, Mapping):
        home, entries = _pick(prices, area, "prices", "home")
        return [_PriceList(name=f"prices.{home}", entries=entries, shape=TIBBER_ACTION)]
    if "prices" in response:
        return [
            _PriceList(name="prices", entries=_list(response, "prices"), shape=GENERIC)
        ]
    if response and all(_is_list(value) for value in response.values()):
        name, entries = _pick(response, area, "response", "area")
        return [_PriceList(name=name, entries=entries, shape=NORD_POOL_ACTION)]
    keys = ", ".join(sorted(map(str, response))) or "none"
    raise PriceFormatError(
        f"no price list found: expected one of {EXPECTED_KEYS}; got keys: {keys}"
    )


def _pick(
    choices: Mapping[str, Any], wanted: str | None, where: str, what: str
) -> tuple[str, Sequence[Any]]:
    """Return the named (or first) list of a multi-area or multi-home response."""
    if not choices:
        raise PriceFormatError(f"{where}: no {what} in the response")
    name = next(iter(choices)) if wanted is None else wanted
    if name not in choices:
        raise PriceFormatError(
            f"{where}: {what} {name!r} not found (found: {', '.join(choices)})"
        )
    return str(name), _list(choices, name, f"{where}.")


def _parse_list(price_list: _PriceList, default_slot: timedelta) -> list[PriceSlot]:
    """Read one list's entries and give each an end."""
    shape = price_list.shape
    rows: list[tuple[datetime, datetime | None, float]] = []
    for index, entry in enumerate(price_list.entries):
        where = f"{price_list.name}[{index}]"
        if not isinstance(entry, Mapping):
            raise PriceFormatError(
                f"{where}: expected an object, got {type(entry).__name__}"
            )
        if shape.skip_missing and entry.get(shape.price) is None:
            continue
        start_key = next((key for key in shape.starts if key in entry), None)
        if start_key is None:
            raise PriceFormatError(
                f"{where}: missing {' or '.join(map(repr, shape.starts))}"
            )
        start = _parse_time(entry[start_key], f"{where}.{start_key}")
        end = None
        if shape.end is not None and entry.get(shape.end) is not None:
            end = _parse_time(entry[shape.end], f"{where}.{shape.end}")
            if end <= start:
                raise PriceFormatError(
                    f"{where}.{shape.end}: {end.isoformat()} is not after "
                    f"the start {start.isoformat()}"
                )
        price = _parse_price(entry.get(shape.price), f"{where}.{shape.price}")
        rows.append((start, end, price * shape.per_kwh))
    return _with_ends(rows, default_slot)


def _with_ends(
    rows: list[tuple[datetime, datetime | None, float]], default_slot: timedelta
) -> list[PriceSlot]:
    """Give entries without an end one: the next start, at most one step on."""
    starts = sorted({start for start, _, _ in rows})
    following = dict(pairwise(starts))
    gaps = Counter(after - before for before, after in pairwise(starts))
    # The usual gap is the list's resolution; ties go to the finer one.
    step = min(gaps, key=lambda gap: (-gaps[gap], gap)) if gaps else default_slot
    slots = []
    for start, given_end, price in rows:
        end = given_end or min(start + step, following.get(start, start + step))
        slots.append(PriceSlot(start=start, end=end, price=price))
    return slots


def _parse_time(value: Any, where: str) -> datetime:
    """Return an aware time in UTC from an ISO 8601 string or a datetime."""
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            raise PriceFormatError(f"{where}: {value!r} is a date without a time")
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PriceFormatError(
                f"{where}: {value!r} is not an ISO 8601 time"
            ) from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        raise PriceFormatError(
            f"{where}: {value.isoformat()!r} is a date without a time"
        )
    if not isinstance(value, datetime):
        raise PriceFormatError(
            f"{where}: expected an ISO 8601 time, got {type(value).__name__}"
        )
    if value.utcoffset() is None:
        raise PriceFormatError(
            f"{where}: {value.isoformat()!r} has no UTC offset; "
            "prices must be at unambiguous times"
        )
    return value.astimezone(UTC)


def _parse_price(value: Any, where: str) -> float:
    """Return a finite number; booleans and numeric strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PriceFormatError(f"{where}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise PriceFormatError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _merge(groups: list[list[PriceSlot]]) -> list[PriceSlot]:
    """Bring all slots to one length, de-duplicate by start and sort."""
    slots = [slot for group in groups for slot in group]
    if not slots:
        return []
    step = min(_length(slot) for slot in slots)
    for slot in slots:
        if _length(slot) % step:
            raise PriceFormatError(
                f"slot at {slot.start.isoformat()} lasts {_length(slot)}, "
                f"not a multiple of the finest slot length {step}"
            )
    by_start: dict[datetime, PriceSlot] = {}
    for slot in to_resolution(slots, step):
        by_start[slot.start] = slot  # later lists are the better source
    ordered = sorted(by_start.values(), key=lambda slot: slot.start)
    for before, after in pairwise(ordered):
        if before.end > after.start:
            raise PriceFormatError(
                f"price slots overlap: {before.start.isoformat()} to "
                f"{before.end.isoformat()} and one starting {after.start.isoformat()}"
            )
    return ordered
