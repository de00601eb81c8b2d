"""Protocol-accurate OCPP 1.6 / 2.0.1 / 2.1 charge point simulator.

Built on the ``ocpp`` library's charge-point side and websockets; it shares
no code with the integration, so it is an honest test partner.

    async with ChargePointSimulator(SimulatorConfig(charger_id="CP_1")) as sim:
        await sim.wait_for_registration("Accepted")
        await sim.plug_in(1)
        await sim.start_transaction(1)
"""

from .config import OcppVersion, Quirks, SimulatorConfig
from .faults import EnergyUnit, Faults, TxOnReboot
from .model import (
    Car,
    ChargingState,
    EvseState,
    EvseStatus,
    InvalidResponseError,
    OcppCallError,
    ReceivedCall,
)
from .simulator import ChargePointSimulator

__all__ = [
    "Car",
    "ChargePointSimulator",
    "ChargingState",
    "EnergyUnit",
    "EvseState",
    "EvseStatus",
    "Faults",
    "InvalidResponseError",
    "OcppCallError",
    "OcppVersion",
    "Quirks",
    "ReceivedCall",
    "SimulatorConfig",
    "TxOnReboot",
]
