"""OCPP 1.6 messages the charge point sends: boot, status, transactions, meters."""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from typing import Any

from ocpp.v16 import call

from .base import ChargerBase
from .meter import (
    ReadingContext,
    Sample,
    energy_only,
    in_unit,
    meter_value_v16,
    take_samples,
)
from .model import Car, ChargingState, EvseState, EvseStatus

LOGGER = logging.getLogger(__name__)


class V16Flows(ChargerBase):
    """What a 1.6 charge point says on its own initiative."""

    format_violation = "FormationViolation"

    # ------------------------------------------------------------ basics

    async def send_boot(self, reason: str) -> dict[str, Any]:
        """BootNotification (1.6 has no boot reason)."""
        return await self.send_payload(
            call.BootNotification(
                charge_point_vendor=self.config.vendor,
                charge_point_model=self.config.model,
                charge_point_serial_number=self.config.serial_number,
                firmware_version=self.config.firmware_version,
            )
        )

    async def heartbeat(self) -> dict[str, Any]:
        """Heartbeat."""
        return await self.send_payload(call.Heartbeat())

    async def status_notification(self, connector_id: int, status: str) -> None:
        """StatusNotification for one connector (0 = the whole charge point)."""
        await self.send_payload(
            call.StatusNotification(
                connector_id=connector_id,
                error_code="NoError",
                status=status,
                timestamp=self.timestamp(),
            )
        )

    async def notify(self, evse: EvseState) -> None:
        """StatusNotification with the EVSE's current status."""
        await self.status_notification(evse.evse_id, evse.status.value)

    async def announce_status(self) -> None:
        """Connector 0 and every connector, as after a boot."""
        operative = any(evse.operative for evse in self.sim.evses.values())
        await self.status_notification(0, "Available" if operative else "Unavailable")
        for evse in self.sim.evses.values():
            await self.notify(evse)

    def store_setting(self, name: str, value: str) -> None:
        """Keep the 1.6 configuration key in sync."""
        key = self.sim.config_keys.keys.get(name)
        if key is not None:
            key.value = value

    def meter_interval(self) -> float:
        """MeterValueSampleInterval."""
        return float(self.sim.config_keys.get("MeterValueSampleInterval") or 0)

    # ------------------------------------------------------ car and tags

    async def authorize(self, id_tag: str) -> str:
        """Authorize; return idTagInfo.status."""
        answer = await self.send_payload(call.Authorize(id_tag=id_tag))
        return str(answer["idTagInfo"]["status"])

    async def plug_in(self, evse: EvseState, car: Car | None = None) -> None:
        """Connect a car: Preparing."""
        evse.car = car or evse.car or Car()
        evse.reserved_id = None
        if not evse.in_transaction:
            evse.status = EvseStatus.PREPARING
        await self.notify(evse)

    async def unplug(self, evse: EvseState) -> None:
        """Disconnect the car; a running transaction ends with EVDisconnected."""
        if evse.in_transaction:
            await self.stop_transaction(evse, "EVDisconnected")
        evse.car = None
        evse.status = EvseStatus.AVAILABLE if evse.operative else EvseStatus.UNAVAILABLE
        await self.notify(evse)

    # ------------------------------------------------------ transactions

    async def start_transaction(self, evse: EvseState, id_tag: str) -> int:
        """StartTransaction; the CSMS assigns the transaction id."""
        if evse.in_transaction:
            raise RuntimeError(f"EVSE {evse.evse_id} already has a transaction")
        if evse.car is None:
            await self.plug_in(evse)
        self.refresh(evse)
        answer = await self.send_payload(
            call.StartTransaction(
                connector_id=evse.evse_id,
                id_tag=id_tag,
                meter_start=round(evse.energy_wh),
                timestamp=self.timestamp(),
            ),
            tx_message=True,
        )
        tx_id = int(answer["transactionId"])
        evse.transaction_id = tx_id
        self.sim.transaction_changed()
        evse.id_tag = id_tag
        evse.meter_start_wh = evse.energy_wh
        evse.tx_started_at = datetime.now(UTC)
        await self.send_meter_values(evse, ReadingContext.BEGIN)
        if answer["idTagInfo"]["status"] != "Accepted":
            # StopTransactionOnInvalidId: end it right away.
            await self.stop_transaction(evse, "DeAuthorized")
            return tx_id
        self.refresh(evse)
        await self.notify(evse)
        self.start_meter_loop(evse)
        return tx_id

    async def stop_transaction(self, evse: EvseState, reason: str = "Local") -> None:
        """StopTransaction with the final register and Transaction.End data."""
        if evse.transaction_id is None:
            LOGGER.info("%s: EVSE %s has no transaction", self.id, evse.evse_id)
            return
        self.stop_meter_loop(evse)
        self.refresh(evse)
        tx_id, id_tag = evse.transaction_id, evse.id_tag
        self._end_transaction(evse)
        await self.send_payload(
            call.StopTransaction(
                meter_stop=round(evse.energy_wh),
                timestamp=self.timestamp(),
                transaction_id=tx_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=[
                    self._meter_value(energy_only(evse), ReadingContext.END)
                ],
            ),
            tx_message=True,
        )
        await self.notify(evse)
        if evse.pending_inoperative:
            evse.pending_inoperative = False
            evse.operative = False
            evse.status = EvseStatus.UNAVAILABLE
            await self.notify(evse)
        self.sim.transaction_ended()

    def _end_transaction(self, evse: EvseState) -> None:
        evse.transaction_id = None
        self.sim.transaction_changed()
        evse.id_tag = None
        evse.tx_started_at = None
        evse.charging_state = ChargingState.IDLE
        self.sim.profiles.end_transaction(evse.evse_id)
        self.refresh(evse)
        if not evse.operative:
            evse.status = EvseStatus.UNAVAILABLE
        elif evse.car is not None:
            evse.status = EvseStatus.FINISHING
        else:
            evse.status = EvseStatus.AVAILABLE

    # ------------------------------------------------------------ meters

    async def send_meter_values(
        self, evse: EvseState, context: ReadingContext = ReadingContext.PERIODIC
    ) -> None:
        """One MeterValues message (with transactionId while charging)."""
        self.refresh(evse)
        samples = (
            energy_only(evse)
            if context is ReadingContext.BEGIN
            else take_samples(evse, self.config.phases)
        )
        tx_id = evse.transaction_id
        await self.send_payload(
            call.MeterValues(
                connector_id=evse.evse_id,
                transaction_id=None if tx_id is None else int(tx_id),
                meter_value=[self._meter_value(samples, context)],
            ),
            tx_message=tx_id is not None,
        )

    def _meter_value(
        self, samples: list[Sample], context: ReadingContext
    ) -> dict[str, Any]:
        unit = self.sim.faults.energy_unit
        return meter_value_v16(in_unit(samples, unit), context, self.timestamp())

    async def resume_transaction(self, evse: EvseState) -> None:
        """1.6 has no resumption: the charger simply goes on sampling."""
        await self.send_meter_values(evse)

    async def send_periodic(self, evse: EvseState) -> None:
        """Periodic sample; a charging state change is announced first."""
        before = evse.status
        self.refresh(evse)
        if evse.status is not before:
            await self.notify(evse)
        await self.send_meter_values(evse)
