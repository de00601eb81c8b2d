"""A short seeded fault campaign (benchmarks/faults.py) must keep every invariant.

The campaign runs in its own process: it starts and restarts a real Home
Assistant core (its own event loop policy, storage in a temporary directory)
and simulated chargers of all three OCPP versions on 127.0.0.1, injects faults
and reports what HA got wrong as JSON.

Seed 1 was picked before looking at results. When written, this short run
failed ``test_energy_sensors_are_true``: after a charger's clock went back,
re-ordered late readings were taken for meter resets and energy was doubled
(fixed in the energy counter, cffe815). ``python -m benchmarks.faults_scenarios``
replays that and the other bug longer runs found (a 2.x Started delivered
after its Updated left the session's energy short, fixed in af26dce).
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED, FAULTS, CHARGERS = 1, 60, 3


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the campaign once for every test of this module."""
    out = tmp_path_factory.mktemp("faults") / "result.json"
    done = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
        [
            sys.executable,
            "-m",
            "benchmarks.faults",
            *("--seed", str(SEED), "--faults", str(FAULTS)),
            *("--chargers", str(CHARGERS), "--json", str(out)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), f"campaign crashed:\n{done.stdout}\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    result["printed"] = done.stdout
    return result


def test_campaign_ran_every_version_and_fault(campaign: dict[str, Any]) -> None:
    assert sum(campaign["faults"].values()) == FAULTS
    versions = {v.split()[0] for v in campaign["chargers"].values()}
    assert versions == {"1.6", "2.0.1", "2.1"}
    assert campaign["sessions"] > 0
    assert campaign["stalls"] == 0, campaign["printed"]


def test_energy_sensors_are_true(campaign: dict[str, Any]) -> None:
    """Every EVSE's Energy sensor is its true energy: 0 Wh lost, 0 Wh doubled."""
    figures = (campaign["lost_wh"], campaign["doubled_wh"])
    assert figures == (0, 0), campaign["printed"]
    restored = (campaign["lost_after_restart_wh"], campaign["doubled_after_restart_wh"])
    assert restored == (0, 0), campaign["printed"]


def test_every_session_reported_once_with_its_energy(campaign: dict[str, Any]) -> None:
    assert campaign["sessions_wrong"] == 0, campaign["printed"]


def test_no_traceback_in_the_logs(campaign: dict[str, Any]) -> None:
    assert campaign["tracebacks"] == 0, campaign["printed"]
