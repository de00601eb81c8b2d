"""OCPP 2.0.1 adapter; OCPP 2.1 sessions use it too (same payload shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .adapter import ActionHandler, VersionAdapter, utc_now_iso
from .meter import parse_time, samples_v2
from .model import (
    AuthorizationStatus,
    BootInfo,
    ConnectorStatus,
    Measurand,
    MeterSample,
)
from .tracker import STATION, utc_now

_FIXED_STATUS = {
    "Available": ConnectorStatus.AVAILABLE,
    "Reserved": ConnectorStatus.RESERVED,
    "Unavailable": ConnectorStatus.UNAVAILABLE,
    "Faulted": ConnectorStatus.FAULTED,
}
_CHARGING_STATE = {
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
}
_CONNECTED_STATES = frozenset(
    {"EVConnected", "Charging", "SuspendedEV", "SuspendedEVSE"}
)


@dataclass(slots=True)
class _EvseWire:
    """What 2.x reports separately and we combine into one status."""

    connector_status: str | None = None
    charging_state: str | None = None
    finished: bool = False

    def derive(self, in_transaction: bool) -> ConnectorStatus | None:
        """Map connectorStatus + chargingState onto the 1.6-style status."""
        if self.connector_status in _FIXED_STATUS:
            return _FIXED_STATUS[self.connector_status]
        if self.charging_state in _CHARGING_STATE:
            return _CHARGING_STATE[self.charging_state]
        if self.connector_status == "Occupied" or self.plugged_in:
            if self.finished and not in_transaction:
                return ConnectorStatus.FINISHING
            return ConnectorStatus.PREPARING
        return None

    @property
    def plugged_in(self) -> bool:
        """Return True when a cable or car is connected."""
        return (
            self.connector_status == "Occupied"
            or self.charging_state in _CONNECTED_STATES
        )


def _register_wh(samples: list[MeterSample]) -> float | None:
    registers = [
        sample.value
        for sample in samples
        if sample.measurand is Measurand.ENERGY_IMPORT and sample.phase is None
    ]
    return registers[-1] if registers else None


class V201Adapter(VersionAdapter):
    """Translate OCPP 2.0.1 / 2.1 payloads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no per-EVSE wire state."""
        super().__init__(*args, **kwargs)
        self._wire: dict[int, _EvseWire] = {}

    @property
    def handlers(self) -> Mapping[str, ActionHandler]:
        """Return the 2.x actions we handle."""
        return {
            "Authorize": self.authorize,
            "BootNotification": self.boot_notification,
            "DataTransfer": self.data_transfer,
            "FirmwareStatusNotification": self.acknowledge,
            "Heartbeat": self.heartbeat,
            "LogStatusNotification": self.acknowledge,
            "MeterValues": self.meter_values,
            "NotifyEvent": self.acknowledge,
            "NotifyReport": self.notify_report,
            "SecurityEventNotification": self.security_event_notification,
            "StatusNotification": self.status_notification,
            "TransactionEvent": self.transaction_event,
        }

    async def boot_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register the station's identity and answer with our decision."""
        station = payload["chargingStation"]
        info = BootInfo(
            vendor=station["vendorName"],
            model=station["model"],
            serial_number=station.get("serialNumber"),
            firmware_version=station.get("firmwareVersion"),
            reason=payload.get("reason"),
        )
        status, interval = self._host.boot(info)
        return {
            "status": status.value,
            "currentTime": utc_now_iso(),
            "interval": interval,
        }

    def _publish(self, evse_id: int) -> None:
        wire = self._wire.setdefault(evse_id, _EvseWire())
        tracker = self._host.tracker
        in_transaction = tracker.state.evse(evse_id).transaction is not None
        status = wire.derive(in_transaction)
        if status is not None:
            tracker.set_status(evse_id, status, plugged_in=wire.plugged_in)

    async def status_notification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Record a connector's status."""
        evse_id = payload["evseId"]
        if evse_id == STATION:
            status = _FIXED_STATUS.get(payload["connectorStatus"])
            if status is not None:
                self._host.tracker.set_status(STATION, status)
            return {}
        wire = self._wire.setdefault(evse_id, _EvseWire())
        wire.connector_status = payload["connectorStatus"]
        if wire.connector_status == "Available":
            wire.finished = False
            wire.charging_state = None
        self._publish(evse_id)
        return {}

    async def authorize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Answer an id token from our policy."""
        status = self._check_token(payload["idToken"]["idToken"], None)
        return {"idTokenInfo": {"status": status.value}}

    def _check_token(self, token: str, evse_id: int | None) -> AuthorizationStatus:
        status = self._host.authorize(token)
        self._host.tracker.tag_presented(token, status, evse_id)
        return status

    async def transaction_event(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Follow a transaction; retries (same transactionId + seqNo) count once."""
        tracker = self._host.tracker
        info = payload["transactionInfo"]
        transaction_id: str = info["transactionId"]
        token = (payload.get("idToken") or {}).get("idToken")
        # A retry repeats the whole event; a seqNo that restarts at 0 (some
        # stations do after a reboot) comes with another event or time.
        key = "|".join(
            str(part)
            for part in (
                transaction_id,
                payload["seqNo"],
                payload["eventType"],
                payload["timestamp"],
            )
        )
        if tracker.recall(key) is not None:
            return self._token_answer(token, None, count=False)
        tracker.remember(key, transaction_id)

        transaction = tracker.find_transaction(transaction_id)
        # Chargers omit the EVSE after the first event (and after a reboot):
        # the transaction id tells, even for one that already ended.
        evse_id: int | None = (payload.get("evse") or {}).get("id")
        if evse_id is None:
            evse_id = tracker.evse_of(transaction_id)
        at = parse_time(payload["timestamp"]) or utc_now()
        samples = samples_v2(payload.get("meterValue", []))
        event = payload["eventType"]
        answer = self._token_answer(token, evse_id, count=True)

        if evse_id is None:
            # Without an EVSE we cannot place it; acknowledged all the same.
            return answer
        if transaction is None and tracker.is_ended(transaction_id):
            # Queued events of an ended transaction: their register counts.
            tracker.apply_samples(evse_id, samples, transaction_id)
            if event == "Ended":
                tracker.end_transaction(transaction_id, at, None, None)
            return answer
        wire = self._wire.setdefault(evse_id, _EvseWire())
        if "chargingState" in info:
            wire.charging_state = info["chargingState"]
        if transaction is None and event != "Ended":
            # Started, or an Updated for a transaction we never saw (late or
            # offline start): the register before it is the session's base.
            tracker.apply_samples(evse_id, samples)
            wire.finished = False
            transaction = tracker.start_transaction(
                evse_id,
                transaction_id,
                token,
                at,
                _register_wh(samples),
                start_seen=event == "Started",
            )
        else:
            tracker.apply_samples(evse_id, samples)
            if event == "Started" and transaction and not transaction.start_seen:
                # Delivered after its Updated (out of order): the session
                # began here.
                tracker.late_start(transaction, at, _register_wh(samples))
        if transaction is not None and token and transaction.id_tag is None:
            transaction.id_tag = token
        if transaction is not None:
            transaction.last_seq_no = payload["seqNo"]
        if event == "Ended":
            tracker.end_transaction(
                transaction_id, at, None, info.get("stoppedReason", "Local")
            )
            wire.finished = True
            if wire.charging_state in _CHARGING_STATE:
                wire.charging_state = "EVConnected"
        self._publish(evse_id)
        return answer

    def _token_answer(
        self, token: str | None, evse_id: int | None, *, count: bool
    ) -> dict[str, Any]:
        if token is None:
            return {}
        status = (
            self._check_token(token, evse_id) if count else self._host.authorize(token)
        )
        return {"idTokenInfo": {"status": status.value}}

    async def meter_values(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Take sampled values outside transactions (EVSE 0 is the main meter)."""
        self._host.tracker.apply_samples(
            payload["evseId"], samples_v2(payload["meterValue"])
        )
        return {}

    async def notify_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Collect a report we asked for; learn the station's EVSEs from it."""
        self._host.reports.part(payload)
        tracker = self._host.tracker
        for item in payload.get("reportData", []):
            component = item["component"]
            evse = component.get("evse")
            if (
                component["name"] == "EVSE"
                and evse
                and evse["id"] > STATION
                and evse["id"] not in tracker.state.evses
            ):
                tracker.set_status(evse["id"], ConnectorStatus.UNAVAILABLE)
        return {}
