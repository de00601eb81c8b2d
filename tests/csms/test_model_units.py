"""Meter parsing, energy counter and tracker rules without a socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ocpp_csms.csms.energy import EnergyCounter
from custom_components.ocpp_csms.csms.events import (
    ChargerEvent,
    SessionEnded,
    SessionStarted,
)
from custom_components.ocpp_csms.csms.meter import parse_time, samples_v2, samples_v16
from custom_components.ocpp_csms.csms.model import (
    ConnectorStatus,
    Measurand,
    MeterSample,
)
from custom_components.ocpp_csms.csms.tracker import (
    REASON_NEW_TRANSACTION,
    ChargerTracker,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Listener:
    def __init__(self) -> None:
        self.changed: list[int] = []
        self.events: list[ChargerEvent] = []

    def evse_changed(self, charger_id: str, evse_id: int) -> None:
        self.changed.append(evse_id)

    def charger_event(self, charger_id: str, event: ChargerEvent) -> None:
        self.events.append(event)


def test_parse_time() -> None:
    assert parse_time("2026-01-01T00:00:00Z") == T0
    assert parse_time(None) is None
    assert parse_time("yesterday") is None


def test_samples_v16_units_and_skips() -> None:
    entry: dict[str, Any] = {
        "timestamp": "2026-01-01T00:00:00Z",
        "sampledValue": [
            {"value": "1.5", "unit": "kWh"},
            {"value": "3.7", "measurand": "Power.Active.Import", "unit": "kW"},
            {"value": "230", "measurand": "Voltage", "phase": "L2-N"},
            {"value": "300", "measurand": "Temperature", "unit": "K"},
            {"value": "50", "measurand": "Temperature", "unit": "Fahrenheit"},
            {"value": "x", "measurand": "SoC"},
            {"value": "1", "measurand": "Frequency"},
            {"value": "abc", "format": "SignedData"},
        ],
    }
    samples = samples_v16([entry])
    assert [(s.measurand, round(s.value, 2), s.phase) for s in samples] == [
        (Measurand.ENERGY_IMPORT, 1500.0, None),
        (Measurand.POWER_IMPORT, 3700.0, None),
        (Measurand.VOLTAGE, 230.0, "L2"),
        (Measurand.TEMPERATURE, 26.85, None),
        (Measurand.TEMPERATURE, 10.0, None),
    ]
    assert samples[0].timestamp == T0


def test_samples_v2_multiplier() -> None:
    entry = {
        "timestamp": "2026-01-01T00:00:00Z",
        "sampledValue": [
            {"value": 12, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}},
            {"value": 16, "measurand": "Current.Import", "phase": "L1"},
        ],
    }
    samples = samples_v2([entry])
    assert samples[0].value == 12_000
    assert samples[1].phase == "L1"


def test_energy_counter_roundtrip_and_rules() -> None:
    counter = EnergyCounter()
    assert counter.update(1_000, T0) == 1_000
    assert counter.update(1_500, T0 + timedelta(minutes=5)) == 1_500
    # A clock reset far into the past with a lower register is a reset.
    assert counter.update(10, T0 - timedelta(days=300)) == 1_500
    assert counter.update(20, T0 + timedelta(minutes=6)) == 1_510
    restored = EnergyCounter.from_dict(counter.as_dict())
    assert restored == counter
    assert EnergyCounter.from_dict({}).update(5, T0) == 5


def _sample(
    measurand: Measurand, value: float, phase: str | None = None
) -> MeterSample:
    return MeterSample(measurand=measurand, value=value, phase=phase, timestamp=T0)


def test_tracker_samples_and_phases() -> None:
    listener = Listener()
    tracker = ChargerTracker("CP", listener)
    tracker.apply_samples(
        1,
        [
            _sample(Measurand.POWER_IMPORT, 1_000, "L1"),
            _sample(Measurand.POWER_IMPORT, 1_100, "L2"),
            _sample(Measurand.CURRENT_OFFERED, 16),
            _sample(Measurand.CURRENT_IMPORT, 5),
            _sample(Measurand.VOLTAGE, 229),
            _sample(Measurand.TEMPERATURE, 30),
            _sample(Measurand.ENERGY_IMPORT, 50, "L1"),
        ],
    )
    evse = tracker.state.evse(1)
    assert evse.power_w == 2_100
    assert evse.current_offered_a == 16
    assert evse.current_a == {"L1": 5}
    assert evse.voltage_v == {"L1": 229}
    assert evse.temperature_c == 30
    assert evse.energy_wh is None
    assert listener.changed == [1]
    # Only an unknown per-phase register: nothing changed, nobody is told.
    tracker.apply_samples(1, [_sample(Measurand.ENERGY_IMPORT, 60, "L2")])
    assert listener.changed == [1]
    tracker.apply_samples(0, [_sample(Measurand.ENERGY_IMPORT, 60)])
    assert listener.changed == [1]


def test_tracker_new_start_ends_unfinished_and_restores() -> None:
    listener = Listener()
    tracker = ChargerTracker("CP", listener)
    tracker.set_status(0, ConnectorStatus.FAULTED, "GroundFailure")
    assert tracker.state.station_error_code == "GroundFailure"
    tracker.start_transaction(1, "A", "TAG", T0, 100)
    assert tracker.start_transaction(1, "A", "TAG", T0, 100).transaction_id == "A"
    tracker.start_transaction(1, "B", None, T0 + timedelta(hours=1), 300)
    assert isinstance(listener.events[1], SessionEnded)
    assert listener.events[1].summary.stop_reason == REASON_NEW_TRANSACTION
    assert listener.events[1].summary.energy_wh == 0
    assert isinstance(listener.events[2], SessionStarted)
    tracker.remember("key", "B")

    copy = ChargerTracker("CP", Listener())
    copy.restore(tracker.snapshot())
    assert copy.snapshot() == tracker.snapshot()
    assert copy.recall("key") == "B"
    assert copy.is_ended("A")
    assert copy.state.evse(1).transaction is not None
    assert copy.state.evse(1).session_energy_wh == 0
    copy.end_transaction("B", T0 + timedelta(hours=2), 1_300, "Local")
    assert copy.state.evse(1).session_energy_wh == 1_000
    assert copy.end_transaction("B", T0, None, "Local") is None


@pytest.mark.parametrize("register", [None, 500.0])
def test_session_energy_before_any_reading(register: float | None) -> None:
    tracker = ChargerTracker("CP", Listener())
    tracker.start_transaction(1, "A", None, T0, register)
    assert tracker.state.evse(1).session_energy_wh == (0 if register else None)


def test_tracker_reads_the_older_ended_list() -> None:
    """Stores written before EVSEs were kept with ended ids still restore."""
    tracker = ChargerTracker("CP", Listener())
    tracker.restore({"ended": ["7"], "evses": {}})
    assert tracker.is_ended("7")
    tracker.restore({"ended": [["8", 2]], "evses": {}})
    assert tracker.evse_of("8") == 2


def test_interrupted_transaction_needs_a_status_after_the_boot() -> None:
    """The idle clock starts with a status reported after the boot, not before."""
    tracker = ChargerTracker("CP", Listener())
    tracker.set_status(1, ConnectorStatus.AVAILABLE)
    tracker.start_transaction(1, "A", None, T0, 100)
    tracker.interrupt_open_transactions()
    assert tracker.resumption_deadline(1) is None
    tracker.set_status(1, ConnectorStatus.AVAILABLE)  # no loop: no timer, a deadline
    assert tracker.resumption_deadline(1) is not None
    tracker.set_status(1, ConnectorStatus.CHARGING)
    assert tracker.resumption_deadline(1) is None


def test_counter_after_a_clock_jump_back_still_spots_late_readings() -> None:
    """A charger clock a day ahead, then corrected: a re-ordered reading is no reset."""
    counter = EnergyCounter()
    counter.update(100, T0)
    counter.update(120, T0 + timedelta(days=1))  # clock a day ahead
    counter.update(130, T0 + timedelta(seconds=20))  # corrected
    assert counter.update(125, T0 + timedelta(seconds=10)) == 130  # late, re-ordered
    assert counter.update(140, T0 + timedelta(seconds=30)) == 140
