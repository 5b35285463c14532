"""test_credentials and the session: security modes, AUTH and the failures a user must understand."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from connectors.mail import CONNECTOR
from connectors.sdk import ConfigError, Context, TransientError
from tests.smtp_server import SmtpServer, unused_port

MakeContext = Callable[..., Context]

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

PASSWORD = "s3nh4-Sup3r-S3cr3ta"


def test_plain_server_without_login(server: SmtpServer, make_ctx: MakeContext) -> None:
    expected = f"Connected to 127.0.0.1:{server.port} without login"
    assert CONNECTOR.test_credentials(make_ctx(server)) == expected


def test_login_succeeds_with_the_right_password(make_ctx: MakeContext) -> None:
    with SmtpServer(username="ponte", password=PASSWORD) as server:
        ctx = make_ctx(server, username="ponte", password=PASSWORD)
        assert CONNECTOR.test_credentials(ctx) == f"Connected to 127.0.0.1:{server.port} as ponte"


def test_wrong_password_is_a_config_error_without_the_password(make_ctx: MakeContext) -> None:
    wrong = "errada-Nao-Mostrar-123"
    with SmtpServer(username="ponte", password=PASSWORD) as server, pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, username="ponte", password=wrong))
    error = caught.value
    assert error.user_message == "the SMTP server refused the username or password"
    for text in (error.user_message, error.internal_message, str(error), repr(error.__cause__)):
        assert wrong not in text
        assert PASSWORD not in text


def test_starttls_with_a_self_signed_certificate_when_verification_is_off(make_ctx: MakeContext) -> None:
    with SmtpServer(username="ponte", password=PASSWORD, tls="starttls", require_starttls=True) as server:
        ctx = make_ctx(server, security="starttls", verify_tls=False, username="ponte", password=PASSWORD)
        assert CONNECTOR.test_credentials(ctx).startswith("Connected to")


def test_self_signed_certificate_is_refused_when_verification_is_on(make_ctx: MakeContext) -> None:
    with SmtpServer(tls="starttls") as server, pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, security="starttls"))
    assert "certificate" in caught.value.user_message
    assert "verify_tls" in caught.value.user_message


def test_implicit_ssl(make_ctx: MakeContext) -> None:
    with SmtpServer(username="ponte", password=PASSWORD, tls="ssl") as server:
        ctx = make_ctx(server, security="ssl", verify_tls=False, username="ponte", password=PASSWORD)
        assert CONNECTOR.test_credentials(ctx).endswith("as ponte")


def test_ssl_against_a_plain_server_explains_the_security_setting(
    server: SmtpServer, make_ctx: MakeContext
) -> None:
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, security="ssl", verify_tls=False))
    assert "security" in caught.value.user_message


def test_starttls_against_a_server_without_it_is_a_config_error(
    server: SmtpServer, make_ctx: MakeContext
) -> None:
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, security="starttls"))
    assert "does not offer STARTTLS" in caught.value.user_message


def test_closed_port_is_transient(make_ctx: MakeContext) -> None:
    with pytest.raises(TransientError) as caught:
        CONNECTOR.test_credentials(make_ctx(unused_port()))
    assert "refused the connection" in caught.value.user_message
    assert caught.value.ambiguous is False


def test_unknown_host_is_transient_and_names_the_host(server: SmtpServer, make_ctx: MakeContext) -> None:
    with pytest.raises(TransientError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, host="smtp.ponte.invalid"))
    assert "smtp.ponte.invalid" in caught.value.user_message


@pytest.mark.parametrize("host", ["smtp..exemplo.com.br", "x" * 64 + ".exemplo.com.br"])
def test_a_host_name_that_cannot_exist_is_a_config_error(make_ctx: MakeContext, host: str) -> None:
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(unused_port(), host=host))
    assert "not a valid host name" in caught.value.user_message and host in caught.value.user_message


def test_a_password_smtp_login_cannot_encode_is_a_config_error_without_the_password(
        make_ctx: MakeContext) -> None:
    password = "senha-com-ção-123"
    with SmtpServer(username="ponte", password=password) as server, pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(make_ctx(server, username="ponte", password=password))
    assert "ASCII" in caught.value.user_message
    assert password not in caught.value.user_message + caught.value.internal_message


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (like an SSL port spoken to in clear)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        yield int(sock.getsockname()[1])


def test_a_silent_server_times_out_with_a_hint(silent_port: int, make_ctx: MakeContext) -> None:
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        CONNECTOR.test_credentials(make_ctx(silent_port, timeout_seconds=1))
    assert time.monotonic() - started < 5
    assert "did not answer within 1 s" in caught.value.user_message
    assert "set security to 'ssl'" in caught.value.user_message


def test_missing_settings_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        CONNECTOR.test_credentials(Context(config={"security": "tls"}))
    message = caught.value.user_message
    assert "host is required" in message
    assert "from_address is required" in message
    assert "security must be one of" in message
