"""A compiled yes/no check for the JSON-schema subset the OCPP schemas use.

``jsonschema`` walks a schema for every message (~280 µs for a MeterValues
with 9 samples). The official OCPP schemas only use a few keywords, so each
schema is compiled once into nested closures that answer "valid?" in a
fraction of that. The check is only ever trusted to say *valid*: when it says
no, ``jsonschema`` runs and produces the precise error. A schema with a
keyword not handled here gets no compiled check at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

type Check = Callable[[Any], bool]

# Keywords that only annotate; they never change validity here (Draft 4
# ignores "format" unless a format checker is configured, as in validation.py).
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "id",
        "description",
        "javaType",
        "comment",
        "title",
        "default",
        "format",
        "definitions",
        "additionalItems",
    }
)
_HANDLED = _ANNOTATIONS | {
    "type",
    "$ref",
    "properties",
    "required",
    "additionalProperties",
    "maxLength",
    "minLength",
    "enum",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
}


class UnsupportedSchemaError(Exception):
    """The schema uses something this compiler does not handle."""


def _is_integer(value: Any) -> bool:
    # Draft 4: 1.0 is a number, not an integer; booleans are neither.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def compile_schema(schema: dict[str, Any]) -> Check:
    """Compile a whole schema document (raises UnsupportedSchemaError)."""
    compiled: dict[str, Check] = {}

    def resolve(ref: str) -> Check:
        if not ref.startswith("#/definitions/"):
            raise UnsupportedSchemaError(ref)
        name = ref.removeprefix("#/definitions/")
        if name not in compiled:
            target = schema.get("definitions", {}).get(name)
            if not isinstance(target, dict):
                raise UnsupportedSchemaError(ref)
            # Placeholder first: definitions may refer to themselves.
            compiled[name] = lambda value: compiled[name](value)  # noqa: PLW0108
            compiled[name] = build(target)
        return compiled[name]

    def build(node: dict[str, Any]) -> Check:
        unknown = set(node) - _HANDLED
        if unknown:
            raise UnsupportedSchemaError(sorted(unknown))
        if "$ref" in node:
            if set(node) - _ANNOTATIONS - {"$ref"}:
                raise UnsupportedSchemaError("$ref with siblings")
            return resolve(node["$ref"])
        checks = [*_type_checks(node), *_value_checks(node)]
        checks += _object_checks(node, build) + _array_checks(node, build)
        return lambda value: all(check(value) for check in checks)

    return build(schema)


def _type_checks(node: dict[str, Any]) -> list[Check]:
    if "type" not in node:
        return []
    names = node["type"] if isinstance(node["type"], list) else [node["type"]]
    try:
        tests = [_TYPES[name] for name in names]
    except KeyError as err:
        raise UnsupportedSchemaError(node["type"]) from err
    return [lambda value: any(test(value) for test in tests)]


def _value_checks(node: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    if "enum" in node:
        options = node["enum"]
        if not all(isinstance(option, str) for option in options):
            raise UnsupportedSchemaError("non-string enum")
        allowed = frozenset(options)
        checks.append(lambda value: isinstance(value, str) and value in allowed)
    if "maxLength" in node:
        longest = node["maxLength"]
        checks.append(lambda value: not isinstance(value, str) or len(value) <= longest)
    if "minLength" in node:
        shortest = node["minLength"]
        checks.append(
            lambda value: not isinstance(value, str) or len(value) >= shortest
        )
    if "minimum" in node:
        low = node["minimum"]
        checks.append(lambda value: not _is_number(value) or value >= low)
    if "maximum" in node:
        high = node["maximum"]
        checks.append(lambda value: not _is_number(value) or value <= high)
    return checks


def _object_checks(
    node: dict[str, Any], build: Callable[[dict[str, Any]], Check]
) -> list[Check]:
    properties = {key: build(sub) for key, sub in node.get("properties", {}).items()}
    required = tuple(node.get("required", ()))
    additional = node.get("additionalProperties", True)
    if additional not in (True, False):
        raise UnsupportedSchemaError("additionalProperties schema")
    if not properties and not required and additional is True:
        return []

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key in required:
            if key not in value:
                return False
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None:
                if additional is False:
                    return False
            elif not sub(item):
                return False
        return True

    return [check]


def _array_checks(
    node: dict[str, Any], build: Callable[[dict[str, Any]], Check]
) -> list[Check]:
    items = node.get("items")
    if items is not None and not isinstance(items, dict):
        raise UnsupportedSchemaError("tuple items")
    item_check = build(items) if items is not None else None
    fewest = node.get("minItems")
    most = node.get("maxItems")
    if item_check is None and fewest is None and most is None:
        return []

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        if fewest is not None and len(value) < fewest:
            return False
        if most is not None and len(value) > most:
            return False
        return item_check is None or all(item_check(item) for item in value)

    return [check]
