"""Simulator fault switches: lost answers, duplicates, drops, seqNo, clock, units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import logging
from typing import Any

import pytest

from simulator import ChargePointSimulator, EnergyUnit, TxOnReboot

from .conftest import Harness


def _sent(
    caplog: pytest.LogCaptureFixture, *actions: str
) -> list[tuple[str, str, Any]]:
    """(action, message id, payload) of every CALL of ``actions`` the charger sent."""
    frames = []
    for record in caplog.records:
        if record.name == "simulator.frames" and " -> " in record.getMessage():
            frame = json.loads(record.getMessage().split(" -> ", 1)[1])
            if frame[0] == 2 and frame[2] in actions:
                frames.append((frame[2], frame[1], frame[3]))
    return frames


def _register(payload: dict[str, Any]) -> tuple[float, str]:
    sample = payload["meterValue"][0]["sampledValue"][0]
    return float(sample["value"]), sample["unitOfMeasure"]["unit"]


async def _charging(harness: Harness, sim_factory: Any, version: str) -> Any:
    sim: ChargePointSimulator = await sim_factory(
        harness.config(
            ocpp_version=version,
            meter_interval=0,
            auto_reconnect=True,
            offline_queue=True,
            reconnect_delay=0.02,
        )
    )
    await sim.wait_until_ready()
    await sim.plug_in(1)
    await sim.start_transaction(1, "TAG")
    await sim.wait_for_delivery()
    return sim


@pytest.fixture(autouse=True)
def _frames(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="simulator.frames")


async def test_lost_answer_is_resent_with_new_id(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await _charging(csms, sim_factory, "2.0.1")
    sim.faults.lose_answers = 1
    await sim.send_meter_values(1)
    (_, first, a), (_, second, b) = _sent(caplog, "TransactionEvent")[-2:]
    assert first != second
    assert a == b
    assert sim.faults.lose_answers == 0


async def test_duplicate_keeps_message_id(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await _charging(csms, sim_factory, "1.6")
    sim.faults.duplicate_frames = 1
    await sim.send_meter_values(1)
    (_, first, a), (_, second, b) = _sent(caplog, "MeterValues")[-2:]
    assert (first, a) == (second, b)
    # The CSMS's second answer is unmatched: kept as a raw frame.
    assert json.loads(await sim.next_raw_reply())[1] == first


async def test_socket_drop_mid_call_resends_after_redial(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await _charging(csms, sim_factory, "2.1")
    await csms.central()
    sim.faults.drop_socket_mid_call = 1
    sim.add_energy(1, 10)
    await sim.send_meter_values(1)
    assert sim.queued == 1
    await csms.central()  # redialled
    await sim.wait_for_delivery()
    (_, first, a), (_, second, b) = _sent(caplog, "TransactionEvent")[-2:]
    assert first != second
    assert a == b
    assert csms.rec.pending("BootNotification") == 1


async def test_seq_no_skip_and_restart(csms: Harness, sim_factory: Any) -> None:
    sim = await _charging(csms, sim_factory, "2.0.1")
    sim.skip_seq_no(1, 3)
    await sim.send_meter_values(1)
    sim.restart_seq_no(1)
    await sim.send_meter_values(1)
    sim.faults.seq_no_restart_on_boot = True
    await sim.power_cycle(TxOnReboot.RESUME)
    await sim.wait_until_ready()
    await sim.wait_for_delivery()
    events = [await csms.rec.next("TransactionEvent") for _ in range(5)]
    assert [e["seq_no"] for e in events] == [0, 1, 5, 0, 0]


async def test_clock_skew_and_kwh(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await _charging(csms, sim_factory, "2.0.1")
    sim.add_energy(1, 1234.5)
    sim.faults.clock_skew = timedelta(days=-1)
    sim.faults.energy_unit = EnergyUnit.KWH
    await sim.send_meter_values(1)
    (_, _, payload) = _sent(caplog, "TransactionEvent")[-1]
    stamp = datetime.fromisoformat(payload["timestamp"])
    assert abs(stamp - (datetime.now(UTC) - timedelta(days=1))) < timedelta(minutes=1)
    assert _register(payload) == (1.2345, "kWh")


async def test_kwh_v16_keeps_resolution(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await _charging(csms, sim_factory, "1.6")
    sim.add_energy(1, 1234.5)
    sim.faults.energy_unit = EnergyUnit.KWH
    await sim.send_meter_values(1)
    (_, _, payload) = _sent(caplog, "MeterValues")[-1]
    sample = payload["meterValue"][0]["sampledValue"][0]
    assert (sample["value"], sample["unit"]) == ("1.2345", "kWh")


async def test_meter_reset_on_boot(csms: Harness, sim_factory: Any) -> None:
    sim = await _charging(csms, sim_factory, "1.6")
    sim.add_energy(1, 800)
    sim.faults.meter_reset_on_boot = True
    await sim.power_cycle(TxOnReboot.END)
    await sim.wait_until_ready()
    await sim.wait_for_delivery()
    stop = await csms.rec.next("StopTransaction")
    assert stop["meter_stop"] == 800  # told before the reset
    assert sim.evse(1).energy_wh == 0
    await sim.start_transaction(1, "TAG")
    starts = [await csms.rec.next("StartTransaction") for _ in range(2)]
    assert starts[1]["meter_start"] == 0


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_out_of_order_delivery(
    csms: Harness, sim_factory: Any, caplog: pytest.LogCaptureFixture, version: str
) -> None:
    sim: ChargePointSimulator = await sim_factory(
        csms.config(
            ocpp_version=version,
            meter_interval=0,
            auto_reconnect=True,
            offline_queue=True,
        )
    )
    await sim.wait_until_ready()
    sim.faults.drop_socket_mid_call = 1  # the first message fails: all queue
    sim.faults.out_of_order = True
    await sim.plug_in(1)
    await sim.start_transaction(1, "TAG")
    for wh in (100, 200):
        sim.add_energy(1, wh)
        await sim.send_meter_values(1)
    await sim.stop_transaction(1)
    await sim.wait_for_delivery()
    if version == "1.6":
        frames = _sent(caplog, "StartTransaction", "MeterValues", "StopTransaction")
        # The dropped StartTransaction again first (its followers need its id),
        # then newest first.
        delivered = [(action, body.get("transactionId")) for action, _, body in frames]
        # The CSMS may have numbered the dropped start too (it was on the
        # wire): the followers carry the id of the answered one.
        tx_id = delivered[-4][1]
        assert isinstance(tx_id, int)
        assert tx_id > 0
        assert delivered[-5:] == [
            ("StartTransaction", None),
            ("StopTransaction", tx_id),
            ("MeterValues", tx_id),
            ("MeterValues", tx_id),
            ("MeterValues", tx_id),
        ]
        return
    seq = []
    while csms.rec.pending("TransactionEvent"):
        seq.append((await csms.rec.next("TransactionEvent"))["seq_no"])
    assert seq[-5:] == [4, 3, 2, 1, 0]


@pytest.mark.parametrize(("refusals", "delivered"), [(2, True), (3, False)])
async def test_refused_messages_are_retried_then_given_up(
    csms: Harness, sim_factory: Any, refusals: int, delivered: bool
) -> None:
    sim: ChargePointSimulator = await sim_factory(
        csms.config(
            ocpp_version="2.0.1",
            meter_interval=0,
            offline_queue=True,
            tx_retry_interval=0.01,
            tx_message_attempts=3,
        )
    )
    await sim.wait_until_ready()
    csms.beh.refuse_transaction_events = refusals
    await sim.plug_in(1)  # Started: refused, queued, retried
    await sim.wait_until_delivered()
    assert sim.outbox is not None
    assert len(sim.outbox.dropped) == (0 if delivered else 1)
    assert csms.rec.pending("TransactionEvent") == (1 if delivered else 0)
