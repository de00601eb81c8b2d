"""The campaign's chargers, their normal life and the faults injected into it.

Every random choice comes from one seeded ``random.Random``, in a fixed
order, so a seed replays the same sequence of actions and faults (timing on
the wire may still differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
import random

from simulator import (
    Car,
    ChargePointSimulator,
    EnergyUnit,
    SimulatorConfig,
    TxOnReboot,
)

from .faults_truth import Ledger, Session

VERSIONS = ("1.6", "2.0.1", "2.1")
# Energy per meter step. The campaign squeezes hours into milliseconds, so
# everything a CSMS may see at once (a queue of steps) stays under the
# integration's 1 kWh plausibility slack for readings close in time.
STEP_WH = (1, 60)
# Charger-clock seconds per meter step: samples carry distinct, realistic
# timestamps (at most 60 Wh in 10 s = 21.6 kW) although the campaign takes
# milliseconds per step.
STEP_SECONDS = 10.0
ID_TAG = "CAMPAIGN"


class FaultKind(StrEnum):
    """What can go wrong."""

    HA_RESTART = "ha_restart"
    REBOOT = "reboot"
    REBOOT_QUEUED = "reboot_with_queued_events"
    REBOOT_RESUME = "reboot_transaction_carried_on"
    SOCKET_DROP = "socket_drop_mid_call"
    RETRY_NEW_ID = "retry_with_new_message_id"
    DUPLICATE = "duplicate_same_id"
    SEQ_RESTART = "seqno_restart"
    SEQ_SKIP = "seqno_skip"
    CLOCK_SKEW = "clock_skew_1_day"
    METER_RESET = "meter_reset"
    UNIT_SWITCH = "wh_kwh_switch"
    OUT_OF_ORDER = "out_of_order_delivery"


# seqNo exists in 2.x only.
V2X_ONLY = frozenset({FaultKind.SEQ_RESTART, FaultKind.SEQ_SKIP})


@dataclass(kw_only=True)
class Step:
    """One line of the campaign trace (for reproductions)."""

    index: int
    charger_id: str
    what: str

    def __str__(self) -> str:
        """``#12 CP_03 reboot_transaction_carried_on``."""
        return f"#{self.index} {self.charger_id} {self.what}"


@dataclass(kw_only=True)
class Rig:
    """One simulated charger and its running sessions."""

    sim: ChargePointSimulator
    version: str
    sessions: dict[int, Session] = field(default_factory=dict)

    @property
    def charger_id(self) -> str:
        """Identity of the charger."""
        return self.sim.config.charger_id

    @property
    def v2x(self) -> bool:
        """2.0.1 or 2.1."""
        return self.version != "1.6"


def make_rig(index: int, url: str, rng: random.Random) -> Rig:
    """Charger ``index``: versions in turn, one or two EVSEs."""
    version = VERSIONS[index % len(VERSIONS)]
    config = SimulatorConfig(
        charger_id=f"CP_{index:02d}",
        url=url,
        ocpp_version=version,
        evses=rng.choice((1, 2)),
        serial_number=f"FAULT-{index:04d}",
        meter_interval=0,  # the campaign sends every sample itself
        auto_reconnect=True,
        offline_queue=True,
        reconnect_delay=0.02,
        reconnect_delay_max=0.3,
        call_timeout=10.0,
        tx_retry_interval=0.2,
        heartbeat_interval=300,
    )
    return Rig(sim=ChargePointSimulator(config), version=version)


class Campaign:
    """Drives the rigs: normal sessions and faults, and keeps the truth."""

    def __init__(
        self,
        rigs: list[Rig],
        rng: random.Random,
        ledger: Ledger,
        excluded: frozenset[FaultKind] = frozenset(),
    ) -> None:
        """Rigs must be started; nothing happens until ``step``/``fault``."""
        self.rigs = rigs
        # Fault kinds left out (to look for bugs another fault hides).
        self.excluded = excluded
        self.rng = rng
        self.ledger = ledger
        self.trace: list[Step] = []

    def note(self, rig: Rig, what: str) -> None:
        """Add a trace line."""
        self.trace.append(
            Step(index=len(self.trace), charger_id=rig.charger_id, what=what)
        )

    # ----------------------------------------------------------- normal life

    async def normal_step(self, rig: Rig) -> None:
        """Start a session, charge a step, or end a session on one EVSE."""
        evse_id = self.rng.randint(1, rig.sim.config.evses)
        if evse_id not in rig.sessions:
            await self.start(rig, evse_id)
        elif self.rng.random() < 0.75:
            await self.charge(rig, evse_id)
        else:
            await self.stop(rig, evse_id)

    async def start(self, rig: Rig, evse_id: int) -> Session:
        """Plug a car in and start a transaction."""
        # The car draws nothing by itself: the campaign moves the meter.
        await rig.sim.plug_in(evse_id, Car(max_current=0.0))
        tx_id = await rig.sim.start_transaction(evse_id, ID_TAG)
        session = Session(
            charger_id=rig.charger_id, evse_id=evse_id, transaction_id=str(tx_id)
        )
        rig.sessions[evse_id] = session
        self.ledger.sessions.append(session)
        self.note(rig, f"start EVSE {evse_id} tx {tx_id}")
        return session

    async def charge(self, rig: Rig, evse_id: int) -> None:
        """Move the meter by a step; one sample goes out (or is queued)."""
        wh = self.rng.randint(*STEP_WH)
        rig.sim.advance_clock(STEP_SECONDS)
        rig.sim.add_energy(evse_id, wh)
        rig.sessions[evse_id].energy_wh += wh
        await rig.sim.send_meter_values(evse_id)
        self.note(rig, f"charge EVSE {evse_id} +{wh} Wh")

    async def stop(self, rig: Rig, evse_id: int) -> None:
        """Stop the transaction and unplug."""
        session = rig.sessions.pop(evse_id)
        await rig.sim.stop_transaction(evse_id, "Local")
        await rig.sim.unplug(evse_id)
        session.ended = True
        self.note(rig, f"stop EVSE {evse_id}")

    async def some_message(self, rig: Rig) -> int:
        """Make the charger send one transaction message; return the EVSE."""
        evse_id = self.rng.randint(1, rig.sim.config.evses)
        if evse_id in rig.sessions:
            await self.charge(rig, evse_id)
        else:
            await self.start(rig, evse_id)
        return evse_id

    async def running(self, rig: Rig) -> int:
        """Return an EVSE with a running session (started if needed)."""
        if rig.sessions:
            return self.rng.choice(sorted(rig.sessions))
        evse_id = self.rng.randint(1, rig.sim.config.evses)
        await self.start(rig, evse_id)
        return evse_id

    # --------------------------------------------------------------- faults

    def fault_kinds(self, rig: Rig) -> list[FaultKind]:
        """Faults that may hit this charger now (HA restarts included)."""
        return [
            kind
            for kind in FaultKind
            if kind not in self.excluded and (rig.v2x or kind not in V2X_ONLY)
        ]

    async def charger_fault(self, rig: Rig, kind: FaultKind) -> None:
        """Inject one charger-side fault."""
        self.note(rig, f"FAULT {kind}")
        sim, faults = rig.sim, rig.sim.faults
        match kind:
            case FaultKind.REBOOT:
                await self._power_cycle(rig, TxOnReboot.END)
            case FaultKind.REBOOT_RESUME:
                await self.running(rig)
                await self._power_cycle(rig, TxOnReboot.RESUME)
            case FaultKind.REBOOT_QUEUED:
                faults.drop_socket_mid_call += 1
                await self.some_message(rig)  # fails under the charger: queued
                mode = self.rng.choice((TxOnReboot.END, TxOnReboot.RESUME))
                await self._power_cycle(rig, mode)
            case FaultKind.METER_RESET:
                # At a reboot, after the last register was queued.
                faults.meter_reset_on_boot = True
                await self._power_cycle(rig, TxOnReboot.END)
                faults.meter_reset_on_boot = False
            case FaultKind.SOCKET_DROP:
                faults.drop_socket_mid_call += 1
                await self.some_message(rig)
            case FaultKind.RETRY_NEW_ID:
                faults.lose_answers += 1
                await self.some_message(rig)
            case FaultKind.DUPLICATE:
                faults.duplicate_frames += 1
                await self.some_message(rig)
            case FaultKind.SEQ_RESTART:
                evse_id = await self.running(rig)
                sim.restart_seq_no(evse_id)
                await self.charge(rig, evse_id)
            case FaultKind.SEQ_SKIP:
                evse_id = await self.running(rig)
                sim.skip_seq_no(evse_id, self.rng.randint(1, 5))
                await self.charge(rig, evse_id)
            case FaultKind.CLOCK_SKEW:
                if faults.clock_skew:
                    faults.clock_skew = timedelta(0)
                else:
                    faults.clock_skew = timedelta(days=self.rng.choice((-1, 1)))
                self.note(rig, f"clock skew now {faults.clock_skew}")
            case FaultKind.UNIT_SWITCH:
                faults.energy_unit = (
                    EnergyUnit.WH
                    if faults.energy_unit is EnergyUnit.KWH
                    else EnergyUnit.KWH
                )
            case FaultKind.OUT_OF_ORDER:
                faults.out_of_order = True
                faults.drop_socket_mid_call += 1
                for _ in range(self.rng.randint(2, 4)):
                    await self.some_message(rig)
            case FaultKind.HA_RESTART:
                raise ValueError("HA restarts are not a charger fault")

    async def _power_cycle(self, rig: Rig, mode: TxOnReboot) -> None:
        await rig.sim.power_cycle(mode)
        if mode is TxOnReboot.END:
            # The stops are queued with the register at the power loss.
            for session in rig.sessions.values():
                session.ended = True
            rig.sessions.clear()
            for evse in rig.sim.evses.values():
                if evse.car is not None:
                    await rig.sim.unplug(evse.evse_id)

    # --------------------------------------------------------------- finish

    async def finish(self) -> None:
        """End every session normally and clear the one-shot faults."""
        for rig in self.rigs:
            faults = rig.sim.faults
            faults.drop_socket_mid_call = faults.lose_answers = 0
            faults.duplicate_frames = 0
            faults.out_of_order = False
            for evse_id in sorted(rig.sessions):
                await self.stop(rig, evse_id)

    def resolve_ids(self) -> None:
        """1.6 sessions started offline: the id the CSMS gave them."""
        for rig in self.rigs:
            outbox = rig.sim.outbox
            if outbox is None or rig.v2x:
                continue
            for session in self.ledger.sessions:
                if session.charger_id == rig.charger_id:
                    session.transaction_id = str(
                        outbox.resolved_id(int(session.transaction_id))
                    )
