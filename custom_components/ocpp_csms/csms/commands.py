"""Requests the CSMS sends to a charger, encoded for its OCPP version."""

from __future__ import annotations

from dataclasses import replace
import json
from typing import Any

from .const import OcppVersion
from .errors import CallFailedError
from .profiles import (
    ChargingProfile,
    CompositeSchedule,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    SchedulePeriod,
    clear_profile_request,
    composite_request,
    parse_composite,
    set_profile_request,
)
from .session import Session

# Our pause profile id per EVSE (limit profiles: charging/engine.py), so we
# replace or clear exactly what we set and never someone else's profile.
PAUSE_PROFILE_BASE = 2000
# Above the limit engine's level (1), so a pause overrides any limit of ours.
PAUSE_STACK_LEVEL = 2
_OK = frozenset({"Accepted", "Scheduled", "Unlocked"})


class CommandRejectedError(CallFailedError):
    """The charger answered, but refused the request."""

    def __init__(self, action: str, status: str) -> None:
        """Keep the action and the charger's status."""
        super().__init__(f"{action} was answered {status}")
        self.action = action
        self.status = status


class ChargerCommands:
    """High-level requests to one connected charger."""

    def __init__(self, session: Session) -> None:
        """Send through the charger's session."""
        self._session = session
        self.version = session.version
        self._v16 = session.version is OcppVersion.V16

    async def _request(self, action: str, payload: dict[str, Any]) -> None:
        result = await self._session.call(action, payload)
        status = str(result.get("status"))
        if status not in _OK:
            raise CommandRejectedError(action, status)

    def trigger_request(self, message: str, evse_id: int | None) -> dict[str, Any]:
        """Return the TriggerMessage payload for a message (and an EVSE)."""
        payload: dict[str, Any] = {"requestedMessage": message}
        if evse_id is not None:
            if self._v16:
                payload["connectorId"] = evse_id
            elif evse_id:
                payload["evse"] = {"id": evse_id}
        return payload

    async def trigger_message(self, message: str, evse_id: int | None) -> str:
        """Ask the charger to send a message now; return its status word."""
        result = await self._session.call(
            "TriggerMessage", self.trigger_request(message, evse_id)
        )
        return str(result.get("status"))

    async def data_transfer(
        self, vendor_id: str, message_id: str | None, data: Any
    ) -> dict[str, Any]:
        """Send a vendor-specific DataTransfer; return the charger's answer.

        1.6 carries ``data`` as text: anything else is sent as JSON text.
        """
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = (
                data if not self._v16 or isinstance(data, str) else json.dumps(data)
            )
        return await self._session.call("DataTransfer", payload)

    async def remote_start(self, evse_id: int, id_tag: str, remote_id: int) -> None:
        """Ask the charger to start a transaction on an EVSE."""
        if self._v16:
            await self._request(
                "RemoteStartTransaction", {"connectorId": evse_id, "idTag": id_tag}
            )
        else:
            await self._request(
                "RequestStartTransaction",
                {
                    "evseId": evse_id,
                    "remoteStartId": remote_id,
                    "idToken": {"idToken": id_tag, "type": "Central"},
                },
            )

    async def remote_stop(self, transaction_id: str) -> None:
        """Ask the charger to stop a transaction."""
        if self._v16:
            await self._request(
                "RemoteStopTransaction", {"transactionId": int(transaction_id)}
            )
        else:
            await self._request(
                "RequestStopTransaction", {"transactionId": transaction_id}
            )

    async def set_availability(self, evse_id: int, operative: bool) -> None:
        """Make the station (EVSE 0) or one EVSE (in)operative."""
        if self._v16:
            payload: dict[str, Any] = {
                "connectorId": evse_id,
                "type": "Operative" if operative else "Inoperative",
            }
        else:
            payload = {"operationalStatus": "Operative" if operative else "Inoperative"}
            if evse_id:
                payload["evse"] = {"id": evse_id}
        await self._request("ChangeAvailability", payload)

    async def reset(self, hard: bool) -> None:
        """Restart the charger (hard: at once; soft: when idle / gracefully)."""
        if self._v16:
            await self._request("Reset", {"type": "Hard" if hard else "Soft"})
        else:
            await self._request("Reset", {"type": "Immediate" if hard else "OnIdle"})

    async def unlock(self, evse_id: int) -> None:
        """Release the cable of an EVSE."""
        if self._v16:
            await self._request("UnlockConnector", {"connectorId": evse_id})
        else:
            await self._request(
                "UnlockConnector", {"evseId": evse_id, "connectorId": 1}
            )

    async def set_password(self, password: str) -> None:
        """Give the charger a new Basic-auth password (security profiles 1-2)."""
        if self._v16:
            await self._request(
                "ChangeConfiguration", {"key": "AuthorizationKey", "value": password}
            )
            return
        result = await self._session.call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": password,
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    }
                ]
            },
        )
        status = result["setVariableResult"][0]["attributeStatus"]
        if status not in _OK:
            raise CommandRejectedError("SetVariables", status)

    async def pause(self, evse_id: int, transaction_id: str) -> None:
        """Hold a running transaction at 0 A without ending it."""
        profile = _constant(
            PAUSE_PROFILE_BASE + evse_id, PAUSE_STACK_LEVEL, ProfilePurpose.TX, 0.0
        )
        await self.set_profile(evse_id, replace(profile, transaction_id=transaction_id))

    async def resume(self, evse_id: int) -> None:
        """Remove our pause profile so the earlier limit applies again."""
        await self.clear_profile(PAUSE_PROFILE_BASE + evse_id)

    async def set_profile(self, evse_id: int, profile: ChargingProfile) -> None:
        """Send one charging profile; raise if the charger refuses it."""
        await self._request(
            "SetChargingProfile",
            set_profile_request(self._session.version, evse_id, profile),
        )

    async def clear_profile(self, profile_id: int) -> None:
        """Remove one of our profiles (already gone counts as done)."""
        result = await self._session.call(
            "ClearChargingProfile",
            clear_profile_request(self._session.version, profile_id),
        )
        if result.get("status") not in ("Accepted", "Unknown"):
            raise CommandRejectedError("ClearChargingProfile", str(result["status"]))

    async def composite_schedule(
        self, evse_id: int, duration_s: int, unit: RateUnit | None = None
    ) -> CompositeSchedule | None:
        """Ask what the charger will apply; None when it has no schedule."""
        version = self._session.version
        result = await self._session.call(
            "GetCompositeSchedule",
            composite_request(version, evse_id, duration_s, unit),
        )
        return parse_composite(version, result)


def _constant(
    profile_id: int, stack_level: int, purpose: ProfilePurpose, amps: float
) -> ChargingProfile:
    """Return a Relative one-period profile: a limit from now on."""
    return ChargingProfile(
        profile_id=profile_id,
        stack_level=stack_level,
        purpose=purpose,
        kind=ProfileKind.RELATIVE,
        unit=RateUnit.AMPS,
        periods=(SchedulePeriod(start_s=0, limit=amps),),
    )
