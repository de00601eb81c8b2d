"""Steps and payloads for driver.mjs scenarios, per OCPP version.

Payloads are written from the specifications, not from our core: the driver's
strict mode refuses to send any that break the official schemas, so a typo
here shows up as a ``driver-frame-invalid`` / ``strict-validation`` failure.
"""

from __future__ import annotations

from typing import Any

from .harness import Step

V16 = "1.6"
V201 = "2.0.1"
V21 = "2.1"
VERSIONS = [V16, V201]
ALL_VERSIONS = [V16, V201, V21]
V2 = [V201, V21]

# Error codes as each version spells them (GUIDE §5 13-15).
FORMAT = {V16: "FormationViolation", V201: "FormatViolation", V21: "FormatViolation"}
OCCURRENCE = {
    V16: ["OccurenceConstraintViolation"],
    V201: ["OccurenceConstraintViolation", "OccurrenceConstraintViolation"],
    V21: ["OccurrenceConstraintViolation"],
}
# Unreadable frames: 2.x RpcFrameworkError (or FormatViolation); 1.6 has no
# framework code and uses FormationViolation or ProtocolError.
FRAMEWORK = {
    V16: ["FormationViolation", "ProtocolError"],
    V201: ["RpcFrameworkError", "FormatViolation"],
    V21: ["RpcFrameworkError", "FormatViolation"],
}


def protocol(version: str) -> str:
    """Return the WebSocket subprotocol of a version."""
    return f"ocpp{version}"


def connect(
    identity: str,
    version: str,
    *,
    conn: str = "main",
    path: str = "",
    protocols: list[str] | None = None,
    url: str | None = None,
    password: str | None = None,
    headers: dict[str, str] | None = None,
    tls: dict[str, Any] | None = None,
    no_pong: bool | None = None,
    **expect: Any,
) -> Step:
    """Open a connection (the subprotocol of ``version`` unless told).

    ``expect``: protocol="ocpp2.1" | refused=401 (or True: any refusal).
    """
    step: Step = {
        "op": "connect",
        "conn": conn,
        "identity": identity,
        "path": path,
        "protocols": protocols if protocols is not None else [protocol(version)],
        "expect": expect or {"protocol": protocol(version)},
    }
    for key, value in (
        ("url", url),
        ("password", password),
        ("headers", headers),
        ("tls", tls),
        ("no_pong", no_pong),
    ):
        if value is not None:
            step[key] = value
    return step


def call(
    action: str,
    payload: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    error: str | list[str] | None = None,
    save: dict[str, str] | None = None,
    conn: str | None = None,
    timeout_ms: int | None = None,
) -> Step:
    """Send a CALL through strict ocpp-rpc and check its answer."""
    expect: dict[str, Any] = {}
    if result is not None:
        expect["result"] = result
    if error is not None:
        expect["error"] = error
    step: Step = {"op": "call", "action": action, "payload": payload, "expect": expect}
    if save:
        step["save"] = save
    if conn:
        step["conn"] = conn
    if timeout_ms:
        step["timeout_ms"] = timeout_ms
    return step


def raw(
    frame: Any,
    *,
    conn: str | None = None,
    save_reply: str | None = None,
    tolerated: bool = False,
    **expect: Any,
) -> Step:
    """Send a frame as is (a JSON value, or a string sent verbatim).

    ``expect``: error=code(s) | result={...} | any=True | silent=True (no
    answer at all) | none=True (do not wait) | equals=<saved reply> | id=...
    ``tolerated``: the frame breaks the schema in a non-essential part, so the
    validators accept a schema-valid CALLRESULT to it (GUIDE §5 item 15).
    """
    step: Step = {"op": "raw", "frame": frame, "expect": expect}
    if tolerated:
        step["tolerated"] = True
    if conn:
        step["conn"] = conn
    if save_reply:
        step["save_reply"] = save_reply
    return step


def wait_call(
    action: str,
    *,
    reply: dict[str, Any] | None = None,
    error: str | None = None,
    hold: str | None = None,
    payload: dict[str, Any] | None = None,
    save: dict[str, str] | None = None,
    timeout_ms: int = 10_000,
    conn: str | None = None,
) -> Step:
    """Wait for a CALL from the CSMS; answer it, or hold it as ``hold``."""
    step: Step = {"op": "wait_call", "action": action, "timeout_ms": timeout_ms}
    if hold:
        step["hold"] = hold
    elif error:
        step["error"] = error
    else:
        step["reply"] = reply if reply is not None else {}
    if payload is not None:
        step["expect"] = {"payload": payload}
    if save:
        step["save"] = save
    if conn:
        step["conn"] = conn
    return step


def answer(
    ref: str, *, reply: dict[str, Any] | None = None, error: str | None = None
) -> Step:
    """Answer a call held by ``wait_call(hold=ref)``."""
    step: Step = {"op": "answer", "ref": ref}
    if error:
        step["error"] = error
    else:
        step["reply"] = reply or {}
    return step


# A charger that takes every request HA may send (see ``serve``).
ACCEPTING_CHARGER: dict[str, Any] = {
    "UnlockConnector": {"reply": {"status": "Unlocked"}},
    "SetChargingProfile": {"reply": {"status": "Accepted"}},
    "ClearChargingProfile": {"reply": {"status": "Accepted"}},
    # Valid in 1.6 and 2.x; the CSMS then cannot verify and must cope.
    "GetCompositeSchedule": {"reply": {"status": "Rejected"}},
    "ChangeAvailability": {"reply": {"status": "Accepted"}},
    "Reset": {"reply": {"status": "Accepted"}},
    "TriggerMessage": {"reply": {"status": "Accepted"}},
}


def serve(
    replies: dict[str, Any],
    until: str,
    *,
    conn: str | None = None,
    timeout_ms: int = 10_000,
) -> Step:
    """Answer every CSMS call from ``replies`` until the test signals ``until``.

    ``replies`` maps an action to ``{"reply": {...}}`` or ``{"error": code}``;
    other actions get CALLERROR NotImplemented.
    """
    step: Step = {
        "op": "serve",
        "replies": replies,
        "until": until,
        "timeout_ms": timeout_ms,
    }
    if conn:
        step["conn"] = conn
    return step


def checkpoint(name: str) -> Step:
    """Report to the test that the scenario got here."""
    return {"op": "checkpoint", "name": name}


def signal(name: str, timeout_ms: int = 10_000) -> Step:
    """Wait until the test says ``name``."""
    return {"op": "signal", "name": name, "timeout_ms": timeout_ms}


def close(conn: str = "main") -> Step:
    """Close a connection from the charger's side."""
    return {"op": "close", "conn": conn}


def wait_closed(conn: str = "main", timeout_ms: int = 5000) -> Step:
    """Wait until the CSMS closes a connection."""
    return {"op": "wait_closed", "conn": conn, "timeout_ms": timeout_ms}


# ------------------------------------------------------------- payloads


def boot_payload(version: str, reason: str = "PowerUp") -> dict[str, Any]:
    """Return a BootNotification request."""
    if version == V16:
        return {
            "chargePointVendor": "Conformance",
            "chargePointModel": "Strict",
            "chargePointSerialNumber": "SN-1",
            "firmwareVersion": "1.0.0",
        }
    return {
        "reason": reason,
        "chargingStation": {
            "vendorName": "Conformance",
            "model": "Strict",
            "serialNumber": "SN-1",
            "firmwareVersion": "1.0.0",
        },
    }


def boot(
    version: str, status: str = "Accepted", *, reason: str = "PowerUp", **kw: Any
) -> Step:
    """BootNotification, expecting ``status`` with a UTC time and an interval."""
    return call(
        "BootNotification",
        boot_payload(version, reason),
        result={"status": status, "currentTime": "~utc-now", "interval": "~integer"},
        **kw,
    )


def status_payload(
    version: str, evse: int, status: str, error_code: str = "NoError"
) -> dict[str, Any]:
    """Return a StatusNotification request for connector 1 of an EVSE."""
    if version == V16:
        return {
            "connectorId": evse,
            "errorCode": error_code,
            "status": status,
            "timestamp": "${now}",
        }
    return {
        "timestamp": "${now}",
        "connectorStatus": status,
        "evseId": evse,
        "connectorId": 1 if evse else 0,
    }


def status(version: str, evse: int, state: str = "Available", **kw: Any) -> Step:
    """StatusNotification, answered with an empty result."""
    return call(
        "StatusNotification", status_payload(version, evse, state), result={}, **kw
    )


def online(identity: str, version: str, *, conn: str = "main") -> list[Step]:
    """Connect, boot (Accepted) and report EVSE 1 Available."""
    return [
        connect(identity, version, conn=conn),
        boot(version, conn=conn),
        status(version, 1, conn=conn),
    ]


def authorize_payload(version: str, tag: str) -> dict[str, Any]:
    """Return an Authorize request for a tag."""
    if version == V16:
        return {"idTag": tag}
    return {"idToken": {"idToken": tag, "type": "ISO14443"}}


def id_status(version: str, state: str) -> dict[str, Any]:
    """Return the expected idTagInfo / idTokenInfo of an answer."""
    key = "idTagInfo" if version == V16 else "idTokenInfo"
    return {key: {"status": state}}


def start_v16(
    connector: int = 1, tag: str = "TAG-1", meter: int = 1000, at: str = "${now}"
) -> dict[str, Any]:
    """Return a 1.6 StartTransaction request."""
    return {
        "connectorId": connector,
        "idTag": tag,
        "meterStart": meter,
        "timestamp": at,
    }


def stop_v16(transaction: Any, meter: int = 2000, **extra: Any) -> dict[str, Any]:
    """Return a 1.6 StopTransaction request."""
    return {
        "transactionId": transaction,
        "meterStop": meter,
        "timestamp": "${now}",
    } | extra


def energy_v2(
    wh: float, context: str = "Sample.Periodic", at: str = "${now}"
) -> list[dict[str, Any]]:
    """Return a 2.x meterValue list with one energy register reading."""
    return [
        {
            "timestamp": at,
            "sampledValue": [
                {
                    "value": wh,
                    "measurand": "Energy.Active.Import.Register",
                    "context": context,
                    "unitOfMeasure": {"unit": "Wh"},
                }
            ],
        }
    ]


def transaction_event(
    event: str,
    transaction_id: str,
    seq_no: int,
    *,
    evse: int | None = 1,
    tag: str | None = None,
    trigger: str | None = None,
    charging_state: str | None = None,
    stopped_reason: str | None = None,
    wh: float | None = None,
    at: str = "${now}",
    offline: bool | None = None,
    remote_start_id: Any = None,
) -> dict[str, Any]:
    """Return a 2.x TransactionEvent request."""
    info: dict[str, Any] = {"transactionId": transaction_id}
    if charging_state:
        info["chargingState"] = charging_state
    if stopped_reason:
        info["stoppedReason"] = stopped_reason
    if remote_start_id is not None:
        info["remoteStartId"] = remote_start_id
    default_trigger = {
        "Started": "CablePluggedIn",
        "Updated": "MeterValuePeriodic",
        "Ended": "EVCommunicationLost",
    }[event]
    payload: dict[str, Any] = {
        "eventType": event,
        "timestamp": at,
        "triggerReason": trigger or default_trigger,
        "seqNo": seq_no,
        "transactionInfo": info,
    }
    if evse is not None:
        payload["evse"] = {"id": evse, "connectorId": 1}
    if tag:
        payload["idToken"] = {"idToken": tag, "type": "ISO14443"}
    if wh is not None:
        payload["meterValue"] = energy_v2(
            wh,
            {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
                event, "Sample.Periodic"
            ),
            at,
        )
    if offline is not None:
        payload["offline"] = offline
    return payload
