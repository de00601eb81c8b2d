"""OCPP 2.0.1/2.1 requests from the CSMS and how the station answers them.

Reactions that send messages run in tasks spawned from ``@after`` handlers
(see v16_handlers for why). Answers are built from ``self._call_result`` so
one handler serves both versions.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ocpp.v21 import ChargePoint as LibraryChargePoint21
from ocpp.v21.enums import Action as Action21
from ocpp.v201 import ChargePoint as LibraryChargePoint201
from ocpp.v201.enums import Action as Action201

from .device_model import report_entry, report_variables
from .meter import ReadingContext
from .session import after, on
from .v2x import V2xFlows
from .v2x_remote import V2xRemote
from .vendor import answer_data_transfer

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from .settings import Variable
    from .simulator import ChargePointSimulator

LOGGER = logging.getLogger(__name__)


def _address(data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for VariableStore.lookup from a snake_case request item."""
    component = data["component"]
    evse = component.get("evse") or {}
    variable = data["variable"]
    return {
        "component_instance": component.get("instance"),
        "evse_id": evse.get("id"),
        "instance": variable.get("instance"),
        "attribute_type": data.get("attribute_type") or "Actual",
    }


def _echo(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Component and variable of a request item, camelCase for the answer."""
    component = data["component"]
    comp: dict[str, Any] = {"name": component["name"]}
    if component.get("instance") is not None:
        comp["instance"] = component["instance"]
    if component.get("evse"):
        evse = component["evse"]
        comp["evse"] = {"id": evse["id"]}
        if evse.get("connector_id") is not None:
            comp["evse"]["connectorId"] = evse["connector_id"]
    var: dict[str, Any] = {"name": data["variable"]["name"]}
    if data["variable"].get("instance") is not None:
        var["instance"] = data["variable"]["instance"]
    return comp, var


class V2xHandlers(V2xRemote, V2xFlows):
    """Device model, smart charging and trigger handlers of a 2.x station."""

    # ------------------------------------------------------- device model

    @on("GetVariables")
    def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        """Read variables (write-only ones are Rejected)."""
        results = []
        for item in get_variable_data:
            comp, var = _echo(item)
            address = _address(item)
            status, variable = self.sim.device_model.lookup(
                item["component"]["name"], item["variable"]["name"], **address
            )
            result: dict[str, Any] = {
                "attributeStatus": status.value,
                "attributeType": address["attribute_type"],
                "component": comp,
                "variable": var,
            }
            if status == "Accepted" and variable is not None:
                if variable.mutability == "WriteOnly":
                    result["attributeStatus"] = "Rejected"
                else:
                    result["attributeValue"] = variable.value
            results.append(result)
        return self._call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        """Write variables; some take effect immediately."""
        results = []
        for item in set_variable_data:
            comp, var = _echo(item)
            address = _address(item)
            status, variable = self.sim.device_model.lookup(
                item["component"]["name"], item["variable"]["name"], **address
            )
            if status == "Accepted" and variable is not None:
                status = self.sim.device_model.set_value(
                    variable, str(item["attribute_value"])
                )
                if status == "Accepted":
                    self._variable_changed(variable)
            results.append(
                {
                    "attributeStatus": status.value,
                    "attributeType": address["attribute_type"],
                    "component": comp,
                    "variable": var,
                }
            )
        return self._call_result.SetVariables(set_variable_result=results)

    def _variable_changed(self, variable: Variable) -> None:
        if variable.name == "HeartbeatInterval":
            self.heartbeat_interval = float(variable.value)
            self.restart_heartbeat()
        elif variable.name == "TxUpdatedInterval":
            self.restart_meter_loops()
        elif variable.name == "BasicAuthPassword":
            self.sim.password = variable.value

    @on("GetBaseReport")
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        """Accept; the NotifyReport parts follow from a task."""
        variables = report_variables(self.sim.device_model, report_base)
        if not variables:
            return self._call_result.GetBaseReport(status="EmptyResultSet")
        self.then("report", lambda: self._notify_report(request_id, variables))
        return self._call_result.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    def after_get_base_report(self, **_: Any) -> None:
        """Send the report after the answer."""
        self.run_reaction()

    async def _notify_report(self, request_id: int, variables: list[Variable]) -> None:
        per_part = int(
            self.sim.device_model.value(
                "DeviceDataCtrlr", "ItemsPerMessage", "GetReport"
            )
        )
        parts = [
            variables[i : i + per_part] for i in range(0, len(variables), per_part)
        ]
        generated_at = self.timestamp()
        for seq_no, part in enumerate(parts):
            await self.send_payload(
                self._call.NotifyReport(
                    request_id=request_id,
                    generated_at=generated_at,
                    seq_no=seq_no,
                    tbc=seq_no < len(parts) - 1,
                    report_data=[report_entry(variable) for variable in part],
                )
            )

    # ------------------------------------------------------ smart charging

    @on("SetChargingProfile")
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> Any:
        """Store the profile if this station would accept it."""
        verdict = self.try_install_profile(charging_profile, evse_id, v2x=True)
        if verdict.accepted:
            self._update_entries()
            return self._call_result.SetChargingProfile(status="Accepted")
        return self._call_result.SetChargingProfile(
            status="Rejected",
            status_info={
                "reasonCode": "InvalidProfile",
                "additionalInfo": verdict.reason,
            },
        )

    def _update_entries(self) -> None:
        entries = self.sim.device_model.find(
            "SmartChargingCtrlr", "Entries", instance="ChargingProfiles"
        )
        if entries is not None:
            entries.value = str(len(self.sim.profiles.installed))

    @on("ClearChargingProfile")
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Remove matching profiles: Accepted if any, else Unknown."""
        criteria = charging_profile_criteria or {}
        removed = self.sim.profiles.clear(
            profile_id=charging_profile_id,
            evse_id=criteria.get("evse_id"),
            purpose_name=criteria.get("charging_profile_purpose"),
            stack_level=criteria.get("stack_level"),
        )
        self.profiles_changed()
        self._update_entries()
        return self._call_result.ClearChargingProfile(
            status="Accepted" if removed else "Unknown"
        )

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(
        self,
        duration: int,
        evse_id: int,
        charging_rate_unit: str | None = None,
        **_: Any,
    ) -> Any:
        """Return the merged schedule of the installed profiles."""
        schedule = self.composite(evse_id, duration, charging_rate_unit)
        if schedule is None:
            return self._call_result.GetCompositeSchedule(status="Rejected")
        periods = []
        for period in schedule.periods:
            item: dict[str, Any] = {
                "startPeriod": period.start_period,
                "limit": period.limit,
            }
            if period.number_phases is not None:
                item["numberPhases"] = period.number_phases
            periods.append(item)
        return self._call_result.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evseId": evse_id,
                "duration": schedule.duration,
                "scheduleStart": schedule.start.isoformat().replace("+00:00", "Z"),
                "chargingRateUnit": schedule.unit.value,
                "chargingSchedulePeriod": periods,
            },
        )

    # ------------------------------------------------------- data transfer

    @on("DataTransfer")
    def on_data_transfer(
        self,
        vendor_id: str,
        message_id: str | None = None,
        data: Any = None,
        **_: Any,
    ) -> Any:
        """Our one vendor extension (vendor.py); other vendors are unknown."""
        status, answer = answer_data_transfer(
            self.sim.config.vendor, vendor_id, message_id, data
        )
        return self._call_result.DataTransfer(status=status, data=answer)

    # ------------------------------------------------------------ trigger

    @on("TriggerMessage")
    def on_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """Accept what we can send; F06.FR.17: no re-boot once Accepted."""
        evse_id = None if evse is None else evse.get("id")
        if evse_id is not None and evse_id not in self.sim.evses:
            return self._call_result.TriggerMessage(status="Rejected")
        targets = [e for e in self.sim.evses.values() if evse_id in (None, e.evse_id)]
        if requested_message == "BootNotification":
            accepted = self.sim.registration_status == "Accepted"
            if accepted and not self.quirks.accept_boot_trigger_when_accepted:
                return self._call_result.TriggerMessage(status="Rejected")
            self.then("boot", self.trigger_boot)
        elif requested_message == "Heartbeat":
            self.then("heartbeat", self.heartbeat)
        elif requested_message == "StatusNotification":
            self.then("status", lambda: self._each(targets, self.notify))
        elif requested_message == "MeterValues":
            self.then(
                "meter values", lambda: self._each(targets, self._triggered_meter)
            )
        elif requested_message == "TransactionEvent":
            running = [e for e in targets if e.in_transaction]
            if not running:
                return self._call_result.TriggerMessage(status="Rejected")
            self.then(
                "transaction event", lambda: self._each(running, self._triggered_tx)
            )
        else:
            return self._call_result.TriggerMessage(status="NotImplemented")
        return self._call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, **_: Any) -> None:
        """Send the requested message now that the answer went out."""
        self.run_reaction()

    async def _each(self, evses: list[Any], action: Any) -> None:
        for evse in evses:
            await action(evse)

    async def _triggered_meter(self, evse: Any) -> None:
        await self.send_meter_values(evse, ReadingContext.TRIGGER)

    async def _triggered_tx(self, evse: Any) -> None:
        self.refresh(evse)
        await self.transaction_event(evse, "Updated", "Trigger", ReadingContext.TRIGGER)


class V201ChargePoint(V2xHandlers, LibraryChargePoint201):  # type: ignore[misc]
    """A simulated OCPP 2.0.1 charging station on one connection."""

    known_actions = frozenset(action.value for action in Action201)

    def __init__(self, sim: ChargePointSimulator, connection: ClientConnection) -> None:
        """Bind the library charge point and our session to the connection."""
        LibraryChargePoint201.__init__(
            self,
            sim.config.charger_id,
            connection,
            response_timeout=sim.config.call_timeout,
            logger=logging.getLogger("simulator.ocpp"),
        )
        self._setup_session(sim, connection)
        self._setup_charger()


class V21ChargePoint(V2xHandlers, LibraryChargePoint21):  # type: ignore[misc]
    """A simulated OCPP 2.1 charging station (2.0.1 behaviour, 2.1 payloads)."""

    known_actions = frozenset(action.value for action in Action21)

    def __init__(self, sim: ChargePointSimulator, connection: ClientConnection) -> None:
        """Bind the library charge point and our session to the connection."""
        LibraryChargePoint21.__init__(
            self,
            sim.config.charger_id,
            connection,
            response_timeout=sim.config.call_timeout,
            logger=logging.getLogger("simulator.ocpp"),
        )
        self._setup_session(sim, connection)
        self._setup_charger()
