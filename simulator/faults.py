"""Faults real chargers show, switched on and off at run time by tests and campaigns.

Persistent switches stay on until cleared; the counters are one-shot: each
transaction message that leaves the outbox consumes one unit of at most one
of them (drop first, then lost answer, then duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class EnergyUnit(StrEnum):
    """Unit of the energy register in sampled values (1.6 meterStart/Stop stay Wh)."""

    WH = "Wh"
    KWH = "kWh"


class TxOnReboot(StrEnum):
    """What a charger does with a running transaction after a power cycle."""

    # Queue StopTransaction / TransactionEvent(Ended) with reason PowerLoss
    # and the register at the power loss; it is delivered after the boot.
    END = "end"
    # Carry on after the boot: same transaction id, register kept (2.1
    # resumes with triggerReason TxResumed; 1.6/2.0.1 simply keep sending).
    RESUME = "resume"


@dataclass(kw_only=True)
class Faults:
    """Runtime fault switches of one simulated charger (all off by default)."""

    # Added to every timestamp the charger sends (a wrong RTC).
    clock_skew: timedelta = timedelta(0)
    # Unit of Energy.Active.Import.Register in sampled values.
    energy_unit: EnergyUnit = EnergyUnit.WH
    # The register restarts at 0 after every reboot (seen after firmware
    # updates). It happens at the reboot, after the last register was sent
    # or queued, as on real chargers.
    meter_reset_on_boot: bool = False
    # 2.x: a transaction carried over a reboot restarts its seqNo at 0.
    seq_no_restart_on_boot: bool = False
    # One-shot: close the socket right after the next CALL left, before the
    # answer; the message stays queued and is re-sent with a new message id.
    drop_socket_mid_call: int = 0
    # One-shot: the answer to the next message is lost (ignored); the charger
    # re-sends it with a NEW message id, as EVerest does.
    lose_answers: int = 0
    # One-shot: the next message is sent twice with the SAME message id.
    duplicate_frames: int = 0
    # One-shot: the next delivery of a queue of two or more messages goes
    # newest first (a 1.6 StartTransaction still precedes its followers,
    # which cannot name their transaction before it was answered).
    out_of_order: bool = False
