"""The measured server: a real Home Assistant core running the ocpp_csms hub.

The core is built like ``homeassistant.bootstrap`` builds it (real event
loop policy, registries and storage in a temporary config directory, the core
integrations, then ``hass.async_start``) but without the default integrations
(frontend, http, automations...), which have nothing to do with chargers.
``--recorder`` adds the recorder (SQLite in the config directory) as a real
installation has it. The hub entry is added with auto-accept on, so every
charger becomes a subentry, a device and its entities at its first boot.

Run by ``benchmarks.load``; not meant to be started by hand.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import sys
import tempfile
from types import MappingProxyType
from typing import Any

from homeassistant import bootstrap, loader, runner
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntries,
    ConfigEntry,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    recorder as recorder_helper,
)
from homeassistant.setup import async_setup_component

from ._child import Control, raise_fd_limit, setup_logging

REPO_ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "ocpp_csms"
STOP_TIMEOUT = 60
DEFAULT_MAX_CONNECTIONS = 1000


async def start_core(config_dir: Path, *, recorder: bool) -> HomeAssistant:
    """Return a started core with registries and storage in ``config_dir``."""
    hass = HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True
    hass.config_entries = ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    await bootstrap.async_load_base_functionality(hass)
    for domain in sorted(bootstrap.CORE_INTEGRATIONS):
        if not await async_setup_component(hass, domain, {}):
            raise RuntimeError(f"Core integration {domain} did not set up")
    await async_process_ha_core_config(
        hass,
        {
            "name": "OCPP benchmark",
            "latitude": 0,
            "longitude": 0,
            "elevation": 0,
            "unit_system": "metric",
            "time_zone": "UTC",
        },
    )
    if recorder:
        # What bootstrap does before it sets the recorder up.
        recorder_helper.async_initialize_recorder(hass)
    if recorder and not await async_setup_component(
        hass,
        "recorder",
        {"recorder": {"db_url": f"sqlite:///{config_dir / 'home-assistant_v2.db'}"}},
    ):
        raise RuntimeError("The recorder did not set up")
    await hass.async_start()
    return hass


async def add_hub(
    hass: HomeAssistant, chargers: int, port: int = 0
) -> ConfigEntry[Any]:
    """Add and set up the hub entry, listening on 127.0.0.1 (port 0: a free one).

    Default options but auto-accept; the connection limit (default 1000) is
    raised only when more chargers than that are coming.
    """
    options: dict[str, Any] = {"heartbeat_interval": 300, "auto_accept": True}
    if chargers > DEFAULT_MAX_CONNECTIONS:
        options["max_connections"] = chargers
    entry: ConfigEntry[Any] = ConfigEntry(
        domain=DOMAIN,
        title="OCPP benchmark",
        data={"host": "127.0.0.1", "port": port},
        options=options,
        source=SOURCE_USER,
        version=1,
        minor_version=1,
        unique_id=None,
        discovery_keys=MappingProxyType({}),
        subentries_data=None,
    )
    await hass.config_entries.async_add(entry)
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED:
        raise RuntimeError(f"The hub entry did not load: {entry.state}")
    return entry


async def _main(args: argparse.Namespace) -> None:
    control = Control()
    await control.open()
    with tempfile.TemporaryDirectory(prefix="ocpp_bench_ha_") as config_dir:
        hass = await start_core(Path(config_dir), recorder=args.recorder)
        try:
            entry = await add_hub(hass, args.chargers)
            runtime = entry.runtime_data
            control.send({"cmd": "ready", "port": runtime.server.port})

            def extra() -> dict[str, Any]:
                return {
                    "connections": len(runtime.central.connected_ids),
                    "states": hass.states.async_entity_ids_count(),
                    "entities": len(er.async_get(hass).entities),
                    "devices": len(dr.async_get(hass).devices),
                }

            async def settle() -> None:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await hass.async_block_till_done()

            await control.serve(
                lifetime=args.lifetime,
                extra=extra,
                settle=settle,
                profile_path=args.profile,
            )
            async with asyncio.timeout(STOP_TIMEOUT):
                await hass.config_entries.async_unload(entry.entry_id)
        finally:
            async with asyncio.timeout(STOP_TIMEOUT):
                await hass.async_stop()


def main() -> None:
    """Run the core until the load generator says quit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifetime", type=float, default=3600)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--recorder", action="store_true")
    parser.add_argument("--chargers", type=int, default=0)
    args = parser.parse_args()
    if str(REPO_ROOT) not in sys.path:
        # HA finds custom_components/ocpp_csms through the importable
        # ``custom_components`` package (a namespace package here).
        sys.path.insert(0, str(REPO_ROOT))
    raise_fd_limit()
    setup_logging()
    loop = runner.HassEventLoopPolicy(debug=False).new_event_loop()
    with asyncio.Runner(loop_factory=lambda: loop) as run:
        run.run(_main(args))


if __name__ == "__main__":
    main()
