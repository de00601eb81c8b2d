"""OCPP 1.6 requests from the central system and how the charge point answers them.

Anything that must be *sent* in reaction (StartTransaction after a remote
start, a triggered message) runs in a task spawned from an ``@after``
handler, after the answer went out: an ``await`` on a call inside ``@on``
would block the receive loop.
"""

from __future__ import annotations

from functools import partial
import logging
from typing import TYPE_CHECKING, Any

from ocpp.v16 import ChargePoint as LibraryChargePoint, call_result
from ocpp.v16.enums import Action

from .meter import ReadingContext
from .model import EvseStatus
from .profiles import Purpose, parse_profile
from .session import after, on
from .v16 import V16Flows
from .vendor import answer_data_transfer

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .simulator import ChargePointSimulator

LOGGER = logging.getLogger(__name__)


class V16ChargePoint(V16Flows, LibraryChargePoint):  # type: ignore[misc]
    """A simulated OCPP 1.6 charge point on one WebSocket connection."""

    known_actions = frozenset(action.value for action in Action)

    def __init__(self, sim: ChargePointSimulator, connection: ClientConnection) -> None:
        """Bind the library charge point and our session to the connection."""
        LibraryChargePoint.__init__(
            self,
            sim.config.charger_id,
            connection,
            response_timeout=sim.config.call_timeout,
            logger=logging.getLogger("simulator.ocpp"),
        )
        self._setup_session(sim, connection)
        self._setup_charger()

    # ------------------------------------------------------- availability

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:  # noqa: A002
        """Operative/Inoperative; Scheduled while a transaction runs."""
        if connector_id != 0 and connector_id not in self.sim.evses:
            return call_result.ChangeAvailability(status="Rejected")
        targets = [
            evse
            for evse in self.sim.evses.values()
            if connector_id in (0, evse.evse_id)
        ]
        operative = type == "Operative"
        status = "Accepted"
        for evse in targets:
            if evse.in_transaction and not operative:
                evse.pending_inoperative = True
                status = "Scheduled"
            elif evse.operative != operative:
                evse.operative = operative
                if not evse.in_transaction:
                    evse.status = (
                        EvseStatus.UNAVAILABLE
                        if not operative
                        else EvseStatus.PREPARING
                        if evse.car
                        else EvseStatus.AVAILABLE
                    )
                self.then("status", self.announce_status)
        return call_result.ChangeAvailability(status=status)

    @after("ChangeAvailability")
    def after_change_availability(self, **_: Any) -> None:
        """Announce the new statuses."""
        self.run_reaction()

    # ------------------------------------------------------ configuration

    @on("GetConfiguration")
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        """Known keys with values (AuthorizationKey is write-only)."""
        store = self.sim.config_keys
        names = key if key else list(store.keys)
        found, unknown = [], []
        for name in names:
            item = store.keys.get(name)
            if item is None:
                unknown.append(name)
                continue
            entry: dict[str, Any] = {"key": name, "readonly": item.readonly}
            if not item.write_only:
                entry["value"] = item.value
            found.append(entry)
        return call_result.GetConfiguration(
            configuration_key=found, unknown_key=unknown or None
        )

    @on("ChangeConfiguration")
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        """Change a key; some changes take effect immediately."""
        result = self.sim.config_keys.change(key, value)
        if result == "Accepted":
            if key == "HeartbeatInterval":
                self.heartbeat_interval = float(value)
                self.restart_heartbeat()
            elif key == "MeterValueSampleInterval":
                self.restart_meter_loops()
            elif key == "AuthorizationKey":
                self.sim.password = value
        return call_result.ChangeConfiguration(status=result.value)

    @on("ClearCache")
    def on_clear_cache(self, **_: Any) -> Any:
        """There is no cache to clear, which always succeeds."""
        return call_result.ClearCache(status="Accepted")

    @on("DataTransfer")
    def on_data_transfer(
        self,
        vendor_id: str,
        message_id: str | None = None,
        data: str | None = None,
        **_: Any,
    ) -> Any:
        """Our one vendor extension (vendor.py); other vendors are unknown."""
        status, answer = answer_data_transfer(
            self.sim.config.vendor, vendor_id, message_id, data
        )
        return call_result.DataTransfer(status=status, data=answer)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **_: Any) -> Any:
        """Version of the (simulated, not enforced) local list."""
        return call_result.GetLocalListVersion(list_version=self.sim.local_list_version)

    @on("SendLocalList")
    def on_send_local_list(self, list_version: int, **_: Any) -> Any:
        """Remember the version only; tags are not checked locally."""
        self.sim.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    # ------------------------------------------------------ remote control

    @on("RemoteStartTransaction")
    def on_remote_start(
        self,
        id_tag: str,
        connector_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Accept if the connector is free; start the transaction afterwards."""
        evse = self.sim.free_evse(connector_id)
        if evse is None or self.sim.registration_status != "Accepted":
            return call_result.RemoteStartTransaction(status="Rejected")
        profile = None
        if charging_profile is not None:
            try:
                profile = parse_profile(charging_profile)
            except (KeyError, ValueError, TypeError):
                return call_result.RemoteStartTransaction(status="Rejected")
            if profile.purpose is not Purpose.TX:
                return call_result.RemoteStartTransaction(status="Rejected")

        async def start() -> None:
            check = self.sim.config_keys.get("AuthorizeRemoteTxRequests") == "true"
            if check and await self.authorize(id_tag) != "Accepted":
                return
            if profile is not None:
                self.install_profile(profile, evse.evse_id)
            await self.start_transaction(evse, id_tag)

        self.then("remote start", start)
        return call_result.RemoteStartTransaction(status="Accepted")

    @after("RemoteStartTransaction")
    def after_remote_start(self, **_: Any) -> None:
        """StartTransaction goes out after the answer."""
        self.run_reaction()

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        """Accept if the transaction runs here."""
        evse = self.sim.evse_with_transaction(transaction_id)
        if evse is None:
            return call_result.RemoteStopTransaction(status="Rejected")
        self.then("remote stop", lambda: self.stop_transaction(evse, "Remote"))
        return call_result.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    def after_remote_stop(self, **_: Any) -> None:
        """StopTransaction goes out after the answer."""
        self.run_reaction()

    @on("Reset")
    def on_reset(self, type: str, **_: Any) -> Any:  # noqa: A002
        """Accept; transactions end, the socket reconnects and boots again."""
        self._reset_reason = "HardReset" if type == "Hard" else "SoftReset"
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, **_: Any) -> None:
        """Reboot in the simulator (outside this session)."""
        self.sim.request_reboot(self._reset_reason)

    @on("UnlockConnector")
    def on_unlock_connector(self, connector_id: int, **_: Any) -> Any:
        """Unlock; a running transaction ends with UnlockCommand."""
        evse = self.sim.evses.get(connector_id)
        if evse is None:
            return call_result.UnlockConnector(status="NotSupported")
        if evse.in_transaction:
            self.then("unlock", lambda: self.stop_transaction(evse, "UnlockCommand"))
        return call_result.UnlockConnector(status="Unlocked")

    @after("UnlockConnector")
    def after_unlock_connector(self, **_: Any) -> None:
        """StopTransaction after the answer, if one was running."""
        self.run_reaction()

    @on("ReserveNow")
    def on_reserve_now(self, connector_id: int, reservation_id: int, **_: Any) -> Any:
        """Reserve a free connector (connector 0 is not supported)."""
        evse = self.sim.evses.get(connector_id)
        if evse is None or not evse.operative:
            return call_result.ReserveNow(status="Unavailable" if evse else "Rejected")
        if evse.in_transaction or evse.car is not None:
            return call_result.ReserveNow(status="Occupied")
        evse.reserved_id = reservation_id
        evse.status = EvseStatus.RESERVED
        self.then("status", lambda: self.notify(evse))
        return call_result.ReserveNow(status="Accepted")

    @after("ReserveNow")
    def after_reserve_now(self, **_: Any) -> None:
        """StatusNotification Reserved."""
        self.run_reaction()

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        """Cancel a reservation we hold."""
        for evse in self.sim.evses.values():
            if evse.reserved_id == reservation_id:
                evse.reserved_id = None
                evse.status = EvseStatus.AVAILABLE
                self.then("status", partial(self.notify, evse))
                return call_result.CancelReservation(status="Accepted")
        return call_result.CancelReservation(status="Rejected")

    @after("CancelReservation")
    def after_cancel_reservation(self, **_: Any) -> None:
        """StatusNotification Available."""
        self.run_reaction()

    # ------------------------------------------------------ smart charging

    @on("SetChargingProfile")
    def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        """Store the profile if this charger would accept it."""
        verdict = self.try_install_profile(
            cs_charging_profiles, connector_id, v2x=False
        )
        return call_result.SetChargingProfile(
            status="Accepted" if verdict.accepted else "Rejected"
        )

    @on("ClearChargingProfile")
    def on_clear_charging_profile(
        self,
        id: int | None = None,  # noqa: A002
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> Any:
        """Remove matching profiles: Accepted if any, else Unknown."""
        removed = self.sim.profiles.clear(
            profile_id=id,
            evse_id=connector_id,
            purpose_name=charging_profile_purpose,
            stack_level=stack_level,
        )
        self.profiles_changed()
        return call_result.ClearChargingProfile(
            status="Accepted" if removed else "Unknown"
        )

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(
        self,
        connector_id: int,
        duration: int,
        charging_rate_unit: str | None = None,
        **_: Any,
    ) -> Any:
        """Return the merged schedule of the installed profiles."""
        unit = {"A": "A", "W": "W"}.get(charging_rate_unit or "")
        schedule = self.composite(connector_id, duration, unit)
        if schedule is None:
            return call_result.GetCompositeSchedule(status="Rejected")
        periods = []
        for period in schedule.periods:
            item: dict[str, Any] = {
                "startPeriod": period.start_period,
                "limit": period.limit,
            }
            if period.number_phases is not None:
                item["numberPhases"] = period.number_phases
            periods.append(item)
        start = schedule.start.isoformat().replace("+00:00", "Z")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=start,
            charging_schedule={
                "duration": schedule.duration,
                "startSchedule": start,
                "chargingRateUnit": schedule.unit.value,
                "chargingSchedulePeriod": periods,
            },
        )

    # ------------------------------------------------------------ trigger

    @on("TriggerMessage")
    def on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> Any:
        """Accept the messages we can send; send them after answering."""
        if connector_id is not None and connector_id not in self.sim.evses:
            return call_result.TriggerMessage(status="Rejected")
        evses = [
            evse
            for evse in self.sim.evses.values()
            if connector_id in (None, evse.evse_id)
        ]
        if requested_message == "BootNotification":
            self.then("boot", self.trigger_boot)
        elif requested_message == "Heartbeat":
            self.then("heartbeat", self.heartbeat)
        elif requested_message == "StatusNotification":
            self.then("status", lambda: self._notify_all(evses))
        elif requested_message == "MeterValues":
            self.then("meter values", lambda: self._meter_all(evses))
        else:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, **_: Any) -> None:
        """Send the requested message now that the answer went out."""
        self.run_reaction()

    async def _notify_all(self, evses: list[Any]) -> None:
        for evse in evses:
            await self.notify(evse)

    async def _meter_all(self, evses: list[Any]) -> None:
        for evse in evses:
            await self.send_meter_values(evse, ReadingContext.TRIGGER)
