"""What really happened in the fault campaign, and the invariants checked against HA.

Truth is what the simulated meters measured and the chargers told (or will
tell, from their queues) the CSMS. The campaign's meters only move inside a
transaction, by amounts the campaign chose, and every message reaches the
CSMS in the end (queues persist across drops and reboots; a meter reset
happens at a reboot, after the last register was queued). So:

- a session's true energy = what its meter counted between start and stop;
- an EVSE's true energy = the sum of its sessions (the meters start at 0 and
  the Energy sensor mirrors the first register it sees).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .faults_ha import EndedSession

# Sensor states and events are rounded (1 Wh for energy_kwh); truth is whole Wh.
TOLERANCE_WH = 0.5


@dataclass(kw_only=True)
class Session:
    """One charging session as the charger lived it."""

    charger_id: str
    evse_id: int
    # 2.x: the charger's uuid; 1.6: the CSMS's id (a local one until answered).
    transaction_id: str
    energy_wh: int = 0
    ended: bool = False


@dataclass(kw_only=True)
class SessionProblem:
    """A session not reported exactly once with its true energy."""

    charger_id: str
    evse_id: int
    transaction_id: str
    kind: str  # missing | reported N times | wrong energy | not a session
    true_wh: float | None
    reported_wh: list[float]

    def describe(self) -> str:
        """One line for the report."""
        truth = "-" if self.true_wh is None else f"{self.true_wh:.0f}"
        reported = ", ".join(f"{wh:.0f}" for wh in self.reported_wh) or "-"
        return (
            f"{self.charger_id} EVSE {self.evse_id} tx {self.transaction_id}: "
            f"{self.kind} (true {truth} Wh, reported {reported} Wh)"
        )


@dataclass(kw_only=True)
class EnergyProblem:
    """An Energy sensor that is not the EVSE's true lifetime energy."""

    charger_id: str
    evse_id: int
    true_wh: float
    sensor_wh: float | None

    @property
    def lost_wh(self) -> float:
        """Energy the sensor misses."""
        return self.true_wh - (self.sensor_wh or 0.0) if self._low else 0.0

    @property
    def doubled_wh(self) -> float:
        """Energy the sensor counts too much."""
        if self.sensor_wh is None or self._low:
            return 0.0
        return self.sensor_wh - self.true_wh

    @property
    def _low(self) -> bool:
        return self.sensor_wh is None or self.sensor_wh < self.true_wh

    def describe(self) -> str:
        """One line for the report."""
        sensor = "missing" if self.sensor_wh is None else f"{self.sensor_wh:.1f} Wh"
        return (
            f"{self.charger_id} EVSE {self.evse_id}: sensor {sensor}, "
            f"true {self.true_wh:.0f} Wh"
        )


@dataclass
class Ledger:
    """Every session of the campaign, in start order."""

    sessions: list[Session] = field(default_factory=list)

    def evse_truth(self) -> dict[tuple[str, int], int]:
        """Return the true lifetime energy per (charger, EVSE)."""
        totals: defaultdict[tuple[str, int], int] = defaultdict(int)
        for session in self.sessions:
            totals[session.charger_id, session.evse_id] += session.energy_wh
        return dict(totals)

    def check_sessions(self, ended: list[EndedSession]) -> list[SessionProblem]:
        """Each session reported exactly once, with its true energy."""
        reports: defaultdict[tuple[str, str], list[EndedSession]] = defaultdict(list)
        for event in ended:
            reports[event.charger_id, event.transaction_id].append(event)
        problems: list[SessionProblem] = []
        known: set[tuple[str, str]] = set()
        for session in self.sessions:
            key = (session.charger_id, session.transaction_id)
            known.add(key)
            got = reports.get(key, [])
            energies = [event.energy_wh for event in got]
            kind = None
            if not got:
                kind = "missing"
            elif len(got) > 1:
                kind = f"reported {len(got)} times"
            elif abs(energies[0] - session.energy_wh) > TOLERANCE_WH:
                kind = "wrong energy"
            if kind is not None:
                problems.append(
                    SessionProblem(
                        charger_id=session.charger_id,
                        evse_id=session.evse_id,
                        transaction_id=session.transaction_id,
                        kind=kind,
                        true_wh=session.energy_wh,
                        reported_wh=energies,
                    )
                )
        for key, got in reports.items():
            if key not in known:
                problems.append(
                    SessionProblem(
                        charger_id=key[0],
                        evse_id=got[0].evse_id,
                        transaction_id=key[1],
                        kind=f"not a session ({len(got)} report(s))",
                        true_wh=None,
                        reported_wh=[event.energy_wh for event in got],
                    )
                )
        return problems


def check_energy(
    truth: dict[tuple[str, int], int], sensors: dict[tuple[str, int], float | None]
) -> list[EnergyProblem]:
    """Every EVSE's Energy sensor equals its true energy."""
    problems = []
    for key, true_wh in sorted(truth.items()):
        sensor = sensors.get(key)
        if sensor is None or abs(sensor - true_wh) > TOLERANCE_WH:
            problems.append(
                EnergyProblem(
                    charger_id=key[0], evse_id=key[1], true_wh=true_wh, sensor_wh=sensor
                )
            )
    return problems


def problem_kinds(problems: list[SessionProblem]) -> Counter[str]:
    """How many session problems of each kind."""
    return Counter(p.kind.split(" (")[0] for p in problems)
