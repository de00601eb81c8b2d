"""Version-independent state of one charger: status, meters, transactions.

Adapters translate wire payloads into calls on a ``ChargerTracker``; the
tracker updates the neutral model, keeps the energy counters honest, decides
session start/end, and tells its listener which EVSE changed. It also
serialises what must survive a Home Assistant restart.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from .energy import EnergyCounter
from .events import (
    DataTransferReceived,
    SecurityEvent,
    SessionEnded,
    SessionStarted,
    TagPresented,
    TrackerListener,
)
from .model import (
    AuthorizationStatus,
    ChargerState,
    ConnectorStatus,
    EvseState,
    Measurand,
    MeterSample,
    SessionSummary,
    Transaction,
)

_LOGGER = logging.getLogger(__name__)

# How many finished transaction ids / start keys we remember for de-duplication.
_RECENT = 64
STATION = 0

# A transaction that a reboot interrupted belongs to the charger: it may
# resume it or end it from its queue. Only when its EVSE stays idle (no
# cable) this long do we close it ourselves (2.1: TxResumptionTimeout).
DEFAULT_RESUMPTION_WINDOW_S = 600.0

# Stop reasons of the sessions we close ourselves (the charger never said).
REASON_NEW_TRANSACTION = "NewTransactionStarted"
REASON_IDLE_AFTER_REBOOT = "IdleAfterReboot"


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class _Recent[K: Hashable, V]:
    """A small insertion-ordered map that forgets its oldest entries."""

    def __init__(self, items: Iterable[tuple[K, V]] = ()) -> None:
        self._items: OrderedDict[K, V] = OrderedDict(items)

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def add(self, key: K, value: V) -> None:
        self._items[key] = value
        while len(self._items) > _RECENT:
            self._items.popitem(last=False)

    def items(self) -> list[tuple[K, V]]:
        return list(self._items.items())


class ChargerTracker:
    """The neutral state of one charger and the rules that keep it right."""

    def __init__(self, charger_id: str, listener: TrackerListener) -> None:
        """Start empty; ``restore`` loads persisted state."""
        self.charger_id = charger_id
        self.state = ChargerState(charger_id=charger_id)
        self._listener = listener
        self._counters: dict[int, EnergyCounter] = {}
        # Recently ended transactions and their EVSE: late events still land.
        self._ended: _Recent[str, int] = _Recent()
        self._message_keys: _Recent[str, str] = _Recent()
        self.next_transaction_number = 1
        self.resumption_window_s = DEFAULT_RESUMPTION_WINDOW_S
        self._idle_timers: dict[int, asyncio.TimerHandle] = {}
        # EVSEs (0 = station) the user made inoperative: many chargers forget
        # it when they reboot, so it is sent again after each boot.
        self.inoperative: set[int] = set()
        # The last full device-model report (2.x), for diagnostics.
        self.last_report: list[dict[str, Any]] | None = None

    # ----------------------------------------------------------- status

    def set_status(
        self,
        evse_id: int,
        status: ConnectorStatus,
        error_code: str | None = None,
        *,
        plugged_in: bool | None = None,
    ) -> None:
        """Record a status; EVSE 0 is the whole station."""
        if evse_id == STATION:
            self.state.station_status = status
            self.state.station_error_code = error_code
        else:
            evse = self.state.evse(evse_id)
            evse.status = status
            evse.error_code = error_code
            if plugged_in is not None:
                evse.plugged_in = plugged_in
            self._watch_idle(evse)
            if self.state.station_status is None:
                # The station's availability is derived from its EVSEs.
                self._listener.evse_changed(self.charger_id, STATION)
        self._listener.evse_changed(self.charger_id, evse_id)

    # ----------------------------------------------------------- meters

    def apply_samples(
        self,
        evse_id: int,
        samples: Iterable[MeterSample],
        transaction_id: str | None = None,
    ) -> None:
        """Take meter samples into the EVSE's state.

        Samples of a transaction that already ended (queued, late) still
        count, and may correct that session's energy.
        """
        if evse_id == STATION:
            # A station-level main meter is not the energy of any EVSE.
            return
        if transaction_id is None or not self.is_ended(transaction_id):
            self._apply_samples(evse_id, samples)
            return
        # Power, current... of the past would show as now: keep the register.
        self._apply_samples(
            evse_id,
            (
                sample
                for sample in samples
                if sample.measurand is Measurand.ENERGY_IMPORT and sample.phase is None
            ),
        )
        self._correct_session(evse_id, transaction_id)

    def _apply_samples(self, evse_id: int, samples: Iterable[MeterSample]) -> None:
        evse = self.state.evse(evse_id)
        phase_power: list[float] = []
        changed = False
        for sample in samples:
            if sample.measurand is Measurand.POWER_IMPORT and sample.phase:
                phase_power.append(sample.value)
                changed = True
            else:
                changed |= self._apply(evse, sample)
        if phase_power:
            evse.power_w = sum(phase_power)
        if changed:
            self._listener.evse_changed(self.charger_id, evse_id)

    def _apply(self, evse: EvseState, sample: MeterSample) -> bool:
        """Take one sample into the EVSE; return False when it is not kept."""
        match sample.measurand:
            case Measurand.ENERGY_IMPORT if sample.phase is None:
                self._count_energy(evse, sample.value, sample.timestamp)
            case Measurand.POWER_IMPORT:
                evse.power_w = sample.value
            case Measurand.CURRENT_IMPORT:
                evse.current_a[sample.phase or "L1"] = sample.value
            case Measurand.VOLTAGE:
                evse.voltage_v[sample.phase or "L1"] = sample.value
            case Measurand.CURRENT_OFFERED:
                evse.current_offered_a = sample.value
            case Measurand.SOC:
                evse.soc_percent = sample.value
            case Measurand.TEMPERATURE:
                evse.temperature_c = sample.value
            case _:
                # Per-phase energy registers: the total is what we count.
                return False
        return True

    def _count_energy(
        self, evse: EvseState, register_wh: float, at: datetime | None
    ) -> None:
        counter = self._counters.setdefault(evse.evse_id, EnergyCounter())
        evse.energy_wh = counter.update(
            register_wh, at or utc_now(), f"{self.charger_id} EVSE {evse.evse_id}"
        )

    def energy_wh(self, evse_id: int) -> float:
        """Return the EVSE's lifetime counter (0 before any reading)."""
        return self.state.evse(evse_id).energy_wh or 0.0

    # ----------------------------------------------------- transactions

    def new_transaction_number(self) -> int:
        """Allocate a 1.6 transaction id (unique for this charger)."""
        number = self.next_transaction_number
        self.next_transaction_number += 1
        return number

    def recall(self, key: str) -> str | None:
        """Return the transaction a message with this content key touched.

        Chargers retry transaction messages with new message ids, so
        duplicates are recognised by content (1.6 start fields, 2.x
        transactionId + seqNo).
        """
        return self._message_keys.get(key)

    def remember(self, key: str, transaction_id: str) -> None:
        """Remember a transaction message's content key."""
        self._message_keys.add(key, transaction_id)

    def find_transaction(self, transaction_id: str) -> Transaction | None:
        """Return the open transaction with this id, if any."""
        for evse in self.state.evses.values():
            if evse.transaction and evse.transaction.transaction_id == transaction_id:
                return evse.transaction
        return None

    def only_open_transaction(self) -> Transaction | None:
        """Return the charger's open transaction when it has exactly one."""
        running = [
            evse.transaction
            for evse in self.state.evses.values()
            if evse.transaction is not None
        ]
        return running[0] if len(running) == 1 else None

    def is_ended(self, transaction_id: str) -> bool:
        """Return True for a transaction that ended recently."""
        return self._ended.get(transaction_id) is not None

    def evse_of(self, transaction_id: str) -> int | None:
        """Return the EVSE of an open or recently ended transaction."""
        if (transaction := self.find_transaction(transaction_id)) is not None:
            return transaction.evse_id
        return self._ended.get(transaction_id)

    def start_transaction(
        self,
        evse_id: int,
        transaction_id: str,
        id_tag: str | None,
        started_at: datetime,
        register_wh: float | None,
        *,
        start_seen: bool = True,
    ) -> Transaction:
        """Open a transaction (idempotent for the same id)."""
        existing = self.find_transaction(transaction_id)
        if existing is not None:
            return existing
        evse = self.state.evse(evse_id)
        if evse.transaction is not None:
            # The charger started anew without ending the old one.
            self.end_transaction(
                evse.transaction.transaction_id,
                started_at,
                None,
                REASON_NEW_TRANSACTION,
            )
        if register_wh is not None:
            self._count_energy(evse, register_wh, started_at)
        transaction = Transaction(
            transaction_id=transaction_id,
            evse_id=evse_id,
            id_tag=id_tag,
            started_at=started_at,
            counter_start_wh=self.energy_wh(evse_id),
            start_register_wh=register_wh,
            start_seen=start_seen,
        )
        evse.transaction = transaction
        evse.plugged_in = True
        self._listener.charger_event(
            self.charger_id,
            SessionStarted(
                evse_id=evse_id,
                transaction_id=transaction_id,
                id_tag=id_tag,
                started_at=started_at,
            ),
        )
        self._listener.evse_changed(self.charger_id, evse_id)
        return transaction

    def late_start(
        self, transaction: Transaction, started_at: datetime, register_wh: float | None
    ) -> None:
        """Move a session's start back to its Started, delivered after later events.

        The energy between the two registers was counted on the EVSE's meter
        already; it belongs to this session.
        """
        transaction.start_seen = True
        transaction.started_at = min(transaction.started_at, started_at)
        if register_wh is None or transaction.start_register_wh is None:
            return
        earlier_wh = transaction.start_register_wh - register_wh
        if earlier_wh > 0:
            transaction.counter_start_wh = max(
                0.0, transaction.counter_start_wh - earlier_wh
            )
            transaction.start_register_wh = register_wh
            self._listener.evse_changed(self.charger_id, transaction.evse_id)

    def end_transaction(
        self,
        transaction_id: str,
        ended_at: datetime,
        register_wh: float | None,
        reason: str | None,
    ) -> SessionSummary | None:
        """Close a transaction; an already-ended one only takes the reading."""
        transaction = self.find_transaction(transaction_id)
        if transaction is None:
            if (evse_id := self._ended.get(transaction_id)) is not None:
                # Its end came after we closed it (queued): the register
                # still counts and corrects the session, reported once.
                if register_wh is not None:
                    self._count_energy(self.state.evse(evse_id), register_wh, ended_at)
                self._correct_session(evse_id, transaction_id)
            else:
                _LOGGER.info(
                    "%s ended unknown transaction %s; acknowledged",
                    self.charger_id,
                    transaction_id,
                )
            return None
        evse = self.state.evse(transaction.evse_id)
        if register_wh is not None:
            self._count_energy(evse, register_wh, ended_at)
        summary = SessionSummary(
            transaction_id=transaction_id,
            evse_id=transaction.evse_id,
            id_tag=transaction.id_tag,
            started_at=transaction.started_at,
            ended_at=ended_at,
            energy_wh=transaction.energy_wh(self.energy_wh(transaction.evse_id)),
            stop_reason=reason,
            interrupted=transaction.interrupted,
            counter_start_wh=transaction.counter_start_wh,
        )
        evse.transaction = None
        self._cancel_idle(transaction.evse_id)
        # The pause profile was bound to this transaction; it is gone too.
        evse.paused = False
        evse.last_session = summary
        evse.power_w = 0.0 if evse.power_w is not None else None
        self._ended.add(transaction_id, transaction.evse_id)
        self._listener.charger_event(self.charger_id, SessionEnded(summary=summary))
        self._listener.evse_changed(self.charger_id, transaction.evse_id)
        return summary

    def _correct_session(self, evse_id: int, transaction_id: str) -> None:
        """Let a late reading of an ended session raise its energy."""
        evse = self.state.evse(evse_id)
        last = evse.last_session
        if (
            last is None
            or last.transaction_id != transaction_id
            or last.counter_start_wh is None
            or evse.transaction is not None
        ):
            return
        energy_wh = max(0.0, self.energy_wh(evse_id) - last.counter_start_wh)
        if energy_wh > last.energy_wh:
            _LOGGER.info(
                "%s: a late reading raised session %s from %.0f to %.0f Wh",
                self.charger_id,
                transaction_id,
                last.energy_wh,
                energy_wh,
            )
            evse.last_session = replace(last, energy_wh=energy_wh)
            self._listener.evse_changed(self.charger_id, evse_id)

    def interrupt_open_transactions(self) -> None:
        """Mark running transactions interrupted: the charger rebooted.

        They stay open: the charger owns them and may resume them or send
        their end from its queue (OCPP 2.0.1 E04, 2.1 TxResumptionTimeout).
        """
        for evse in self.state.evses.values():
            if evse.transaction is not None and not evse.transaction.interrupted:
                # Its idle clock starts with a status reported after the boot.
                evse.transaction.interrupted = True
                self._listener.evse_changed(self.charger_id, evse.evse_id)

    # ---------------------------------------------- resumption window

    def _watch_idle(self, evse: EvseState) -> None:
        """Time an interrupted transaction's idle EVSE; any other state stops it."""
        transaction = evse.transaction
        if transaction is None or not transaction.interrupted:
            self._cancel_idle(evse.evse_id)
            return
        if evse.status is not ConnectorStatus.AVAILABLE:
            transaction.idle_since = None
            self._cancel_idle(evse.evse_id)
            return
        if transaction.idle_since is None:
            transaction.idle_since = utc_now()
        self._arm_idle(evse.evse_id, transaction.idle_since)

    def resumption_deadline(self, evse_id: int) -> datetime | None:
        """Return when we close the EVSE's interrupted, idle transaction."""
        transaction = self.state.evse(evse_id).transaction
        if transaction is None or transaction.idle_since is None:
            return None
        return transaction.idle_since + timedelta(seconds=self.resumption_window_s)

    def _arm_idle(self, evse_id: int, idle_since: datetime) -> None:
        if evse_id in self._idle_timers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # restored outside a loop: the next status arms it
        elapsed = (utc_now() - idle_since).total_seconds()
        self._idle_timers[evse_id] = loop.call_later(
            max(0.0, self.resumption_window_s - elapsed), self._idle_expired, evse_id
        )

    def _cancel_idle(self, evse_id: int) -> None:
        if (timer := self._idle_timers.pop(evse_id, None)) is not None:
            timer.cancel()

    def _idle_expired(self, evse_id: int) -> None:
        self._idle_timers.pop(evse_id, None)
        transaction = self.state.evse(evse_id).transaction
        if transaction is None or transaction.idle_since is None:
            return
        _LOGGER.info(
            "%s: transaction %s was not resumed after the reboot; closing it",
            self.charger_id,
            transaction.transaction_id,
        )
        # It ended at the latest when the EVSE went idle.
        self.end_transaction(
            transaction.transaction_id,
            transaction.idle_since,
            None,
            REASON_IDLE_AFTER_REBOOT,
        )

    def close(self) -> None:
        """Stop the timers (the central system shuts down)."""
        for evse_id in list(self._idle_timers):
            self._cancel_idle(evse_id)

    def tag_presented(
        self, id_tag: str, status: AuthorizationStatus, evse_id: int | None
    ) -> None:
        """Report a presented tag and the answer it got."""
        self._listener.charger_event(
            self.charger_id,
            TagPresented(id_tag=id_tag, status=status, evse_id=evse_id),
        )

    def data_transfer_received(
        self, vendor_id: str, message_id: str | None, data: Any
    ) -> None:
        """Report a DataTransfer the charger sent."""
        self._listener.charger_event(
            self.charger_id,
            DataTransferReceived(vendor_id=vendor_id, message_id=message_id, data=data),
        )

    def security_event(
        self, kind: str, timestamp: datetime, tech_info: str | None
    ) -> None:
        """Report a security event the charger sent."""
        self._listener.charger_event(
            self.charger_id,
            SecurityEvent(kind=kind, timestamp=timestamp, tech_info=tech_info),
        )

    # ------------------------------------------------------ persistence

    def snapshot(self) -> dict[str, Any]:
        """Return what must survive a restart, JSON-able."""
        evses: dict[str, Any] = {}
        for evse_id, evse in self.state.evses.items():
            counter = self._counters.get(evse_id)
            evses[str(evse_id)] = {
                "counter": counter.as_dict() if counter else None,
                "transaction": _as_json(evse.transaction),
                "last_session": _as_json(evse.last_session),
            }
        return {
            "evses": evses,
            "next_transaction_number": self.next_transaction_number,
            "message_keys": self._message_keys.items(),
            "ended": self._ended.items(),
            "inoperative": sorted(self.inoperative),
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load a ``snapshot``."""
        self.next_transaction_number = int(data.get("next_transaction_number", 1))
        self.inoperative = {int(evse_id) for evse_id in data.get("inoperative", [])}
        self._message_keys = _Recent(
            (str(key), str(value)) for key, value in data.get("message_keys", [])
        )
        for evse_key, evse_data in data.get("evses", {}).items():
            evse = self.state.evse(int(evse_key))
            if evse_data.get("counter"):
                counter = EnergyCounter.from_dict(evse_data["counter"])
                self._counters[evse.evse_id] = counter
                evse.energy_wh = counter.total_wh
            if evse_data.get("transaction"):
                evse.transaction = _from_json(Transaction, evse_data["transaction"])
                if evse.transaction.idle_since is not None:
                    self._arm_idle(evse.evse_id, evse.transaction.idle_since)
            if evse_data.get("last_session"):
                evse.last_session = _from_json(
                    SessionSummary, evse_data["last_session"]
                )
        for item in data.get("ended", []):
            # Older stores kept the ids alone.
            transaction_id, evse_id = (
                item if isinstance(item, (list, tuple)) else (item, 0)
            )
            self._ended.add(str(transaction_id), int(evse_id))


_DATETIME_FIELDS = frozenset({"started_at", "ended_at", "idle_since"})


def _as_json(item: Transaction | SessionSummary | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(item).items()
    }


def _from_json[T: (Transaction, SessionSummary)](
    kind: type[T], data: dict[str, Any]
) -> T:
    values: dict[str, Any] = {
        key: datetime.fromisoformat(value)
        if key in _DATETIME_FIELDS and value is not None
        else value
        for key, value in data.items()
    }
    return kind(**values)
