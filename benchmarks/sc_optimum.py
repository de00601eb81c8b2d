"""Perfect-foresight optimum per session (``scipy.optimize.milp``, HiGHS).

Per 15-minute slot k of the session (the first and last slot only for the
plugged-in part): on 3 phases or on 1 phase (binaries, at most one) with a
current between 6 and 16 A when on (the 6 A minimum is enforced), 230 V;
the energy sum equals the true need (capped at what 16 A on 3 phases could
deliver). All prices are known in
advance. Price only: minimise sum price_k * e_k. With PV: the slot's PV
surplus s_k (after the household, summed per minute) is free, so minimise
sum price_k * g_k with g_k = max(0, e_k - s_k) (exact also for negative
prices: a binary per negative-price slot with surplus).

Why 15-minute slots suffice: prices are constant within a slot, and any
slot energy between the 6 A and 16 A amounts is reachable, so finer time
steps cannot lower the price-only cost. The taper is taken at the start of
each slot (the car slows within a slot, the optimum does not), so the
optimum stays a lower bound; with PV, the per-slot surplus sum is a little
optimistic against minute-by-minute matching (also a lower bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import (  # type: ignore[import-untyped]
    Bounds,
    LinearConstraint,
    milp,
)
from scipy.sparse import coo_matrix  # type: ignore[import-untyped]

from .sc_data import SLOT_MIN, Session, World
from .sc_sim import CAR_MAX_W, MAX_A, TAPER_FLOOR, TAPER_SOC, VOLTAGE_V

MIN_A = 6.0


@dataclass
class OptimumRun:
    """The optimum's energy, costs and charging blocks for one session."""

    session: Session
    delivered_wh: float
    solar_wh: float
    cost_grid: float
    cost_pv: float
    starts: int


class _Rows:
    """Constraint rows, lower <= sum(coef x) <= upper, built one by one."""

    def __init__(self) -> None:
        self.cells: list[tuple[int, int, float]] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, coefs: dict[int, float], lower: float, upper: float) -> None:
        row = len(self.lower)
        self.cells += [(row, col, value) for col, value in coefs.items()]
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, n_var: int) -> LinearConstraint:
        rows, cols, values = zip(*self.cells, strict=True)
        matrix = coo_matrix((values, (rows, cols)), shape=(len(self.lower), n_var))
        return LinearConstraint(matrix.tocsr(), self.lower, self.upper)


def _slots(world: World, session: Session) -> tuple[np.ndarray, ...]:
    """Hours plugged in, price per Wh and PV surplus (Wh) of each slot."""
    first = session.arrival // SLOT_MIN
    last = -(-session.departure // SLOT_MIN)
    starts = np.arange(first, last) * SLOT_MIN
    hours = (
        np.minimum(session.departure, starts + SLOT_MIN)
        - np.maximum(session.arrival, starts)
    ) / 60
    price = world.slot_price[first:last] / 1000
    minutes = slice(session.arrival, session.departure)
    surplus_min = np.clip(world.pv_w[minutes] - world.load_w[minutes], 0, None) / 60
    slot_of = (np.arange(session.arrival, session.departure) // SLOT_MIN) - first
    surplus = np.bincount(slot_of, weights=surplus_min, minlength=last - first)
    return hours, price, surplus


def optimum(
    world: World,
    session: Session,
    *,
    with_pv: bool,
    taper_floor: float | None = TAPER_FLOOR,
) -> OptimumRun:
    """Solve one session's least-cost schedule."""
    hours, price, surplus = _slots(world, session)
    k = len(hours)
    wh3 = VOLTAGE_V * 3 * hours  # Wh per amp in a slot, 3 phases
    wh1 = VOLTAGE_V * hours  # and on 1 phase
    need = min(session.energy_wh, float((wh3 * MAX_A).sum()))
    negative = [s for s in range(k) if with_pv and price[s] < 0 and surplus[s] > 0]
    # Variables: i3, on3, i1, on1 (k each), then with PV: g (k), y (negative).
    i3, on3, i1, on1, g0, y0 = 0, k, 2 * k, 3 * k, 4 * k, 5 * k
    n_var = 4 * k + (k + len(negative) if with_pv else 0)
    rows = _Rows()
    for s in range(k):
        for amps, on in ((i3, on3), (i1, on1)):  # 6 on <= i <= 16 on
            rows.add({amps + s: 1.0, on + s: -MIN_A}, 0.0, np.inf)
            rows.add({amps + s: 1.0, on + s: -MAX_A}, -np.inf, 0.0)
        rows.add({on3 + s: 1.0, on1 + s: 1.0}, 0.0, 1.0)  # one or three phases
    energy_of = {i3 + s: wh3[s] for s in range(k)} | {i1 + s: wh1[s] for s in range(k)}
    rows.add(energy_of, need, need)
    soc0 = session.arrival_soc
    if taper_floor is not None and soc0 + need / session.capacity_wh > TAPER_SOC:
        # The car's taper, as the simulation applies it, at the SoC the slot
        # starts with (linear in the energy of the slots before; optimistic
        # within a slot, so still a lower bound): e_k <= h_k * P(soc_k).
        drop = CAR_MAX_W * (1 - taper_floor) / (1 - TAPER_SOC)  # W per unit SoC
        for s in range(k):
            coefs = {i3 + s: wh3[s], i1 + s: wh1[s]}
            for j in range(s):
                coefs[i3 + j] = hours[s] * drop * wh3[j] / session.capacity_wh
                coefs[i1 + j] = hours[s] * drop * wh1[j] / session.capacity_wh
            limit = hours[s] * (CAR_MAX_W + drop * (TAPER_SOC - soc0))
            rows.add(coefs, -np.inf, limit)
    cost = np.zeros(n_var)
    if with_pv:
        for s in range(k):  # e - surplus <= g <= e
            e = {i3 + s: -wh3[s], i1 + s: -wh1[s]}
            rows.add({g0 + s: 1.0} | e, -surplus[s], np.inf)
            rows.add({g0 + s: 1.0} | e, -np.inf, 0.0)
        for j, s in enumerate(negative):  # g = max(0, e - surplus) exactly
            big = wh3[s] * MAX_A + surplus[s]
            e = {i3 + s: -wh3[s], i1 + s: -wh1[s]}
            rows.add({g0 + s: 1.0, y0 + j: big} | e, -np.inf, big - surplus[s])
            rows.add({g0 + s: 1.0, y0 + j: -big}, -np.inf, 0.0)
        cost[g0 : g0 + k] = price
    else:
        cost[i3 : i3 + k] = price * wh3
        cost[i1 : i1 + k] = price * wh1
    integrality = np.zeros(n_var)
    var_upper = np.full(n_var, np.inf)
    var_upper[: 4 * k] = MAX_A
    for binary in (slice(on3, on3 + k), slice(on1, on1 + k), slice(y0, n_var)):
        integrality[binary] = 1
        var_upper[binary] = 1
    result = milp(
        cost,
        constraints=rows.constraint(n_var),
        integrality=integrality,
        bounds=Bounds(np.zeros(n_var), var_upper),
        options={"mip_rel_gap": 1e-6},
    )
    if result.x is None:
        raise RuntimeError(f"no optimum for session {session.index}: {result.message}")
    x = result.x
    energy = wh3 * x[i3 : i3 + k] + wh1 * x[i1 : i1 + k]
    on = (x[on3 : on3 + k] + x[on1 : on1 + k]) > 0.5
    solar = np.minimum(energy, surplus)
    return OptimumRun(
        session=session,
        delivered_wh=float(energy.sum()),
        solar_wh=float(solar.sum()),
        cost_grid=float((energy * price).sum()),
        cost_pv=float(((energy - solar) * price).sum()),
        starts=int(on[0]) + int(np.count_nonzero(on[1:] & ~on[:-1])),
    )
