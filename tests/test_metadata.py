"""Manifest, hacs.json, translations and architecture rules."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re

import yaml

from custom_components.ocpp_csms.const import DOMAIN
from scripts.translations import render

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "custom_components" / DOMAIN

QUALITY_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules",
    "config-flow-test-coverage", "config-flow", "dependency-transparency",
    "docs-actions", "docs-high-level-description", "docs-installation-instructions",
    "docs-removal-instructions", "entity-event-setup", "entity-unique-id",
    "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
    "unique-config-entry", "action-exceptions", "config-entry-unloading",
    "docs-configuration-parameters", "docs-installation-parameters",
    "entity-unavailable", "integration-owner", "log-when-unavailable",
    "parallel-updates", "reauthentication-flow", "test-coverage", "devices",
    "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases",
    "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations",
    "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def test_manifest_follows_hassfest_rules() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "keys after domain and name must be sorted"
    assert manifest["domain"] == DOMAIN
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "local_push"
    assert manifest["version"].count(".") == 2
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    for url_key in ("documentation", "issue_tracker"):
        assert manifest[url_key].startswith("https://")
    assert manifest["loggers"]
    names = set()
    for requirement in manifest["requirements"]:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement} must be pinned with =="
        names.add(name)
    assert {"ocpp", "websockets"} <= names
    # Custom integrations may not declare a quality scale in the manifest.
    assert "quality_scale" not in manifest


def test_requirements_match_test_stack() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    pinned = (ROOT / "requirements.txt").read_text().split()
    for requirement in manifest["requirements"]:
        assert requirement in pinned


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"]
    major, minor, _patch = hacs["homeassistant"].split(".")
    assert (int(major), int(minor)) <= (2026, 2)
    assert set(hacs) <= {
        "name", "homeassistant", "render_readme", "content_in_root", "zip_release",
        "filename", "hide_default_branch", "country", "hacs", "persistent_directory",
    }  # fmt: skip


def test_quality_scale_lists_every_rule() -> None:
    rules = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_RULES
    for name, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status != "done":
            assert value["comment"], f"{name} needs a reason"


def test_translations_are_generated_from_strings() -> None:
    assert (PACKAGE / "translations" / "en.json").read_text() == render()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            found.add("." * node.level + module)
    return found


def test_core_and_brain_never_import_homeassistant() -> None:
    for folder in ("csms", "charging"):
        for path in (PACKAGE / folder).rglob("*.py"):
            for module in _imports(path):
                assert not module.startswith("homeassistant"), f"{path}: {module}"


def test_core_does_not_import_charging_brain() -> None:
    for path in (PACKAGE / "csms").rglob("*.py"):
        for module in _imports(path):
            assert "charging" not in module.split("."), f"{path}: {module}"
            assert not module.startswith(".."), f"{path} reaches outside csms/"


def test_simulator_shares_no_code_with_integration() -> None:
    for path in (ROOT / "simulator").rglob("*.py"):
        for module in _imports(path):
            assert "custom_components" not in module, f"{path}: {module}"


def _readme_row(title: str) -> list[set[str]]:
    """Return the action names in each version column of a README table row."""
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith(f"| {title} |"):
            cells = [cell.strip() for cell in line.strip("|").split("|")[1:]]
            return [{name.strip() for name in cell.split(",")} for cell in cells]
    raise AssertionError(f"README has no row {title!r}")


def test_readme_features_match_handlers() -> None:
    """The supported-features table lists exactly the actions we handle/send."""
    from custom_components.ocpp_csms.csms.v16 import V16Adapter
    from custom_components.ocpp_csms.csms.v201 import V201Adapter

    handled_v16, handled_v201, handled_v21 = _readme_row("Charger → CSMS handled")
    assert handled_v16 == set(V16Adapter(None).handlers)  # type: ignore[arg-type]
    assert handled_v201 == set(V201Adapter(None).handlers)  # type: ignore[arg-type]
    assert handled_v21 == {"as 2.0.1"}

    sent_v16, sent_v201, _ = _readme_row("CSMS → charger sent")
    source = "".join(
        (PACKAGE / "csms" / name).read_text()
        for name in ("commands.py", "central.py", "configuration.py")
    )
    sent_in_code = set(re.findall(r'(?:call|_request)\(\s*"([A-Z][A-Za-z]+)"', source))
    assert sent_v16 | sent_v201 == sent_in_code
