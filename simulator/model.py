"""Simulated hardware: EVSEs, the car plugged into them and their energy meter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# IEC 61851 cannot signal less than 6 A to the car.
MIN_CURRENT = 6.0
# Above this state of charge the simulated battery tapers its current.
TAPER_SOC = 80.0


class EvseStatus(StrEnum):
    """Detailed connector status (1.6 vocabulary; 2.0.1 maps it to fewer states)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ChargingState(StrEnum):
    """2.0.1 chargingState of a transaction."""

    CHARGING = "Charging"
    EV_CONNECTED = "EVConnected"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    IDLE = "Idle"


@dataclass(frozen=True)
class ReceivedCall:
    """A request the CSMS sent to the simulator (payload as on the wire)."""

    action: str
    payload: dict[str, Any]


class OcppCallError(Exception):
    """The CSMS answered one of our calls with a CALLERROR."""

    def __init__(self, code: str, description: str, details: Any = None) -> None:
        """Keep the OCPP error code, description and details of the CALLERROR."""
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


class InvalidResponseError(Exception):
    """The CSMS answered one of our calls with a payload that breaks the schema."""

    def __init__(self, action: str, reason: str) -> None:
        """Keep which answer was invalid and why."""
        super().__init__(f"invalid {action} response: {reason}")
        self.action = action
        self.reason = reason


@dataclass(kw_only=True)
class Car:
    """A simple EV: a battery that accepts a current, tapering when nearly full."""

    capacity_wh: float = 60_000.0
    soc: float = 30.0
    max_current: float = 32.0
    phases: int = 3
    reports_soc: bool = True

    def acceptance_current(self) -> float:
        """Return the current per phase the battery accepts right now."""
        if self.soc >= 100.0:
            return 0.0
        if self.soc <= TAPER_SOC:
            return self.max_current
        # Linear taper from full current at 80 % to zero at 100 %.
        return self.max_current * (100.0 - self.soc) / (100.0 - TAPER_SOC)

    def add_energy(self, wh: float) -> None:
        """Store energy in the battery."""
        self.soc = min(100.0, self.soc + wh / self.capacity_wh * 100.0)


@dataclass(frozen=True)
class Offer:
    """What the EVSE offers the car: current per phase and number of phases."""

    current: float
    phases: int


@dataclass(kw_only=True)
class EvseState:
    """State of one simulated EVSE (connector 1) and its energy meter."""

    evse_id: int
    connector_id: int = 1
    voltage: float = 230.0
    status: EvseStatus = EvseStatus.AVAILABLE
    operative: bool = True
    car: Car | None = None
    id_tag: str | None = None
    # 1.6: integer from the CSMS; 2.0.1: uuid chosen by the charger.
    transaction_id: int | str | None = None
    seq_no: int = 0
    remote_start_id: int | None = None
    tx_started_at: datetime | None = None
    charging_state: ChargingState = ChargingState.IDLE
    # The meter register is never reset: it persists across transactions.
    energy_wh: float = 0.0
    meter_start_wh: float = 0.0
    power_w: float = 0.0
    current: tuple[float, ...] = (0.0, 0.0, 0.0)
    phases_used: int = 0
    reserved_id: int | None = None
    # ChangeAvailability(Inoperative) received during a transaction.
    pending_inoperative: bool = False
    # 2.x: the transaction was carried over a reboot and its events no
    # longer name the EVSE (as many chargers do).
    omit_evse_field: bool = False
    # monotonic time of the last integration step
    last_update: float | None = field(default=None, repr=False)

    @property
    def plugged_in(self) -> bool:
        """A car is connected."""
        return self.car is not None

    @property
    def in_transaction(self) -> bool:
        """A transaction is running on this EVSE."""
        return self.transaction_id is not None

    @property
    def soc(self) -> float | None:
        """State of charge reported by the car, if it reports one."""
        if self.car is None or not self.car.reports_soc:
            return None
        return self.car.soc

    def advance(self, now: float) -> None:
        """Integrate energy drawn since the last step into the meter and battery."""
        if self.last_update is not None and self.power_w > 0:
            wh = self.power_w * max(0.0, now - self.last_update) / 3600.0
            self.energy_wh += wh
            if self.car is not None:
                self.car.add_energy(wh)
        self.last_update = now

    def apply_offer(self, offer: Offer) -> bool:
        """Let the car draw what is offered; return True if the charging state changed.

        Only a running transaction with an energised car draws power.
        """
        before = self.charging_state
        if not self.in_transaction or self.car is None or self.id_tag is None:
            # No energy before the transaction is authorized.
            self._draw(0.0, 0)
            return False
        phases = min(offer.phases, self.car.phases)
        accepted = self.car.acceptance_current()
        if offer.current <= 0.0 or phases == 0:
            self._draw(0.0, 0)
            self.charging_state = ChargingState.SUSPENDED_EVSE
        elif accepted <= 0.0:
            self._draw(0.0, 0)
            self.charging_state = ChargingState.SUSPENDED_EV
        else:
            self._draw(min(offer.current, accepted), phases)
            self.charging_state = ChargingState.CHARGING
        return before != self.charging_state

    def _draw(self, amps: float, phases: int) -> None:
        self.phases_used = phases
        self.current = tuple(amps if i < phases else 0.0 for i in range(3))
        self.power_w = amps * self.voltage * phases
