"""OCPP security profiles: Basic auth, TLS and client certificates.

Profile 1: HTTP Basic auth (username = charger id) on a plain WebSocket.
Profile 2: TLS (>= 1.2) plus Basic auth. Profile 3: TLS with a client
certificate issued by our CA whose common name is the charger id. A server
runs exactly one profile, so a charger can never fall back to a lower one.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import IntEnum
import hmac
import secrets
import ssl
from typing import Any


class SecurityProfile(IntEnum):
    """The OCPP security profiles we serve."""

    NONE = 0
    BASIC_AUTH = 1
    TLS_BASIC_AUTH = 2
    TLS_CLIENT_CERT = 3

    @property
    def uses_tls(self) -> bool:
        """Return True when the server speaks wss://."""
        return self >= SecurityProfile.TLS_BASIC_AUTH

    @property
    def uses_password(self) -> bool:
        """Return True when chargers authenticate with Basic auth."""
        return self in (SecurityProfile.BASIC_AUTH, SecurityProfile.TLS_BASIC_AUTH)


@dataclass(frozen=True, kw_only=True)
class TlsFiles:
    """Paths of the server certificate chain, its key and the client CA."""

    certfile: str
    keyfile: str
    cafile: str | None = None


def new_password() -> str:
    """Return a strong charger password valid in 1.6 and 2.0.1.

    40 hex characters: 1.6 AuthorizationKey takes 16-40 bytes shown as hex,
    2.0.1 BasicAuthPassword a 16-40 character string.
    """
    return secrets.token_hex(20)


def server_ssl_context(
    profile: SecurityProfile, files: TlsFiles | None
) -> ssl.SSLContext | None:
    """Build the server TLS context (blocking: reads files)."""
    if not profile.uses_tls:
        return None
    if files is None:
        raise ValueError("TLS profiles need a certificate and a key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.certfile, files.keyfile)
    if profile is SecurityProfile.TLS_CLIENT_CERT:
        if not files.cafile:
            raise ValueError("Profile 3 needs the CA that signs charger certificates")
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(files.cafile)
    return context


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Parse an ``Authorization: Basic`` header into (user, password)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def password_matches(given: str, accepted: tuple[str, ...]) -> bool:
    """Compare in constant time against every currently valid password."""
    return any(
        hmac.compare_digest(given.encode(), password.encode()) for password in accepted
    )


def certificate_common_name(peercert: dict[str, Any] | None) -> str | None:
    """Return the subject CN of a verified peer certificate."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
