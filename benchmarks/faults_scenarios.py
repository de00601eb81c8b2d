"""Minimal reproductions of what the fault campaign found, one scenario each.

    python -m benchmarks.faults_scenarios updated_before_started --ocpp 2.0.1

Each scenario runs one simulated charger (two EVSEs) against a real HA core,
charges a known number of Wh through a fault and prints the truth next to
the Energy sensor and the ``ocpp_csms_session_ended`` report.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
import sys
import tempfile

from homeassistant import runner

from simulator import Car, ChargePointSimulator, SimulatorConfig

from .faults_ha import HaCore, free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
CHARGER = "CP_REPRO"
# A two-EVSE charger; the scenarios use the second EVSE.
EVSES, EVSE = 2, 2
type Scenario = Callable[[HaCore, ChargePointSimulator], Awaitable[int]]


async def _sample(sim: ChargePointSimulator, wh: int, evse_id: int = EVSE) -> int:
    """Ten charger-clock seconds of charging, one sample."""
    sim.advance_clock(10)
    sim.add_energy(evse_id, wh)
    await sim.send_meter_values(evse_id)
    return wh


async def clock_back_reorder(core: HaCore, sim: ChargePointSimulator) -> int:
    """Clock set back a day, then three samples delivered newest first.

    Found with seed 1: the late (lower) readings were taken for meter
    resets and energy was counted twice (Energy sensor and session; fixed in
    cffe815, 1.6 showed 80 Wh for 60, 2.x 70 Wh).
    """
    true_wh = await _sample(sim, 10)
    sim.faults.clock_skew = timedelta(days=-1)
    true_wh += await _sample(sim, 10)
    sim.faults.out_of_order = True
    sim.faults.drop_socket_mid_call = 1  # the next sample fails: all queue
    for _ in range(3):
        true_wh += await _sample(sim, 10)
    await sim.wait_until_delivered(timeout=20)
    return true_wh + await _sample(sim, 10)


async def updated_before_started(core: HaCore, sim: ChargePointSimulator) -> int:
    """HA is away while a 2.x session starts on EVSE 2; the queue goes newest first.

    The CSMS gets Updated(seqNo 2, 32 Wh), Updated(1, Authorized), then
    Started(0, Transaction.Begin 0 Wh) and, at the stop, Ended(3, 32 Wh).
    Found with seed 1 and 1000 faults: the session reported 0 Wh (its start
    register was the first event seen; fixed in af26dce).
    """
    await core.stop()
    sim.faults.out_of_order = True
    await sim.plug_in(EVSE, Car(max_current=0.0))
    await sim.start_transaction(EVSE, "REPRO")
    true_wh = await _sample(sim, 32)
    await core.start()
    await sim.wait_until_delivered(timeout=20)
    return true_wh


SCENARIOS: dict[str, Scenario] = {
    "clock_back_reorder": clock_back_reorder,
    "updated_before_started": updated_before_started,
}


async def run(name: str, version: str) -> str:
    """Run one scenario; return the line to print."""
    with tempfile.TemporaryDirectory(prefix="ocpp_repro_") as config_dir:
        port = free_port()
        core = HaCore(Path(config_dir), port)
        await core.start()
        sim = ChargePointSimulator(
            SimulatorConfig(
                charger_id=CHARGER,
                url=f"ws://127.0.0.1:{port}",
                ocpp_version=version,
                evses=EVSES,
                meter_interval=0,
                auto_reconnect=True,
                offline_queue=True,
                reconnect_delay=0.02,
                reconnect_delay_max=0.3,
                call_timeout=5,
                tx_retry_interval=0.2,
            )
        )
        try:
            await sim.start()
            await sim.wait_until_delivered()
            if name != "updated_before_started":
                await sim.plug_in(EVSE, Car(max_current=0.0))
                await sim.start_transaction(EVSE, "REPRO")
            true_wh = await SCENARIOS[name](core, sim)
            await sim.stop_transaction(EVSE)
            await sim.wait_until_delivered(timeout=20)
            await core.wait_for_ended(1, timeout=10)
            await core.settle()
            sensor = core.energy_wh(CHARGER, EVSE)
            reported = [event.energy_wh for event in core.ended]
        finally:
            await sim.stop()
            await core.stop()
    return (
        f"{name} (OCPP {version}): true {true_wh} Wh, Energy sensor {sensor} Wh, "
        f"session_ended {reported} Wh"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--ocpp", choices=("1.6", "2.0.1", "2.1"), default="2.0.1")
    args = parser.parse_args(argv)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    loop = runner.HassEventLoopPolicy(debug=False).new_event_loop()
    with asyncio.Runner(loop_factory=lambda: loop) as runner_:
        print(runner_.run(run(args.scenario, args.ocpp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
