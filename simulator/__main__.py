"""Command line: run one simulated charge point until Ctrl-C.

python -m simulator --id CP_1 --ocpp 2.0.1 --evses 2 --url ws://127.0.0.1:9000 --charge
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
import logging
import signal
import sys

from websockets.exceptions import InvalidHandshake

from .config import OcppVersion, Quirks, SimulatorConfig
from .faults import EnergyUnit, Faults
from .model import InvalidResponseError, OcppCallError
from .simulator import ChargePointSimulator

LOGGER = logging.getLogger("simulator")


def build_parser() -> argparse.ArgumentParser:
    """All command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=(
            "Simulated OCPP charge point. Connects to URL/ID, boots (retrying "
            "while the CSMS answers Pending/Rejected, reacting to TriggerMessage), "
            "sends heartbeats and answers CSMS requests. Every frame is logged. "
            "Stop with Ctrl-C (SIGINT) or SIGTERM."
        ),
    )
    add = parser.add_argument
    add("--id", default="CP_1", help="charger identity, last URL path segment (CP_1)")
    add(
        "--url",
        default="ws://127.0.0.1:9000",
        help="CSMS base URL (ws://127.0.0.1:9000)",
    )
    add(
        "--ocpp",
        choices=[v.value for v in OcppVersion],
        default="2.0.1",
        help="OCPP version to speak (2.0.1)",
    )
    add("--evses", type=int, default=1, help="number of EVSEs / connectors (1)")
    add("--password", help="HTTP Basic auth password (username = charger id)")
    add(
        "--charge",
        action="store_true",
        help="once Accepted: plug in a car on EVSE 1, authorize and start charging",
    )
    add(
        "--meter-interval",
        type=float,
        default=10.0,
        help="seconds between meter values while charging, 0 = none (10)",
    )
    add("--id-tag", default="SIMTAG01", help="RFID tag used by --charge (SIMTAG01)")
    add("--vendor", default="OcppCsmsSim", help="vendor name in BootNotification")
    add("--model", default="SimCharger", help="model in BootNotification")
    add("--serial", default="SIM-0001", help="serial number in BootNotification")
    add("--phases", type=int, choices=[1, 2, 3], default=3, help="supply phases (3)")
    add(
        "--phase-switching",
        action="store_true",
        help="advertise switching between 1 and 3 phases",
    )
    add("--voltage", type=float, default=230.0, help="phase voltage (230)")
    add("--max-current", type=float, default=16.0, help="hardware limit in A (16)")
    add(
        "--subprotocol",
        action="append",
        help="offer this subprotocol instead of the version's (repeatable)",
    )
    quirks = parser.add_argument_group("quirks (behave like particular chargers)")
    quirks.add_argument(
        "--rate-units",
        default="A,W",
        help="accepted charging rate units: A,W | A | W (A,W)",
    )
    quirks.add_argument(
        "--max-periods",
        type=int,
        default=24,
        help="max periods per charging schedule (24)",
    )
    quirks.add_argument(
        "--reject-station-max",
        action="store_true",
        help="reject ChargePointMax/ChargingStationMax profiles",
    )
    quirks.add_argument(
        "--strict-tx-profile",
        action="store_true",
        help="reject TxProfile outside a transaction",
    )
    quirks.add_argument(
        "--response-delay",
        type=float,
        default=0.0,
        help="seconds to wait before answering each request (0)",
    )
    quirks.add_argument(
        "--boot-retry",
        type=float,
        help="seconds between boot retries, overriding the CSMS",
    )
    quirks.add_argument(
        "--volatile-profiles",
        action="store_true",
        help="forget charging profiles and Inoperative EVSEs on every reboot",
    )
    quirks.add_argument(
        "--retry-with-new-id",
        action="store_true",
        help="send every transaction message twice, the second with a new id",
    )
    offline = parser.add_argument_group("offline behaviour and faults")
    offline.add_argument(
        "--auto-reconnect",
        action="store_true",
        help="dial in again by itself when the connection drops, with back-off",
    )
    offline.add_argument(
        "--reconnect-delay",
        type=float,
        default=0.05,
        help="first back-off in s, doubling (0.05)",
    )
    offline.add_argument(
        "--reconnect-delay-max",
        type=float,
        default=5.0,
        help="longest back-off in s (5)",
    )
    offline.add_argument(
        "--offline-queue",
        action="store_true",
        help="queue transaction messages while offline, deliver them in order",
    )
    offline.add_argument(
        "--clock-skew",
        type=float,
        default=0.0,
        help="seconds added to every timestamp sent (e.g. -86400)",
    )
    offline.add_argument(
        "--energy-unit",
        choices=[u.value for u in EnergyUnit],
        default=EnergyUnit.WH.value,
        help="unit of the energy register in sampled values (Wh)",
    )
    offline.add_argument(
        "--meter-reset-on-boot",
        action="store_true",
        help="the energy register restarts at 0 after every reboot",
    )
    add("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Translate parsed options into a SimulatorConfig."""
    return SimulatorConfig(
        charger_id=args.id,
        url=args.url,
        ocpp_version=args.ocpp,
        evses=args.evses,
        vendor=args.vendor,
        model=args.model,
        serial_number=args.serial,
        phases=args.phases,
        phase_switching=args.phase_switching,
        voltage=args.voltage,
        max_current=args.max_current,
        meter_interval=args.meter_interval,
        id_tag=args.id_tag,
        subprotocols=args.subprotocol,
        password=args.password,
        quirks=Quirks(
            rate_units=tuple(
                u.strip() for u in args.rate_units.split(",") if u.strip()
            ),
            max_periods=args.max_periods,
            reject_station_max_profile=args.reject_station_max,
            tx_profile_only_in_transaction=args.strict_tx_profile,
            response_delay=args.response_delay,
            boot_retry_interval=args.boot_retry,
            volatile_profiles=args.volatile_profiles,
            retry_with_new_message_id=args.retry_with_new_id,
        ),
        auto_reconnect=args.auto_reconnect,
        reconnect_delay=args.reconnect_delay,
        reconnect_delay_max=args.reconnect_delay_max,
        offline_queue=args.offline_queue,
        faults=Faults(
            clock_skew=timedelta(seconds=args.clock_skew),
            energy_unit=EnergyUnit(args.energy_unit),
            meter_reset_on_boot=args.meter_reset_on_boot,
        ),
    )


async def _charge(sim: ChargePointSimulator, id_tag: str) -> None:
    await sim.wait_for_registration("Accepted", timeout=None)
    await sim.plug_in(1)
    status = await sim.authorize(id_tag)
    LOGGER.info("authorize %s: %s", id_tag, status)
    await sim.start_transaction(1, id_tag)


async def run(args: argparse.Namespace) -> int:
    """Run until a signal (exit 0) or until the CSMS goes away (exit 1)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sim = ChargePointSimulator(config_from_args(args))
    try:
        await sim.start()
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        print(f"connection to {sim.url} failed: {exc}", file=sys.stderr)
        return 1
    charging = asyncio.create_task(_charge(sim, args.id_tag)) if args.charge else None
    while not stop.is_set() and (sim.connected or sim.rebooting):
        try:
            async with asyncio.timeout(1.0):
                await stop.wait()
        except TimeoutError:
            pass
    if charging is not None:
        charging.cancel()
        try:
            await charging
        except asyncio.CancelledError:
            pass
        except (
            OcppCallError,
            InvalidResponseError,
            ConnectionError,
            RuntimeError,
        ) as exc:
            print(f"charging session failed: {exc}", file=sys.stderr)
    lost = not stop.is_set()
    await sim.stop()
    if lost:
        print("connection closed by the CSMS", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("websockets").setLevel(logging.WARNING)
        logging.getLogger("simulator.ocpp").setLevel(logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
