"""JSON-schema validation of OCPP payloads with the version's official schemas.

The schemas ship with the ``ocpp`` library; we load them through its cached
loader but map failures to error kinds ourselves (the library's mapping does
not follow the per-version codes).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match
from ocpp import messages as ocpp_messages

from .const import OcppVersion
from .errors import ErrorKind, OcppCallError
from .frames import MessageType

_SCHEMA_ROOT = Path(ocpp_messages.__file__).parent

# 1.6 schemas use multipleOf 0.1 on decimals; float rounding breaks that, so
# these payloads are validated with Decimal numbers (schema and payload alike).
_DECIMAL_SCHEMAS = frozenset(
    {
        ("SetChargingProfile", MessageType.CALL),
        ("RemoteStartTransaction", MessageType.CALL),
        ("GetCompositeSchedule", MessageType.CALLRESULT),
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


def _schema_path(version: OcppVersion, action: str, request: bool) -> Path:
    folder = "v" + version.schema_version.replace(".", "")
    if request:
        name = action if version is OcppVersion.V16 else f"{action}Request"
    else:
        name = f"{action}Response"
    return _SCHEMA_ROOT / folder / "schemas" / f"{name}.json"


@cache
def is_known_action(version: OcppVersion, action: str) -> bool:
    """Return True when the action exists in this OCPP version."""
    if not action.isalnum():
        return False
    return _schema_path(version, action, request=True).is_file()


@cache
def _validator(version: OcppVersion, action: str, request: bool) -> Draft4Validator:
    use_decimal = _needs_decimal(version, action, request)
    text = _schema_path(version, action, request).read_text(encoding="utf-8-sig")
    schema = json.loads(text, parse_float=Decimal if use_decimal else float)
    return Draft4Validator(schema)


def _needs_decimal(version: OcppVersion, action: str, request: bool) -> bool:
    message_type = MessageType.CALL if request else MessageType.CALLRESULT
    return version is OcppVersion.V16 and (action, message_type) in _DECIMAL_SCHEMAS


def schema_error(
    version: OcppVersion, action: str, payload: dict[str, Any], *, request: bool
) -> OcppCallError | None:
    """Validate a payload; return the error to answer with, or None when valid.

    The action must be known (``is_known_action``).
    """
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
