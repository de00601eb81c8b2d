"""Settings stores: 1.6 configuration keys and the 2.0.1/2.1 device model variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import SimulatorConfig

# 2.0.1 A00.FR.205 asks for 16..40 characters; we apply it to both versions.
PASSWORD_LENGTH = range(16, 41)


class ValueKind(StrEnum):
    """Data type of a setting (2.0.1 dataType names)."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    STRING = "string"
    MEMBER_LIST = "MemberList"
    OPTION_LIST = "OptionList"
    PASSWORD = "passwordString"


def valid_value(kind: ValueKind, value: str, options: tuple[str, ...]) -> bool:
    """Whether ``value`` is acceptable for a setting of this kind."""
    try:
        if kind is ValueKind.INTEGER:
            return int(value) >= 0
        if kind is ValueKind.DECIMAL:
            float(value)
            return True
    except ValueError:
        return False
    if kind is ValueKind.BOOLEAN:
        return value.lower() in ("true", "false")
    if kind is ValueKind.PASSWORD:
        return len(value) in PASSWORD_LENGTH
    if kind is ValueKind.OPTION_LIST:
        return value in options
    if kind is ValueKind.MEMBER_LIST:
        members = [item.strip() for item in value.split(",") if item.strip()]
        return all(item in options for item in members) if options else True
    return len(value) <= 500


def rate_unit_names(units: tuple[str, ...]) -> str:
    """1.6 ChargingScheduleAllowedChargingRateUnit value for the supported units."""
    names = {"A": "Current", "W": "Power"}
    return ",".join(names[unit] for unit in units if unit in names)


# ---------------------------------------------------------------- OCPP 1.6


@dataclass
class ConfigKey:
    """One 1.6 configuration key."""

    name: str
    value: str
    readonly: bool = False
    kind: ValueKind = ValueKind.STRING
    options: tuple[str, ...] = ()

    @property
    def write_only(self) -> bool:
        """Secrets can be written but never read back."""
        return self.kind is ValueKind.PASSWORD


class ChangeResult(StrEnum):
    """1.6 ChangeConfiguration status."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


# Settings this station reads only when it boots (the authorization cache and
# pre-authorization are set up then): a change answers RebootRequired.
REBOOT_KEYS = frozenset({"AuthorizationCacheEnabled", "LocalPreAuthorize"})

_MEASURANDS = (
    "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
)


def _v16_keys(config: SimulatorConfig) -> list[ConfigKey]:
    b, i, p = ValueKind.BOOLEAN, ValueKind.INTEGER, ValueKind.PASSWORD
    q = config.quirks
    return [
        ConfigKey("AllowOfflineTxForUnknownId", "false", kind=b),
        ConfigKey("AuthorizationCacheEnabled", "false", kind=b),
        ConfigKey("AuthorizeRemoteTxRequests", "false", kind=b),
        ConfigKey("ClockAlignedDataInterval", "0", kind=i),
        ConfigKey("ConnectionTimeOut", "60", kind=i),
        ConfigKey("GetConfigurationMaxKeys", "50", True, i),
        ConfigKey("HeartbeatInterval", f"{config.heartbeat_interval:g}", kind=i),
        ConfigKey("LocalAuthorizeOffline", "true", kind=b),
        ConfigKey("LocalPreAuthorize", "false", kind=b),
        ConfigKey("MeterValuesAlignedData", "Energy.Active.Import.Register"),
        ConfigKey("MeterValuesSampledData", _MEASURANDS),
        ConfigKey("MeterValueSampleInterval", f"{config.meter_interval:g}", kind=i),
        ConfigKey("NumberOfConnectors", str(config.evses), True, i),
        ConfigKey("ResetRetries", "1", kind=i),
        ConfigKey("StopTransactionOnEVSideDisconnect", "true", kind=b),
        ConfigKey("StopTransactionOnInvalidId", "true", kind=b),
        ConfigKey("StopTxnAlignedData", ""),
        ConfigKey("StopTxnSampledData", "Energy.Active.Import.Register"),
        ConfigKey("SupportedFeatureProfiles", _PROFILES_16, True),
        ConfigKey("TransactionMessageAttempts", "3", kind=i),
        ConfigKey("TransactionMessageRetryInterval", "60", kind=i),
        ConfigKey("UnlockConnectorOnEVSideDisconnect", "true", kind=b),
        ConfigKey("WebSocketPingInterval", "0", kind=i),
        ConfigKey("LocalAuthListEnabled", "true", kind=b),
        ConfigKey("LocalAuthListMaxLength", "100", True, i),
        ConfigKey("SendLocalListMaxLength", "100", True, i),
        ConfigKey("ReserveConnectorZeroSupported", "false", True, b),
        ConfigKey("ChargeProfileMaxStackLevel", "8", True, i),
        ConfigKey(
            "ChargingScheduleAllowedChargingRateUnit",
            rate_unit_names(q.rate_units),
            True,
        ),
        ConfigKey("ChargingScheduleMaxPeriods", str(q.max_periods), True, i),
        ConfigKey("MaxChargingProfilesInstalled", "8", True, i),
        ConfigKey(
            "ConnectorSwitch3to1PhaseSupported",
            "true" if config.phase_switching else "false",
            True,
            b,
        ),
        ConfigKey("AuthorizationKey", config.password or "", kind=p),
        ConfigKey("SecurityProfile", "1" if config.password else "0", kind=i),
    ]


_PROFILES_16 = (
    "Core,SmartCharging,RemoteTrigger,FirmwareManagement,"
    "LocalAuthListManagement,Reservation"
)


@dataclass
class ConfigKeyStore:
    """In-memory 1.6 configuration (GetConfiguration / ChangeConfiguration)."""

    keys: dict[str, ConfigKey] = field(default_factory=dict)

    @classmethod
    def for_config(cls, config: SimulatorConfig) -> ConfigKeyStore:
        """Realistic keys of a 1.6 charger with these settings."""
        return cls({key.name: key for key in _v16_keys(config)})

    def get(self, name: str) -> str | None:
        """Value of a key (None if unknown)."""
        key = self.keys.get(name)
        return None if key is None else key.value

    def change(self, name: str, value: str) -> ChangeResult:
        """ChangeConfiguration semantics."""
        key = self.keys.get(name)
        if key is None:
            return ChangeResult.NOT_SUPPORTED
        if key.readonly or not valid_value(key.kind, value, key.options):
            return ChangeResult.REJECTED
        key.value = value.lower() if key.kind is ValueKind.BOOLEAN else value
        if name in REBOOT_KEYS:
            return ChangeResult.REBOOT_REQUIRED
        return ChangeResult.ACCEPTED


# ---------------------------------------------------------- OCPP 2.0.1 / 2.1


class Mutability(StrEnum):
    """2.0.1 MutabilityEnumType."""

    READ_ONLY = "ReadOnly"
    READ_WRITE = "ReadWrite"
    WRITE_ONLY = "WriteOnly"


@dataclass
class Variable:
    """One device model variable (Actual attribute only)."""

    component: str
    name: str
    value: str
    mutability: Mutability = Mutability.READ_WRITE
    kind: ValueKind = ValueKind.STRING
    evse_id: int | None = None
    connector_id: int | None = None
    component_instance: str | None = None
    instance: str | None = None
    unit: str | None = None
    options: tuple[str, ...] = ()
    max_limit: float | None = None

    def same_component(
        self, name: str, instance: str | None, evse_id: int | None
    ) -> bool:
        """Whether this variable belongs to the addressed component."""
        return (
            self.component == name
            and self.component_instance == instance
            and self.evse_id == evse_id
        )


class AttributeStatus(StrEnum):
    """Get/SetVariableStatus values used by the store."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED = "NotSupportedAttributeType"
    REBOOT_REQUIRED = "RebootRequired"


@dataclass
class VariableStore:
    """In-memory device model (GetVariables / SetVariables / GetBaseReport)."""

    variables: list[Variable] = field(default_factory=list)

    def find(
        self,
        component: str,
        name: str,
        *,
        component_instance: str | None = None,
        evse_id: int | None = None,
        instance: str | None = None,
    ) -> Variable | None:
        """Return the addressed variable, if it exists."""
        for variable in self.variables:
            if (
                variable.same_component(component, component_instance, evse_id)
                and variable.name == name
                and variable.instance == instance
            ):
                return variable
        return None

    def value(self, component: str, name: str, instance: str | None = None) -> str:
        """Value of a station-level variable (must exist)."""
        variable = self.find(component, name, instance=instance)
        if variable is None:
            raise KeyError(f"{component}.{name}")
        return variable.value

    def lookup(
        self,
        component: str,
        name: str,
        *,
        component_instance: str | None,
        evse_id: int | None,
        instance: str | None,
        attribute_type: str,
    ) -> tuple[AttributeStatus, Variable | None]:
        """Resolve a Get/SetVariables address to a status and variable."""
        if not any(
            v.same_component(component, component_instance, evse_id)
            for v in self.variables
        ):
            return AttributeStatus.UNKNOWN_COMPONENT, None
        variable = self.find(
            component,
            name,
            component_instance=component_instance,
            evse_id=evse_id,
            instance=instance,
        )
        if variable is None:
            return AttributeStatus.UNKNOWN_VARIABLE, None
        if attribute_type != "Actual":
            return AttributeStatus.NOT_SUPPORTED, variable
        return AttributeStatus.ACCEPTED, variable

    @staticmethod
    def set_value(variable: Variable, value: str) -> AttributeStatus:
        """SetVariables semantics for a resolved variable."""
        if variable.mutability is Mutability.READ_ONLY or not valid_value(
            variable.kind, value, variable.options
        ):
            return AttributeStatus.REJECTED
        variable.value = value.lower() if variable.kind is ValueKind.BOOLEAN else value
        if variable.name in REBOOT_KEYS:
            return AttributeStatus.REBOOT_REQUIRED
        return AttributeStatus.ACCEPTED
