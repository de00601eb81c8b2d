"""The 2.0.1/2.1 device model of the simulated station and its report encoding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import Mutability, ValueKind, Variable, VariableStore

if TYPE_CHECKING:
    from .config import SimulatorConfig

RO, RW, WO = Mutability.READ_ONLY, Mutability.READ_WRITE, Mutability.WRITE_ONLY
B, INT, D = ValueKind.BOOLEAN, ValueKind.INTEGER, ValueKind.DECIMAL
ML, OL = ValueKind.MEMBER_LIST, ValueKind.OPTION_LIST

TX_POINTS = (
    "ParkingBayOccupancy",
    "EVConnected",
    "Authorized",
    "DataSigned",
    "PowerPathClosed",
    "EnergyTransfer",
)
MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
)
AVAILABILITY = ("Available", "Occupied", "Reserved", "Unavailable", "Faulted")


def _security_profile(config: SimulatorConfig) -> str:
    if config.ssl is not None:
        return "2" if config.password else "3"
    return "1"


# The variable lists below are tables: one variable per line (fmt: skip).


def _station(config: SimulatorConfig) -> list[Variable]:
    power = config.max_current * config.voltage * config.phases
    variables = [
        Variable("ChargingStation", "AvailabilityState", "Available", RO, OL,
                 options=AVAILABILITY),
        Variable("ChargingStation", "Available", "true", RO, B),
        Variable("ChargingStation", "Model", config.model, RO),
        Variable("ChargingStation", "VendorName", config.vendor, RO),
        Variable("ChargingStation", "SupplyPhases", str(config.phases), RO, INT),
    ]  # fmt: skip
    for evse in range(1, config.evses + 1):
        variables += [
            Variable("EVSE", "AvailabilityState", "Available", RO, OL, evse,
                     options=AVAILABILITY),
            Variable("EVSE", "Available", "true", RO, B, evse),
            Variable("EVSE", "Power", f"{power:.1f}", RO, D, evse, unit="W",
                     max_limit=power),
            Variable("EVSE", "SupplyPhases", str(config.phases), RO, INT, evse),
            Variable("Connector", "AvailabilityState", "Available", RO, OL, evse, 1,
                     options=AVAILABILITY),
            Variable("Connector", "ConnectorType", "cType2", RO, evse_id=evse,
                     connector_id=1),
        ]  # fmt: skip
    return variables


def _controllers(config: SimulatorConfig) -> list[Variable]:
    q = config.quirks
    tx_points = "EVConnected,Authorized"
    measurands = ",".join(MEASURANDS)
    return [
        Variable("OCPPCommCtrlr", "HeartbeatInterval",
                 f"{config.heartbeat_interval:g}", RW, INT, unit="s"),
        Variable("OCPPCommCtrlr", "MessageTimeout", f"{config.call_timeout:g}",
                 RO, INT, instance="Default", unit="s"),
        Variable("OCPPCommCtrlr", "MessageAttempts", "3", RW, INT,
                 instance="TransactionEvent"),
        Variable("OCPPCommCtrlr", "MessageAttemptInterval", "60", RW, INT,
                 instance="TransactionEvent", unit="s"),
        Variable("OCPPCommCtrlr", "OfflineThreshold", "60", RW, INT, unit="s"),
        Variable("OCPPCommCtrlr", "ResetRetries", "1", RW, INT),
        Variable("SecurityCtrlr", "BasicAuthPassword", config.password or "", WO,
                 ValueKind.PASSWORD),
        Variable("SecurityCtrlr", "Identity", config.charger_id, RO),
        Variable("SecurityCtrlr", "OrganizationName", config.vendor, RW),
        Variable("SecurityCtrlr", "SecurityProfile", _security_profile(config), RO, INT),
        Variable("SmartChargingCtrlr", "Enabled", "true", RW, B),
        Variable("SmartChargingCtrlr", "Available", "true", RO, B),
        Variable("SmartChargingCtrlr", "Entries", "0", RO, INT,
                 instance="ChargingProfiles", max_limit=8),
        Variable("SmartChargingCtrlr", "LimitChangeSignificance", "1.0", RW, D),
        Variable("SmartChargingCtrlr", "PeriodsPerSchedule", str(q.max_periods), RO, INT),
        Variable("SmartChargingCtrlr", "ProfileStackLevel", "8", RO, INT),
        Variable("SmartChargingCtrlr", "RateUnit", ",".join(q.rate_units), RO, ML,
                 options=("A", "W")),
        Variable("SmartChargingCtrlr", "Phases3to1",
                 "true" if config.phase_switching else "false", RO, B),
        Variable("SmartChargingCtrlr", "ExternalControlSignalsEnabled", "false", RW, B),
        Variable("SampledDataCtrlr", "Enabled", "true", RW, B),
        Variable("SampledDataCtrlr", "TxUpdatedInterval",
                 f"{config.meter_interval:g}", RW, INT, unit="s"),
        Variable("SampledDataCtrlr", "TxUpdatedMeasurands", measurands, RW, ML,
                 options=MEASURANDS),
        Variable("SampledDataCtrlr", "TxStartedMeasurands", MEASURANDS[0], RW, ML,
                 options=MEASURANDS),
        Variable("SampledDataCtrlr", "TxEndedMeasurands", MEASURANDS[0], RW, ML,
                 options=MEASURANDS),
        Variable("SampledDataCtrlr", "TxEndedInterval", "0", RW, INT, unit="s"),
        Variable("AlignedDataCtrlr", "Enabled", "false", RW, B),
        Variable("AlignedDataCtrlr", "Interval", "0", RW, INT, unit="s"),
        Variable("AlignedDataCtrlr", "Measurands", MEASURANDS[0], RW, ML,
                 options=MEASURANDS),
        Variable("TxCtrlr", "EVConnectionTimeOut", "60", RW, INT, unit="s"),
        Variable("TxCtrlr", "StopTxOnEVSideDisconnect", "true", RO, B),
        Variable("TxCtrlr", "StopTxOnInvalidId", "true", RW, B),
        Variable("TxCtrlr", "TxStartPoint", tx_points, RW, ML, options=TX_POINTS),
        Variable("TxCtrlr", "TxStopPoint", tx_points, RW, ML, options=TX_POINTS),
        Variable("AuthCtrlr", "Enabled", "true", RW, B),
        Variable("AuthCtrlr", "AuthorizeRemoteStart", "false", RW, B),
        Variable("AuthCtrlr", "LocalAuthorizeOffline", "true", RW, B),
        Variable("AuthCtrlr", "LocalPreAuthorize", "false", RW, B),
        Variable("LocalAuthListCtrlr", "Enabled", "true", RW, B),
        Variable("LocalAuthListCtrlr", "Entries", "0", RO, INT),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", RO, INT,
                 instance="GetReport"),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "50", RO, INT,
                 instance="GetVariables"),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", "50", RO, INT,
                 instance="SetVariables"),
        Variable("DeviceDataCtrlr", "BytesPerMessage", "65000", RO, INT,
                 instance="GetReport"),
        Variable("ClockCtrlr", "TimeSource", "Heartbeat", RW, ML,
                 options=("Heartbeat", "NTP", "GPS", "RealTimeClock")),
    ]  # fmt: skip


# OCPP 2.1 (E17): how long a rebooted station tries to resume its transactions.
TX_RESUMPTION_TIMEOUT_S = 1800


def _v21_only(config: SimulatorConfig) -> list[Variable]:
    if config.ocpp_version != "2.1":
        return []
    return [
        Variable("TxCtrlr", "TxResumptionTimeout", str(TX_RESUMPTION_TIMEOUT_S),
                 RW, INT, unit="s"),
    ]  # fmt: skip


def build_device_model(config: SimulatorConfig) -> VariableStore:
    """Device model of a station with these settings."""
    return VariableStore(_station(config) + _controllers(config) + _v21_only(config))


def component_of(variable: Variable) -> dict[str, Any]:
    """ComponentType of a variable (camelCase, as on the wire)."""
    component: dict[str, Any] = {"name": variable.component}
    if variable.component_instance is not None:
        component["instance"] = variable.component_instance
    if variable.evse_id is not None:
        component["evse"] = {"id": variable.evse_id}
        if variable.connector_id is not None:
            component["evse"]["connectorId"] = variable.connector_id
    return component


def variable_of(variable: Variable) -> dict[str, Any]:
    """VariableType of a variable."""
    result: dict[str, Any] = {"name": variable.name}
    if variable.instance is not None:
        result["instance"] = variable.instance
    return result


def report_entry(variable: Variable) -> dict[str, Any]:
    """ReportDataType for NotifyReport (write-only values are never reported)."""
    attribute: dict[str, Any] = {
        "type": "Actual",
        "mutability": variable.mutability.value,
        "persistent": True,
        "constant": variable.mutability is Mutability.READ_ONLY,
    }
    if variable.mutability is not Mutability.WRITE_ONLY:
        attribute["value"] = variable.value
    characteristics: dict[str, Any] = {
        "dataType": "string"
        if variable.kind is ValueKind.PASSWORD
        else variable.kind.value,
        "supportsMonitoring": False,
    }
    if variable.unit is not None:
        characteristics["unit"] = variable.unit
    if variable.options:
        characteristics["valuesList"] = ",".join(variable.options)
    if variable.max_limit is not None:
        characteristics["maxLimit"] = variable.max_limit
    return {
        "component": component_of(variable),
        "variable": variable_of(variable),
        "variableAttribute": [attribute],
        "variableCharacteristics": characteristics,
    }


def report_variables(store: VariableStore, report_base: str) -> list[Variable]:
    """Variables included in a GetBaseReport of the given base."""
    if report_base == "ConfigurationInventory":
        return [v for v in store.variables if v.mutability is not Mutability.READ_ONLY]
    if report_base == "SummaryInventory":
        return [v for v in store.variables if v.name == "AvailabilityState"]
    return list(store.variables)
