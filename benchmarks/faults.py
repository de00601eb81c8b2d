"""Fault campaign: chargers of every OCPP version against a real HA core, with faults.

    python -m benchmarks.faults --seed 1 --faults 1000 --chargers 6

Simulated chargers (1.6, 2.0.1, 2.1 in turn, one or two EVSEs) charge session
after session against the ocpp_csms hub in a real Home Assistant core
(loopback only), while seeded random faults hit them: HA restarts, charger
reboots with and without queued events or with the transaction carried on,
socket drops mid-CALL, answers lost (re-sent with a new message id),
duplicates with the same id, seqNo restarts and gaps, clocks a day off, meter
resets, Wh/kWh switches and out-of-order delivery. At the end every session
is stopped, every queue delivered, and the invariants are checked: each EVSE's
Energy sensor equals the true energy (0 Wh lost, 0 Wh doubled), each session
is reported once (``ocpp_csms_session_ended``) with its true energy, and no
traceback was logged. See ``faults_truth`` for how truth is counted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import asdict, dataclass, field
import json
import logging
from pathlib import Path
import random
import sys
import tempfile
import time

from homeassistant import runner

from .faults_ha import HaCore, LogWatch, free_port
from .faults_plan import Campaign, FaultKind, Rig, Step, make_rig
from .faults_truth import (
    EnergyProblem,
    Ledger,
    SessionProblem,
    check_energy,
    problem_kinds,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Share of campaign steps that inject a fault (the rest is normal charging).
FAULT_SHARE = 0.3
# Normal steps the chargers take while HA is down (their queues fill up).
OFFLINE_STEPS = (0, 4)
# Bounds for a charger to recover from a fault and for the final delivery.
RECOVER_TIMEOUT = 15.0
SETTLE_TIMEOUT = 60.0


@dataclass(kw_only=True)
class Result:
    """What the campaign found (also written as JSON)."""

    seed: int
    chargers: dict[str, str]
    faults: dict[str, int]
    sessions: int
    ended_events: int
    true_wh: int
    lost_wh: float
    doubled_wh: float
    lost_after_restart_wh: float
    doubled_after_restart_wh: float
    sessions_wrong: int
    session_problems: dict[str, int]
    stalls: int
    tracebacks: int
    errors: int
    runtime_s: float
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every invariant holds."""
        return (
            self.lost_wh == self.doubled_wh == 0
            and self.lost_after_restart_wh == self.doubled_after_restart_wh == 0
            and self.sessions_wrong == 0
            and self.tracebacks == 0
        )


async def _start_rigs(rigs: list[Rig]) -> None:
    for rig in rigs:
        await rig.sim.start()
    for rig in rigs:
        await rig.sim.wait_until_ready(timeout=30)


async def _ha_restart(core: HaCore, campaign: Campaign) -> None:
    """Stop HA; the chargers live on offline for a few steps; start HA again."""
    await core.stop()
    for _ in range(campaign.rng.randint(*OFFLINE_STEPS)):
        await campaign.normal_step(campaign.rng.choice(campaign.rigs))
    await core.start()
    core.restarts += 1


async def _recover(rigs: list[Rig], campaign: Campaign) -> int:
    """Let the chargers hit by a fault come back and empty their queues.

    Real faults are rare next to the seconds a charger needs to recover; a
    charger that does not recover in time is noted (a stall) and left as is.
    """
    stalls = 0
    for rig in rigs:
        try:
            await _online_and_delivered(rig, RECOVER_TIMEOUT)
        except TimeoutError:
            stalls += 1
            campaign.note(rig, f"STALL: not recovered within {RECOVER_TIMEOUT} s")
    return stalls


async def _online_and_delivered(rig: Rig, timeout: float) -> None:
    await rig.sim.wait_until_delivered(timeout=timeout)


async def _deliver_everything(rigs: list[Rig], core: HaCore) -> None:
    """Wait until every charger is online again and its queue is empty."""
    for rig in rigs:
        await _online_and_delivered(rig, SETTLE_TIMEOUT)
    await core.settle()


def _sensors(core: HaCore, rigs: list[Rig]) -> dict[tuple[str, int], float | None]:
    return {
        (rig.charger_id, evse_id): core.energy_wh(rig.charger_id, evse_id)
        for rig in rigs
        for evse_id in rig.sim.evses
    }


@dataclass(kw_only=True)
class _Findings:
    """What the end of the campaign checked."""

    truth: dict[tuple[str, int], int]
    energy: list[EnergyProblem]
    restored: list[EnergyProblem]
    sessions: list[SessionProblem]
    ended_events: int


async def _drive(
    campaign: Campaign, core: HaCore, faults: int, counts: Counter[str]
) -> int:
    """Charge normally, mixing faults in, until ``faults`` were injected."""
    rng, stalls = campaign.rng, 0
    while sum(counts.values()) < faults:
        rig = rng.choice(campaign.rigs)
        if rng.random() >= FAULT_SHARE:
            await campaign.normal_step(rig)
            continue
        kind = rng.choice(campaign.fault_kinds(rig))
        counts[kind] += 1
        if kind is FaultKind.HA_RESTART:
            campaign.note(rig, "FAULT ha_restart")
            await _ha_restart(core, campaign)
            stalls += await _recover(campaign.rigs, campaign)
        else:
            await campaign.charger_fault(rig, kind)
            stalls += await _recover([rig], campaign)
    return stalls


async def _check(campaign: Campaign, core: HaCore) -> _Findings:
    """Stop every session, deliver every queue, compare HA with the truth."""
    rigs, ledger = campaign.rigs, campaign.ledger
    await campaign.finish()
    await _deliver_everything(rigs, core)
    campaign.resolve_ids()
    await core.wait_for_ended(len(ledger.sessions), timeout=10)
    await core.settle()
    truth = ledger.evse_truth()
    energy = check_energy(truth, _sensors(core, rigs))
    sessions = ledger.check_sessions(core.ended)
    # The Energy sensors must also survive one more restart as they are.
    await core.restart()
    await _deliver_everything(rigs, core)
    restored = check_energy(truth, _sensors(core, rigs))
    return _Findings(
        truth=truth,
        energy=energy,
        restored=restored,
        sessions=sessions,
        ended_events=len(core.ended),
    )


async def campaign_run(
    args: argparse.Namespace, watch: LogWatch
) -> tuple[Result, list[Step]]:
    """Run the campaign in this event loop; return what it found and the trace."""
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ocpp_faults_") as config_dir:
        port = free_port()
        core = HaCore(Path(config_dir), port)
        await core.start()
        url = f"ws://127.0.0.1:{port}"
        rigs = [make_rig(i, url, rng) for i in range(args.chargers)]
        excluded = frozenset(FaultKind(kind) for kind in args.exclude)
        campaign = Campaign(rigs, rng, Ledger(), excluded)
        try:
            await _start_rigs(rigs)
            stalls = await _drive(campaign, core, args.faults, counts)
            found = await _check(campaign, core)
        finally:
            for rig in rigs:
                await rig.sim.stop()
            await core.stop()
    details = [f"energy: {p.describe()}" for p in found.energy]
    details += [f"energy after restart: {p.describe()}" for p in found.restored]
    details += [f"session: {p.describe()}" for p in found.sessions]
    details += [f"traceback: {line}" for line in watch.tracebacks[:10]]
    details += [f"error: {line}" for line in watch.errors[:10]]
    result = Result(
        seed=args.seed,
        chargers={r.charger_id: f"{r.version} x{len(r.sim.evses)}" for r in rigs},
        faults={str(kind): counts[kind] for kind in FaultKind},
        sessions=len(campaign.ledger.sessions),
        ended_events=found.ended_events,
        true_wh=sum(found.truth.values()),
        lost_wh=sum(p.lost_wh for p in found.energy),
        doubled_wh=sum(p.doubled_wh for p in found.energy),
        lost_after_restart_wh=sum(p.lost_wh for p in found.restored),
        doubled_after_restart_wh=sum(p.doubled_wh for p in found.restored),
        sessions_wrong=len(found.sessions),
        session_problems=dict(problem_kinds(found.sessions)),
        stalls=stalls,
        tracebacks=len(watch.tracebacks),
        errors=len(watch.errors),
        runtime_s=round(time.monotonic() - started, 1),
        details=details,
    )
    return result, campaign.trace


def report(result: Result, detail_lines: int = 20) -> str:
    """Format the printed summary."""
    versions = Counter(v.split()[0] for v in result.chargers.values())
    lines = [
        f"OCPP fault campaign, seed {result.seed}: {len(result.chargers)} chargers "
        f"({', '.join(f'{v} x{n}' for v, n in sorted(versions.items()))})",
        f"faults injected: {sum(result.faults.values())}",
    ]
    lines += [f"  {kind:<32} {n:>5}" for kind, n in result.faults.items()]
    problems = ", ".join(f"{k} {n}" for k, n in sorted(result.session_problems.items()))
    lines += [
        f"sessions: {result.sessions} (session_ended events: {result.ended_events})",
        f"true energy: {result.true_wh} Wh",
        f"energy lost: {result.lost_wh:.1f} Wh, doubled: {result.doubled_wh:.1f} Wh",
        f"after a final HA restart: lost {result.lost_after_restart_wh:.1f} Wh, "
        f"doubled {result.doubled_after_restart_wh:.1f} Wh",
        f"sessions wrong: {result.sessions_wrong}"
        + (f" ({problems})" if problems else ""),
        f"chargers that did not recover from a fault in {RECOVER_TIMEOUT:.0f} s: "
        f"{result.stalls}",
        f"tracebacks in the logs: {result.tracebacks} (other errors: {result.errors})",
        f"runtime: {result.runtime_s:.1f} s",
        "invariants: " + ("all hold" if result.ok else "VIOLATED"),
    ]
    if result.details:
        lines.append(f"first problems ({len(result.details)} in all):")
        lines += [f"  {line}" for line in result.details[:detail_lines]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.faults", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--faults", type=int, default=1000, help="faults to inject (1000)"
    )
    parser.add_argument(
        "--chargers", type=int, default=6, help="simulated chargers (6)"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        choices=[kind.value for kind in FaultKind],
        help="leave this fault kind out (repeatable), e.g. to see what it hides",
    )
    parser.add_argument("--json", help="also write the result as JSON to this file")
    parser.add_argument("--trace", help="write every step and fault to this file")
    parser.add_argument("--log", help="write WARNING+ log records to this file")
    args = parser.parse_args(argv)
    if args.chargers < 1 or args.faults < 0:
        parser.error("need at least one charger and a non-negative fault count")
    return args


def _logging(args: argparse.Namespace) -> LogWatch:
    watch = LogWatch()
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    root.addHandler(watch)
    if args.log:
        handler = logging.FileHandler(args.log, mode="w")
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s")
        )
        root.addHandler(handler)
    return watch


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; exit 0 if every invariant holds, else 1."""
    args = parse_args(argv)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # HA finds custom_components here
    watch = _logging(args)
    loop = runner.HassEventLoopPolicy(debug=False).new_event_loop()
    with asyncio.Runner(loop_factory=lambda: loop) as run:
        result, trace = run.run(campaign_run(args, watch))
    print(report(result))
    if args.trace:
        Path(args.trace).write_text("\n".join(map(str, trace)) + "\n")
    if args.json:
        Path(args.json).write_text(
            json.dumps(asdict(result) | {"ok": result.ok}, indent=1)
        )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
