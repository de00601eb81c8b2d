"""OCPP 2.0.1/2.1 remote control: availability, remote start/stop, reset, unlock."""

from __future__ import annotations

import logging
from typing import Any

from .model import EvseState, EvseStatus
from .profiles import Purpose, parse_profile
from .session import after, on
from .v2x import V2xFlows

LOGGER = logging.getLogger(__name__)


class V2xRemote(V2xFlows):
    """Handlers for CSMS commands that change what the station does."""

    # ------------------------------------------------------- availability

    @on("ChangeAvailability")
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        """Operative/Inoperative; Scheduled while a transaction runs."""
        evse_id = None if evse is None else evse.get("id")
        if evse_id not in (None, 0) and evse_id not in self.sim.evses:
            return self._call_result.ChangeAvailability(status="Rejected")
        operative = operational_status == "Operative"
        status = "Accepted"
        changed: list[EvseState] = []
        for item in self.sim.evses.values():
            if evse_id not in (None, 0, item.evse_id):
                continue
            if item.in_transaction and not operative:
                item.pending_inoperative = True
                status = "Scheduled"
            elif item.operative != operative:
                item.operative = operative
                if not operative:
                    item.status = EvseStatus.UNAVAILABLE
                else:
                    item.status = (
                        EvseStatus.PREPARING if item.car else EvseStatus.AVAILABLE
                    )
                changed.append(item)
        if changed:
            self.then("status", lambda: self._notify_each(changed))
        return self._call_result.ChangeAvailability(status=status)

    @after("ChangeAvailability")
    def after_change_availability(self, **_: Any) -> None:
        """Announce the new statuses."""
        self.run_reaction()

    async def _notify_each(self, evses: list[EvseState]) -> None:
        for evse in evses:
            await self.notify(evse)

    # ------------------------------------------------------ remote start

    @on("RequestStartTransaction")
    def on_request_start_transaction(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        charging_profile: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """Accept if the EVSE is free; the transaction starts from a task."""
        evse = self.sim.free_evse(evse_id)
        if evse is None:
            return self._call_result.RequestStartTransaction(status="Rejected")
        profile = None
        if charging_profile is not None:
            try:
                profile = parse_profile(charging_profile)
            except (KeyError, ValueError, TypeError):
                return self._call_result.RequestStartTransaction(status="Rejected")
            if profile.purpose is not Purpose.TX:
                return self._call_result.RequestStartTransaction(status="Rejected")
        tag = str(id_token["id_token"])

        async def start() -> None:
            model = self.sim.device_model
            check = model.value("AuthCtrlr", "AuthorizeRemoteStart") == "true"
            if check and await self.authorize(tag) != "Accepted":
                return
            if profile is not None:
                self.install_profile(profile, evse.evse_id)
            await self.start_transaction(
                evse, tag, trigger="RemoteStart", remote_start_id=remote_start_id
            )

        self.then("remote start", start)
        return self._call_result.RequestStartTransaction(
            status="Accepted",
            transaction_id=None
            if evse.transaction_id is None
            else str(evse.transaction_id),
        )

    @after("RequestStartTransaction")
    def after_request_start_transaction(self, **_: Any) -> None:
        """TransactionEvent goes out after the answer."""
        self.run_reaction()

    @on("RequestStopTransaction")
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> Any:
        """Accept if the transaction runs here."""
        evse = self.sim.evse_with_transaction(transaction_id)
        if evse is None:
            return self._call_result.RequestStopTransaction(status="Rejected")
        self.then("remote stop", lambda: self.stop_transaction(evse, "Remote"))
        return self._call_result.RequestStopTransaction(status="Accepted")

    @after("RequestStopTransaction")
    def after_request_stop_transaction(self, **_: Any) -> None:
        """TransactionEvent Ended goes out after the answer."""
        self.run_reaction()

    @on("GetTransactionStatus")
    def on_get_transaction_status(
        self, transaction_id: str | None = None, **_: Any
    ) -> Any:
        """Nothing is ever queued; report whether the transaction is ongoing."""
        ongoing = None
        if transaction_id is not None:
            ongoing = self.sim.evse_with_transaction(transaction_id) is not None
        return self._call_result.GetTransactionStatus(
            messages_in_queue=False, ongoing_indicator=ongoing
        )

    # --------------------------------------------------------- reset etc.

    @on("Reset")
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:  # noqa: A002
        """Station reset only; OnIdle waits for running transactions to end."""
        if evse_id is not None:
            return self._call_result.Reset(status="Rejected")
        busy = any(evse.in_transaction for evse in self.sim.evses.values())
        if type == "OnIdle" and busy:
            self.sim.reset_when_idle = True
            return self._call_result.Reset(status="Scheduled")
        self._reset_now = True
        return self._call_result.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, **_: Any) -> None:
        """Reboot in the simulator (outside this session)."""
        if getattr(self, "_reset_now", False):
            self._reset_now = False
            self.sim.request_reboot("ImmediateReset")

    @on("UnlockConnector")
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        """Unlock unless an authorized transaction runs."""
        evse = self.sim.evses.get(evse_id)
        if evse is None or connector_id != evse.connector_id:
            return self._call_result.UnlockConnector(status="UnknownConnector")
        if evse.in_transaction and evse.id_tag is not None:
            return self._call_result.UnlockConnector(
                status="OngoingAuthorizedTransaction"
            )
        return self._call_result.UnlockConnector(status="Unlocked")

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        """No vendor extensions."""
        return self._call_result.DataTransfer(status="UnknownVendorId")

    @on("ClearCache")
    def on_clear_cache(self, **_: Any) -> Any:
        """There is no cache to clear, which always succeeds."""
        return self._call_result.ClearCache(status="Accepted")

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **_: Any) -> Any:
        """Version of the (simulated, not enforced) local list."""
        return self._call_result.GetLocalListVersion(
            version_number=self.sim.local_list_version
        )

    @on("SendLocalList")
    def on_send_local_list(self, version_number: int, **_: Any) -> Any:
        """Remember the version only; tokens are not checked locally."""
        self.sim.local_list_version = version_number
        return self._call_result.SendLocalList(status="Accepted")
