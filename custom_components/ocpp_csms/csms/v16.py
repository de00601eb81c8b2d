"""OCPP 1.6J adapter: charger messages into the neutral model."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any

from .adapter import ActionHandler, VersionAdapter, utc_now_iso
from .meter import parse_time, samples_v16
from .model import AuthorizationStatus, BootInfo, ConnectorStatus
from .tracker import STATION, utc_now

_LOGGER = logging.getLogger(__name__)

_STATUS = {
    "Available": ConnectorStatus.AVAILABLE,
    "Preparing": ConnectorStatus.PREPARING,
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "Finishing": ConnectorStatus.FINISHING,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
_PLUGGED = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
    }
)


class V16Adapter(VersionAdapter):
    """Translate OCPP 1.6 payloads (connector N is EVSE N)."""

    @property
    def handlers(self) -> Mapping[str, ActionHandler]:
        """Return the 1.6 actions we handle."""
        return {
            "Authorize": self.authorize,
            "BootNotification": self.boot_notification,
            "DataTransfer": self.data_transfer,
            "DiagnosticsStatusNotification": self.acknowledge,
            "FirmwareStatusNotification": self.acknowledge,
            "Heartbeat": self.heartbeat,
            # Security whitepaper messages (1.6 edition 3): acknowledged.
            "LogStatusNotification": self.acknowledge,
            "MeterValues": self.meter_values,
            "SecurityEventNotification": self.security_event_notification,
            "SignedFirmwareStatusNotification": self.acknowledge,
            "StartTransaction": self.start_transaction,
            "StatusNotification": self.status_notification,
            "StopTransaction": self.stop_transaction,
        }

    async def boot_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register the charger's identity and answer with our decision."""
        info = BootInfo(
            vendor=payload["chargePointVendor"],
            model=payload["chargePointModel"],
            serial_number=payload.get("chargePointSerialNumber")
            or payload.get("chargeBoxSerialNumber"),
            firmware_version=payload.get("firmwareVersion"),
        )
        status, interval = self._host.boot(info)
        return {
            "status": status.value,
            "currentTime": utc_now_iso(),
            "interval": interval,
        }

    async def status_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Record a connector's status (connector 0 = the whole charger)."""
        status = _STATUS[payload["status"]]
        error = payload["errorCode"]
        self._host.tracker.set_status(
            payload["connectorId"],
            status,
            None if error == "NoError" else error,
            plugged_in=status in _PLUGGED,
        )
        return {}

    async def authorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Answer an id tag from our policy."""
        status = self._check_tag(payload["idTag"], None)
        return {"idTagInfo": {"status": status.value}}

    def _check_tag(self, id_tag: str, evse_id: int | None) -> AuthorizationStatus:
        status = self._host.authorize(id_tag)
        self._host.tracker.tag_presented(id_tag, status, evse_id)
        return status

    async def start_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Open a transaction; a retry with the same content gets the same id."""
        tracker = self._host.tracker
        connector = payload["connectorId"]
        key = "|".join(
            str(payload[name])
            for name in ("connectorId", "idTag", "meterStart", "timestamp")
        )
        status = self._host.authorize(payload["idTag"])
        existing = tracker.recall(key)
        if existing is None:
            existing = str(tracker.new_transaction_number())
            tracker.remember(key, existing)
            tracker.tag_presented(payload["idTag"], status, connector)
            # Started even when the tag is refused: the charger decides to stop
            # (1.6 §5.18); we record what actually happens.
            tracker.start_transaction(
                connector,
                existing,
                payload["idTag"],
                parse_time(payload["timestamp"]) or utc_now(),
                float(payload["meterStart"]),
            )
        return {"transactionId": int(existing), "idTagInfo": {"status": status.value}}

    async def stop_transaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Close a transaction; unknown ones are acknowledged all the same."""
        tracker = self._host.tracker
        transaction_id = str(payload["transactionId"])
        evse_id = tracker.evse_of(transaction_id)
        # We never hand out ids below 1: a charger that lost the id it got
        # (go-e sends -1) means its running transaction, if it has only one.
        if (
            evse_id is None
            and payload["transactionId"] <= 0
            and (only := tracker.only_open_transaction()) is not None
        ):
            _LOGGER.warning(
                "%s stopped transaction %s; taking it as its only open transaction %s",
                tracker.charger_id,
                transaction_id,
                only.transaction_id,
            )
            transaction_id, evse_id = only.transaction_id, only.evse_id
        if evse_id is not None and payload.get("transactionData"):
            tracker.apply_samples(
                evse_id, samples_v16(payload["transactionData"]), transaction_id
            )
        tracker.end_transaction(
            transaction_id,
            parse_time(payload["timestamp"]) or utc_now(),
            float(payload["meterStop"]),
            payload.get("reason", "Local"),
        )
        if "idTag" in payload:
            status = self._host.authorize(payload["idTag"])
            return {"idTagInfo": {"status": status.value}}
        return {}

    async def meter_values(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Take sampled values into the connector's EVSE."""
        connector = payload["connectorId"]
        if connector != STATION:
            transaction_id = payload.get("transactionId")
            self._host.tracker.apply_samples(
                connector,
                samples_v16(payload["meterValue"]),
                None if transaction_id is None else str(transaction_id),
            )
        return {}
