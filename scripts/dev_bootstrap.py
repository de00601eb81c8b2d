"""Helpers for scripts/develop: config dir, free port, onboarding, demo charger.

Talks to the local Home Assistant only through its own HTTP and WebSocket
APIs (127.0.0.1). Sub-commands, all with bounded waits:

  prepare  write ./config (configuration.yaml once, custom_components link)
  port     print the preferred HTTP port, or the next free one
  setup    wait for HA, onboard (first run) or log in, ensure the ocpp_csms
           config entry; prints ``key=value`` lines for the shell on stdout
  accept   wait for the charger's discovery flow and accept it

Messages for people go to stderr; stdout is only for the shell.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import errno
import json
import os
from pathlib import Path
import socket
import sys
import time
from typing import TYPE_CHECKING, Any
import urllib.error
import urllib.parse
import urllib.request

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

DOMAIN = "ocpp_csms"
EXIT_FATAL = 1
EXIT_NO_INTEGRATION = 3
EXIT_INTERRUPTED = 130
# Integrations the onboarding core_config step sets up that need the internet.
NEEDS_INTERNET = frozenset({"google_translate", "met", "radio_browser"})

CONFIGURATION_YAML = """\
# Written once by scripts/develop; edit freely (delete it to get it back).
# A lean set instead of default_config: default_config pulls in bluetooth,
# dhcp, go2rtc, cloud, stream ... which need hardware, binaries or internet.
http:
  server_host: 127.0.0.1
  server_port: !env_var HA_PORT 8123

frontend:
config:
history:
logbook:
energy:
system_health:

logger:
  default: warning
  logs:
    homeassistant.bootstrap: info
    custom_components.ocpp_csms: debug
"""


class BootstrapError(Exception):
    """A step failed; the message says what to do."""


def say(message: str) -> None:
    """Print a message for the person running develop."""
    print(f"develop: {message}", file=sys.stderr, flush=True)


def emit(key: str, value: object) -> None:
    """Print a ``key=value`` line for the calling shell."""
    print(f"{key}={value}", flush=True)


# --------------------------------------------------------------------- prepare


def cmd_prepare(args: argparse.Namespace) -> int:
    """Create the config directory, configuration.yaml and the symlink."""
    config = Path(args.config)
    config.mkdir(parents=True, exist_ok=True)
    yaml_file = config / "configuration.yaml"
    if not yaml_file.exists():
        yaml_file.write_text(CONFIGURATION_YAML, encoding="utf-8")
        say(f"wrote {yaml_file}")
    components = config / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / DOMAIN
    target = Path("..") / ".." / "custom_components" / DOMAIN
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return 0
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise BootstrapError(f"{link} exists and is not a symlink; remove it")
    link.symlink_to(target, target_is_directory=True)
    say(f"linked {link} -> {target}")
    return 0


# ------------------------------------------------------------------------ port


def port_is_free(port: int) -> bool:
    """Return True if 127.0.0.1:port can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def cmd_port(args: argparse.Namespace) -> int:
    """Print the preferred port if free, else the next free one."""
    for port in range(args.preferred, min(args.preferred + 50, 65536)):
        if port_is_free(port):
            emit("port", port)
            return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        emit("port", sock.getsockname()[1])
    return 0


# ------------------------------------------------------------------------ HTTP


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP reply; ``body`` is parsed JSON when possible, else text."""

    status: int
    body: Any


class HomeAssistant:
    """Minimal client for the local Home Assistant's HTTP and WebSocket APIs."""

    def __init__(self, base_url: str) -> None:
        """Remember the base URL (http://127.0.0.1:PORT)."""
        if not base_url.startswith("http://127.0.0.1:"):
            raise BootstrapError(f"refusing non-local URL {base_url}")
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.redirect_uri = f"{self.base_url}/?auth_callback=1"
        self.token: str | None = None
        self.refresh_token: str | None = None
        # Never route 127.0.0.1 through an http_proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, object] | None = None,
        form: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Reply:
        """Send one request; HTTP errors are returned, not raised."""
        headers: dict[str, str] = {}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - base_url checked above
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return Reply(response.status, _parse(response.read()))
        except urllib.error.HTTPError as err:
            return Reply(err.code, _parse(err.read()))

    def expect(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, object] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and return the body of a 200 reply, else raise."""
        reply = self.call(method, path, json_body=json_body, form=form)
        if reply.status != 200:
            raise BootstrapError(f"{method} {path} -> {reply.status}: {reply.body}")
        return reply.body

    # ---------------------------------------------------------------- auth

    def exchange_code(self, code: str) -> None:
        """Turn an authorization code into access and refresh tokens."""
        body = self.expect(
            "POST",
            "/auth/token",
            form={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = str(body["access_token"])
        self.refresh_token = str(body["refresh_token"])

    def login(self, username: str, password: str) -> None:
        """Log in through the login flow API (like the login page does)."""
        flow = self.expect(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
        )
        result = self.expect(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json_body={
                "client_id": self.client_id,
                "username": username,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            raise BootstrapError(
                f"login as {username!r} failed ({result.get('errors')}); if the "
                "password changed, use the old one or delete ./config to start over"
            )
        self.exchange_code(str(result["result"]))

    def logout(self) -> None:
        """Revoke the refresh token so runs do not pile up sessions."""
        if self.refresh_token:
            self.call("POST", "/auth/revoke", form={"token": self.refresh_token})
            self.token = self.refresh_token = None

    # ----------------------------------------------------------- websocket

    def ws(self, *commands: Mapping[str, object]) -> list[Any]:
        """Run WebSocket API commands and return their results in order."""
        url = "ws" + self.base_url.removeprefix("http") + "/api/websocket"
        results: list[Any] = []
        with connect(url, proxy=None, open_timeout=10, max_size=2**24) as conn:
            hello = json.loads(conn.recv(timeout=10))
            if hello.get("type") == "auth_required":
                conn.send(json.dumps({"type": "auth", "access_token": self.token}))
                hello = json.loads(conn.recv(timeout=10))
            if hello.get("type") != "auth_ok":
                raise BootstrapError(f"websocket auth failed: {hello}")
            for msg_id, command in enumerate(commands, start=1):
                conn.send(json.dumps({"id": msg_id, **command}))
                while True:
                    msg = json.loads(conn.recv(timeout=30))
                    if msg.get("id") == msg_id and msg.get("type") == "result":
                        break
                if not msg.get("success"):
                    raise BootstrapError(f"{command['type']} failed: {msg}")
                results.append(msg.get("result"))
        return results


def _parse(raw: bytes) -> Any:
    text = raw.decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def wait_until(
    what: str,
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 1.0,
    alive: Callable[[], bool] | None = None,
) -> bool:
    """Poll ``check`` until True or ``timeout`` seconds; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise BootstrapError(f"gave up waiting for {what}: the process exited")
        try:
            if check():
                return True
        except (OSError, TimeoutError, WebSocketException):
            pass  # not listening yet / connection reset while starting
        time.sleep(interval)
    say(f"timed out after {timeout:.0f}s waiting for {what}")
    return False


def pid_alive(pid: int | None) -> Callable[[], bool]:
    """Return a probe telling whether ``pid`` still runs (not a zombie)."""

    def probe() -> bool:
        if pid is None:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"

    return probe


# ----------------------------------------------------------------------- setup


def onboard(ha: HomeAssistant, username: str, password: str, country: str) -> bool:
    """Finish onboarding via the onboarding API; False if it was done before."""
    reply = ha.call("GET", "/api/onboarding")
    if reply.status == 404:  # the view is not registered once onboarded
        return False
    if reply.status != 200:
        raise BootstrapError(f"GET /api/onboarding -> {reply.status}: {reply.body}")
    done = {step["step"] for step in reply.body if step["done"]}
    if "user" not in done:
        say(f"first run: onboarding, creating user {username!r}")
        body = ha.expect(
            "POST",
            "/api/onboarding/users",
            json_body={
                "name": "Demo",
                "username": username,
                "password": password,
                "client_id": ha.client_id,
                "language": "en",
            },
        )
        ha.exchange_code(str(body["auth_code"]))
    else:
        ha.login(username, password)
    if "core_config" not in done:
        # The onboarding page stores location settings first; the country
        # avoids the "country not configured" repair issue.
        ha.ws({"type": "config/core/update", "country": country})
        ha.expect("POST", "/api/onboarding/core_config", json_body={})
    if "analytics" not in done:
        ha.expect("POST", "/api/onboarding/analytics", json_body={})
    if "integration" not in done:
        ha.expect(
            "POST",
            "/api/onboarding/integration",
            json_body={"client_id": ha.client_id, "redirect_uri": ha.redirect_uri},
        )
    say("onboarding complete")
    return True


def drop_offline_onboarding_entries(ha: HomeAssistant, *, settle: float) -> None:
    """Remove entries that onboarding adds but that need the internet.

    The core_config step starts those flows in the background; right after
    onboarding, wait up to ``settle`` seconds for radio_browser to appear.
    """
    deadline = time.monotonic() + settle
    while True:
        entries = ha.expect("GET", "/api/config/config_entries/entry")
        domains = {entry["domain"] for entry in entries}
        if "radio_browser" in domains or time.monotonic() >= deadline:
            break
        time.sleep(1)
    for entry in entries:
        if entry["domain"] in NEEDS_INTERNET and entry["source"] == "onboarding":
            ha.expect("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}")
            say(f"removed {entry['domain']} (added by onboarding, needs internet)")


def entry_settings(config: Path, entry_id: str) -> dict[str, Any]:
    """Read an entry's data+options from HA's storage (for host and port)."""
    path = config / ".storage" / "core.config_entries"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]
    except (OSError, ValueError, KeyError):
        return {}
    for entry in entries:
        if entry.get("entry_id") == entry_id:
            return {**entry.get("data", {}), **entry.get("options", {})}
    return {}


def ensure_entry(ha: HomeAssistant, args: argparse.Namespace) -> dict[str, Any]:
    """Return the ocpp_csms entry's settings, creating the entry if missing."""
    entries = ha.expect("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    if entries:
        entry = entries[0]
        say(f"{DOMAIN} config entry exists ({entry['title']!r}, {entry['state']})")
        settings = entry_settings(Path(args.config), entry["entry_id"])
        return {"host": args.ocpp_host, "port": args.ocpp_port, **settings} | {
            "state": entry["state"]
        }
    reply = ha.call(
        "POST", "/api/config/config_entries/flow", json_body={"handler": DOMAIN}
    )
    if reply.status != 200:
        raise BootstrapError(
            f"cannot start the {DOMAIN} config flow ({reply.status}: {reply.body}); "
            "is the integration loadable? see config/home-assistant.log"
        )
    user_input = {
        "host": args.ocpp_host,
        "port": args.ocpp_port,
        "heartbeat_interval": args.heartbeat,
    }
    result = reply.body
    if result.get("type") == "form":
        result = ha.expect(
            "POST",
            f"/api/config/config_entries/flow/{result['flow_id']}",
            json_body=user_input,
        )
    if result.get("type") != "create_entry":
        if result.get("type") == "form":  # e.g. errors: port_in_use
            ha.call("DELETE", f"/api/config/config_entries/flow/{result['flow_id']}")
        raise BootstrapError(f"{DOMAIN} config flow did not create an entry: {result}")
    state = result["result"].get("state", "?")
    say(f"created {DOMAIN} config entry {result['title']!r} ({state})")
    return {"host": args.ocpp_host, "port": args.ocpp_port, "state": state}


def cmd_setup(args: argparse.Namespace) -> int:
    """Wait for HA, onboard or log in, check the API, ensure the entry."""
    ha = HomeAssistant(args.url)
    alive = pid_alive(args.ha_pid)
    say(f"waiting for Home Assistant at {ha.base_url} (up to {args.timeout}s)")
    # The frontend serves manifest.json once it (and onboarding) is set up.
    if not wait_until(
        "the frontend",
        lambda: ha.call("GET", "/manifest.json", timeout=5).status == 200,
        timeout=args.timeout,
        alive=alive,
    ):
        return EXIT_FATAL
    try:
        onboarded_now = onboard(ha, args.username, args.password, args.country)
        if not onboarded_now:
            ha.login(args.username, args.password)
            say(f"logged in as {args.username!r}")
        api = ha.expect("GET", "/api/")
        say(f"GET /api/ with the token -> {api.get('message')!r}")
        if not wait_until(
            "Home Assistant to finish starting",
            lambda: ha.expect("GET", "/api/config").get("state") == "RUNNING",
            timeout=args.timeout,
            alive=alive,
        ):
            return EXIT_FATAL
        drop_offline_onboarding_entries(ha, settle=20 if onboarded_now else 0)
        try:
            settings = ensure_entry(ha, args)
        except BootstrapError as err:
            say(str(err))
            return EXIT_NO_INTEGRATION
    finally:
        ha.logout()
    emit("ocpp_host", settings["host"])
    emit("ocpp_port", settings["port"])
    emit("entry_state", settings["state"])
    return 0


# ---------------------------------------------------------------------- accept


def find_discovery_flow(ha: HomeAssistant, charger_id: str) -> dict[str, Any] | None:
    """Return the in-progress discovery flow for ``charger_id``, if any."""
    (flows,) = ha.ws({"type": "config_entries/flow/progress"})
    candidates = [
        flow
        for flow in flows
        if flow.get("handler") == DOMAIN
        and flow.get("context", {}).get("source") == "integration_discovery"
    ]
    for flow in candidates:
        if charger_id in json.dumps(flow.get("context", {})):
            return dict(flow)
    # A flow whose context names no charger at all: take it if it is the only one.
    if len(candidates) == 1 and "unique_id" not in candidates[0].get("context", {}):
        return dict(candidates[0])
    return None


def device_known(ha: HomeAssistant, charger_id: str) -> bool:
    """Return True if the device registry already has this charger."""
    (devices,) = ha.ws({"type": "config/device_registry/list"})
    return any(
        charger_id in json.dumps([dev.get("identifiers"), dev.get("name")])
        for dev in devices
    )


def cmd_accept(args: argparse.Namespace) -> int:
    """Wait (bounded) for the charger's discovery flow and accept it."""
    ha = HomeAssistant(args.url)
    sim_alive = pid_alive(args.sim_pid)
    ha.login(args.username, args.password)
    try:
        say(
            f"waiting for the discovery flow of {args.charger_id} (up to {args.timeout}s)"
        )
        started = time.monotonic()
        found: dict[str, Any] = {}

        def check() -> bool:
            flow = find_discovery_flow(ha, args.charger_id)
            if flow is not None:
                found.update(flow)
                return True
            # Accepted on an earlier run: no new flow will come.
            return time.monotonic() - started > args.known_grace and device_known(
                ha, args.charger_id
            )

        if not wait_until(
            f"{args.charger_id} to show up",
            check,
            timeout=args.timeout,
            alive=sim_alive,
        ):
            say("accept it by hand: Settings -> Devices & services -> Discovered")
            emit("charger", "pending")
            return 0
        if not found:
            say(f"{args.charger_id} is already a known device")
            emit("charger", "accepted on an earlier run")
            return 0
        result = ha.expect(
            "POST", f"/api/config/config_entries/flow/{found['flow_id']}", json_body={}
        )
        outcome = result.get("type")
        detail = result.get("reason") or result.get("title") or result.get("errors")
        say(f"accepted {args.charger_id}: flow {outcome} ({detail})")
        accepted = outcome == "create_entry" or result.get("reason") in (
            "charger_accepted",
            "already_configured",
        )
        emit("charger", "accepted" if accepted else f"flow ended: {detail}")
        return 0
    finally:
        ha.logout()


# ------------------------------------------------------------------------ main


def build_parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    prepare = sub.add_parser("prepare", help="write the config directory")
    prepare.add_argument("--config", default="config")
    prepare.set_defaults(func=cmd_prepare)

    port = sub.add_parser("port", help="pick a free HTTP port")
    port.add_argument("--preferred", type=int, default=8123)
    port.set_defaults(func=cmd_port)

    def common(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
        cmd.add_argument("--username", default="demo")
        cmd.add_argument(
            "--password",
            default=os.environ.get("HA_DEMO_PASSWORD", "demo-password-123"),
            help="default: $HA_DEMO_PASSWORD (keeps it out of the process list)",
        )
        cmd.add_argument("--timeout", type=int, default=300, help="seconds")

    setup = sub.add_parser("setup", help="onboard or log in, ensure the entry")
    common(setup)
    setup.add_argument("--config", default="config")
    setup.add_argument("--ha-pid", type=int)
    setup.add_argument("--ocpp-host", default="127.0.0.1")
    setup.add_argument("--ocpp-port", type=int, default=9000)
    setup.add_argument("--heartbeat", type=int, default=300)
    setup.add_argument("--country", default="DE", help="set during onboarding")
    setup.set_defaults(func=cmd_setup)

    accept = sub.add_parser("accept", help="accept the charger's discovery flow")
    common(accept)
    accept.add_argument("--charger-id", default="CP_DEMO")
    accept.add_argument("--sim-pid", type=int)
    accept.add_argument(
        "--known-grace",
        type=float,
        default=5.0,
        help="seconds to wait for a flow before trusting an existing device",
    )
    accept.set_defaults(func=cmd_accept)
    return parser


def main() -> int:
    """Run one sub-command."""
    args = build_parser().parse_args()
    try:
        return int(args.func(args))
    except BootstrapError as err:
        say(f"error: {err}")
        return EXIT_FATAL
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
