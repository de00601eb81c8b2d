"""A tolerant reader for charger requests that break their schema.

Chargers in the field send frames that the official schema refuses although
what matters in them is clear: an unknown ``context`` on one sampled value, an
``errorCode`` the version does not list, a number sent as a string. Refusing
the whole frame loses the valid data in it (and some chargers retry the same
frame forever). ``repair`` walks the payload along the action's schema and
keeps what is valid, drops only what is not, and never invents data:

- a lossless type slip is coerced ("1500" where a number belongs, 1500 where
  a string belongs, 12.0 where an integer belongs, "true" for a boolean);
- an invalid optional property is dropped, unless its absence would mean
  something (a schema default, or a qualifier of a sampled value such as
  measurand, phase, unit or context): then the object owning it is invalid;
- an invalid array item is dropped; an array emptied that way (or sent empty)
  makes its owner invalid, except where the rules say the handler reads an
  empty list fine;
- a missing or unparsable date-time becomes the arrival time if required
  (dropped if optional);
- an unknown value of an enum that has an honest catch-all ("OtherError",
  "Other", "Unknown") becomes that catch-all, the charger's word kept in
  ``vendorErrorCode``/``info`` where there is room;
- a required field the handlers never read is kept as sent.

Anything else invalid makes its owner invalid, up to the payload itself: the
frame is not understood, and so is any frame whose essential field is missing
or invalid. The per-action tables (essential, unread, empty-list fields) live
in ``tolerance_rules.py``. Every repair is reported as a Deviation.
This runs only after the fast schema check failed: valid frames never get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
import json
import math
import re
from typing import Any

from jsonschema.exceptions import ValidationError

from .const import OcppVersion
from .meter import parse_time
from .tolerance_rules import (
    CATCH_ALLS,
    HIDDEN_TAG,
    KEEP_WORD_IN,
    QUALIFIERS,
    TAG_PROPERTIES,
    ActionRules,
    rules_for,
)
from .validation import request_errors, request_schema

type Path = tuple[str | int, ...]

_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MAX_VALUE_TEXT = 80


class Handling(StrEnum):
    """What we did with an invalid part of a frame."""

    DROPPED = "dropped"
    COERCED = "coerced"
    ARRIVAL_TIME = "arrival_time"
    CATCH_ALL = "catch_all"
    KEPT = "kept"


@dataclass(frozen=True, slots=True)
class Deviation:
    """One way a frame broke its schema, and what we did about it."""

    kind: str  # e.g. "unknown_enum:context" (what, and which property)
    path: str  # where, e.g. "meterValue/0/sampledValue/1/context"
    value: str  # the offending value as sent (shortened)
    handling: Handling
    detail: str  # what we did, in words for the log and the repair issue


@dataclass(frozen=True, slots=True)
class Repaired:
    """A payload the handlers can read, and the deviations it took."""

    payload: dict[str, Any]
    deviations: tuple[Deviation, ...]


class _BrokenError(Exception):
    """A value that fails its schema and cannot be fixed where it is."""

    def __init__(self, kind: str, path: Path, value: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.path = path
        self.value = value


class _NotUnderstoodError(Exception):
    """An essential field is missing or invalid."""


def repair(
    version: OcppVersion, action: str, payload: dict[str, Any], arrival: datetime
) -> Repaired | None:
    """Return the readable part of an invalid request, or None if not understood.

    ``action`` must be a known request of the version.
    """
    walk = _Walk(
        schema=request_schema(version, action),
        rules=rules_for(version, action),
        arrival=arrival.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    try:
        repaired = walk.value(walk.schema, payload, (), "")
    except (_BrokenError, _NotUnderstoodError):
        return None
    if not _only_tolerated(request_errors(version, action, repaired), walk.kept):
        # Our walk missed something the schema still refuses: play safe.
        return None
    return Repaired(repaired, tuple(walk.deviations))


def _only_tolerated(errors: list[ValidationError], kept: list[Path]) -> bool:
    """Return True when every remaining error lies in a part kept on purpose."""
    for error in errors:
        path = tuple(error.absolute_path)
        missing: set[Any] = set()
        if error.validator == "required" and isinstance(error.instance, dict):
            wanted: list[str] = list(error.schema.get("required", ()))  # type: ignore[union-attr]
            missing = {key for key in wanted if key not in error.instance}
        if not any(
            path[: len(spot)] == spot or (path == spot[:-1] and spot[-1] in missing)
            for spot in kept
        ):
            return False
    return True


@dataclass
class _Walk:
    """One repair: the schema, the action's tables and what was done."""

    schema: dict[str, Any]
    rules: ActionRules
    arrival: str

    def __post_init__(self) -> None:
        self.deviations: list[Deviation] = []
        self.kept: list[Path] = []

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            name = str(node["$ref"]).removeprefix("#/definitions/")
            node = self.schema["definitions"][name]
        return node

    def note(
        self, kind: str, path: Path, value: Any, handling: Handling, detail: str
    ) -> None:
        shown = HIDDEN_TAG if _prop(path) in TAG_PROPERTIES else _shorten(value)
        self.deviations.append(Deviation(kind, _text(path), shown, handling, detail))
        if handling is Handling.KEPT:
            self.kept.append(path)

    def note_broken(
        self, broken: _BrokenError, handling: Handling, detail: str
    ) -> None:
        """Record how a broken value was handled."""
        self.note(broken.kind, broken.path, broken.value, handling, detail)

    def value(self, node: dict[str, Any], value: Any, path: Path, name: str) -> Any:
        """Return the value fixed in place, or raise _BrokenError."""
        node = self.resolve(node)
        prop = _prop(path)
        if not _type_ok(node, value):
            coerced = _coerce(node, value)
            if coerced is None:
                raise _BrokenError(f"wrong_type:{prop}", path, value)
            kind, new = coerced
            self.note(
                f"{kind}:{prop}", path, value, Handling.COERCED, f"read as {new!r}"
            )
            value = new
        if isinstance(value, dict):
            return self.object(node, value, path, name)
        if isinstance(value, list):
            return self.array(node, value, path, name)
        if problem := _leaf_problem(node, value):
            raise _BrokenError(f"{problem}:{prop}", path, value)
        return value

    def object(
        self, node: dict[str, Any], value: dict[str, Any], path: Path, name: str
    ) -> dict[str, Any]:
        properties: dict[str, Any] = node.get("properties", {})
        required: list[str] = node.get("required", [])
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = properties.get(key)
            here = (*path, key)
            if sub is None:
                if node.get("additionalProperties", True) is False:
                    self.note(
                        f"extra_property:{key}",
                        here,
                        item,
                        Handling.DROPPED,
                        f"dropped {_text(here)}",
                    )
                else:
                    out[key] = item
                continue
            mark = len(self.deviations)
            child = f"{name}.{key}" if name else key
            try:
                out[key] = self.value(sub, item, here, child)
            except _BrokenError as broken:
                del self.deviations[mark:]
                self.kept = [spot for spot in self.kept if spot[: len(here)] != here]
                self.broken_property(node, value, out, here, broken, child)
        for key in required:
            if key not in value:
                self.missing(properties.get(key, {}), out, (*path, key), name)
        return out

    def broken_property(
        self,
        node: dict[str, Any],
        original: dict[str, Any],
        out: dict[str, Any],
        here: Path,
        broken: _BrokenError,
        child: str,
    ) -> None:
        """Decide what an invalid property costs: itself, or its owner."""
        if child in self.rules.essential:
            raise _NotUnderstoodError(child)
        key = str(here[-1])
        sub = self.resolve(node["properties"][key])
        required = key in node.get("required", ())
        # The property's own value is wrong (not something inside it).
        own_value = broken.path == here
        fallback = None if _means_something(key, sub) else _catch_all(sub)
        if own_value and fallback is not None:
            out[key] = fallback
            detail = f"replaced with {fallback}"
            for spare in KEEP_WORD_IN:
                if (
                    key == "errorCode"
                    and spare in node.get("properties", {})
                    and spare not in original
                    and len(str(broken.value))
                    <= _max_length(self.resolve(node["properties"][spare]))
                ):
                    out[spare] = str(broken.value)
                    detail += f", the charger's word kept in {spare}"
                    break
            self.note(
                broken.kind, broken.path, broken.value, Handling.CATCH_ALL, detail
            )
            return
        if own_value and sub.get("format") == "date-time" and required:
            out[key] = self.arrival
            self.note_broken(broken, Handling.ARRIVAL_TIME, "used the arrival time")
            return
        if not required and not _means_something(key, sub):
            self.note_broken(broken, Handling.DROPPED, f"dropped {_text(here)}")
            return
        if self.rules.is_unread(child):
            out[key] = original[key]
            self.note_broken(broken, Handling.KEPT, "kept as sent (not used)")
            return
        raise broken

    def missing(
        self, sub: dict[str, Any], out: dict[str, Any], here: Path, name: str
    ) -> None:
        """Handle a required property the charger did not send."""
        key = str(here[-1])
        child = f"{name}.{key}" if name else key
        if child in self.rules.essential:
            raise _NotUnderstoodError(child)
        if self.resolve(sub).get("format") == "date-time":
            out[key] = self.arrival
            self.note(
                f"missing_timestamp:{key}",
                here,
                None,
                Handling.ARRIVAL_TIME,
                "used the arrival time",
            )
            return
        if self.rules.is_unread(child):
            self.note(
                f"missing:{key}", here, None, Handling.KEPT, "left out (not used)"
            )
            return
        raise _BrokenError(f"missing:{key}", here, None)

    def array(
        self, node: dict[str, Any], value: list[Any], path: Path, name: str
    ) -> list[Any]:
        items = node.get("items")
        out: list[Any] = []
        causes: list[_BrokenError] = []
        for index, item in enumerate(value):
            here = (*path, index)
            if items is None:
                out.append(item)
                continue
            mark = len(self.deviations)
            try:
                out.append(self.value(items, item, here, name))
            except _BrokenError as broken:
                del self.deviations[mark:]
                self.kept = [spot for spot in self.kept if spot[: len(here)] != here]
                causes.append(broken)
                self.note_broken(broken, Handling.DROPPED, f"dropped {_text(here)}")
        if len(out) < node.get("minItems", 0):
            if name in self.rules.empty_ok:
                if not value:
                    self.note(
                        f"empty_array:{_prop(path)}",
                        path,
                        value,
                        Handling.KEPT,
                        "read as nothing to record",
                    )
                else:
                    self.kept.append(path)
                return out
            if causes:
                first = causes[0]
                # The owner goes; its note replaces the notes of the items.
                raise _BrokenError(first.kind, first.path, first.value)
            raise _BrokenError(f"empty_array:{_prop(path)}", path, value)
        if len(out) > node.get("maxItems", math.inf):
            raise _BrokenError(f"too_many:{_prop(path)}", path, len(out))
        return out


def _prop(path: Path) -> str:
    """Return the property a path ends in (an array item: its array)."""
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "payload"


def _text(path: Path) -> str:
    return "/".join(str(part) for part in path) or "payload"


def _shorten(value: Any) -> str:
    text = "(missing)" if value is None else json.dumps(value, default=str)
    return text if len(text) <= _MAX_VALUE_TEXT else text[: _MAX_VALUE_TEXT - 1] + "…"


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type", [])
    return declared if isinstance(declared, list) else [declared]


def _type_ok(node: dict[str, Any], value: Any) -> bool:
    types = _types(node)
    if not types:
        return True
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        # Draft 4: 1.0 is not an integer.
        "integer": is_number and isinstance(value, int),
        "number": is_number,
        "boolean": isinstance(value, bool),
        "null": value is None,
    }
    return any(checks.get(name, False) for name in types)


def _coerce(node: dict[str, Any], value: Any) -> tuple[str, Any] | None:
    """Return (kind, value) for a lossless type fix, or None."""
    types = _types(node)
    if isinstance(value, str):
        text = value.strip()
        if "integer" in types and _INTEGER.fullmatch(text):
            return "string_number", int(text)
        if "number" in types and _NUMBER.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                whole = _INTEGER.fullmatch(text) is not None
                return "string_number", int(text) if whole else number
        if "integer" in types and _NUMBER.fullmatch(text):
            try:
                exact = Decimal(text)
            except InvalidOperation:  # pragma: no cover - the regex rules it out
                return None
            if exact == exact.to_integral_value():
                return "string_number", int(exact)
        if "boolean" in types and text in ("true", "false"):
            return "string_boolean", text == "true"
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and "integer" in types and value.is_integer():
        return "float_integer", int(value)
    if isinstance(value, (int, float)) and "string" in types:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return "number_string", json.dumps(value)
    return None


def _leaf_problem(node: dict[str, Any], value: Any) -> str | None:
    """Return what is wrong with a scalar (as a deviation kind prefix)."""
    if "enum" in node and value not in node["enum"]:
        return "unknown_enum"
    if isinstance(value, str):
        if len(value) > node.get("maxLength", math.inf):
            return "too_long"
        if len(value) < node.get("minLength", 0):
            return "too_short"
        if node.get("format") == "date-time" and parse_time(value) is None:
            return "unparsable_timestamp"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < node.get("minimum", -math.inf) or value > node.get(
            "maximum", math.inf
        ):
            return "out_of_range"
        step = node.get("multipleOf")
        if step is not None and Decimal(str(value)) % Decimal(str(step)) != 0:
            return "invalid_value"
    return None


def _catch_all(node: dict[str, Any]) -> str | None:
    options = node.get("enum", ())
    return next((option for option in CATCH_ALLS if option in options), None)


def _max_length(node: dict[str, Any]) -> float:
    return float(node.get("maxLength", math.inf)) if _types(node) == ["string"] else -1


def _means_something(key: str, node: dict[str, Any]) -> bool:
    """Return True when leaving the property out would claim a value."""
    return key in QUALIFIERS or "default" in node
