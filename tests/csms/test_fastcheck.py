"""The compiled schema check agrees with jsonschema on every OCPP schema.

For each official schema a valid instance is generated, then mutated many
ways (wrong type, missing or extra key, too long, unknown enum value, out of
range, too few or too many items); the compiled check must give exactly
jsonschema's verdict, so trusting its "valid" never lets a bad frame in.
"""

from __future__ import annotations

import copy
import json
import random
import string
from typing import Any

from jsonschema import Draft4Validator
import pytest

from custom_components.ocpp_csms.csms import validation
from custom_components.ocpp_csms.csms.fastcheck import (
    UnsupportedSchemaError,
    compile_schema,
)

validation.load_schemas()
SCHEMAS = sorted(
    validation._SCHEMA_TEXT, key=lambda key: (key[0].value, key[1], key[2])
)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].removeprefix("#/definitions/")]
    return node


def _generate(node: dict[str, Any], root: dict[str, Any], rng: random.Random) -> Any:
    node = _resolve(node, root)
    if "enum" in node:
        return rng.choice(node["enum"])
    kind = node.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        result = {}
        for key, sub in node.get("properties", {}).items():
            if key in node.get("required", ()) or rng.random() < 0.5:
                result[key] = _generate(sub, root, rng)
        return result
    if kind == "array":
        low = node.get("minItems", 0)
        high = min(node.get("maxItems", low + 2), low + 2)
        return [
            _generate(node["items"], root, rng) for _ in range(rng.randint(low, high))
        ]
    if kind == "string":
        length = min(node.get("maxLength", 8), 8)
        return "".join(rng.choice(string.ascii_letters) for _ in range(length))
    if kind == "integer":
        return rng.randint(int(node.get("minimum", 0)), int(node.get("maximum", 100)))
    if kind == "number":
        return round(rng.uniform(node.get("minimum", 0), node.get("maximum", 100)), 1)
    return rng.random() < 0.5  # boolean


def _spots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    spots = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            spots += _spots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            spots += _spots(item, (*path, index))
    return spots


MUTATIONS = (
    lambda v, r: 12345,
    lambda v, r: "text",
    lambda v, r: None,
    lambda v, r: 1.5,
    lambda v, r: True,
    lambda v, r: [],
    lambda v, r: {},
    lambda v, r: "x" * 2000,
    lambda v, r: "NotAValueOfAnyEnum",
    lambda v, r: -(10**9),
    lambda v, r: 10**12,
    lambda v, r: {**v, "unexpectedKey": 1} if isinstance(v, dict) else v,
    lambda v, r: (
        {k: x for k, x in v.items() if k != r.choice(list(v))}
        if isinstance(v, dict) and v
        else v
    ),
    lambda v, r: v + v + v if isinstance(v, list) else v,
)


def _mutate(value: Any, rng: random.Random) -> Any:
    mutated = copy.deepcopy(value)
    path = rng.choice(_spots(mutated))
    change = rng.choice(MUTATIONS)
    if not path:
        return change(mutated, rng)
    parent = mutated
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = change(parent[path[-1]], rng)
    return mutated


@pytest.mark.parametrize(
    "key",
    SCHEMAS,
    ids=[f"{v.value}-{a}-{'req' if r else 'res'}" for v, a, r in SCHEMAS],
)
def test_compiled_check_agrees_with_jsonschema(key: Any) -> None:
    schema = json.loads(validation._SCHEMA_TEXT[key])
    try:
        check = compile_schema(schema)
    except UnsupportedSchemaError:
        # Only the three 1.6 schemas with decimal multipleOf stay uncompiled.
        assert key[1] in (
            "SetChargingProfile",
            "RemoteStartTransaction",
            "GetCompositeSchedule",
        )
        return
    reference = Draft4Validator(schema)
    rng = random.Random(f"{key[0].value}{key[1]}{key[2]}")
    for _ in range(5):
        instance = _generate(schema, schema, rng)
        assert check(instance) is reference.is_valid(instance) is True, instance
        for _ in range(20):
            mutated = _mutate(instance, rng)
            assert check(mutated) == reference.is_valid(mutated), mutated
