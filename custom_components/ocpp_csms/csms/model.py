"""The neutral charger model every OCPP version is translated into.

Numbering follows OCPP 2.0.1: EVSE ids from 1, connector ids from 1 within
an EVSE, 0 = the whole station. A 1.6 connector N becomes EVSE N with
connector 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .profiles import RateUnit


class RegistrationStatus(StrEnum):
    """BootNotification answer, the same in every version."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ConnectorStatus(StrEnum):
    """What an EVSE is doing, as the homeowner sees it."""

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDED_EV = "suspended_ev"
    SUSPENDED_EVSE = "suspended_evse"
    FINISHING = "finishing"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"


class Measurand(StrEnum):
    """The OCPP measurands the model keeps (others are ignored)."""

    ENERGY_IMPORT = "Energy.Active.Import.Register"
    POWER_IMPORT = "Power.Active.Import"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_OFFERED = "Current.Offered"
    VOLTAGE = "Voltage"
    SOC = "SoC"
    TEMPERATURE = "Temperature"


class AuthorizationStatus(StrEnum):
    """Answer to an id tag, the same words in 1.6 and 2.0.1."""

    ACCEPTED = "Accepted"
    INVALID = "Invalid"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class BootInfo:
    """What a charger tells about itself in BootNotification."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class MeterSample:
    """One sampled value, normalised to Wh, W, A, V, % or °C."""

    measurand: Measurand
    value: float
    phase: str | None = None
    context: str | None = None
    timestamp: datetime | None = None


@dataclass(kw_only=True, slots=True)
class Transaction:
    """A charging session as the CSMS tracks it."""

    transaction_id: str
    evse_id: int
    id_tag: str | None
    started_at: datetime
    # Lifetime energy counter (see energy.py) when the session started.
    counter_start_wh: float
    last_seq_no: int | None = None
    # The charger booted while this ran: it may resume it, end it from its
    # queue, or leave it (then the idle window closes it, see tracker.py).
    interrupted: bool = False
    # While interrupted: since when the EVSE reports idle (no cable).
    idle_since: datetime | None = None
    # The register the session's base was taken from; None until a reading.
    start_register_wh: float | None = None
    # False while the session is known only from events after its start
    # (2.x: an Updated delivered before its Started).
    start_seen: bool = True

    def energy_wh(self, counter_wh: float) -> float:
        """Return the energy of this session given the counter now."""
        return max(0.0, counter_wh - self.counter_start_wh)


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionSummary:
    """A finished session, kept as the EVSE's last session."""

    transaction_id: str
    evse_id: int
    id_tag: str | None
    started_at: datetime
    ended_at: datetime
    energy_wh: float
    stop_reason: str | None
    # The charger rebooted during the session.
    interrupted: bool = False
    # Lifetime counter at the start: a late reading can correct the energy.
    counter_start_wh: float | None = None


@dataclass(kw_only=True, slots=True)
class EvseState:
    """Everything the homeowner sees about one EVSE."""

    evse_id: int
    status: ConnectorStatus = ConnectorStatus.UNAVAILABLE
    error_code: str | None = None
    plugged_in: bool = False
    power_w: float | None = None
    current_a: dict[str, float] = field(default_factory=dict)
    voltage_v: dict[str, float] = field(default_factory=dict)
    current_offered_a: float | None = None
    soc_percent: float | None = None
    temperature_c: float | None = None
    # Monotonic lifetime energy in Wh; never decreases (energy.py).
    energy_wh: float | None = None
    transaction: Transaction | None = None
    last_session: SessionSummary | None = None
    # Held at 0 A by our pause profile (bound to the running transaction).
    paused: bool = False

    @property
    def charging(self) -> bool:
        """Return True while energy flows to the car."""
        return self.status is ConnectorStatus.CHARGING

    @property
    def session_energy_wh(self) -> float | None:
        """Return the energy of the running (or else the last) session."""
        if self.transaction is not None and self.energy_wh is not None:
            return self.transaction.energy_wh(self.energy_wh)
        if self.last_session is not None:
            return self.last_session.energy_wh
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class SmartChargingCapabilities:
    """Smart-charging limits of one charger (read at each boot)."""

    enabled: bool = True
    rate_units: tuple[RateUnit, ...] = (RateUnit.AMPS, RateUnit.WATTS)
    max_periods: int | None = None
    max_stack_level: int | None = None
    max_profiles: int | None = None
    phase_switching: bool = False
    limit_change_significance: float | None = None
    # False until the charger answered our questions.
    reported: bool = False


@dataclass(kw_only=True, slots=True)
class ChargerState:
    """A charger's state across its connections."""

    charger_id: str
    boot: BootInfo | None = None
    # None until reported: 2.x stations report per EVSE only.
    station_status: ConnectorStatus | None = None
    station_error_code: str | None = None
    evses: dict[int, EvseState] = field(default_factory=dict)
    capabilities: SmartChargingCapabilities = field(
        default_factory=SmartChargingCapabilities
    )

    @property
    def operative(self) -> bool:
        """Return True unless the station (or every EVSE) is unavailable."""
        if self.station_status is not None:
            return self.station_status is not ConnectorStatus.UNAVAILABLE
        return any(
            evse.status is not ConnectorStatus.UNAVAILABLE
            for evse in self.evses.values()
        )

    def evse(self, evse_id: int) -> EvseState:
        """Return (creating on first mention) the EVSE with this id."""
        state = self.evses.get(evse_id)
        if state is None:
            state = self.evses[evse_id] = EvseState(evse_id=evse_id)
        return state
