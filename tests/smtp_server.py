"""A real SMTP server on loopback for tests: aiosmtpd in a thread, messages kept in memory.

Connectors and the engine are tested against a server that speaks real SMTP, so what the tests
prove (envelope, headers, AUTH, STARTTLS, implicit TLS, refusals) is what a mail server sees::

    from tests.smtp_server import SmtpServer

    with SmtpServer(username="ponte", password="s3nh4", tls="starttls") as server:
        ...  # send to server.host:server.port (the certificate is self-signed: don't verify it)
        received = server.messages[0]
        assert received.message["Subject"] == "Olá"
        assert received.rcpt_tos == ["cliente@example.com"]

Refusals are scripted per server: ``refuse={"gone@example.com": "550 5.1.1 no such user"}``
refuses a recipient at RCPT, ``data_reply="451 4.3.0 try later"`` refuses every message at the end
of DATA, and ``disconnect_after_data=True`` keeps the message but drops the connection before the
reply (the client cannot know whether it was delivered).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hmac
import ipaddress
import socket
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TlsMode = Literal["none", "starttls", "ssl"]
LOOPBACK = "127.0.0.1"


def unused_port(host: str = LOOPBACK) -> int:
    """A TCP port nothing listens on right now (for "connection refused" tests and for servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def write_self_signed_cert(directory: Path, host: str = LOOPBACK) -> tuple[Path, Path]:
    """A fresh self-signed certificate for ``localhost`` and ``host``; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt_names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server got it: the parsed message plus the SMTP envelope."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    authenticated_as: str | None
    tls: bool

    def body(self, subtype: str) -> str | None:
        """The decoded ``text/<subtype>`` part ("plain" or "html") with ``\n`` line ends, None when absent."""
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_type() != f"text/{subtype}":
            return None
        return str(part.get_content()).replace("\r\n", "\n")

    @property
    def text(self) -> str | None:
        return self.body("plain")

    @property
    def html(self) -> str | None:
        return self.body("html")


class _Handler:
    """aiosmtpd hooks: scripted refusals at RCPT and DATA, everything accepted is kept."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.owner.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.owner.data_reply:
            return self.owner.data_reply
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        auth = session.auth_data if session.authenticated else None
        transport = server.transport
        self.owner.messages.append(
            ReceivedMessage(
                message=parsed,  # type: ignore[arg-type]  # policy.default yields EmailMessage
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                authenticated_as=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            )
        )
        if self.owner.disconnect_after_data and transport is not None:
            transport.abort()
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on ``host:port`` (a free loopback port) for the length of a ``with`` block.

    ``username``/``password`` turn on AUTH (PLAIN and LOGIN; allowed without TLS, since this is
    loopback). ``tls`` is "none", "starttls" (offers STARTTLS; ``require_starttls`` refuses mail
    until it is used) or "ssl" (implicit TLS from the first byte). The certificate is self-signed,
    generated at start; ``cert_path`` points at it for clients that want to trust it.
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TlsMode = "none",
        require_starttls: bool = False,
        refuse: Mapping[str, str] | None = None,
        data_reply: str | None = None,
        disconnect_after_data: bool = False,
        host: str = LOOPBACK,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.username = username
        self.password = password
        self.tls = tls
        self.require_starttls = require_starttls
        self.refuse = {address.lower(): reply for address, reply in (refuse or {}).items()}
        self.data_reply = data_reply
        self.disconnect_after_data = disconnect_after_data
        self.host = host
        self.port = 0
        self.messages: list[ReceivedMessage] = []
        self.cert_path: Path | None = None
        self._controller: Controller | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.username is None or self.password is None:
            return AuthResult(success=False, handled=False)
        ok = hmac.compare_digest(auth_data.login, self.username.encode()) and hmac.compare_digest(
            auth_data.password, self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _tls_context(self) -> ssl.SSLContext:
        self._tmp = tempfile.TemporaryDirectory(prefix="ponte-smtp-")
        cert, key = write_self_signed_cert(Path(self._tmp.name), self.host)
        self.cert_path = cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context

    def start(self) -> SmtpServer:
        """Start listening; returns self. Retries on a port taken between choosing and binding."""
        kwargs: dict[str, Any] = {"server_hostname": "smtp.ponte.test", "ready_timeout": 10.0}
        if self.username is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        if self.tls == "starttls":
            kwargs.update(tls_context=self._tls_context(), require_starttls=self.require_starttls)
        elif self.tls == "ssl":
            kwargs["ssl_context"] = self._tls_context()
        last_error: OSError | None = None
        for _ in range(5):
            port = unused_port(self.host)
            controller = Controller(_Handler(self), hostname=self.host, port=port, **kwargs)
            try:
                controller.start()
            except OSError as exc:
                last_error = exc
                continue
            self._controller, self.port = controller, port
            return self
        self._cleanup_tmp()
        raise RuntimeError(f"could not start the test SMTP server: {last_error}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
