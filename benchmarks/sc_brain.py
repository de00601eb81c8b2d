"""Our modes, driving the real ``charging/`` code of the integration.

- cheapest: ``plan_cheapest`` at arrival, when tomorrow's prices appear
  (13:00) and every 15 minutes (the integration's ``REPLAN_INTERVAL`` timer,
  at an arbitrary phase: 7 minutes past each quarter hour), for the
  estimated energy less what the meter already counted (the simulated car
  reports no SoC, so the integration's energy basis applies);
  the plan's ``steps`` go through ``build_profile`` (one Absolute TxProfile,
  amps, fitted to the charger's maximum periods, ending at departure) and
  the charger follows that profile minute by minute on its own (a period
  on one phase, as the smart plan sends for weak sun, counts at its power:
  amps x 1/3 on the three-phase scale). Every
  request carries ``reserve_for(estimate, delivered)`` (the plan's reserve
  after the planned charge, as the integration passes it). A re-plan
  whose profile differs from the one installed (from now on) is one write.
- smart: the same with ``plan_smart`` (hourly PV-surplus forecast, counted
  at the planner's default confidence) for the grid part, re-planned also
  every full hour (a forecast update), plus the ``SurplusController`` in
  SOLAR mode on a 30 s loop on top: the charger gets the higher of the two
  (3 phases while a planned slot runs). Every changed surplus decision is
  one write.
- solar: the ``SurplusController`` alone (SOLAR mode, 1p/3p), 30 s loop.

When the estimate is delivered (remaining need 0) a re-plan still sends the
plan's steps, i.e. its reserve, as ``reserve_for`` intends (so does the
integration since 23a0f3c).

HA offline (cheapest and smart): at a random moment between arrival and
the end of the arrival plan, Home Assistant stops (no re-plans, no surplus
loop); the charger keeps following the last profile to the departure.
"""

from __future__ import annotations

from datetime import datetime
import random

import numpy as np

from custom_components.ocpp_csms.charging.modes import surplus_can_wait
from custom_components.ocpp_csms.charging.planner import (
    Plan,
    PlanRequest,
    plan_cheapest,
    reserve_for,
)
from custom_components.ocpp_csms.charging.profiles import (
    Electrical,
    ProfileForm,
    build_profile,
)
from custom_components.ocpp_csms.charging.smart_plan import plan_smart
from custom_components.ocpp_csms.charging.surplus import (
    SurplusConfig,
    SurplusController,
    SurplusInputs,
    SurplusMode,
)
from custom_components.ocpp_csms.csms.profiles import (
    ChargingProfile,
    ProfilePurpose,
    RateUnit,
)

from .sc_data import SLOT_MIN, World
from .sc_sim import MAX_A, VOLTAGE_V, SessionRun, Strategy

ELECTRICAL = Electrical(phases=3, voltage_v=VOLTAGE_V)
WH_PER_A_MIN = VOLTAGE_V * 3 / 60  # energy of 1 A on 3 phases for a minute
# The integration re-plans every 15 minutes (smart.REPLAN_INTERVAL) on a
# timer that runs from Home Assistant's start, not from the price slots: an
# arbitrary phase, here 7 minutes past each quarter hour.
REPLAN_MIN = 15
REPLAN_PHASE_MIN = 7


def profile_minutes(
    world: World, profile: ChargingProfile, first: int, last: int
) -> np.ndarray:
    """Return the profile's mean limit (A) in each minute of [first, last)."""
    assert profile.start is not None
    start = (profile.start - world.t0).total_seconds() / 60
    end = start + profile.duration_s / 60 if profile.duration_s else float(last)
    points = np.array([start + p.start_s / 60 for p in profile.periods] + [end])
    # Three-phase equivalent: the simulated car's power is amps x phases.
    limits = np.array([p.limit * (p.phases or 3) / 3 for p in profile.periods])
    widths = np.diff(points)
    edges = np.arange(first, last + 1, dtype=float)
    area = np.clip(edges[:, None] - points[None, :-1], 0.0, widths[None, :])
    return np.diff((area * limits[None, :]).sum(axis=1))


def surplus_forecast_wh(world: World) -> np.ndarray:
    """Hourly EV-usable surplus forecast (Wh).

    PV: the hour's real mean times a per-day error factor (lognormal,
    ``--forecast-error``). Household: mean of the same hour on the 7 days
    before (what a forecast from history can know).
    """
    load = world.load_hour_w
    total = np.zeros_like(load)
    count = np.zeros_like(load)
    for k in range(1, 8):
        total[24 * k :] += load[: -24 * k]
        count[24 * k :] += 1
    load_fc = np.where(count > 0, total / np.maximum(count, 1), load)
    factor = world.forecast_factor[np.arange(len(load)) // 24]
    return np.asarray(np.clip(world.pv_hour_w * factor - load_fc, 0.0, None))


class PlanFollower(Strategy):
    """Our cheapest (``smart=False``) or smart mode."""

    def __init__(
        self,
        world: World,
        *,
        smart: bool,
        with_error: bool = False,
        offline: bool = False,
        max_periods: int | None = 24,
        seed: int = 0,
    ) -> None:
        """Drive the brain on ``world``; variants: ±15% estimate, HA offline."""
        self.world = world
        self.smart = smart
        self.with_error = with_error
        self.offline = offline
        self.seed = seed
        self.form = ProfileForm(
            purpose=ProfilePurpose.TX, unit=RateUnit.AMPS, max_periods=max_periods
        )
        self.name = "smart" if smart else "cheapest"
        if with_error:
            self.name += " ±15%"
        if offline:
            self.name += " HA offline"
        self.dt = 30 if smart else 60
        self.forecast = surplus_forecast_wh(world) if smart else None

    def begin(self, run: SessionRun) -> None:
        """Plan at arrival; fix the re-plan times (and the offline moment)."""
        world, session = self.world, run.session
        self.run = run
        error = session.error if self.with_error else 0.0
        self.estimate = session.energy_wh * (1 + error)
        self.limits = np.zeros(session.departure - session.arrival)
        self.plan: Plan | None = None
        self.replans = (
            {session.arrival}
            | {m for m in world.day_noon13 if session.arrival < m < session.departure}
            | {
                m
                for m in range(session.arrival + 1, session.departure)
                if m % REPLAN_MIN == REPLAN_PHASE_MIN
            }
        )
        if self.smart:
            first_hour = session.arrival // 60 + 1
            self.replans |= {
                60 * h for h in range(first_hour, -(-session.departure // 60))
            }
            self.surplus = SurplusController(
                SurplusConfig(
                    max_a=MAX_A, voltage_v=VOLTAGE_V, phases_available=(1, 3)
                ),
                SurplusMode.SOLAR,
            )
        self.offline_at: int | None = None
        plan = self._replan(session.arrival)
        if self.offline and plan.slots:
            end = (plan.slots[-1].end - world.t0).total_seconds() / 60
            rng = random.Random(self.seed * 100_003 + session.index)
            offline_at = session.arrival + int(rng.random() * (end - session.arrival))
            self.offline_at = max(session.arrival + 1, offline_at)
            run.offline_at = self.offline_at

    def _solar_windows(self, minute: int) -> list[tuple[datetime, datetime, float]]:
        assert self.forecast is not None
        world, session = self.world, self.run.session
        horizon = world.day_start[
            min(world.day_of(minute) + 2, len(world.day_start) - 1)
        ]
        last = min(session.departure, horizon)
        return [
            (world.at(60 * h), world.at(60 * h + 60), float(self.forecast[h]))
            for h in range(minute // 60, -(-last // 60))
            if self.forecast[h] > 0
        ]

    def _replan(self, minute: int) -> Plan:
        world, session, run = self.world, self.run.session, self.run
        offset = minute - session.arrival
        now = world.at(minute)
        departure = world.at(session.departure)
        known = min(session.departure, world.known_until(minute))
        charging = self.limits[offset] > 0 if self.plan is not None else False
        request = PlanRequest(
            now=now,
            departure=departure,
            energy_wh=max(0.0, self.estimate - run.delivered_wh),
            prices=world.prices(minute, known),
            max_a=MAX_A,
            phases=3,
            voltage_v=VOLTAGE_V,
            charging_slot_start=(
                world.at(minute // SLOT_MIN * SLOT_MIN) if charging else None
            ),
            reserve_wh=reserve_for(self.estimate, run.delivered_wh),
            phase_switching=True,  # the simulated charger switches 1p/3p
        )
        if self.smart:
            plan = plan_smart(request, self._solar_windows(minute)).grid
        else:
            plan = plan_cheapest(request)
        profile = build_profile(
            plan.steps(now, departure),
            self.form,
            profile_id=1101,
            stack_level=1,
            electrical=ELECTRICAL,
            phase_switching=True,
            transaction_id="sim",
            end=departure,
        )
        limits = profile_minutes(world, profile, minute, session.departure)
        if self.plan is None or not np.allclose(limits, self.limits[offset:]):
            run.write(minute)
            self.limits[offset:] = limits
        self.plan = plan
        return plan

    def _planned_after(self, minute: int) -> float:
        """Energy the current plan intends from ``minute`` on."""
        assert self.plan is not None
        at = self.world.at(minute)
        total = 0.0
        for slot in self.plan.slots:
            if slot.end <= at:
                continue
            share = (slot.end - max(slot.start, at)) / (slot.end - slot.start)
            total += slot.energy_wh * share
        return total

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """Follow the profile; re-plan on time; the surplus loop on top."""
        run = self.run
        online = self.offline_at is None or minute < self.offline_at
        if sub == 0 and minute == self.offline_at:
            remaining = run.session.energy_wh - run.delivered_wh
            run.offline_planned_wh = min(self._planned_after(minute), remaining)
            run.delivered_at_offline = run.delivered_wh
            offset = minute - run.session.arrival
            run.offline_profile_wh = float(self.limits[offset:].sum()) * WH_PER_A_MIN
        if (
            online
            and sub == 0
            and minute in self.replans
            and minute > run.session.arrival
        ):
            self._replan(minute)
        planned = float(self.limits[minute - run.session.arrival])
        if not self.smart or not online:
            return planned, 3
        # As the product: no surplus loop while free planned slots cover the need.
        assert self.plan is not None
        need = max(0.0, self.estimate - run.delivered_wh)
        if surplus_can_wait(self.plan, self.world.at(minute + sub / 2), need):
            return planned, 3
        decision = self.surplus.update(
            SurplusInputs(
                now=self.world.at(minute + sub / 2),
                grid_power_w=grid_w,
                ev_power_w=ev_w,
            )
        )
        if decision.changed:
            run.write(minute)
        if planned > 0:
            solar = decision.amps * decision.phases / 3
            return max(planned, solar), 3
        return decision.amps, decision.phases


class Solar(Strategy):
    """Our ``SurplusController`` alone, SOLAR mode, 30 s loop."""

    name = "solar"
    dt = 30

    def __init__(self, world: World) -> None:
        """Run on ``world``'s clock."""
        self.world = world

    def begin(self, run: SessionRun) -> None:
        """Start a fresh controller for the session."""
        self.run = run
        self.controller = SurplusController(
            SurplusConfig(max_a=MAX_A, voltage_v=VOLTAGE_V, phases_available=(1, 3)),
            SurplusMode.SOLAR,
        )

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """One 30 s loop tick."""
        decision = self.controller.update(
            SurplusInputs(
                now=self.world.at(minute + sub / 2),
                grid_power_w=grid_w,
                ev_power_w=ev_w,
            )
        )
        if decision.changed:
            self.run.write(minute)
        return decision.amps, decision.phases
