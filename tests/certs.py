"""Real X.509 material for the TLS tests: a CA, a server and client certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pki:
    """Files of a test PKI."""

    ca: Path
    server_cert: Path
    server_key: Path
    folder: Path

    def client_context(self, charger_id: str | None = None) -> ssl.SSLContext:
        """Return a client context trusting our CA, with a client cert if asked."""
        context = ssl.create_default_context(cafile=str(self.ca))
        if charger_id is not None:
            cert, key = self.client_files(charger_id)
            context.load_cert_chain(str(cert), str(key))
        return context

    def client_files(self, charger_id: str) -> tuple[Path, Path]:
        return (
            self.folder / f"{charger_id}.pem",
            self.folder / f"{charger_id}.key",
        )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # Python 3.13 verifies strictly (RFC 5280): key identifiers required.
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path, client_ids: tuple[str, ...]) -> Pki:
    """Create a CA, a server certificate for 127.0.0.1 and client certificates."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _issue("Test OCPP CA", ca_key, _name("Test OCPP CA"), ca_key, ca=True)
    ca_path, _ = _write(folder, "ca", ca_cert, ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _issue("127.0.0.1", server_key, ca_cert.subject, ca_key, server=True)
    server_cert_path, server_key_path = _write(
        folder, "server", server_cert, server_key
    )
    for charger_id in client_ids:
        key = ec.generate_private_key(ec.SECP256R1())
        _write(
            folder, charger_id, _issue(charger_id, key, ca_cert.subject, ca_key), key
        )
    return Pki(ca_path, server_cert_path, server_key_path, folder)
