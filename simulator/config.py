"""Configuration of a simulated charge point: identity, electrical data and quirks."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from .faults import Faults

if TYPE_CHECKING:
    from ssl import SSLContext


class OcppVersion(StrEnum):
    """OCPP-J versions the simulator can speak."""

    V16 = "1.6"
    V201 = "2.0.1"
    V21 = "2.1"

    @property
    def subprotocol(self) -> str:
        """WebSocket subprotocol name of this version (e.g. ``ocpp2.0.1``)."""
        return f"ocpp{self.value}"

    @classmethod
    def from_subprotocol(cls, subprotocol: str | None) -> OcppVersion | None:
        """Map a negotiated subprotocol back to a version (None if unknown)."""
        for version in cls:
            if subprotocol == version.subprotocol:
                return version
        return None


@dataclass(kw_only=True)
class Quirks:
    """Per-instance switches that make the simulator behave like real chargers.

    All switches are off by default, which gives a lenient but spec-shaped
    charger. Each field documents whether it is implemented or only stored.
    """

    # Implemented. Seconds between BootNotification retries while Pending or
    # Rejected, overriding the ``interval`` the CSMS returns (minimum 1 s
    # still applies). None = obey the CSMS.
    boot_retry_interval: float | None = None

    # Implemented. Reject every ChargePointMaxProfile /
    # ChargingStationMaxProfile (EVBox Elvi, Schneider without the setting).
    reject_station_max_profile: bool = False

    # Implemented. Charging rate units the charger accepts in
    # SetChargingProfile and GetCompositeSchedule: ("W",) plays Huawei
    # FusionCharge, ("A",) plays Wallbox Pulsar / go-e.
    rate_units: tuple[str, ...] = ("A", "W")

    # Implemented. Largest number of periods per schedule that is accepted
    # (ChargingScheduleMaxPeriods / PeriodsPerSchedule). Larger -> Rejected.
    max_periods: int = 24

    # Implemented. True = spec-strict: a TxProfile is Rejected unless a
    # transaction runs on that EVSE (1.6 and 2.0.1 both require one). Off =
    # lenient charger that stores it and applies it to the next transaction.
    tx_profile_only_in_transaction: bool = False

    # Implemented. Ignore numberPhases in charging profiles and keep drawing
    # on all configured phases (go-e older firmware, e4charger).
    ignore_number_phases: bool = False

    # Implemented. An offered current below 6 A suspends charging (IEC 61851
    # cannot signal less): the car draws 0 A and the state becomes
    # SuspendedEVSE. Off = the car draws whatever small current is offered.
    suspend_below_min_current: bool = False

    # Implemented. Seconds to wait before answering each CSMS request (slow
    # chargers). The receive loop keeps running meanwhile.
    response_delay: float = 0.0

    # Implemented. Every transaction-related message (StartTransaction,
    # StopTransaction, MeterValues with a transaction, TransactionEvent) is
    # sent a second time with a NEW message id and identical content, as
    # EVerest does when it retries after a lost answer. The CSMS should
    # de-duplicate by content.
    retry_with_new_message_id: bool = False

    # Implemented. 2.0.1/2.1 only: answer TriggerMessage(BootNotification)
    # with Accepted and re-boot even when already Accepted. Off = spec
    # behaviour F06.FR.17 (Rejected once accepted). 1.6 always re-boots.
    accept_boot_trigger_when_accepted: bool = False

    # Implemented. Charging profiles and availability live in RAM only: a
    # reboot or power cycle forgets every profile and brings Inoperative
    # EVSEs back Operative. Off = the spec (TxDefault/ChargePointMax persist).
    volatile_profiles: bool = False


@dataclass(kw_only=True)
class SimulatorConfig:
    """Everything a :class:`ChargePointSimulator` needs to know before it connects."""

    charger_id: str
    url: str = "ws://127.0.0.1:9000"
    ocpp_version: str = "2.0.1"
    evses: int = 1
    vendor: str = "OcppCsmsSim"
    model: str = "SimCharger"
    serial_number: str = "SIM-0001"
    firmware_version: str = "1.0.0"
    phases: int = 3
    # Advertises switching between 1 and 3 phases (numberPhases is always
    # honoured unless the ignore_number_phases quirk is set).
    phase_switching: bool = False
    voltage: float = 230.0
    max_current: float = 16.0
    meter_interval: float = 10.0
    id_tag: str = "SIMTAG01"
    subprotocols: list[str] | None = None
    password: str | None = None
    ssl: SSLContext | None = None
    quirks: Quirks = field(default_factory=Quirks)
    # Seconds to wait for the CSMS to answer one of our calls.
    call_timeout: float = 30.0
    # Default heartbeat interval until the CSMS tells us one.
    heartbeat_interval: float = 60.0
    # Seconds between boot retries when the BootNotification itself failed
    # (timeout, CALLERROR) and the CSMS therefore gave no interval.
    boot_error_retry: float = 10.0
    # Dial in again by itself when the connection drops or the CSMS is gone,
    # waiting reconnect_delay, doubling up to reconnect_delay_max (seconds).
    auto_reconnect: bool = False
    reconnect_delay: float = 0.05
    reconnect_delay_max: float = 5.0
    # Transaction messages produced while offline (or whose answer never came)
    # are queued and delivered in order once the CSMS accepts us again; the
    # charger authorizes locally and skips status messages meanwhile.
    offline_queue: bool = False
    # Queued transaction messages: seconds between retries on a live link
    # (no answer or CALLERROR) and CALLERRORs before giving one up (1.6
    # TransactionMessageRetryInterval / TransactionMessageAttempts).
    tx_retry_interval: float = 5.0
    tx_message_attempts: int = 3
    # Run-time fault switches (clock skew, units, lost answers...).
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        """Reject settings no real charger could have."""
        OcppVersion(self.ocpp_version)  # raises ValueError for unknown versions
        if self.evses < 1:
            raise ValueError("evses must be at least 1")
        if self.phases not in (1, 2, 3):
            raise ValueError("phases must be 1, 2 or 3")
        if self.meter_interval < 0:
            raise ValueError("meter_interval must not be negative")
        if not 0 < self.reconnect_delay <= self.reconnect_delay_max:
            raise ValueError("need 0 < reconnect_delay <= reconnect_delay_max")

    @property
    def version(self) -> OcppVersion:
        """The configured OCPP version as an enum."""
        return OcppVersion(self.ocpp_version)

    @property
    def offered_subprotocols(self) -> list[str]:
        """Subprotocols offered in the WebSocket handshake."""
        if self.subprotocols is not None:
            return list(self.subprotocols)
        return [self.version.subprotocol]
