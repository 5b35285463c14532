"""SMTP sessions for the email connector: connect, secure, log in, and map every failure once.

A session is short-lived (one per test or send): connect with the configured ``security`` (implicit
TLS, STARTTLS or none), EHLO, log in when a username is set, and QUIT at the end. Failures become
the SDK's typed errors here and nowhere else; the password never appears in a message.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from connectors.sdk import ConfigError, ConnectorError, Context, PermanentError, TransientError

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORT = 587
DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True)
class SmtpSettings:
    """The connection's settings with defaults applied (``Context.config`` holds them raw)."""

    host: str
    port: int
    security: str
    verify_tls: bool
    username: str
    password: str = field(repr=False)  # never in a repr, a traceback or a log line
    from_address: str
    from_name: str
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """Read and check the connection settings; a missing or bad one is a ConfigError."""
        host = str(config.get("host") or "").strip()
        from_address = str(config.get("from_address") or "").strip()
        security = str(config.get("security") or "starttls")
        problems = []
        if not host:
            problems.append("host is required")
        if not from_address:
            problems.append("from_address is required")
        if security not in SECURITY_MODES:
            problems.append(f"security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        try:
            port = int(config.get("port") or DEFAULT_PORT)
            timeout = float(config.get("timeout_seconds") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            problems.append("port and timeout_seconds must be numbers")
            port, timeout = DEFAULT_PORT, DEFAULT_TIMEOUT
        if problems:
            raise ConfigError("email connection settings: " + "; ".join(problems), reason="settings")
        return cls(
            host=host,
            port=port,
            security=security,
            verify_tls=config.get("verify_tls", True) is not False,
            username=str(config.get("username") or ""),
            password=str(config.get("password") or ""),
            from_address=from_address,
            from_name=str(config.get("from_name") or ""),
            timeout=timeout,
        )


class _TrackData:
    """Remembers whether DATA was sent: a failure after that may follow a delivered message."""

    data_started = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)  # type: ignore[misc, no-any-return]


class SmtpClient(_TrackData, smtplib.SMTP):
    """Plain or STARTTLS connection."""


class SmtpSslClient(_TrackData, smtplib.SMTP_SSL):
    """Implicit TLS connection (usually port 465)."""


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """System trust store and hostname check, unless ``verify_tls`` was turned off for this server."""
    context = ssl.create_default_context()
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@contextmanager
def session(settings: SmtpSettings) -> Iterator[SmtpClient | SmtpSslClient]:
    """A connected, secured and logged-in SMTP client; QUIT (or close) on the way out."""
    client = open_client(settings)
    try:
        yield client
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def open_client(settings: SmtpSettings) -> SmtpClient | SmtpSslClient:
    """Connect, EHLO, STARTTLS when asked, and LOGIN when a username is set."""
    step = "connect"
    client: SmtpClient | SmtpSslClient | None = None
    try:
        if settings.security == "ssl":
            client = SmtpSslClient(
                settings.host, settings.port, timeout=settings.timeout, context=tls_context(settings)
            )
        else:
            client = SmtpClient(settings.host, settings.port, timeout=settings.timeout)
        step = "ehlo"
        client.ehlo_or_helo_if_needed()
        if settings.security == "starttls":
            step = "starttls"
            client.starttls(context=tls_context(settings))
            client.ehlo()
        if settings.username:
            step = "login"
            client.login(settings.username, settings.password)
    except (smtplib.SMTPException, OSError) as exc:
        if client is not None:
            client.close()
        raise connection_error(exc, settings, step) from None
    except UnicodeError:  # IDNA refused the host name, or LOGIN could not encode the credentials
        if client is not None:
            client.close()
        raise unencodable_error(settings, step) from None
    return client


def unencodable_error(settings: SmtpSettings, step: str) -> ConfigError:
    """A setting smtplib cannot even put on the wire; neither the username nor password is quoted."""
    if step == "login":
        return ConfigError("the username or password contains characters other than ASCII, which SMTP "
                           "login cannot send; use an ASCII app password",
                           internal_message=f"SMTP {settings.where} at login: UnicodeEncodeError")
    return ConfigError(f"the SMTP host {settings.host!r} is not a valid host name (an empty or too long "
                       "part between dots)", internal_message=f"SMTP {settings.where} at {step}: UnicodeError")


def connection_error(exc: BaseException, settings: SmtpSettings, step: str) -> ConnectorError:
    """Map a failure while connecting, securing or logging in to the typed error tree."""
    where = settings.where
    internal = f"SMTP {where} ({settings.security}) at {step}: {exc.__class__.__name__}: {exc}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return ConfigError(
            "the SMTP server refused the username or password",
            internal_message=f"SMTP {where} at login: {exc.smtp_code} {_text(exc.smtp_error)}",
            reason="unauthorized",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConfigError(
            f"the TLS certificate of {where} could not be verified ({exc.verify_message}); fix the "
            "certificate or the host name, or turn off verify_tls only for a server you trust",
            internal_message=internal, reason="tls",
        )
    if isinstance(exc, ssl.SSLError):
        return ConfigError(
            f"TLS with {where} failed while using security '{settings.security}'; check the security "
            "setting: port 465 usually needs 'ssl', port 587 'starttls', and 'none' sends in clear",
            internal_message=internal, reason="tls",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        offer = "STARTTLS" if step == "starttls" else "AUTH (login)"
        hint = "choose security 'ssl' or 'none'" if step == "starttls" else "check the security setting"
        return ConfigError(f"the SMTP server at {where} does not offer {offer}; {hint}",
                           internal_message=internal, reason="settings")
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply_error(exc.smtp_code, exc.smtp_error, f"the SMTP server at {where} refused {step}",
                           internal=internal, config=True)
    if timed_out(exc):
        hint = ""
        if step in ("connect", "ehlo") and settings.security != "ssl":
            hint = "; if the server uses implicit TLS (usually port 465), set security to 'ssl'"
        return TransientError(f"the SMTP server at {where} did not answer within "
                              f"{settings.timeout:g} s during {step}{hint}", internal_message=internal,
                              reason="timeout")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientError(f"the SMTP server at {where} closed the connection during {step}",
                              internal_message=internal, reason="unreachable")
    if isinstance(exc, smtplib.SMTPException):  # e.g. "No suitable authentication method found."
        return ConfigError(f"SMTP {where} at {step}: {exc}", internal_message=internal)
    if isinstance(exc, socket.gaierror):
        return TransientError(f"could not resolve the SMTP host {settings.host!r}; check the host name",
                              internal_message=internal, reason="unreachable")
    if isinstance(exc, ConnectionRefusedError):
        return TransientError(
            f"the SMTP server at {where} refused the connection; check host and port, or it may be down",
            internal_message=internal, reason="unreachable",
        )
    return TransientError(f"could not reach the SMTP server at {where} ({exc.__class__.__name__})",
                          internal_message=internal, reason="unreachable")


def timed_out(exc: BaseException) -> bool:
    """smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def reply_error(
    code: int, reply: bytes | str, what: str, *, internal: str, config: bool = False
) -> ConnectorError:
    """An SMTP reply code as a typed error: 4xx is temporary, 5xx is for good."""
    message = f"{what}: {code} {_text(reply)}"
    if 400 <= code < 500:
        return TransientError(message, internal_message=internal, status_code=code)
    if config:
        return ConfigError(message, internal_message=internal, status_code=code)
    return PermanentError(message, internal_message=internal, status_code=code)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


def test_credentials(ctx: Context) -> str:
    """Open a session exactly as a send would (connect, TLS, EHLO, LOGIN) and QUIT."""
    settings = SmtpSettings.from_config(ctx.config)
    with session(settings):
        pass
    who = f"as {settings.username}" if settings.username else "without login"
    return f"Connected to {settings.where} {who}"


def send(settings: SmtpSettings, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, str]]:
    """Send ``message`` to the envelope ``recipients``; return the ones refused while others got it."""
    with session(settings) as client:
        try:
            refused = client.send_message(message, from_addr=settings.from_address, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise send_error(exc, settings, data_started=client.data_started) from None
    return {address: (code, _text(reply)) for address, (code, reply) in refused.items()}


def send_error(exc: BaseException, settings: SmtpSettings, *, data_started: bool) -> ConnectorError:
    """Map a failure during MAIL/RCPT/DATA; ambiguous only when the message may have been delivered."""
    where = settings.where
    internal = f"SMTP {where} sending: {exc.__class__.__name__}: {exc}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = {address: (code, _text(reply)) for address, (code, reply) in exc.recipients.items()}
        listed = "; ".join(f"{address}: {code} {reply}" for address, (code, reply) in replies.items())
        if any(400 <= code < 500 for code, _ in replies.values()):
            return TransientError(f"the SMTP server temporarily refused the recipients ({listed})",
                                  internal_message=internal)
        return PermanentError(f"the SMTP server refused every recipient ({listed})",
                              internal_message=internal)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return reply_error(exc.smtp_code, exc.smtp_error,
                           f"the SMTP server refused the sender {settings.from_address}; check from_address",
                           internal=internal, config=True)
    if isinstance(exc, smtplib.SMTPDataError):
        return reply_error(exc.smtp_code, exc.smtp_error, "the SMTP server rejected the message",
                           internal=internal)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentError(f"the SMTP server at {where} cannot take this message: {exc} (non-ASCII "
                              "addresses need SMTPUTF8)", internal_message=internal)
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply_error(exc.smtp_code, exc.smtp_error, f"the SMTP server at {where} refused the send",
                           internal=internal)
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        if timed_out(exc):
            what = f"did not answer within {settings.timeout:g} s"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            what = "closed the connection"
        else:
            what = f"failed ({exc.__class__.__name__})"
        if data_started:
            return TransientError(
                f"the SMTP server at {where} {what} while the message was being handed over; "
                "it may have been delivered",
                internal_message=internal, ambiguous=True,
            )
        return TransientError(f"the SMTP server at {where} {what} before the message was sent",
                              internal_message=internal)
    return PermanentError(f"the SMTP server at {where} could not take the message: {exc}",
                          internal_message=internal)
