"""Reading PV production forecasts from the common forecast integrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from custom_components.ocpp_csms.charging.prices import PriceFormatError
from custom_components.ocpp_csms.charging.pv_forecast import (
    ev_surplus_forecast,
    parse_pv_forecast,
)

# Local times carry +02:00 (CEST); results are in UTC, two hours earlier.
CEST = timezone(timedelta(hours=2))


def _utc(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def _local(hour: int, minute: int = 0) -> str:
    return f"2026-06-01T{hour:02d}:{minute:02d}:00+02:00"


# -- Solcast ---------------------------------------------------------------------


def test_solcast_detailed_forecast_half_hours_kw_to_wh() -> None:
    attributes = {
        "detailedForecast": [
            {"period_start": _local(10, 0), "pv_estimate": 2.0, "pv_estimate10": 1.0},
            {"period_start": _local(10, 30), "pv_estimate": 3.5},
            {"period_start": _local(11, 0), "pv_estimate": 0.0},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8, 0), _utc(8, 30), 2.0 * 1000 * 0.5),
        (_utc(8, 30), _utc(9, 0), 3.5 * 1000 * 0.5),
        # The last window lasts the list's step (30 min).
        (_utc(9, 0), _utc(9, 30), 0.0),
    ]


def test_solcast_detailed_hourly_kw_to_wh() -> None:
    attributes = {
        "detailedHourly": [
            {"period_start": _local(12), "pv_estimate": 4.25},
            {"period_start": _local(13), "pv_estimate": 1.5},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(10), _utc(11), 4250.0),
        (_utc(11), _utc(12), 1500.0),
    ]


def test_solcast_prefers_the_half_hour_list() -> None:
    attributes = {
        "detailedHourly": [{"period_start": _local(12), "pv_estimate": 9.0}],
        "detailedForecast": [
            {"period_start": _local(12, 0), "pv_estimate": 1.0},
            {"period_start": _local(12, 30), "pv_estimate": 1.0},
        ],
    }
    windows = parse_pv_forecast(attributes)
    assert [end - start for start, end, _ in windows] == [timedelta(minutes=30)] * 2
    assert sum(wh for _, _, wh in windows) == pytest.approx(1000.0)


def test_solcast_unsorted_entries_come_out_in_time_order() -> None:
    attributes = {
        "detailedForecast": [
            {"period_start": _local(11, 0), "pv_estimate": 3.0},
            {"period_start": _local(10, 0), "pv_estimate": 1.0},
            {"period_start": _local(10, 30), "pv_estimate": 2.0},
        ]
    }
    windows = parse_pv_forecast(attributes)
    assert [start for start, _, _ in windows] == [_utc(8), _utc(8, 30), _utc(9)]
    assert [wh for _, _, wh in windows] == [500.0, 1000.0, 1500.0]


def test_solcast_accepts_datetime_objects() -> None:
    # Solcast's attributes hold datetimes, not strings, in HA's state machine.
    attributes = {
        "detailedForecast": [
            {"period_start": datetime(2026, 6, 1, 10, tzinfo=CEST), "pv_estimate": 1},
            {
                "period_start": datetime(2026, 6, 1, 10, 30, tzinfo=CEST),
                "pv_estimate": 1,
            },
        ]
    }
    windows = parse_pv_forecast(attributes)
    assert windows[0] == (_utc(8), _utc(8, 30), 500.0)
    assert windows[0][0].tzinfo is UTC


def test_solcast_empty_list_is_no_windows() -> None:
    assert parse_pv_forecast({"detailedForecast": []}) == []


def test_solcast_single_entry_lasts_an_hour() -> None:
    attributes = {"detailedForecast": [{"period_start": _local(9), "pv_estimate": 2.0}]}
    assert parse_pv_forecast(attributes) == [(_utc(7), _utc(8), 2000.0)]


def test_solcast_gap_stays_a_gap() -> None:
    attributes = {
        "detailedForecast": [
            {"period_start": _local(10, 0), "pv_estimate": 1.0},
            {"period_start": _local(10, 30), "pv_estimate": 1.0},
            {"period_start": _local(11, 0), "pv_estimate": 1.0},
            {"period_start": _local(13, 0), "pv_estimate": 1.0},
        ]
    }
    windows = parse_pv_forecast(attributes)
    assert windows[2] == (_utc(9, 0), _utc(9, 30), 500.0)
    assert windows[3] == (_utc(11, 0), _utc(11, 30), 500.0)


# -- Forecast.Solar / Open-Meteo style ------------------------------------------


def test_wh_period_values_are_energy_per_period() -> None:
    attributes = {
        "wh_period": {
            _local(11): 800,
            _local(9): 120,
            _local(10): 450.5,
        }
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(7), _utc(8), 120.0),
        (_utc(8), _utc(9), 450.5),
        (_utc(9), _utc(10), 800.0),
    ]


def test_wh_period_energy_is_not_scaled_by_window_length() -> None:
    attributes = {
        "wh_period": {_local(9, 0): 100, _local(9, 15): 200, _local(9, 30): 300}
    }
    assert [wh for _, _, wh in parse_pv_forecast(attributes)] == [100, 200, 300]


def test_watts_are_held_to_the_next_moment() -> None:
    # Forecast.Solar: power at moments; sunrise off the hourly grid.
    attributes = {
        "watts": {
            "2026-06-01T05:30:00+02:00": 200,
            _local(6): 1000,
            _local(7): 2000,
            _local(8): 3000,
        }
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(3, 30), _utc(4), 100.0),  # 200 W for 30 min
        (_utc(4), _utc(5), 1000.0),
        (_utc(5), _utc(6), 2000.0),
        # The last moment holds for the most common step (1 h).
        (_utc(6), _utc(7), 3000.0),
    ]


def test_watts_last_window_uses_the_most_common_step() -> None:
    attributes = {
        "watts": {
            _local(10, 0): 1000,
            _local(10, 15): 1000,
            _local(10, 30): 1000,
            _local(11, 30): 4000,
        }
    }
    windows = parse_pv_forecast(attributes)
    # Most common step 15 min: the hour gap is not bridged, the last is 15 min.
    assert windows[2] == (_utc(8, 30), _utc(8, 45), 250.0)
    assert windows[3] == (_utc(9, 30), _utc(9, 45), 1000.0)


def test_solcast_wins_over_forecast_solar_keys() -> None:
    attributes = {
        "detailedHourly": [{"period_start": _local(9), "pv_estimate": 1.0}],
        "wh_period": {_local(9): 5},
        "watts": {_local(9): 5},
    }
    assert parse_pv_forecast(attributes) == [(_utc(7), _utc(8), 1000.0)]


def test_wh_period_wins_over_watts() -> None:
    attributes = {"watts": {_local(9): 5000}, "wh_period": {_local(9): 42}}
    assert parse_pv_forecast(attributes) == [(_utc(7), _utc(8), 42.0)]


# -- generic forecast list ------------------------------------------------------


def test_generic_energy_with_end() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10), "end": _local(10, 30), "energy_wh": 700},
            {"start": _local(10, 30), "end": _local(12), "energy_wh": 2100},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8), _utc(8, 30), 700.0),
        (_utc(8, 30), _utc(10), 2100.0),
    ]


def test_generic_power_with_end_is_power_times_hours() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10), "end": _local(10, 15), "power_w": 4000},
            {"start": _local(10, 15), "end": _local(12, 15), "power_w": 1500},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8), _utc(8, 15), 1000.0),
        (_utc(8, 15), _utc(10, 15), 3000.0),
    ]


def test_generic_energy_without_end_uses_the_step() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10, 0), "energy_wh": 100},
            {"start": _local(10, 30), "energy_wh": 200},
            {"start": _local(11, 0), "energy_wh": 300},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8, 0), _utc(8, 30), 100.0),
        (_utc(8, 30), _utc(9, 0), 200.0),
        (_utc(9, 0), _utc(9, 30), 300.0),
    ]


def test_generic_power_without_end_uses_the_step() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10, 0), "power_w": 2000},
            {"start": _local(10, 15), "power_w": 4000},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8, 0), _utc(8, 15), 500.0),
        (_utc(8, 15), _utc(8, 30), 1000.0),
    ]


def test_generic_single_entry_without_end_lasts_an_hour() -> None:
    attributes = {"forecast": [{"start": _local(10), "power_w": 1200}]}
    assert parse_pv_forecast(attributes) == [(_utc(8), _utc(9), 1200.0)]


def test_generic_power_without_end_stops_at_the_next_start() -> None:
    # Most common step 1 h, but the first entry is followed after 30 min:
    # its power holds 30 min, so windows do not overlap or count twice.
    attributes = {
        "forecast": [
            {"start": _local(10, 0), "power_w": 1000},
            {"start": _local(10, 30), "power_w": 1000},
            {"start": _local(11, 30), "power_w": 1000},
            {"start": _local(12, 30), "power_w": 1000},
        ]
    }
    windows = parse_pv_forecast(attributes)
    assert windows == [
        (_utc(8, 0), _utc(8, 30), 500.0),
        (_utc(8, 30), _utc(9, 30), 1000.0),
        (_utc(9, 30), _utc(10, 30), 1000.0),
        (_utc(10, 30), _utc(11, 30), 1000.0),
    ]
    for (_, end, _), (start, _, _) in pairwise(windows):
        assert end <= start


def test_generic_gap_without_end_stays_a_gap() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10), "power_w": 1000},
            {"start": _local(11), "power_w": 1000},
            {"start": _local(12), "power_w": 1000},
            {"start": _local(15), "power_w": 1000},
        ]
    }
    windows = parse_pv_forecast(attributes)
    assert windows[2] == (_utc(10), _utc(11), 1000.0)


def test_generic_mixes_entries_with_and_without_end_in_time_order() -> None:
    attributes = {
        "forecast": [
            {"start": _local(11), "energy_wh": 50},
            {"start": _local(10), "end": _local(10, 15), "power_w": 3000},
        ]
    }
    assert parse_pv_forecast(attributes) == [
        (_utc(8, 0), _utc(8, 15), 750.0),
        (_utc(9, 0), _utc(10, 0), 50.0),
    ]


def test_generic_energy_wins_over_power_in_one_entry() -> None:
    attributes = {
        "forecast": [
            {"start": _local(10), "end": _local(11), "energy_wh": 5, "power_w": 9000}
        ]
    }
    assert parse_pv_forecast(attributes) == [(_utc(8), _utc(9), 5.0)]


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"unit": "W", "friendly_name": "PV"},
        {"detailedForecast": "not a list"},
        {"wh_period": [1, 2]},
        {"watts": "1000"},
        {"forecast": {"start": _local(10)}},
    ],
)
def test_no_known_key(attributes: dict[str, Any]) -> None:
    with pytest.raises(PriceFormatError, match="no PV forecast found") as error:
        parse_pv_forecast(attributes)
    for key in ("detailedForecast", "wh_period", "watts", "forecast"):
        assert key in str(error.value)


@pytest.mark.parametrize(
    ("attributes", "where"),
    [
        (
            {"detailedForecast": [{"period_start": "2026-06-01T10:00:00"}]},
            "detailedForecast[0].period_start",
        ),
        ({"wh_period": {"2026-06-01T10:00:00": 5}}, "wh_period key"),
        ({"watts": {"2026-06-01T10:00:00": 5}}, "watts key"),
        (
            {"forecast": [{"start": "2026-06-01T10:00:00", "energy_wh": 5}]},
            "forecast[0].start",
        ),
        (
            {
                "forecast": [
                    {"start": _local(9), "energy_wh": 1},
                    {
                        "start": _local(10),
                        "end": datetime(2026, 6, 1, 11),  # naive on purpose
                        "energy_wh": 5,
                    },
                ]
            },
            "forecast[1].end",
        ),
    ],
)
def test_naive_times_are_refused(attributes: dict[str, Any], where: str) -> None:
    with pytest.raises(PriceFormatError, match="no UTC offset") as error:
        parse_pv_forecast(attributes)
    assert where in str(error.value)


@pytest.mark.parametrize(
    ("attributes", "where"),
    [
        (
            {"detailedForecast": [{"period_start": _local(10), "pv_estimate": "2.0"}]},
            "detailedForecast[0].pv_estimate",
        ),
        (
            {"detailedHourly": [{"period_start": _local(10)}]},
            "detailedHourly[0].pv_estimate",
        ),
        ({"wh_period": {_local(10): None}}, f"wh_period[{_local(10)!r}]"),
        ({"watts": {_local(10): True}}, f"watts[{_local(10)!r}]"),
        ({"watts": {_local(10): float("nan")}}, f"watts[{_local(10)!r}]"),
        (
            {
                "forecast": [
                    {"start": _local(10), "energy_wh": 1},
                    {"start": _local(11), "energy_wh": "lots"},
                ]
            },
            "forecast[1].energy_wh",
        ),
        ({"forecast": [{"start": _local(10), "power_w": [1]}]}, "forecast[0].power_w"),
    ],
)
def test_non_numbers_are_refused(attributes: dict[str, Any], where: str) -> None:
    with pytest.raises(PriceFormatError, match="expected a") as error:
        parse_pv_forecast(attributes)
    assert where in str(error.value)


def test_bad_time_string_names_the_field() -> None:
    attributes = {"detailedHourly": [{"period_start": "soon", "pv_estimate": 1.0}]}
    with pytest.raises(PriceFormatError, match=r"detailedHourly\[0\]\.period_start"):
        parse_pv_forecast(attributes)


def test_missing_start_names_the_field() -> None:
    with pytest.raises(PriceFormatError, match=r"forecast\[0\]\.start"):
        parse_pv_forecast({"forecast": [{"energy_wh": 1}]})


def test_generic_entry_without_a_value_names_the_entry() -> None:
    attributes = {"forecast": [{"start": _local(10), "end": _local(11), "wh": 1}]}
    with pytest.raises(
        PriceFormatError, match=r"forecast\[0\]: needs energy_wh or power_w"
    ):
        parse_pv_forecast(attributes)


@pytest.mark.parametrize("end", [_local(9), _local(10)])
def test_window_ending_before_it_starts(end: str) -> None:
    attributes = {
        "forecast": [
            {"start": _local(8), "end": _local(9), "energy_wh": 1},
            {"start": _local(10), "end": end, "energy_wh": 1},
        ]
    }
    with pytest.raises(PriceFormatError, match="is not after the start") as error:
        parse_pv_forecast(attributes)
    assert "forecast[1].end" in str(error.value)


@pytest.mark.parametrize(
    ("attributes", "where"),
    [
        (
            {"detailedForecast": [["2026-06-01T10:00:00+02:00", 1.0]]},
            "detailedForecast[0]",
        ),
        (
            {"detailedHourly": [{"period_start": _local(9), "pv_estimate": 1}, 5]},
            "detailedHourly[1]",
        ),
        ({"forecast": ["2026-06-01T10:00:00+02:00"]}, "forecast[0]"),
        ({"forecast": [{"start": _local(9), "power_w": 1}, None]}, "forecast[1]"),
    ],
)
def test_entries_that_are_not_mappings(attributes: dict[str, Any], where: str) -> None:
    with pytest.raises(PriceFormatError, match="expected a mapping") as error:
        parse_pv_forecast(attributes)
    assert str(error.value).startswith(f"{where}:")


def test_price_format_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the type is what is tested
        parse_pv_forecast({})


# -- ev_surplus_forecast ----------------------------------------------------------


def test_surplus_subtracts_the_house_load_per_window_length() -> None:
    windows = [
        (_utc(8, 0), _utc(8, 30), 1500.0),  # 3 kW for 30 min
        (_utc(8, 30), _utc(10, 30), 8000.0),  # 4 kW for 2 h
    ]
    assert ev_surplus_forecast(windows, 500.0) == [
        (_utc(8, 0), _utc(8, 30), 1250.0),
        (_utc(8, 30), _utc(10, 30), 7000.0),
    ]


def test_surplus_is_never_negative() -> None:
    windows = [
        (_utc(20), _utc(21), 0.0),
        (_utc(7), _utc(8), 200.0),
        (_utc(8), _utc(9), 400.0),
    ]
    assert ev_surplus_forecast(windows, 400.0) == [
        (_utc(20), _utc(21), 0.0),
        (_utc(7), _utc(8), 0.0),
        (_utc(8), _utc(9), 0.0),
    ]


def test_surplus_without_house_load_is_the_forecast() -> None:
    windows = [(_utc(8), _utc(9), 1234.5)]
    assert ev_surplus_forecast(windows, 0.0) == windows


def test_surplus_of_a_parsed_forecast() -> None:
    windows = parse_pv_forecast(
        {
            "detailedForecast": [
                {"period_start": _local(12, 0), "pv_estimate": 5.0},
                {"period_start": _local(12, 30), "pv_estimate": 0.2},
            ]
        }
    )
    assert ev_surplus_forecast(windows, 600.0) == [
        (_utc(10, 0), _utc(10, 30), 2200.0),
        (_utc(10, 30), _utc(11, 0), 0.0),
    ]
