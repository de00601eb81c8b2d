"""JSON-schema validation of OCPP payloads with the version's official schemas.

The schemas ship with the ``ocpp`` library. ``load_schemas`` reads them all
once (call it from an executor: it is file I/O); validation afterwards never
touches the disk, so it is safe on the event loop. Failures are mapped to
error kinds ourselves: the library's mapping does not follow the per-version
codes.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
import json
from pathlib import Path
import threading
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match
from ocpp import messages as ocpp_messages

from .const import OcppVersion
from .errors import ErrorKind, OcppCallError
from .fastcheck import Check, UnsupportedSchemaError, compile_schema

_SCHEMA_ROOT = Path(ocpp_messages.__file__).parent

# 1.6 schemas use multipleOf 0.1 on decimals; float rounding breaks that, so
# these payloads are validated with Decimal numbers (schema and payload alike).
_DECIMAL_SCHEMAS = frozenset(
    {
        ("SetChargingProfile", True),
        ("RemoteStartTransaction", True),
        ("GetCompositeSchedule", False),
    }
)

_KIND_BY_VALIDATOR: dict[str, ErrorKind] = {
    "type": ErrorKind.TYPE_CONSTRAINT,
    "required": ErrorKind.OCCURRENCE_CONSTRAINT,
    "minItems": ErrorKind.OCCURRENCE_CONSTRAINT,
    "maxItems": ErrorKind.OCCURRENCE_CONSTRAINT,
    "additionalProperties": ErrorKind.FORMAT,
    "enum": ErrorKind.PROPERTY_CONSTRAINT,
    "maxLength": ErrorKind.PROPERTY_CONSTRAINT,
    "minLength": ErrorKind.PROPERTY_CONSTRAINT,
    "pattern": ErrorKind.PROPERTY_CONSTRAINT,
    "minimum": ErrorKind.PROPERTY_CONSTRAINT,
    "maximum": ErrorKind.PROPERTY_CONSTRAINT,
    "multipleOf": ErrorKind.PROPERTY_CONSTRAINT,
    "format": ErrorKind.PROPERTY_CONSTRAINT,
}

# (version, action, is_request) -> schema text, filled by load_schemas().
_SCHEMA_TEXT: dict[tuple[OcppVersion, str, bool], str] = {}
_LOAD_LOCK = threading.Lock()


def load_schemas() -> None:
    """Read every schema of every version into memory (blocking; once)."""
    with _LOAD_LOCK:
        if _SCHEMA_TEXT:
            return
        for version in OcppVersion:
            folder = _SCHEMA_ROOT / ("v" + version.schema_version.replace(".", ""))
            for path in (folder / "schemas").glob("*.json"):
                name = path.stem
                if name.endswith("Response"):
                    key = (version, name.removesuffix("Response"), False)
                elif version is OcppVersion.V16:
                    key = (version, name, True)
                else:
                    key = (version, name.removesuffix("Request"), True)
                _SCHEMA_TEXT[key] = path.read_text(encoding="utf-8-sig")


def _ensure_loaded() -> None:
    if not _SCHEMA_TEXT:  # pragma: no cover - the server preloads at start
        load_schemas()


def is_known_action(version: OcppVersion, action: str) -> bool:
    """Return True when the action exists in this OCPP version."""
    _ensure_loaded()
    return (version, action, True) in _SCHEMA_TEXT


def _needs_decimal(version: OcppVersion, action: str, request: bool) -> bool:
    return version is OcppVersion.V16 and (action, request) in _DECIMAL_SCHEMAS


@cache
def fast_check(version: OcppVersion, action: str, request: bool) -> Check | None:
    """Return the compiled yes/no check of a schema, when it can be compiled."""
    _ensure_loaded()
    try:
        return compile_schema(json.loads(_SCHEMA_TEXT[(version, action, request)]))
    except UnsupportedSchemaError:
        return None


@cache
def _validator(version: OcppVersion, action: str, request: bool) -> Draft4Validator:
    _ensure_loaded()
    text = _SCHEMA_TEXT[(version, action, request)]
    parse_float = Decimal if _needs_decimal(version, action, request) else float
    return Draft4Validator(json.loads(text, parse_float=parse_float))


@cache
def request_schema(version: OcppVersion, action: str) -> dict[str, Any]:
    """Return the parsed request schema of a known action (do not modify it)."""
    _ensure_loaded()
    parsed: dict[str, Any] = json.loads(_SCHEMA_TEXT[(version, action, True)])
    return parsed


def request_errors(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> list[ValidationError]:
    """Return every schema error of a request (the slow, complete check)."""
    if _needs_decimal(version, action, True):
        payload = json.loads(json.dumps(payload), parse_float=Decimal)
    return list(_validator(version, action, True).iter_errors(payload))


def schema_error(
    version: OcppVersion, action: str, payload: dict[str, Any], *, request: bool
) -> OcppCallError | None:
    """Validate a payload; return the error to answer with, or None when valid.

    The action must be known (``is_known_action``). A compiled check
    answers the common case (valid); jsonschema finds the precise error.
    """
    fast = fast_check(version, action, request)
    if fast is not None and fast(payload):
        return None
    validator = _validator(version, action, request)
    if _needs_decimal(version, action, request):
        payload = json.loads(json.dumps(payload), parse_float=Decimal)
    error: ValidationError | None = best_match(validator.iter_errors(payload))
    if error is None:
        return None
    kind = _KIND_BY_VALIDATOR.get(str(error.validator), ErrorKind.FORMAT)
    location = "/".join(str(part) for part in error.absolute_path) or "payload"
    return OcppCallError(
        kind, f"{action} {location}: {error.message}"[:512], {"path": location}
    )


def request_enum(version: OcppVersion, action: str, field: str) -> tuple[str, ...]:
    """Return the values a request's top-level enum field allows."""
    _ensure_loaded()
    schema = json.loads(_SCHEMA_TEXT[(version, action, True)])
    node: dict[str, Any] = schema["properties"][field]
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].removeprefix("#/definitions/")]
    return tuple(node.get("enum", ()))
