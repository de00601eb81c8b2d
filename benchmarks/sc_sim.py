"""The simulated car and charger, and the per-minute session loop.

Car: 3-phase, 6-16 A, 230 V (11.04 kW), takes what the charger allows up to
its own maximum; above 80% SoC its power tapers linearly to ``taper_floor``
(default 25%) of its maximum at 100%; it stops at its target SoC (the
session's true energy). Nobody tells the planner about the taper. Charger:
switches 1p/3p when told, follows its installed profile on its own. The
loop steps one minute (30 s for the surplus controllers' loop); PV and
household load are constant within a minute. Energy is metered at the
charger (no charging losses). Each minute's EV power is split into a solar
part (up to the PV surplus left after the household) and a grid part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math

from .sc_data import Session, World
from .sc_evcc import EvccPv

VOLTAGE_V = 230.0
MAX_A = 16.0
MIN_A = 6.0
CAR_MAX_W = MAX_A * VOLTAGE_V * 3
TAPER_SOC = 0.8
TAPER_FLOOR = 0.25


@dataclass
class SessionRun:
    """What happened in one session under one strategy."""

    session: Session
    delivered_wh: float = 0.0
    solar_wh: float = 0.0
    surplus_wh: float = 0.0  # PV surplus after the household while plugged in
    cost_grid: float = 0.0  # EUR: every EV kWh at the day-ahead price
    cost_pv: float = 0.0  # EUR: only the EV's grid import at the price
    starts: int = 0
    write_minutes: list[int] = field(default_factory=list)
    active_hours: set[int] = field(default_factory=set)
    # HA offline: energy the last sent plan intended after the stop, and
    # what the charger delivered after it on its own.
    offline_planned_wh: float | None = None
    offline_profile_wh: float = 0.0  # what the installed profile allows after it
    offline_delivered_wh: float = 0.0
    offline_at: int | None = None
    delivered_at_offline: float = 0.0

    def write(self, minute: int) -> None:
        """Record one charger write (profile or current set)."""
        self.write_minutes.append(minute)


class Strategy:
    """Decides the charger's limit; ``dt`` is its loop period in seconds."""

    name = "strategy"
    dt = 60
    # False for references whose charger writes are not modelled.
    counts_writes = True

    def begin(self, run: SessionRun) -> None:
        """Prepare for a new session (called at arrival)."""

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """Return (amps per phase, phases) for this step."""
        raise NotImplementedError


def simulate(
    world: World, session: Session, strategy: Strategy, taper_floor: float = TAPER_FLOOR
) -> SessionRun:
    """Run one session from arrival to departure under ``strategy``."""
    run = SessionRun(session=session)
    strategy.begin(run)
    pv_w, load_w, price_min = world.pv_w, world.load_w, world.price_min
    need = session.energy_wh
    base = session.arrival_soc * session.capacity_wh
    capacity = session.capacity_wh
    dt = strategy.dt
    per_minute = 60 // dt
    hours = dt / 3600
    ev_w = 0.0
    delivered = solar = cost_grid = cost_pv = 0.0
    starts = 0
    active = run.active_hours
    limit = strategy.limit
    for minute in range(session.arrival, session.departure):
        pv = float(pv_w[minute])
        load = float(load_w[minute])
        price = float(price_min[minute]) / 1000  # per Wh
        surplus = pv - load if pv > load else 0.0
        for sub in range(per_minute):
            run.delivered_wh = delivered
            amps, phases = limit(minute, sub, ev_w, load + ev_w - pv)
            watts = 0.0
            if amps > 0 and delivered < need:
                watts = min(amps, MAX_A) * VOLTAGE_V * phases
                soc = (base + delivered) / capacity
                if soc > TAPER_SOC:
                    over = (soc - TAPER_SOC) / (1 - TAPER_SOC)
                    taper = CAR_MAX_W * (1 - (1 - taper_floor) * min(1.0, over))
                    watts = min(watts, taper)
                if watts * hours > need - delivered:
                    watts = (need - delivered) / hours
            if watts > 0:
                if ev_w <= 0:
                    starts += 1
                active.add(minute // 60)
                wh = watts * hours
                solar_wh = (watts if watts < surplus else surplus) * hours
                delivered += wh
                solar += solar_wh
                cost_grid += wh * price
                cost_pv += (wh - solar_wh) * price
            ev_w = watts
    run.delivered_wh = delivered
    run.solar_wh = solar
    run.surplus_wh = _surplus_wh(world, session)
    run.cost_grid = cost_grid
    run.cost_pv = cost_pv
    run.starts = starts
    if run.offline_at is not None:
        run.offline_delivered_wh = delivered - run.delivered_at_offline
    return run


def _surplus_wh(world: World, session: Session) -> float:
    """PV surplus after the household over the plugged-in minutes."""
    span = slice(session.arrival, session.departure)
    return float((world.pv_w[span] - world.load_w[span]).clip(0, None).sum()) / 60


class Immediate(Strategy):
    """Full power from arrival until the car is full (one write)."""

    name = "immediate"

    def begin(self, run: SessionRun) -> None:
        """Send one limit at arrival."""
        run.write(run.session.arrival)

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """Return the maximum."""
        return MAX_A, 3


class CheapestN(Strategy):
    """On/off scheduler (ev_smart_charging style): the N cheapest 15-min slots.

    N = ceil(estimated energy / energy of a slot at 16 A 3p), chosen among the
    known prices before the departure (ties: earlier first); re-chosen at
    arrival and when tomorrow's prices appear (13:00) for the energy still
    estimated. The charger is switched on (16 A) and off at slot boundaries:
    every switch is one write.
    """

    name = "cheapest_n"

    def __init__(self, world: World, *, with_error: bool) -> None:
        """Schedule on ``world``'s prices; ``with_error`` uses the ±15% estimate."""
        self.world = world
        self.with_error = with_error
        if with_error:
            self.name += " ±15%"
        self.slot_wh = MAX_A * VOLTAGE_V * 3 * 0.25

    def begin(self, run: SessionRun) -> None:
        """Schedule at arrival."""
        self.run = run
        session = run.session
        self.estimate = session.energy_wh * (
            1 + (session.error if self.with_error else 0)
        )
        self.on: set[int] = set()
        self.state = False
        self.replans = {session.arrival} | {
            m for m in self.world.day_noon13 if session.arrival < m < session.departure
        }

    def _schedule(self, minute: int) -> None:
        world, session = self.world, self.run.session
        remaining = max(0.0, self.estimate - self.run.delivered_wh)
        count = math.ceil(remaining / self.slot_wh - 1e-9)
        end = min(session.departure, world.known_until(minute))
        slots = range(minute // 15, -(-end // 15))
        chosen = sorted(slots, key=lambda k: (world.slot_price[k], k))[:count]
        self.on = set(chosen)

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """On in the chosen slots."""
        if minute in self.replans:
            self._schedule(minute)
        state = minute // 15 in self.on
        if state != self.state:
            self.run.write(minute)
            self.state = state
        return (MAX_A if state else 0.0), 3


class Evcc(Strategy):
    """The evcc-style PV controller (``sc_evcc``): every change is a write."""

    name = "evcc_pv"
    dt = 30

    def begin(self, run: SessionRun) -> None:
        """Start a fresh loadpoint for the session."""
        self.run = run
        self.controller = EvccPv()

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """One 30 s loop tick."""
        decision = self.controller.update(minute * 60 + sub * 30, grid_w, ev_w)
        if decision.changed:
            self.run.write(minute)
        return decision.amps, decision.phases


class IdealSurplus(Strategy):
    """A bound, not a controller: each step takes exactly that minute's surplus.

    It knows the surplus of the step it sets the limit for (no measuring
    lag), has no delays and writes for free: min(surplus, 16 A) on three
    phases when the surplus carries 3 x 6 A, on one phase from 6 A, else
    nothing. It never draws from the grid, so its surplus captured is about
    the most a car with a 6 A (1.4 kW) minimum can take from the sun without
    grid import (greedy: it does not hold back early sun to avoid the taper).
    """

    name = "ideal surplus"
    dt = 30
    counts_writes = False

    def limit(
        self, minute: int, sub: int, ev_w: float, grid_w: float
    ) -> tuple[float, int]:
        """Follow this step's surplus (``grid_w`` already holds this minute)."""
        surplus = ev_w - grid_w
        for phases in (3, 1):
            amps = surplus / (VOLTAGE_V * phases)
            if amps >= MIN_A:
                return min(MAX_A, amps), phases
        return 0.0, 1
