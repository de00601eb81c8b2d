"""Price-forecast parser: every supported source and every error path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ocpp_csms.charging.prices import (
    PriceFormatError,
    PriceSlot,
    horizon,
    parse_prices,
    slots_between,
    to_resolution,
)

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
OSLO = ZoneInfo("Europe/Oslo")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local_times(first_utc: datetime, count: int, step: timedelta, zone: ZoneInfo):
    """Times as a local-time source publishes them (offset changes at DST)."""
    return [(first_utc + i * step).astimezone(zone) for i in range(count)]


def nordpool_raw(
    first_utc: datetime, count: int, step: timedelta = HOUR, base: float = 0.1
) -> list[dict[str, Any]]:
    return [
        {
            "start": start.isoformat(),
            "end": (start + step).astimezone(OSLO).isoformat(),
            "value": round(base + i / 100, 4),
        }
        for i, start in enumerate(local_times(first_utc, count, step, OSLO))
    ]


def lengths(slots: list[PriceSlot]) -> set[timedelta]:
    return {slot.end - slot.start for slot in slots}


# --- Nord Pool (HACS) -------------------------------------------------------


def test_nordpool_hourly_tomorrow_empty_and_missing_value_skipped() -> None:
    raw_today = nordpool_raw(utc(2025, 1, 14, 23), 24)
    raw_today[5]["value"] = None  # Nord Pool publishes gaps as None
    attributes = {
        "current_price": 0.12,
        "unit": "kWh",
        "currency": "SEK",
        "region": "SE3",
        "today": [entry["value"] for entry in raw_today],  # plain numbers
        "tomorrow": [],
        "tomorrow_valid": False,
        "raw_today": raw_today,
        "raw_tomorrow": [],
    }

    slots = parse_prices(attributes)

    assert len(slots) == 23
    assert slots[0] == PriceSlot(
        start=utc(2025, 1, 14, 23), end=utc(2025, 1, 15, 0), price=0.1
    )
    assert utc(2025, 1, 15, 4) not in {slot.start for slot in slots}
    assert lengths(slots) == {HOUR}
    assert all(slot.start.tzinfo is UTC for slot in slots)
    assert horizon(slots) == utc(2025, 1, 15, 23)


def test_nordpool_quarter_hours_today_and_tomorrow() -> None:
    attributes = {
        "raw_today": nordpool_raw(utc(2025, 10, 1, 22), 96, QUARTER),
        "raw_tomorrow": nordpool_raw(utc(2025, 10, 2, 22), 96, QUARTER, base=2.0),
        "tomorrow_valid": True,
    }

    slots = parse_prices(attributes)

    assert len(slots) == 192
    assert lengths(slots) == {QUARTER}
    assert slots[96].start == utc(2025, 10, 2, 22)
    assert slots[96].price == 2.0


def test_nordpool_dst_day_with_datetime_objects() -> None:
    # 2024-10-27 in Norway has 25 hours; HA keeps datetimes in attributes.
    starts = local_times(utc(2024, 10, 26, 22), 25, HOUR, OSLO)
    raw_today = [
        {"start": start, "end": (start + HOUR).astimezone(OSLO), "value": 0.5}
        for start in starts
    ]

    slots = parse_prices({"raw_today": raw_today, "raw_tomorrow": None})

    assert len(slots) == 25
    assert lengths(slots) == {HOUR}
    assert slots[-1].end == utc(2024, 10, 27, 23)


def test_nordpool_tomorrow_ignored_until_valid() -> None:
    attributes = {
        "raw_today": nordpool_raw(utc(2025, 1, 14, 23), 24),
        "raw_tomorrow": nordpool_raw(utc(2025, 1, 15, 23), 24),
        "tomorrow_valid": False,
    }

    assert horizon(parse_prices(attributes)) == utc(2025, 1, 15, 23)
    attributes["tomorrow_valid"] = True
    assert horizon(parse_prices(attributes)) == utc(2025, 1, 16, 23)


def test_nordpool_nothing_published_yet() -> None:
    assert parse_prices({"raw_today": [], "raw_tomorrow": []}) == []
    assert horizon([]) is None


@pytest.mark.parametrize(
    ("unit", "value", "per_kwh"), [("MWh", 50.0, 0.05), ("Wh", 0.05, 50.0)]
)
def test_nordpool_unit_converted_to_kwh(
    unit: str, value: float, per_kwh: float
) -> None:
    raw = nordpool_raw(utc(2025, 1, 14, 23), 1, base=value)

    slots = parse_prices({"raw_today": raw, "unit": unit})

    assert slots[0].price == pytest.approx(per_kwh)


def test_nordpool_duplicate_start_later_wins() -> None:
    raw_today = nordpool_raw(utc(2025, 1, 14, 23), 3)
    raw_today.append({**raw_today[1], "value": 9.9})

    slots = parse_prices({"raw_today": raw_today})

    assert [slot.price for slot in slots] == [0.1, 9.9, 0.12]


def test_mixed_hourly_and_quarter_hours_split_to_finest() -> None:
    # The day the market moved to 15 minutes: today hourly, tomorrow finer.
    attributes = {
        "raw_today": nordpool_raw(utc(2025, 9, 30, 22), 24),
        "raw_tomorrow": nordpool_raw(utc(2025, 10, 1, 22), 96, QUARTER, base=1.0),
    }

    slots = parse_prices(attributes)

    assert len(slots) == 24 * 4 + 96
    assert lengths(slots) == {QUARTER}
    assert [slot.price for slot in slots[:5]] == [0.1] * 4 + [0.11]


# --- Nord Pool core action -------------------------------------------------


def nordpool_action_area(first: datetime, prices: list[float]) -> list[dict[str, Any]]:
    return [
        {
            "start": (first + i * HOUR).isoformat().replace("+00:00", "Z"),
            "end": (first + (i + 1) * HOUR).isoformat().replace("+00:00", "Z"),
            "price": price,
        }
        for i, price in enumerate(prices)
    ]


NORDPOOL_RESPONSE = {
    "SE3": nordpool_action_area(utc(2024, 11, 18, 23), [45.12, 40.0, 1200.5]),
    "SE4": nordpool_action_area(utc(2024, 11, 18, 23), [80.0, 75.5, 1500.0]),
}


def test_nordpool_action_per_mwh_first_area() -> None:
    slots = parse_prices(action_response=NORDPOOL_RESPONSE)

    assert [slot.price for slot in slots] == pytest.approx([0.04512, 0.04, 1.2005])
    assert slots[0].start == utc(2024, 11, 18, 23)
    assert horizon(slots) == utc(2024, 11, 19, 2)


def test_nordpool_action_chosen_area() -> None:
    slots = parse_prices(action_response=NORDPOOL_RESPONSE, area="SE4")

    assert [slot.price for slot in slots] == pytest.approx([0.08, 0.0755, 1.5])


# --- ENTSO-E -----------------------------------------------------------------


def entsoe_day(first_utc: datetime, count: int, step: timedelta, base: float):
    # hass-entso-e writes str(datetime): a space instead of the "T".
    return [
        {"time": str(start), "price": round(base + i / 1000, 4)}
        for i, start in enumerate(local_times(first_utc, count, step, AMSTERDAM))
    ]


def test_entsoe_day_lists_on_spring_dst_day() -> None:
    # 2025-03-30 has 23 hours in the Netherlands (+01:00 then +02:00).
    attributes = {
        "current_price": 0.1,
        "prices_today": entsoe_day(utc(2025, 3, 29, 23), 23, HOUR, 0.1),
        "prices_tomorrow": entsoe_day(utc(2025, 3, 30, 22), 24, HOUR, 0.2),
    }

    slots = parse_prices(attributes)

    assert len(slots) == 47
    assert lengths(slots) == {HOUR}
    assert slots[2].start == utc(2025, 3, 30, 1)  # 03:00+02:00
    assert horizon(slots) == utc(2025, 3, 31, 22)


def test_entsoe_prices_only_quarter_hours() -> None:
    slots = parse_prices({"prices": entsoe_day(utc(2025, 10, 1, 22), 8, QUARTER, 0.1)})

    assert len(slots) == 8
    assert lengths(slots) == {QUARTER}
    assert horizon(slots) == utc(2025, 10, 2, 0)


def test_entsoe_day_lists_win_over_prices() -> None:
    prices = entsoe_day(utc(2025, 1, 14, 23), 48, HOUR, 0.1)
    today = entsoe_day(utc(2025, 1, 14, 23), 24, HOUR, 0.1)
    today[0]["price"] = 0.999

    slots = parse_prices({"prices": prices, "prices_today": today})

    assert len(slots) == 48
    assert slots[0].price == 0.999
    assert slots[24].price == prices[24]["price"]


# --- Tibber -----------------------------------------------------------------


def test_tibber_action_first_home_and_chosen_home() -> None:
    def home(base: float) -> list[dict[str, Any]]:
        return [
            {"start_time": f"2025-01-15T{hour:02d}:00:00.000+01:00", "price": base}
            for hour in range(24)
        ]

    response = {"prices": {"Vitvägen 7": home(0.45), "Stuga": home(0.30)}}

    first = parse_prices(action_response=response)
    chosen = parse_prices(action_response=response, area="Stuga")

    assert len(first) == 24
    assert first[0].start == utc(2025, 1, 14, 23)
    assert lengths(first) == {HOUR}
    assert {slot.price for slot in first} == {0.45}
    assert {slot.price for slot in chosen} == {0.30}


def test_tibber_sensor_both_spellings() -> None:
    attributes = {
        "today": [
            {
                "startsAt": "2025-01-15T00:00:00.000+01:00",
                "total": 0.41,
                "level": "NORMAL",
            },
            {"startsAt": "2025-01-15T01:00:00.000+01:00", "total": 0.39},
        ],
        "tomorrow": [{"starts_at": "2025-01-15T02:00:00+01:00", "total": 0.35}],
    }

    slots = parse_prices(attributes)

    assert [slot.price for slot in slots] == [0.41, 0.39, 0.35]
    assert lengths(slots) == {HOUR}
    assert horizon(slots) == utc(2025, 1, 15, 2)


# --- Energi Data Service -----------------------------------------------------


def eds_hours(first_utc: datetime, count: int, price: float) -> list[dict[str, Any]]:
    return [
        {"hour": start.isoformat(), "price": price}
        for start in local_times(first_utc, count, HOUR, COPENHAGEN)
    ]


def test_eds_autumn_dst_day_starts_only() -> None:
    # 2024-10-27 in Denmark: 25 hourly starts, the offset going +02:00 -> +01:00.
    attributes = {
        "today": [1.0] * 25,
        "raw_today": eds_hours(utc(2024, 10, 26, 22), 25, 1.0),
        "raw_tomorrow": [],
        "tomorrow_valid": False,
    }

    slots = parse_prices(attributes)

    assert len(slots) == 25
    assert lengths(slots) == {HOUR}
    assert horizon(slots) == utc(2024, 10, 27, 23)


def test_eds_forecast_only_fills_hours_without_real_prices() -> None:
    attributes = {
        "raw_today": eds_hours(utc(2024, 10, 26, 22), 25, 1.0),
        "raw_tomorrow": eds_hours(utc(2024, 10, 27, 23), 24, 2.0),
        "forecast": eds_hours(utc(2024, 10, 28, 12), 24, 9.0),
    }

    slots = parse_prices(attributes)

    assert len(slots) == 25 + 24 + 13  # forecast 12:00Z-23:00Z dropped
    real = slots_between(slots, utc(2024, 10, 26, 22), utc(2024, 10, 28, 23))
    assert 9.0 not in {slot.price for slot in real}
    assert {slot.price for slot in slots[49:]} == {9.0}
    assert horizon(slots) == utc(2024, 10, 29, 12)


def test_eds_forecast_alone() -> None:
    attributes = {"raw_today": [], "forecast": eds_hours(utc(2025, 1, 1), 3, 0.7)}

    assert [slot.price for slot in parse_prices(attributes)] == [0.7] * 3


# --- Octopus Energy ------------------------------------------------------------


def test_octopus_half_hourly_rates() -> None:
    start = utc(2025, 1, 15, 0)
    rates = [
        {
            "start": (start + i * timedelta(minutes=30))
            .isoformat()
            .replace("+00:00", "Z"),
            "end": start + (i + 1) * timedelta(minutes=30),
            "value_inc_vat": 0.2345 - i / 100,
            "is_capped": False,
        }
        for i in range(4)
    ]

    slots = parse_prices({"tariff_code": "E-1R-AGILE-24-10-01-C", "rates": rates})

    assert len(slots) == 4
    assert lengths(slots) == {timedelta(minutes=30)}
    assert slots[3].price == pytest.approx(0.2045)
    assert horizon(slots) == utc(2025, 1, 15, 2)


# --- Generic -----------------------------------------------------------------


def test_generic_attribute_with_and_without_end() -> None:
    prices = [
        {
            "start": "2025-01-15T00:00:00+01:00",
            "end": "2025-01-15T01:00:00+01:00",
            "price": 0.2,
        },
        {"start": "2025-01-15T01:00:00+01:00", "price": 0.3},
        # 02:00 missing: the 01:00 slot must not stretch over the gap.
        {"start": "2025-01-15T03:00:00+01:00", "price": 0.1},
    ]

    slots = parse_prices({"prices": prices})

    assert [(slot.start, slot.end) for slot in slots] == [
        (utc(2025, 1, 14, 23), utc(2025, 1, 15, 0)),
        (utc(2025, 1, 15, 0), utc(2025, 1, 15, 1)),
        (utc(2025, 1, 15, 2), utc(2025, 1, 15, 3)),
    ]


def test_generic_action_single_entry_uses_default_slot() -> None:
    response = {"prices": [{"start": "2025-01-15T00:00:00Z", "price": 0.2}]}

    slots = parse_prices(action_response=response, default_slot=QUARTER)

    assert slots == [
        PriceSlot(start=utc(2025, 1, 15), end=utc(2025, 1, 15, 0, 15), price=0.2)
    ]


def test_generic_empty_list() -> None:
    assert parse_prices({"prices": []}) == []


def test_start_only_step_is_the_most_common_gap() -> None:
    starts = ["00:00", "00:15", "00:30", "01:30"]
    prices = [{"start": f"2025-01-15T{t}:00Z", "price": 1} for t in starts]

    slots = parse_prices({"prices": prices})

    assert lengths(slots) == {QUARTER}
    assert horizon(slots) == utc(2025, 1, 15, 1, 45)


# --- Errors ------------------------------------------------------------------

T = "2025-01-15T00:00:00+01:00"
T1 = "2025-01-15T01:00:00+01:00"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (None, "no price list found: expected one of raw_today/raw_tomorrow, "),
        ({}, "got keys: none"),
        ({"friendly_name": "Price", "today": [1.0]}, "got keys: friendly_name, today"),
        (
            {"raw_today": [{"start": T, "end": T1, "value": 1}], "rates": []},
            "ambiguous price attributes: found raw_today/raw_tomorrow and rates",
        ),
        ({"raw_today": "0.1,0.2"}, "raw_today: expected a list, got str"),
        ({"raw_today": [{"time": T}]}, r"raw_today\[0\]: expected Nord Pool keys"),
        ({"raw_today": [], "raw_tomorrow": [0.1]}, r"raw_tomorrow\[0\]: expected Nord"),
        (
            {"raw_today": [{"start": T, "end": T1, "value": 1}], "unit": "öre/kWh"},
            "unit: unknown Nord Pool price unit 'öre/kWh'",
        ),
        ({"rates": [0.2]}, r"rates\[0\]: expected an object, got float"),
        ({"rates": [{"value_inc_vat": 0.2}]}, r"rates\[0\]: missing 'start'"),
        ({"today": [{"total": 0.2}]}, r"today\[0\]: missing 'startsAt' or 'starts_at'"),
        (
            {"prices": [{"start": T, "price": 1}, {"start": "soon", "price": 1}]},
            r"prices\[1\]\.start: 'soon' is not an ISO 8601 time",
        ),
        (
            {"prices": [{"start": "2025-01-15T00:00:00", "price": 1}]},
            r"prices\[0\]\.start: '2025-01-15T00:00:00' has no UTC offset",
        ),
        (
            {"prices": [{"start": datetime(2025, 1, 15), "price": 1}]},
            r"prices\[0\]\.start: '2025-01-15T00:00:00' has no UTC offset",
        ),
        (
            {"prices": [{"start": "2025-01-15", "price": 1}]},
            r"prices\[0\]\.start: '2025-01-15' is a date without a time",
        ),
        (
            {"prices": [{"start": date(2025, 1, 15), "price": 1}]},
            r"prices\[0\]\.start: '2025-01-15' is a date without a time",
        ),
        (
            {"prices": [{"start": 1736895600, "price": 1}]},
            r"prices\[0\]\.start: expected an ISO 8601 time, got int",
        ),
        (
            {"prices": [{"start": T, "end": "2025-01-15T01:00:00", "price": 1}]},
            r"prices\[0\]\.end: '2025-01-15T01:00:00' has no UTC offset",
        ),
        (
            {"prices": [{"start": T1, "end": T, "price": 1}]},
            r"prices\[0\]\.end: 2025-01-14T23:00:00\+00:00 is not after the start",
        ),
        (
            {"prices": [{"start": T, "price": "0.25"}]},
            r"prices\[0\]\.price: expected a number, got '0.25'",
        ),
        (
            {"prices": [{"start": T, "price": True}]},
            r"prices\[0\]\.price: expected a number, got True",
        ),
        (
            {"prices": [{"start": T, "price": float("nan")}]},
            r"prices\[0\]\.price: expected a finite number, got nan",
        ),
        (
            {"prices_today": [{"time": T, "price": None}]},
            r"prices_today\[0\]\.price: expected a number, got None",
        ),
        (
            {"rates": [{"start": T, "end": T1, "value_inc_vat": []}]},
            r"rates\[0\]\.value_inc_vat: expected a number, got \[\]",
        ),
        (
            {
                "prices": [
                    {
                        "start": "2025-01-15T00:00:00Z",
                        "end": "2025-01-15T01:00:00Z",
                        "price": 1,
                    },
                    {
                        "start": "2025-01-15T01:00:00Z",
                        "end": "2025-01-15T01:40:00Z",
                        "price": 1,
                    },
                ]
            },
            "slot at 2025-01-15T00:00:00\\+00:00 lasts 1:00:00, not a multiple of "
            "the finest slot length 0:40:00",
        ),
        (
            {
                "prices": [
                    {
                        "start": "2025-01-15T00:00:00Z",
                        "end": "2025-01-15T01:00:00Z",
                        "price": 1,
                    },
                    {
                        "start": "2025-01-15T00:30:00Z",
                        "end": "2025-01-15T01:30:00Z",
                        "price": 1,
                    },
                ]
            },
            "price slots overlap: 2025-01-15T00:00:00\\+00:00 to "
            "2025-01-15T01:00:00\\+00:00 and one starting 2025-01-15T00:30:00",
        ),
    ],
)
def test_attribute_errors(attributes: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(PriceFormatError, match=message):
        parse_prices(attributes)


@pytest.mark.parametrize(
    ("response", "area", "message"),
    [
        ({}, None, "no price list found: .*got keys: none"),
        ({"success": True}, None, "no price list found: .*got keys: success"),
        ({"prices": {}}, None, "prices: no home in the response"),
        (
            {"prices": {"Home": []}},
            "Cabin",
            r"prices: home 'Cabin' not found \(found: Home\)",
        ),
        ({"prices": {"Home": "n/a"}}, None, "prices.Home: expected a list, got str"),
        ({"prices": "n/a"}, None, "prices: expected a list, got str"),
        (
            NORDPOOL_RESPONSE,
            "NO1",
            r"response: area 'NO1' not found \(found: SE3, SE4\)",
        ),
        (
            {"SE3": [{"start": "2024-11-18T23:00:00Z", "end": "2024-11-19T00:00:00Z"}]},
            None,
            r"SE3\[0\]\.price: expected a number, got None",
        ),
        (
            {"prices": {"Home": [{"starts_at": "2025-01-15T00:00:00Z", "price": 1}]}},
            None,
            r"prices\.Home\[0\]: missing 'start_time'",
        ),
    ],
)
def test_action_errors(
    response: dict[str, Any], area: str | None, message: str
) -> None:
    with pytest.raises(PriceFormatError, match=message):
        parse_prices(action_response=response, area=area)


def test_argument_errors() -> None:
    with pytest.raises(TypeError, match="not both"):
        parse_prices({}, action_response={})
    with pytest.raises(ValueError, match="default_slot must be positive"):
        parse_prices({"prices": []}, default_slot=timedelta(0))


def test_price_slot_validation() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PriceSlot(start=datetime(2025, 1, 1), end=utc(2025, 1, 1, 1), price=1)
    with pytest.raises(ValueError, match="ends before it starts"):
        PriceSlot(start=utc(2025, 1, 1, 1), end=utc(2025, 1, 1, 1), price=1)


# --- Helpers -----------------------------------------------------------------


def hourly(*prices: float) -> list[PriceSlot]:
    start = utc(2025, 1, 15)
    return [
        PriceSlot(start=start + i * HOUR, end=start + (i + 1) * HOUR, price=price)
        for i, price in enumerate(prices)
    ]


def test_slots_between_overlapping_slots() -> None:
    slots = hourly(1, 2, 3)

    assert (
        slots_between(slots, utc(2025, 1, 15, 0, 30), utc(2025, 1, 15, 2)) == slots[:2]
    )
    assert slots_between(slots, utc(2025, 1, 15, 3), utc(2025, 1, 15, 4)) == []


def test_to_resolution_splits_and_refuses_merging() -> None:
    quarters = to_resolution(hourly(1, 2), QUARTER)

    assert len(quarters) == 8
    assert [slot.price for slot in quarters] == [1] * 4 + [2] * 4
    assert quarters[4].start == utc(2025, 1, 15, 1)
    assert to_resolution(hourly(1), HOUR) == hourly(1)
    with pytest.raises(ValueError, match="only splitting into whole parts"):
        to_resolution(quarters, HOUR)
    with pytest.raises(ValueError, match="only splitting into whole parts"):
        to_resolution(hourly(1), timedelta(minutes=40))
    with pytest.raises(ValueError, match="step must be positive"):
        to_resolution(hourly(1), timedelta(0))


def test_to_resolution_over_the_repeated_dst_hour() -> None:
    # 02:00 to 02:00 again in Oslo is a real hour; split it in UTC.
    slot = PriceSlot(
        start=datetime(2024, 10, 27, 2, tzinfo=OSLO),
        end=datetime(2024, 10, 27, 2, fold=1, tzinfo=OSLO),
        price=0.3,
    )

    quarters = to_resolution([slot], QUARTER)

    assert [q.start for q in quarters] == [
        utc(2024, 10, 27, 0, 0),
        utc(2024, 10, 27, 0, 15),
        utc(2024, 10, 27, 0, 30),
        utc(2024, 10, 27, 0, 45),
    ]


def test_horizon_grows_when_tomorrow_arrives() -> None:
    today = hourly(*range(24))
    tomorrow = [
        PriceSlot(start=slot.start + 24 * HOUR, end=slot.end + 24 * HOUR, price=1)
        for slot in today
    ]

    assert horizon([]) is None
    assert horizon(today) == utc(2025, 1, 16)
    assert horizon(today + tomorrow) == utc(2025, 1, 17)
