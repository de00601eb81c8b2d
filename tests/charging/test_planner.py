"""Cheapest-slots planner rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ocpp_csms.charging.planner import PlanRequest, plan_cheapest
from custom_components.ocpp_csms.charging.prices import PriceSlot

T0 = datetime(2026, 1, 1, 18, tzinfo=UTC)
KW_AT_16A = 16 * 230 * 3 / 1000  # 11.04 kW


def _prices(*values: float, minutes: int = 60) -> list[PriceSlot]:
    step = timedelta(minutes=minutes)
    return [
        PriceSlot(start=T0 + i * step, end=T0 + (i + 1) * step, price=value)
        for i, value in enumerate(values)
    ]


def _request(energy_kwh: float, prices: list[PriceSlot], **kw: object) -> PlanRequest:
    kw.setdefault("reserve_wh", 0.0)  # the reserve has its own tests
    return PlanRequest(
        now=kw.pop("now", T0),  # type: ignore[arg-type]
        departure=kw.pop("departure", T0 + timedelta(hours=12)),  # type: ignore[arg-type]
        energy_wh=energy_kwh * 1000,
        prices=prices,
        **kw,  # type: ignore[arg-type]
    )


def test_cheapest_slots_in_time_order() -> None:
    prices = _prices(0.30, 0.10, 0.25, 0.05, 0.40, 0.20)
    plan = plan_cheapest(_request(2 * KW_AT_16A, prices))
    assert [slot.start for slot in plan.slots] == [
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=3),
    ]
    assert plan.complete
    assert abs(plan.cost - KW_AT_16A * 0.15) < 1e-9
    assert plan.next_start == T0 + timedelta(hours=1)


def test_partial_last_slot_reduces_current_or_time() -> None:
    prices = _prices(0.1, 0.2, 0.3)
    # 1.5 slots: one full at 16 A, then 8 A for an hour.
    plan = plan_cheapest(_request(1.5 * KW_AT_16A, prices))
    assert [slot.amps for slot in plan.slots] == [16.0, 8.0]
    # A little more than one slot: the rest at 6 A for part of the next hour.
    plan = plan_cheapest(_request(KW_AT_16A + 1.0, prices))
    last = plan.slots[-1]
    assert last.amps == 6.0
    assert last.end - last.start == timedelta(seconds=round(1000 / (6 * 690) * 3600))


def test_deadline_guarantee_charges_now() -> None:
    prices = _prices(0.9, 0.1, 0.1)
    plan = plan_cheapest(_request(40, prices, departure=T0 + timedelta(hours=3)))
    assert [slot.start for slot in plan.slots] == [
        T0 + timedelta(hours=i) for i in range(3)
    ]
    assert not plan.complete


def test_running_slot_is_kept_on_replan() -> None:
    prices = _prices(0.30, 0.10, 0.10, 0.10)
    now = T0 + timedelta(minutes=30)
    plan = plan_cheapest(_request(KW_AT_16A, prices, now=now, charging_slot_start=T0))
    # Kept at the minimum for the rest of its hour; the rest of the need
    # goes to the cheaper hours, not to more of the dear running one.
    first = plan.slots[0]
    assert (first.start, first.end, first.amps, first.price) == (
        now,
        T0 + timedelta(hours=1),
        6.0,
        0.30,
    )
    assert [slot.start.hour - T0.hour for slot in plan.slots] == [0, 1]
    assert plan.slots[1].amps < 16.0
    assert abs(plan.energy_wh - KW_AT_16A * 1000) < 1e-6
    # Where the running hour is the cheapest, it goes on at full power.
    cheap_now = _prices(0.05, 0.10, 0.10, 0.10)
    plan = plan_cheapest(
        _request(KW_AT_16A, cheap_now, now=now, charging_slot_start=T0)
    )
    assert (plan.slots[0].start, plan.slots[0].amps) == (now, 16.0)


def test_price_cap_and_window() -> None:
    prices = _prices(0.30, 0.10, 0.25)
    plan = plan_cheapest(_request(3 * KW_AT_16A, prices, price_cap=0.26))
    assert {slot.price for slot in plan.slots} == {0.10, 0.25}
    assert not plan.complete
    # Slots after the departure never count.
    plan = plan_cheapest(
        _request(KW_AT_16A, _prices(0.5, 0.01), departure=T0 + timedelta(hours=1))
    )
    assert [slot.price for slot in plan.slots] == [0.5]


def test_plan_as_limit_steps() -> None:
    plan = plan_cheapest(_request(KW_AT_16A, _prices(0.3, 0.1, 0.3)))
    steps = plan.steps(T0, T0 + timedelta(hours=3))
    assert [(step.start - T0, step.amps) for step in steps] == [
        (timedelta(0), 0.0),
        (timedelta(hours=1), 16.0),
        (timedelta(hours=2), 0.0),
    ]
    starting_now = plan_cheapest(_request(KW_AT_16A, _prices(0.1, 0.3)))
    assert starting_now.steps(T0, T0 + timedelta(hours=2))[0].amps == 16.0


def test_fifteen_minute_slots() -> None:
    prices = _prices(*([0.2] * 4 + [0.1] * 4), minutes=15)
    plan = plan_cheapest(_request(KW_AT_16A, prices))
    assert [slot.start for slot in plan.slots] == [
        T0 + timedelta(minutes=15 * i) for i in range(4, 8)
    ]


def test_smart_counts_expected_surplus_first() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    prices = _prices(0.3, 0.1, 0.2, 0.25, 0.4, 0.4)
    request = _request(3 * KW_AT_16A, prices)
    sunny = [(T0 + timedelta(hours=4), T0 + timedelta(hours=6), 20_000.0)]
    smart = plan_smart(request, sunny, confidence=0.5)
    # 10 kWh of the forecast counts; only the rest is bought, cheapest first.
    assert smart.expected_solar_wh == 10_000
    assert abs(smart.grid.energy_wh - (3 * KW_AT_16A * 1000 - 10_000)) < 1e-6
    assert smart.grid.slots[0].price == 0.1
    # A forecast after the departure, or an EV that cannot take it, counts less.
    late = [(T0 + timedelta(hours=20), T0 + timedelta(hours=22), 50_000.0)]
    assert plan_smart(request, late).expected_solar_wh == 0
    flood = [(T0, T0 + timedelta(hours=1), 1_000_000.0)]
    capped = plan_smart(request, flood, confidence=1.0)
    assert capped.expected_solar_wh == KW_AT_16A * 1000
    everything = plan_smart(_request(5.0, prices), flood, confidence=1.0)
    assert everything.grid.slots == ()
    assert everything.expected_solar_wh == 5_000


def test_smart_never_counts_the_same_hours_twice() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # The cheapest hour is also the sunny one: the grid plan buys there only
    # what the maximum leaves on top of the counted sun, the rest elsewhere.
    prices = _prices(0.3, 0.05, 0.2, 0.25)
    sunny = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 8_000.0)]
    smart = plan_smart(_request(2 * KW_AT_16A, prices), sunny, confidence=1.0)
    assert smart.expected_solar_wh == 8_000
    assert [
        (slot.start.hour - T0.hour, slot.amps, round(slot.energy_wh))
        for slot in smart.grid.slots
    ] == [(1, 16.0, round(KW_AT_16A * 1000 - 8_000)), (2, 16.0, KW_AT_16A * 1000)]
    assert abs(smart.grid.energy_wh - (2 * KW_AT_16A * 1000 - 8_000)) < 1e-6
    # Less grid energy than that room: the slot's current covers sun + grid.
    smart = plan_smart(_request(10.0, prices), sunny, confidence=1.0)
    assert [(slot.start.hour - T0.hour, slot.amps) for slot in smart.grid.slots] == [
        (1, round(10_000 / 690, 1))
    ]
    assert abs(smart.grid.energy_wh - 2_000) < 1e-6
    assert abs(smart.grid.cost - 2.0 * 0.05) < 1e-9
    # Too weak to start the car (1 kWh over an hour < 6 A on one phase).
    weak = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 1_000.0)]
    assert (
        plan_smart(_request(10.0, prices), weak, confidence=1.0).expected_solar_wh == 0
    )
    # Half of the current hour is gone: half of its forecast counts.
    now = T0 + timedelta(minutes=30)
    half = [(T0, T0 + timedelta(hours=1), 4_000.0)]
    smart = plan_smart(_request(10.0, prices, now=now), half, confidence=1.0)
    assert smart.expected_solar_wh == 2_000


def test_excluded_windows_are_used_when_the_deadline_needs_them() -> None:
    prices = _prices(0.3, 0.05, 0.2)
    excluded = ((T0 + timedelta(hours=1), T0 + timedelta(hours=2)),)
    plan = plan_cheapest(
        _request(
            3 * KW_AT_16A, prices, departure=T0 + timedelta(hours=3), excluded=excluded
        )
    )
    assert len(plan.slots) == 3


def test_reserve_goes_after_the_planned_charge_in_whole_slots() -> None:
    from custom_components.ocpp_csms.charging.planner import reserve_for

    # Cheapest: hour 1 and 3; the reserve only after hour 3 (hour 5 is
    # cheaper than 4), never in the dearer hour 0 or 2 before it.
    prices = _prices(0.30, 0.10, 0.25, 0.05, 0.40, 0.20, 0.35)
    plan = plan_cheapest(_request(2 * KW_AT_16A, prices, reserve_wh=1000.0))
    assert [(slot.start.hour - T0.hour, slot.reserve) for slot in plan.slots] == [
        (1, False),
        (3, False),
        (5, True),
    ]
    assert plan.slots[-1].amps == 16.0  # whole slot: the car stops when full
    assert abs(plan.energy_wh - 2 * KW_AT_16A * 1000) < 1e-6  # without reserve
    assert abs(plan.reserve_wh - KW_AT_16A * 1000) < 1e-6
    assert abs(plan.cost - KW_AT_16A * 0.15) < 1e-9
    # Default: DEFAULT_RESERVE_SHARE x energy (1.0 x one slot: one more).
    default = plan_cheapest(
        PlanRequest(
            now=T0,
            departure=T0 + timedelta(hours=7),
            energy_wh=KW_AT_16A * 1000,
            prices=prices,
        )
    )
    assert [slot.start.hour - T0.hour for slot in default.slots] == [3, 5]
    # Estimate delivered, the car still charging: the reserve keeps it going.
    assert reserve_for(20_000, 5_000) == 20_000
    assert reserve_for(20_000, 26_000) == 14_000
    assert reserve_for(20_000, 60_000) == 0
    plan = plan_cheapest(_request(0.0, prices, reserve_wh=1000.0))
    assert [slot.start.hour - T0.hour for slot in plan.slots] == [3]
    assert plan.slots[0].reserve
    assert plan.energy_wh == 0
    assert plan.complete


def test_smart_leaves_free_or_paid_slots_to_the_grid_plan() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # The sunny hour is priced below zero: charging there at full power is
    # paid for, so no sun is counted and the grid plan takes that hour.
    prices = _prices(0.3, -0.02, 0.2, 0.25)
    sunny = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 8_000.0)]
    smart = plan_smart(_request(KW_AT_16A, prices), sunny, confidence=1.0)
    assert smart.expected_solar_wh == 0
    assert [slot.start for slot in smart.grid.slots] == [T0 + timedelta(hours=1)]
    # Only the paid quarter of a sunny hour is left out of the count.
    quarters = _prices(*([0.2] * 4 + [-0.01] + [0.2] * 3 + [0.3] * 40), minutes=15)
    smart = plan_smart(_request(KW_AT_16A, quarters), sunny, confidence=1.0)
    assert smart.expected_solar_wh == 6_000
    assert any(slot.price < 0 for slot in smart.grid.slots)


def test_latest_end_leaves_room_after_the_plan_for_the_reserve() -> None:
    from custom_components.ocpp_csms.charging.planner import GUARANTEED_RESERVE_SHARE

    # The cheapest hour is the last one: without a reserve the plan takes it.
    late = _prices(0.30, 0.20, 0.05)
    departure = T0 + timedelta(hours=3)
    plan = plan_cheapest(_request(KW_AT_16A, late, departure=departure))
    assert [slot.start.hour - T0.hour for slot in plan.slots] == [2]
    # With a reserve, its guaranteed part must fit after the planned charge:
    # the plan moves to hour 1 and the last hour becomes the reserve.
    reserve_wh = 5_000.0
    assert GUARANTEED_RESERVE_SHARE * reserve_wh <= KW_AT_16A * 1000
    plan = plan_cheapest(
        _request(KW_AT_16A, late, departure=departure, reserve_wh=reserve_wh)
    )
    assert [(slot.start.hour - T0.hour, slot.reserve) for slot in plan.slots] == [
        (1, False),
        (2, True),
    ]
    assert plan.complete
    assert abs(plan.cost - KW_AT_16A * 0.20) < 1e-9
    # A re-plan with the estimate delivered: nothing planned, so the reserve
    # simply takes the cheapest hour.
    plan = plan_cheapest(_request(0.0, late, departure=departure, reserve_wh=5e3))
    assert [(slot.start.hour - T0.hour, slot.reserve) for slot in plan.slots] == [
        (2, True)
    ]


def test_deadline_guarantee_counts_the_guaranteed_reserve() -> None:
    prices = _prices(0.9, 0.1, 0.1)
    departure = T0 + timedelta(hours=3)
    energy_kwh = 2.8 * KW_AT_16A
    # Without a reserve the three hours hold the energy: cheapest first, the
    # dear first hour only partly.
    plan = plan_cheapest(_request(energy_kwh, prices, departure=departure))
    assert [slot.amps for slot in plan.slots] == [12.8, 16.0, 16.0]
    # Energy + the reserve's guaranteed part do not fit: start now at full.
    plan = plan_cheapest(
        _request(energy_kwh, prices, departure=departure, reserve_wh=10_000.0)
    )
    assert plan.slots[0].start == T0
    assert [slot.amps for slot in plan.slots] == [16.0, 16.0, 12.8]
    assert plan.complete


def test_smart_reserve_goes_after_the_counted_sun() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # Hour 1 is cheap but lies before the sunny hours 2-3: a reserve there
    # would fill the car from the grid before the free surplus comes.
    prices = _prices(0.10, 0.12, 0.30, 0.30, 0.20, 0.25)
    sunny = [
        (T0 + timedelta(hours=2), T0 + timedelta(hours=3), 8_000.0),
        (T0 + timedelta(hours=3), T0 + timedelta(hours=4), 8_000.0),
    ]
    energy_kwh = KW_AT_16A + 16
    smart = plan_smart(
        _request(energy_kwh, prices, departure=T0 + timedelta(hours=6), reserve_wh=5e3),
        sunny,
        confidence=1.0,
    )
    assert smart.expected_solar_wh == 16_000
    assert [(slot.start.hour - T0.hour, slot.reserve) for slot in smart.grid.slots] == [
        (0, False),
        (4, True),
    ]
    # No room after the sun before the departure: the reserve stays where
    # the car can still use it, after the planned charge.
    smart = plan_smart(
        _request(energy_kwh, prices, departure=T0 + timedelta(hours=4), reserve_wh=5e3),
        sunny,
        confidence=1.0,
    )
    assert [(slot.start.hour - T0.hour, slot.reserve) for slot in smart.grid.slots] == [
        (0, False),
        (1, True),
    ]


def test_reserve_takes_the_rest_of_the_slot_the_plan_ends_in() -> None:
    prices = _prices(0.1, 0.2, 0.3)
    plan = plan_cheapest(
        _request(
            KW_AT_16A + 1.0,
            prices,
            departure=T0 + timedelta(hours=3),
            reserve_wh=1_000.0,
        )
    )
    part_end = T0 + timedelta(hours=1, seconds=round(1000 / (6 * 690) * 3600))
    assert [(slot.start, slot.end, slot.amps, slot.reserve) for slot in plan.slots] == [
        (T0, T0 + timedelta(hours=1), 16.0, False),
        (T0 + timedelta(hours=1), part_end, 6.0, False),
        (part_end, T0 + timedelta(hours=2), 16.0, True),
    ]
    assert plan.slots[-1].price == 0.2


def test_smart_takes_weak_sun_at_the_one_phase_minimum() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # Hour 1 has 1 kW of sun: too weak to start the surplus controller, but
    # 6 A on one phase (1.38 kW) there takes it, so its grid share is 0.38
    # kW: 0.20 x 0.38 / 1.38 = 0.055 per kWh beats the 0.10 of hour 3.
    prices = _prices(0.30, 0.20, 0.30, 0.10)
    weak = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 1_000.0)]
    one_phase_kwh = 6 * 230 / 1000
    request = _request(one_phase_kwh, prices, phase_switching=True)
    smart = plan_smart(request, weak, confidence=1.0)
    assert smart.expected_solar_wh == 0  # not counted as surplus
    [slot] = smart.grid.slots
    assert (slot.start.hour - T0.hour, slot.amps, slot.phases) == (1, 6.0, 1)
    assert slot.end - slot.start == timedelta(hours=1)
    # Only the grid share is paid.
    assert abs(smart.grid.cost - (one_phase_kwh - 1.0) * 0.20) < 1e-9
    steps = smart.grid.steps(T0, T0 + timedelta(hours=4))
    assert [(s.start.hour - T0.hour, s.amps, s.phases) for s in steps] == [
        (0, 0.0, None),
        (1, 6.0, 1),
        (2, 0.0, None),
    ]
    # More than the minimum: the rest is plain grid energy, bought cheapest
    # (hour 3), and the weak hour stays at its one-phase minimum.
    more = plan_smart(
        _request(one_phase_kwh + 5.0, prices, phase_switching=True),
        weak,
        confidence=1.0,
    )
    assert [(s.start.hour - T0.hour, s.amps, s.phases) for s in more.grid.slots] == [
        (1, 6.0, 1),
        (3, round(5_000 / 690, 1), None),
    ]


def test_weak_sun_without_phase_switching_is_priced_at_three_phases() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # 6 A on three phases is 4.14 kW: 1 kW of sun pays for a quarter of it.
    # 0.12 x 3.14 / 4.14 = 0.091 beats 0.10; 0.14 x 3.14 / 4.14 = 0.106 does not.
    weak = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 1_000.0)]
    for price, hour in ((0.12, 1), (0.14, 3)):
        prices = _prices(0.30, price, 0.30, 0.10)
        smart = plan_smart(_request(4.14, prices), weak, confidence=1.0)
        [slot] = smart.grid.slots
        assert (slot.start.hour - T0.hour, slot.phases) == (hour, None)


def test_replan_keeps_a_running_weak_slot_at_its_minimum() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # Charging at the one-phase minimum in the weak hour: a re-plan keeps
    # that piece first, but does not raise the hour to full grid power.
    prices = _prices(0.30, 0.20, 0.30, 0.10)
    weak = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2), 1_000.0)]
    now = T0 + timedelta(hours=1, minutes=30)
    request = _request(
        6.0, prices, now=now, charging_slot_start=now, phase_switching=True
    )
    slots = plan_smart(request, weak, confidence=1.0).grid.slots
    assert (slots[0].start, slots[0].amps, slots[0].phases) == (now, 6.0, 1)
    assert [s.start.hour - T0.hour for s in slots] == [1, 3]


def test_smart_buys_what_only_a_weaker_sun_needs_after_the_sun() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # Sun in hours 1-2 (8 kWh each), counted at 0.5; the car needs 20 kWh.
    # 4 kWh comes from the grid even if all the sun comes: cheapest (hour 1,
    # on top of the sun). The other 8 kWh is needed only if the sun is
    # weaker than forecast: bought after the sun (hour 3), where re-plans
    # know whether it came, though hour 0 is a little cheaper.
    prices = _prices(0.11, 0.10, 0.30, 0.12, 0.40)
    sunny = [
        (T0 + timedelta(hours=1), T0 + timedelta(hours=2), 8_000.0),
        (T0 + timedelta(hours=2), T0 + timedelta(hours=3), 8_000.0),
    ]
    request = _request(20.0, prices, departure=T0 + timedelta(hours=5))
    smart = plan_smart(request, sunny, confidence=0.5)
    assert smart.expected_solar_wh == 8_000
    planned = [(s.start.hour - T0.hour, round(s.energy_wh)) for s in smart.grid.slots]
    assert planned == [(1, 4_000), (3, 8_000)]
    # No room after the sun before the departure: all of it cheapest.
    request = _request(20.0, prices, departure=T0 + timedelta(hours=3))
    smart = plan_smart(request, sunny, confidence=0.5)
    planned = [(s.start.hour - T0.hour, round(s.energy_wh)) for s in smart.grid.slots]
    assert planned == [(0, 4_960), (1, 7_040)]


def test_smart_reserve_in_a_sunny_hour_allows_only_the_sun() -> None:
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    # The sun lasts to the departure, so the reserve cannot wait for its
    # end: in the sunny hours it allows the current the counted sun pays
    # for (8 kWh x 0.5 over an hour on three phases: 5.8 A, so the 6 A
    # minimum), not 16 A of grid on top of it.
    prices = _prices(0.10, 0.30, 0.30, 0.30)
    sunny = [
        (T0 + timedelta(hours=h), T0 + timedelta(hours=h + 1), 8_000.0) for h in (1, 2)
    ]
    request = _request(
        KW_AT_16A, prices, departure=T0 + timedelta(hours=3), reserve_wh=20_000.0
    )
    smart = plan_smart(request, sunny, confidence=0.5)
    reserve = [(s.start.hour - T0.hour, s.amps) for s in smart.grid.slots if s.reserve]
    # (Hour 0 is sunless: the rest of it after the planned charge at 16 A.)
    assert reserve == [(0, 16.0), (1, 6.0), (2, 6.0)]
    # A stronger sun: its own current.
    strong = [(start, end, 20_000.0) for start, end, _ in sunny]
    smart = plan_smart(request, strong, confidence=0.5)
    reserve = [(s.start.hour - T0.hour, s.amps) for s in smart.grid.slots if s.reserve]
    sun_a = round(10_000 / 690, 1)
    assert reserve == [(0, 16.0), (1, sun_a)]  # 21 kWh cover the 20 kWh reserve


def test_readme_smart_example() -> None:
    """The Smart example in the README, computed."""
    from custom_components.ocpp_csms.charging.smart_plan import plan_smart

    start = datetime(2026, 6, 1, 18, tzinfo=UTC)  # read as local time
    hourly = [0.32, 0.30, 0.27, 0.24, 0.22, 0.20, 0.18, 0.17, 0.17, 0.18, 0.21]
    hourly += [0.26, 0.24, 0.20, 0.16, 0.13, 0.12, 0.13, 0.15, 0.18, 0.14, 0.22]
    prices = [
        PriceSlot(
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i + 1),
            price=price,
        )
        for i, price in enumerate(hourly)
    ]
    surplus_kw = {9: 1, 10: 2, 11: 4, 12: 5, 13: 5, 14: 3, 15: 1}
    forecast = [
        (
            start + timedelta(hours=hour + 6),
            start + timedelta(hours=hour + 7),
            kw * 1000.0,
        )
        for hour, kw in surplus_kw.items()
    ]
    request = PlanRequest(
        now=start,
        departure=start + timedelta(hours=22),
        energy_wh=30_000,
        prices=prices,
        phase_switching=True,
    )
    smart = plan_smart(request, forecast)
    assert smart.expected_solar_wh == pytest.approx(13_300)
    bought = [
        ((slot.start - start).seconds // 3600 + 18) % 24 for slot in smart.grid.slots
    ]
    planned = [slot for slot in smart.grid.slots if not slot.reserve]
    assert [(s.amps, round(s.energy_wh / 1000, 1), s.price) for s in planned] == [
        (10.2, 7.1, 0.13),
        (16.0, 9.6, 0.12),
    ]
    assert bought[:2] == [9, 10]
    assert round(smart.grid.cost, 2) == 1.98
    cheapest = plan_cheapest(replace(request, phase_switching=False))
    assert round(cheapest.cost, 2) == 3.79
    assert [s.amps for s in cheapest.slots if not s.reserve] == [16.0, 16.0, 11.5]
