"""The WebSocket server chargers dial into: handshake, identity, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
import logging
import ssl
from typing import cast
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .central import CentralSystem
from .const import SUBPROTOCOLS, OcppVersion
from .security import (
    SecurityProfile,
    basic_credentials,
    certificate_common_name,
    password_matches,
)
from .validation import load_schemas

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """Listening address and transport limits."""

    host: str
    port: int
    # Pings keep NAT mappings and chargers that drop idle sockets alive.
    ping_interval: float | None = 60.0
    ping_timeout: float | None = 60.0
    max_frame_size: int = 256 * 1024
    max_connections: int = 1000
    security_profile: SecurityProfile = SecurityProfile.NONE
    # Built by security.server_ssl_context (file I/O, so outside the loop).
    ssl_context: ssl.SSLContext | None = None


def charger_id_from_path(path: str) -> str:
    """Return the charger identity: the last URL path segment, percent-decoded."""
    segment = urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
    return unquote(segment)


def _newest_common(offered: Sequence[str]) -> Subprotocol | None:
    """Return the newest OCPP version the charger offered, if any."""
    for version in SUBPROTOCOLS:
        if version.value in offered:
            return Subprotocol(version.value)
    return None


class CsmsServer:
    """Accept OCPP-J connections and hand them to the central system."""

    def __init__(self, config: ServerConfig, central: CentralSystem) -> None:
        """Prepare the server; ``start`` binds the port."""
        self.config = config
        self._central = central
        self._server: Server | None = None

    @property
    def port(self) -> int:
        """Return the bound port (useful when configured as 0)."""
        if self._server is None:
            return self.config.port
        sockets = list(self._server.sockets)
        return int(sockets[0].getsockname()[1]) if sockets else self.config.port

    async def start(self) -> None:
        """Bind and start accepting connections (raises OSError if it can't)."""
        await asyncio.get_running_loop().run_in_executor(None, load_schemas)
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            subprotocols=[Subprotocol(version.value) for version in SUBPROTOCOLS],
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            max_size=self.config.max_frame_size,
            ssl=self.config.ssl_context,
        )
        _LOGGER.info(
            "OCPP server listening on %s:%s", self.config.host or "*", self.port
        )

    async def stop(self) -> None:
        """Close every connection and the listening socket, then wait."""
        if self._server is None:
            return
        self._server.close(close_connections=True)
        await self._server.wait_closed()
        self._server = None
        await self._central.shutdown()

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        charger_id = charger_id_from_path(request.path)
        if not charger_id:
            _LOGGER.warning(
                "Refused connection from %s: no charger id in path %r",
                connection.remote_address,
                request.path,
            )
            return connection.respond(
                HTTPStatus.NOT_FOUND, "The URL must end with the charger id\n"
            )
        offered = [
            Subprotocol(value.strip())
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for value in header.split(",")
            if value.strip()
        ]
        if _newest_common(offered) is None:
            # Refused here rather than in the handshake: a clean 400 and one
            # clear log line instead of a traceback from websockets.
            _LOGGER.warning(
                "Refused %s from %s: it offered subprotocols %s, we speak %s",
                charger_id,
                connection.remote_address,
                offered or "none",
                [version.value for version in SUBPROTOCOLS],
            )
            return connection.respond(
                HTTPStatus.BAD_REQUEST,
                "Offer one of the OCPP subprotocols "
                + ", ".join(version.value for version in SUBPROTOCOLS)
                + "\n",
            )
        if (failure := self._authenticate(connection, request, charger_id)) is not None:
            _LOGGER.warning(
                "Refused %s from %s: %s",
                charger_id,
                connection.remote_address,
                failure,
            )
            self._central.auth_failed(charger_id, failure)
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="OCPP"'
            return response
        if len(self._central.connected_ids) >= self.config.max_connections:
            _LOGGER.warning(
                "Refused %s: connection limit (%s) reached",
                charger_id,
                self.config.max_connections,
            )
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "Too many connections\n"
            )
        return None

    def _authenticate(
        self, connection: ServerConnection, request: Request, charger_id: str
    ) -> str | None:
        """Return why the charger may not connect, or None when it may."""
        profile = self.config.security_profile
        if profile is SecurityProfile.TLS_CLIENT_CERT:
            common_name = certificate_common_name(
                connection.transport.get_extra_info("peercert")
            )
            if common_name != charger_id:
                return f"client certificate is for {common_name!r}"
            self._central.authenticated(charger_id, None)
            return None
        if not profile.uses_password:
            return None
        credentials = basic_credentials(request.headers.get("Authorization"))
        if credentials is None:
            return "no Basic auth credentials"
        user, password = credentials
        if user != charger_id:
            return f"Basic auth user {user!r} is not the charger id"
        accepted = self._central.passwords(charger_id)
        if not accepted:
            return "not an accepted charger"
        if not password_matches(password, accepted):
            return "wrong password"
        self._central.authenticated(charger_id, password)
        return None

    @staticmethod
    def _select_subprotocol(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        return _newest_common(offered)

    async def _handle(self, connection: ServerConnection) -> None:
        request = cast("Request", connection.request)
        version = OcppVersion(cast("str", connection.subprotocol))
        await self._central.serve(
            charger_id_from_path(request.path), version, connection
        )
