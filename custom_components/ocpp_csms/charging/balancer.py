"""Share a home's main fuse between the charging EVSEs.

Available current per phase = fuse limit - safety margin - household load,
where the household load is the measured phase current minus what the EVs
draw themselves. It is shared equally between the EVSEs that charge; if the
share is below the 6 A a car needs, the lowest-priority EVSE (the session
that started last) is paused and the rest share again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .profiles import MIN_CURRENT_A

PHASES = 3


@dataclass(frozen=True, kw_only=True, slots=True)
class EvseDemand:
    """One charging EVSE as the balancer sees it."""

    key: Hashable
    # Current drawn per phase L1..L3 now (A); zero on unused phases.
    drawn_a: tuple[float, float, float]
    # Phases it charges on (1 = L1 only, 3 = all three).
    phases: int
    started_at: datetime
    max_a: float = 32.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Site:
    """The home's connection."""

    fuse_a: float
    # Measured current per phase including the EVs; None when unknown.
    measured_a: tuple[float, float, float] | None
    margin_a: float = 1.0


def household_a(site: Site, demands: Sequence[EvseDemand]) -> tuple[float, ...]:
    """Return the load of everything but the EVs, per phase."""
    if site.measured_a is None:
        raise ValueError("no measurement")
    return tuple(
        max(0.0, site.measured_a[p] - sum(d.drawn_a[p] for d in demands))
        for p in range(PHASES)
    )


def allocate(site: Site, demands: Sequence[EvseDemand]) -> dict[Hashable, float]:
    """Return the current per phase each EVSE may draw (0 = paused)."""
    household = household_a(site, demands)
    available = [
        max(0.0, site.fuse_a - site.margin_a - household[p]) for p in range(PHASES)
    ]
    # Earliest session first: the last one to start is paused first.
    active = sorted(demands, key=lambda demand: demand.started_at)
    allocation: dict[Hashable, float] = {demand.key: 0.0 for demand in demands}
    while active:
        users = [
            sum(1 for demand in active if p < demand.phases) for p in range(PHASES)
        ]
        shares = {
            demand.key: min(
                demand.max_a,
                *(available[p] / users[p] for p in range(PHASES) if p < demand.phases),
            )
            for demand in active
        }
        if all(share >= MIN_CURRENT_A for share in shares.values()):
            allocation.update({key: float(int(share)) for key, share in shares.items()})
            break
        active.pop()
    return allocation
