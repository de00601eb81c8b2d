"""Smart-charging benchmark: a year, minute by minute, real brain vs references.

Drives the integration's real ``charging/`` code (``plan_cheapest``,
``plan_smart``, ``build_profile``, ``SurplusController``) against a simulated
charger and car (6-16 A, 1p/3p, 230 V, taper above 80% SoC), with 15-minute
price slots (tomorrow's visible from 13:00 local time), and compares in one
run:

- ours: cheapest, smart (PV forecast + prices + surplus loop), solar;
- immediate charging; an evcc-style PV controller (``sc_evcc``); a
  cheapest-N-slots on/off scheduler; the perfect-foresight optimum
  (``scipy.optimize.milp``; price only, and with PV) -- see ``sc_optimum``;
  and a bound for the solar rows: the ideal surplus follower (``sc_sim``),
  which knows each minute's surplus, has no delays, writes for free and
  never imports: about the most surplus a 6 A minimum allows without grid.

The ±15% rows tell the planner energy x 0.85 or x 1.15 (coin per session)
while the car takes its true energy; a deadline counts as feasible when
immediate charging delivers the true energy by the departure. "HA offline"
rows stop Home Assistant at a random moment mid-plan (``sc_brain``).

Data (default: the PyPI package ev2gym 2.0.0, see ``sc_data``; install the
pins with ``pip install --no-deps -r benchmarks/requirements.txt``). Any
source can be replaced by a CSV (header row, ISO 8601 times with a UTC
offset, one row per interval, regular steps):

  --prices  start,price            price per kWh (EUR) from ``start``
  --pv      time,kw_per_kwp        mean PV kW per kWp over the interval
  --load    time,kw                mean household kW over the interval
                                   (re-scaled to --load-kwh unless 0)
  --sessions arrival,departure,energy_kwh[,target_soc][,kind]

Metrics: cost = EV energy x day-ahead price (no taxes); PV-aware cost =
only the EV's grid import x price (PV surplus after the household is free);
solar share = EV energy from that surplus / EV energy; surplus captured
(simulated rows) = EV energy from the surplus / all surplus while the car
was plugged in (also the minutes when it was full, or when the surplus was
below the car's 1.4 kW minimum; the same minutes for every strategy, so a
fair comparison but never 100%; column "capt"); writes per hour =
charger writes (profiles or current changes) per plugged-in hour with
charging, median (p95); starts/day = charge starts (0 -> >0 W) per day.

Targets (from the issue): cheapest within 1% of the optimum's cost (on the
sessions it fully delivered, so missing energy cannot look cheap); 100% of
feasible deadlines met with the ±15% error; solar share >= evcc-style + 3 pp
with EV grid import <= 2% in solar mode (the solar share as defined above is
1 - the grid-import share and evcc-style is at about 98.5%, so +3 pp cannot
be reached; it is checked literally, and a second, separately labelled line
checks the +3 pp against the share of the available surplus captured, which
is what a solar mode can improve, next to what the ideal follower
captures); smart within 2% of the PV+price
optimum; median <= 6 writes per hour; >= 99% of planned energy with HA
offline. A missed target is reported, never tuned away.

Examples (from the repository root)::

    .venv/bin/python -m benchmarks.smart_charging --days 14
    .venv/bin/python -m benchmarks.smart_charging --json /tmp/sc.json
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from datetime import date
import json
import multiprocessing
from pathlib import Path
import sys
import time
from typing import Any

from . import sc_data
from .sc_brain import PlanFollower, Solar
from .sc_optimum import optimum
from .sc_report import summarise, targets, write_table
from .sc_sim import CheapestN, Evcc, IdealSurplus, Immediate, Strategy, simulate

# Filled before the workers fork (they inherit it, nothing is pickled).
_STATE: dict[str, Any] = {}

STRATEGIES = (
    "immediate",
    "cheapest_n",
    "cheapest_n ±15%",
    "evcc_pv",
    "cheapest",
    "cheapest ±15%",
    "cheapest HA offline",
    "smart",
    "smart ±15%",
    "smart HA offline",
    "solar",
    "ideal surplus",
    "optimum price",
    "optimum PV",
)


def make_strategy(
    name: str, world: sc_data.World, args: argparse.Namespace
) -> Strategy:
    """Return a fresh strategy object by table name."""
    common = {"max_periods": args.max_periods or None, "seed": args.seed}
    match name:
        case "immediate":
            return Immediate()
        case "cheapest_n" | "cheapest_n ±15%":
            return CheapestN(world, with_error="±" in name)
        case "evcc_pv":
            return Evcc()
        case "solar":
            return Solar(world)
        case "ideal surplus":
            return IdealSurplus()
    smart = name.startswith("smart")
    return PlanFollower(
        world, smart=smart, with_error="±" in name, offline="offline" in name, **common
    )


def run_one(name: str) -> tuple[str, list[dict[str, Any]], float]:
    """Run one strategy over all sessions; per-session rows."""
    world, sessions, args = _STATE["world"], _STATE["sessions"], _STATE["args"]
    started = time.process_time()
    rows = []
    if name.startswith("optimum"):
        for session in sessions:
            result = optimum(
                world,
                session,
                with_pv=name == "optimum PV",
                taper_floor=args.taper_floor,
            )
            rows.append(
                {
                    "delivered_wh": result.delivered_wh,
                    "solar_wh": result.solar_wh,
                    "cost_grid": result.cost_grid,
                    "cost_pv": result.cost_pv,
                    "starts": result.starts,
                    "writes": [],
                    "active_hours": [],
                    "offline": None,
                }
            )
        return name, rows, time.process_time() - started
    strategy = make_strategy(name, world, args)
    for session in sessions:
        run = simulate(world, session, strategy, args.taper_floor)
        rows.append(
            {
                "delivered_wh": run.delivered_wh,
                "solar_wh": run.solar_wh,
                "surplus_wh": run.surplus_wh,
                "cost_grid": run.cost_grid,
                "cost_pv": run.cost_pv,
                "starts": run.starts,
                "writes": run.write_minutes if strategy.counts_writes else [],
                "active_hours": (
                    sorted(run.active_hours) if strategy.counts_writes else []
                ),
                "offline": (
                    None
                    if run.offline_planned_wh is None
                    else (
                        run.offline_planned_wh,
                        run.offline_delivered_wh,
                        run.offline_profile_wh,
                    )
                ),
            }
        )
    return name, rows, time.process_time() - started


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.smart_charging",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--year", type=int, default=2024, help="price year (2015-2024)")
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day (default: 1 Jan of --year)"
    )
    parser.add_argument(
        "--days", type=int, help="days to simulate (default: the whole year)"
    )
    parser.add_argument("--kwp", type=float, default=6.0, help="PV peak power (kWp)")
    parser.add_argument(
        "--load-kwh",
        type=float,
        default=3500.0,
        help="household kWh per year (0: as given)",
    )
    parser.add_argument(
        "--load-profile", type=int, default=0, help="ev2gym household 0-24"
    )
    parser.add_argument("--battery-kwh", type=float, default=60.0, help="car battery")
    parser.add_argument(
        "--taper-floor",
        type=float,
        default=0.25,
        help="car power at 100%% SoC, share of maximum (linear from 80%%)",
    )
    parser.add_argument(
        "--max-periods",
        type=int,
        default=24,
        help="charger's ChargingScheduleMaxPeriods (0: none)",
    )
    parser.add_argument(
        "--noise", type=float, default=1.0, help="minute noise on PV/load (0: smooth)"
    )
    parser.add_argument(
        "--forecast-error",
        type=float,
        default=0.2,
        help="daily PV forecast error (sigma of log)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prices", type=Path, help="CSV: start,price")
    parser.add_argument("--pv", type=Path, help="CSV: time,kw_per_kwp")
    parser.add_argument("--load", type=Path, help="CSV: time,kw")
    parser.add_argument(
        "--sessions", type=Path, help="CSV: arrival,departure,energy_kwh"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=STRATEGIES,
        metavar="NAME",
        help="run only these rows",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--json", type=Path, help="write the results here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and the target checks."""
    args = parse_args(argv)
    start = args.start or date(args.year, 1, 1)
    days = args.days or (date(start.year + 1, 1, 1) - date(start.year, 1, 1)).days
    load_year = args.load_kwh or None
    prices = (
        sc_data.read_series(args.prices, ("start", "price"))
        if args.prices
        else sc_data.ev2gym_prices()
    )
    pv = (
        sc_data.read_series(args.pv, ("time", "kw_per_kwp"))
        if args.pv
        else sc_data.ev2gym_pv(start.year)
    )
    load = (
        sc_data.read_series(args.load, ("time", "kw"))
        if args.load
        else sc_data.ev2gym_load(start.year, args.load_profile)
    )
    clock = time.perf_counter()
    world = sc_data.build_world(
        start=start,
        days=days,
        prices=prices,
        pv_kw_per_kwp=pv,
        load_kw=load,
        kwp=args.kwp,
        load_kwh_year=load_year,
        noise=args.noise,
        forecast_error=args.forecast_error,
        seed=args.seed,
    )
    if args.sessions:
        sessions = sc_data.csv_sessions(
            args.sessions, world, seed=args.seed, capacity_kwh=args.battery_kwh
        )
    else:
        sessions = sc_data.synthetic_sessions(
            world, seed=args.seed, capacity_kwh=args.battery_kwh
        )
    if not sessions:
        print("no sessions in the simulated period", file=sys.stderr)
        return 2
    _STATE.update(world=world, sessions=sessions, args=args)
    names = list(args.only or STRATEGIES)
    if "immediate" not in names:  # it defines which deadlines are feasible
        names.insert(0, "immediate")
    # Longest first, so two workers finish together.
    order = sorted(
        names, key=lambda n: ("smart" not in n, "solar" not in n, "evcc" not in n)
    )
    results: dict[str, tuple[list[dict[str, Any]], float]] = {}
    if args.jobs > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            for name, rows, cpu in pool.map(run_one, order):
                results[name] = (rows, cpu)
    else:
        for name in order:
            _, rows, cpu = run_one(name)
            results[name] = (rows, cpu)
    summary = summarise(world, sessions, {n: results[n] for n in names})
    checks = targets(summary)
    meta = {
        "start": start.isoformat(),
        "days": days,
        "sessions": len(sessions),
        "need_kwh": round(sum(s.energy_wh for s in sessions) / 1000, 1),
        "pv_kwp": args.kwp,
        "pv_kwh": round(float(world.pv_w[: world.day_start[days]].sum()) / 60000, 1),
        "load_kwh": round(
            float(world.load_w[: world.day_start[days]].sum()) / 60000, 1
        ),
        "max_periods": args.max_periods,
        "taper_floor": args.taper_floor,
        "seed": args.seed,
        "wall_s": round(time.perf_counter() - clock, 1),
    }
    write_table(sys.stdout, meta, summary, checks)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"meta": meta, "strategies": summary, "targets": checks}, indent=2
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
