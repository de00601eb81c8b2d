"""OCPP 2.0.1/2.1 messages the station sends: boot, status, TransactionEvent, meters.

Payload classes come from ``self._call`` (ocpp.v201.call or ocpp.v21.call):
both versions use the same field names for everything sent here.
"""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from typing import Any
import uuid

from .base import ChargerBase
from .meter import (
    ReadingContext,
    Sample,
    energy_only,
    in_unit,
    meter_value_v2x,
    take_samples,
)
from .model import Car, ChargingState, EvseState, EvseStatus

LOGGER = logging.getLogger(__name__)

_CONNECTOR_STATUS = {
    EvseStatus.AVAILABLE: "Available",
    EvseStatus.RESERVED: "Reserved",
    EvseStatus.UNAVAILABLE: "Unavailable",
    EvseStatus.FAULTED: "Faulted",
}
# stoppedReason -> triggerReason of the Ended event
_STOP_TRIGGER = {
    "Local": "StopAuthorized",
    "Remote": "RemoteStop",
    "EVDisconnected": "EVCommunicationLost",
    "DeAuthorized": "Deauthorized",
    "ImmediateReset": "ResetCommand",
    "EnergyLimitReached": "EnergyLimitReached",
    "TimeLimitReached": "TimeLimitReached",
}


def connector_status(status: EvseStatus) -> str:
    """2.0.1 connectorStatus for the detailed status."""
    return _CONNECTOR_STATUS.get(status, "Occupied")


class V2xFlows(ChargerBase):
    """What a 2.0.1/2.1 station says on its own initiative."""

    # ------------------------------------------------------------ basics

    async def send_boot(self, reason: str) -> dict[str, Any]:
        """BootNotification with the station identity and boot reason."""
        return await self.send_payload(
            self._call.BootNotification(
                charging_station={
                    "vendorName": self.config.vendor,
                    "model": self.config.model,
                    "serialNumber": self.config.serial_number,
                    "firmwareVersion": self.config.firmware_version,
                },
                reason=reason,
            )
        )

    async def heartbeat(self) -> dict[str, Any]:
        """Heartbeat."""
        return await self.send_payload(self._call.Heartbeat())

    async def notify(self, evse: EvseState) -> None:
        """StatusNotification of the EVSE's connector."""
        await self.send_payload(
            self._call.StatusNotification(
                timestamp=self.timestamp(),
                connector_status=connector_status(evse.status),
                evse_id=evse.evse_id,
                connector_id=evse.connector_id,
            )
        )

    async def announce_status(self) -> None:
        """Every connector's status, as after a boot."""
        for evse in self.sim.evses.values():
            await self.notify(evse)

    def store_setting(self, name: str, value: str) -> None:
        """Keep the device model in sync (only HeartbeatInterval is mirrored)."""
        if name == "HeartbeatInterval":
            variable = self.sim.device_model.find("OCPPCommCtrlr", name)
            if variable is not None:
                variable.value = value

    def meter_interval(self) -> float:
        """SampledDataCtrlr.TxUpdatedInterval."""
        return float(
            self.sim.device_model.value("SampledDataCtrlr", "TxUpdatedInterval")
        )

    def _tx_points(self, name: str) -> set[str]:
        return set(self.sim.device_model.value("TxCtrlr", name).split(","))

    # ------------------------------------------------------ car and tags

    async def authorize(self, id_tag: str) -> str:
        """Authorize; return idTokenInfo.status."""
        answer = await self.send_payload(
            self._call.Authorize(id_token={"idToken": id_tag, "type": "ISO14443"})
        )
        return str(answer["idTokenInfo"]["status"])

    async def plug_in(self, evse: EvseState, car: Car | None = None) -> None:
        """Cable plugged: Occupied, and a transaction starts if TxStartPoint says so."""
        evse.car = car or evse.car or Car()
        evse.reserved_id = None
        evse.status = EvseStatus.PREPARING
        await self.notify(evse)
        if not evse.in_transaction and "EVConnected" in self._tx_points("TxStartPoint"):
            self._begin(evse)
            evse.charging_state = ChargingState.EV_CONNECTED
            await self.transaction_event(
                evse, "Started", "CablePluggedIn", ReadingContext.BEGIN
            )

    async def unplug(self, evse: EvseState) -> None:
        """Cable removed: the transaction ends (EVCommunicationLost), Available."""
        if evse.in_transaction:
            await self.stop_transaction(evse, "EVDisconnected")
        evse.car = None
        evse.status = EvseStatus.AVAILABLE if evse.operative else EvseStatus.UNAVAILABLE
        await self.notify(evse)

    # ------------------------------------------------------ transactions

    def _begin(self, evse: EvseState) -> None:
        evse.omit_evse_field = False
        evse.transaction_id = str(uuid.uuid4())
        self.sim.transaction_changed()
        evse.seq_no = 0
        evse.meter_start_wh = evse.energy_wh
        evse.tx_started_at = datetime.now(UTC)
        evse.charging_state = ChargingState.EV_CONNECTED

    async def start_transaction(
        self,
        evse: EvseState,
        id_tag: str,
        *,
        trigger: str = "Authorized",
        remote_start_id: int | None = None,
    ) -> str:
        """Authorize the (new or cable-started) transaction and start charging."""
        if evse.id_tag is not None:
            raise RuntimeError(f"EVSE {evse.evse_id} already has a transaction")
        if evse.car is None:
            await self.plug_in(evse)
        started = evse.in_transaction
        if not started:
            self._begin(evse)
        evse.id_tag = id_tag
        evse.remote_start_id = remote_start_id
        self.refresh(evse)
        answer = await self.transaction_event(
            evse,
            "Updated" if started else "Started",
            trigger,
            None if started else ReadingContext.BEGIN,
            id_token=True,
        )
        tx_id = str(evse.transaction_id)
        info = answer.get("idTokenInfo")
        if info is not None and info.get("status") != "Accepted":
            # StopTxOnInvalidId: the CSMS refused the token.
            await self.stop_transaction(evse, "DeAuthorized")
            return tx_id
        self.start_meter_loop(evse)
        return tx_id

    async def stop_transaction(self, evse: EvseState, reason: str = "Local") -> None:
        """TransactionEvent Ended with the final register."""
        if evse.transaction_id is None:
            LOGGER.info("%s: EVSE %s has no transaction", self.id, evse.evse_id)
            return
        if reason in ("HardReset", "SoftReset"):
            reason = "ImmediateReset"
        self.stop_meter_loop(evse)
        self.refresh(evse)
        evse.id_tag = None
        self.refresh(evse)  # no authorization -> no power
        evse.charging_state = (
            ChargingState.EV_CONNECTED if evse.car else ChargingState.IDLE
        )
        ended = self._event_payload(
            evse,
            "Ended",
            _STOP_TRIGGER.get(reason, "AbnormalCondition"),
            ReadingContext.END,
            stopped_reason=reason,
        )
        # The transaction is over as soon as Ended is on its way.
        evse.transaction_id = None
        self.sim.transaction_changed()
        evse.tx_started_at = None
        evse.remote_start_id = None
        self.sim.profiles.end_transaction(evse.evse_id)
        await self.send_payload(ended, tx_message=True)
        if evse.pending_inoperative:
            evse.pending_inoperative = False
            evse.operative = False
            evse.status = EvseStatus.UNAVAILABLE
            await self.notify(evse)
        self.sim.transaction_ended()

    async def transaction_event(
        self,
        evse: EvseState,
        event_type: str,
        trigger: str,
        context: ReadingContext | None,
        *,
        id_token: bool = False,
        stopped_reason: str | None = None,
    ) -> dict[str, Any]:
        """Send one TransactionEvent; seqNo counts per transaction from 0."""
        payload = self._event_payload(
            evse,
            event_type,
            trigger,
            context,
            id_token=id_token,
            stopped_reason=stopped_reason,
        )
        return await self.send_payload(payload, tx_message=True)

    def _event_payload(
        self,
        evse: EvseState,
        event_type: str,
        trigger: str,
        context: ReadingContext | None,
        *,
        id_token: bool = False,
        stopped_reason: str | None = None,
    ) -> Any:
        """Build a TransactionEvent and take its seqNo."""
        info: dict[str, Any] = {
            "transactionId": evse.transaction_id,
            "chargingState": evse.charging_state.value,
        }
        if stopped_reason is not None:
            info["stoppedReason"] = stopped_reason
        if evse.remote_start_id is not None:
            info["remoteStartId"] = evse.remote_start_id
        meter = None
        if context is not None:
            samples = (
                energy_only(evse)
                if context in (ReadingContext.BEGIN, ReadingContext.END)
                else take_samples(evse, self.config.phases)
            )
            meter = [self._meter_value(samples, context)]
        seq_no = evse.seq_no
        evse.seq_no += 1
        return self._call.TransactionEvent(
            event_type=event_type,
            timestamp=self.timestamp(),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info=info,
            meter_value=meter,
            offline=False,
            # Many chargers name the EVSE only until a reboot.
            evse=None
            if evse.omit_evse_field
            else {"id": evse.evse_id, "connectorId": evse.connector_id},
            id_token=(
                {"idToken": evse.id_tag, "type": "ISO14443"}
                if id_token and evse.id_tag
                else None
            ),
        )

    # ------------------------------------------------------------ meters

    async def send_meter_values(
        self, evse: EvseState, context: ReadingContext = ReadingContext.PERIODIC
    ) -> None:
        """TransactionEvent Updated during a transaction, else MeterValues."""
        self.refresh(evse)
        if evse.in_transaction and context is not ReadingContext.TRIGGER:
            await self.transaction_event(evse, "Updated", "MeterValuePeriodic", context)
            return
        samples = take_samples(evse, self.config.phases)
        await self.send_payload(
            self._call.MeterValues(
                evse_id=evse.evse_id, meter_value=[self._meter_value(samples, context)]
            ),
            tx_message=evse.in_transaction,
        )

    def _meter_value(
        self, samples: list[Sample], context: ReadingContext
    ) -> dict[str, Any]:
        unit = self.sim.faults.energy_unit
        return meter_value_v2x(in_unit(samples, unit), context, self.timestamp())

    async def resume_transaction(self, evse: EvseState) -> None:
        """2.1 announces the resumption (TxResumed); 2.0.1 just samples on."""
        self.refresh(evse)
        trigger = "TxResumed" if self._ocpp_version == "2.1" else "MeterValuePeriodic"
        await self.transaction_event(evse, "Updated", trigger, ReadingContext.PERIODIC)

    async def send_periodic(self, evse: EvseState) -> None:
        """Periodic sample, or ChargingStateChanged if the car changed its mind."""
        if self.refresh(evse):
            await self.transaction_event(
                evse, "Updated", "ChargingStateChanged", ReadingContext.PERIODIC
            )
        else:
            await self.send_meter_values(evse)
