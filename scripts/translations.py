"""Write translations/en.json from strings.json, resolving [%key:...%] references.

Run after editing strings.json: `.venv/bin/python scripts/translations.py`.
A test fails when en.json is out of date.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "ocpp_csms"
_REFERENCE = re.compile(r"\[%key:component::ocpp_csms::(.*)%\]")


def resolve(strings: dict[str, Any]) -> dict[str, Any]:
    """Return strings with every reference to our own keys replaced by its text."""

    def lookup(path: str) -> Any:
        node: Any = strings
        for part in path.split("::"):
            node = node[part]
        return node

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, str) and (match := _REFERENCE.fullmatch(node)):
            return walk(lookup(match.group(1)))
        return node

    result: dict[str, Any] = walk(strings)
    return result


def render() -> str:
    """Return the text en.json should have."""
    strings = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
    return json.dumps(resolve(strings), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (PACKAGE / "translations" / "en.json").write_text(render(), encoding="utf-8")
