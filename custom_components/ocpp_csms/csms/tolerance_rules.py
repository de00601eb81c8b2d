"""What the tolerant reader may repair, per action: the policy, apart from the walk.

Read with the adapters (v16.py, v201.py, meter.py) in view: a field they need
is essential or gets an honest repair; a field they never read may stay as
the charger sent it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .const import OcppVersion

# Fields without which we cannot act on the frame (dotted, no array indices).
# A missing or invalid (and not losslessly coercible) essential field keeps the
# version's CALLERROR. 1.6 meterStop is essential: it closes the session's
# energy account and the 1.6 adapter needs it; 2.x seqNo is, because retries
# are recognised by (transactionId, seqNo) (GUIDE §5 item 27).
ESSENTIAL_V16: dict[str, frozenset[str]] = {
    "Authorize": frozenset({"idTag"}),
    "BootNotification": frozenset({"chargePointVendor", "chargePointModel"}),
    "DataTransfer": frozenset({"vendorId"}),
    "MeterValues": frozenset({"connectorId"}),
    "SecurityEventNotification": frozenset({"type"}),
    "StartTransaction": frozenset({"connectorId", "idTag", "meterStart"}),
    "StatusNotification": frozenset({"connectorId", "status"}),
    "StopTransaction": frozenset({"transactionId", "meterStop"}),
}
ESSENTIAL_V2: dict[str, frozenset[str]] = {
    "Authorize": frozenset({"idToken", "idToken.idToken"}),
    "BootNotification": frozenset(
        {"chargingStation", "chargingStation.vendorName", "chargingStation.model"}
    ),
    "DataTransfer": frozenset({"vendorId"}),
    "MeterValues": frozenset({"evseId"}),
    "SecurityEventNotification": frozenset({"type"}),
    "StatusNotification": frozenset({"evseId", "connectorStatus"}),
    "TransactionEvent": frozenset(
        {"eventType", "seqNo", "transactionInfo", "transactionInfo.transactionId"}
    ),
}

# Fields no handler needs (never read, or read with a fallback for absence):
# kept as sent, or left out, when invalid or missing even if the schema
# requires them. "*" = the whole action is only acknowledged.
_ALL = frozenset({"*"})
UNREAD_V16: dict[str, frozenset[str]] = {
    "DataTransfer": _ALL,
    "DiagnosticsStatusNotification": _ALL,
    "FirmwareStatusNotification": _ALL,
    "Heartbeat": _ALL,
    "LogStatusNotification": _ALL,
    "SignedFirmwareStatusNotification": _ALL,
}
UNREAD_V2: dict[str, frozenset[str]] = {
    "Authorize": frozenset({"idToken.type"}),
    # A boot without a reason is taken as a real reboot (as any but Triggered).
    "BootNotification": frozenset({"reason"}),
    "DataTransfer": _ALL,
    "FirmwareStatusNotification": _ALL,
    "Heartbeat": _ALL,
    "LogStatusNotification": _ALL,
    "NotifyEvent": _ALL,
    "NotifyReport": frozenset(
        {
            "requestId",
            "seqNo",
            "tbc",
            "reportData.variable",
            "reportData.variableAttribute",
            "reportData.variableCharacteristics",
        }
    ),
    "StatusNotification": frozenset({"connectorId"}),
    "TransactionEvent": frozenset({"triggerReason", "offline", "idToken.type"}),
}

# Required arrays whose handler reads an empty list fine (nothing to record).
EMPTY_OK: dict[str, frozenset[str]] = {"MeterValues": frozenset({"meterValue"})}

# Properties that say what a sampled value means. Dropping one would let the
# reader assume the default (Energy.Active.Import.Register, Wh, no phase...),
# which invents data: the sampled value goes instead.
QUALIFIERS = frozenset(
    {"measurand", "phase", "unit", "unitOfMeasure", "multiplier", "context"}
    | {"location", "format"}
)
# Enum values that honestly say "something else" (first match wins).
CATCH_ALLS = ("OtherError", "Other", "Unknown")
# Where the charger's own word for a replaced error code can go.
KEEP_WORD_IN = ("vendorErrorCode", "info")

# An offending id tag is not repeated in logs, diagnostics or repair issues.
TAG_PROPERTIES = frozenset({"idTag", "idToken", "parentIdTag", "groupIdToken"})
HIDDEN_TAG = "(id tag hidden)"


@dataclass(frozen=True, slots=True)
class ActionRules:
    """The tables of one action of one version."""

    essential: frozenset[str]
    unread: frozenset[str]
    empty_ok: frozenset[str]

    def is_unread(self, name: str) -> bool:
        """Return True when no handler reads the field (dotted name)."""
        return "*" in self.unread or name in self.unread


def rules_for(version: OcppVersion, action: str) -> ActionRules:
    """Return the tables of an action (2.1 is read like 2.0.1)."""
    v16 = version is OcppVersion.V16
    return ActionRules(
        essential=(ESSENTIAL_V16 if v16 else ESSENTIAL_V2).get(action, frozenset()),
        unread=(UNREAD_V16 if v16 else UNREAD_V2).get(action, frozenset()),
        empty_ok=EMPTY_OK.get(action, frozenset()),
    )
