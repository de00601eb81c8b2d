"""Start a real Home Assistant on this machine's Python (used by scripts/develop).

Home Assistant 2026.2 declares Python >= 3.13.2, and ``homeassistant.__main__``
refuses to start below ``homeassistant.const.REQUIRED_PYTHON_VER``. The stack
runs fine on 3.13.0 (see GUIDE.md section 8), so when the running interpreter
is a 3.13 release older than the declared minimum, this launcher lowers that
one constant to the running version before ``homeassistant.__main__`` imports
it. Nothing else is patched. All arguments are passed to Home Assistant
unchanged, e.g. ``python scripts/hass_launcher.py -c ./config``.

When Home Assistant asks for a restart (Settings -> System -> Restart), it
exits with ``RESTART_EXIT_CODE``; the launcher then re-executes itself in the
same process id, so the caller keeps a valid pid to signal.
"""

from __future__ import annotations

import os
import sys

import homeassistant.const as ha_const

OLDEST_SUPPORTED: tuple[int, int, int] = (3, 13, 0)


def allow_running_python() -> None:
    """Lower Home Assistant's minimum Python version to the running one."""
    running = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro)
    if running >= ha_const.REQUIRED_PYTHON_VER:
        return
    if running < OLDEST_SUPPORTED:
        sys.exit(f"hass_launcher: Python {sys.version.split()[0]} is too old")
    ha_const.REQUIRED_PYTHON_VER = running  # type: ignore[misc]


def main() -> int:
    """Run Home Assistant's own entry point."""
    allow_running_python()
    from homeassistant import __main__ as ha_main  # noqa: PLC0415

    exit_code = ha_main.main()
    if exit_code == ha_const.RESTART_EXIT_CODE:
        os.execv(sys.executable, [sys.executable, *sys.argv])  # noqa: S606
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
