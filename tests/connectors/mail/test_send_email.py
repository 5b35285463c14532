"""send_email against a real SMTP server: bodies, templates, recipients, Message-ID and errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from connectors.mail import CONNECTOR
from connectors.sdk import ConfigError, Context, PermanentError, TransientError
from tests.smtp_server import SmtpServer, unused_port

MakeContext = Callable[..., Context]
SEND = CONNECTOR.action("send_email")
assert SEND is not None

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")


def send(ctx: Context, **data: Any) -> dict[str, Any]:
    data.setdefault("to", "ana.souza@cliente.com.br")
    data.setdefault("subject", "Sua cobrança vence amanhã")
    return SEND.run(ctx, data)


def test_plain_text_is_sent_as_a_single_text_part(server: SmtpServer, make_ctx: MakeContext) -> None:
    output = send(make_ctx(server), text="Olá, Ana.\nSeu boleto vence amanhã.")
    received = server.messages[0]
    assert received.message.get_content_type() == "text/plain"
    assert received.text == "Olá, Ana.\nSeu boleto vence amanhã.\n"
    assert received.message["Subject"] == "Sua cobrança vence amanhã"
    assert received.message["From"] == "Financeiro Exemplo <cobranca@financeiro.exemplo.com.br>"
    assert received.message["Date"]
    assert received.mail_from == "cobranca@financeiro.exemplo.com.br"
    assert output == {"message_id": received.message["Message-ID"].strip(),  # long ids are folded
                      "accepted": ["ana.souza@cliente.com.br"], "refused": {}}
    jsonschema.validate(output, SEND.output_schema)


def test_html_only_gets_a_text_part_derived_from_it(server: SmtpServer, make_ctx: MakeContext) -> None:
    html = ("<html><head><style>p{color:red}</style></head><body><h1>Cobrança</h1>"
            "<p>Valor: <b>R$&nbsp;150,00</b></p><p><a href=\"https://pague.exemplo.com/x\">Pagar</a></p>"
            "<script>track()</script></body></html>")
    send(make_ctx(server), html=html)
    received = server.messages[0]
    assert received.message.get_content_type() == "multipart/alternative"
    assert received.html is not None and "<b>R$&nbsp;150,00</b>" in received.html
    assert received.text == "Cobrança\n\nValor: R$ 150,00\n\nPagar (https://pague.exemplo.com/x)\n"


def test_text_and_html_are_both_kept(server: SmtpServer, make_ctx: MakeContext) -> None:
    send(make_ctx(server), text="versão texto", html="<p>versão html</p>")
    received = server.messages[0]
    assert received.text == "versão texto\n"
    assert received.html == "<p>versão html</p>\n"


def test_html_template_renders_variables_and_escapes_them(server: SmtpServer, make_ctx: MakeContext) -> None:
    template = "<p>Olá, {{ customer.name }}!</p><p>Valor: R$ {{ '%.2f'|format(value) }}</p>{{ note }}"
    variables = {"customer": {"name": "Ana <script>alert(1)</script>"}, "value": 150, "note": None}
    send(make_ctx(server), html_template=template, variables=variables)
    html = server.messages[0].html
    assert html == ("<p>Olá, Ana &lt;script&gt;alert(1)&lt;/script&gt;!</p><p>Valor: R$ 150.00</p>\n")
    assert "<script>" not in html


def test_the_sandbox_blocks_unsafe_attributes(server: SmtpServer, make_ctx: MakeContext) -> None:
    with pytest.raises(PermanentError) as caught:
        send(make_ctx(server), html_template="{{ ''.__class__.__mro__ }}")
    assert "sandbox does not allow" in caught.value.user_message
    assert "__class__" in caught.value.user_message
    assert server.messages == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"html_template": "<p>{{ missing }}</p>"}, "variable that was not given: 'missing' is undefined"),
        ({"html_template": "{% if %}"}, "syntax error on line 1"),
        ({"html": "<p>x</p>", "html_template": "<p>y</p>"}, "either html or html_template"),
        ({}, "no body"),
        ({"text": "x", "to": "ana.souza@cliente.com.br, nao-e-email"},
         "invalid email address in to: 'nao-e-email'"),
        ({"text": "x", "cc": ["ok@cliente.com.br", "sem arroba.com"]},
         "invalid email address in cc: 'sem arroba.com'"),
        ({"text": "x", "headers": {"Bcc": "spy@evil.com"}}, "header 'Bcc' cannot be set"),
        ({"text": "x", "headers": {"X-Ponte-Idempotency-Key": "forged"}}, "cannot be set"),
        ({"text": "x", "subject": "a\r\nBcc: spy@evil.com"}, "subject must be a single line"),
        ({"text": "x", "to": 42}, "to: 42 is not valid under any of the given schemas"),
    ],
)
def test_bad_input_is_a_permanent_error_that_says_why(
    server: SmtpServer, make_ctx: MakeContext, data: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        send(make_ctx(server), **data)
    assert expected in caught.value.user_message
    assert server.messages == []


@pytest.mark.parametrize(
    "template",
    ["{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}", "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"],
    ids=["endless-macro", "deeply-nested-expression"],
)
def test_a_template_that_recurses_too_deep_is_a_permanent_error(
    server: SmtpServer, make_ctx: MakeContext, template: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        send(make_ctx(server), html_template=template)
    assert "nests or recurses too deeply" in caught.value.user_message
    assert server.messages == []


def test_recipients_cc_and_bcc(server: SmtpServer, make_ctx: MakeContext) -> None:
    output = send(
        make_ctx(server),
        text="x",
        to='"Souza, Ana" <ana.souza@cliente.com.br>; contas@cliente.com.br',
        cc=["gerente@cliente.com.br", "Ana <ANA.SOUZA@cliente.com.br>"],
        bcc="auditoria@financeiro.exemplo.com.br",
        reply_to="Atendimento <atendimento@financeiro.exemplo.com.br>",
        headers={"X-Asaas-Payment": "pay_080225913252", "List-Unsubscribe": "<mailto:sair@exemplo.com.br>"},
    )
    received = server.messages[0]
    message = received.message
    assert received.rcpt_tos == ["ana.souza@cliente.com.br", "contas@cliente.com.br",
                                 "gerente@cliente.com.br", "auditoria@financeiro.exemplo.com.br"]
    assert output["accepted"] == received.rcpt_tos
    assert message["To"] == '"Souza, Ana" <ana.souza@cliente.com.br>, contas@cliente.com.br'
    assert message["Cc"] == "gerente@cliente.com.br, Ana <ANA.SOUZA@cliente.com.br>"
    assert message["Reply-To"] == "Atendimento <atendimento@financeiro.exemplo.com.br>"
    assert message["Bcc"] is None
    assert b"auditoria@" not in received.raw
    assert message["X-Asaas-Payment"] == "pay_080225913252"
    assert message["List-Unsubscribe"] == "<mailto:sair@exemplo.com.br>"


def test_message_id_is_derived_from_the_idempotency_key(server: SmtpServer, make_ctx: MakeContext) -> None:
    key = "run-41f7:step-2"
    expected = f"<ponte.{hashlib.sha256(key.encode()).hexdigest()[:24]}@financeiro.exemplo.com.br>"
    first = send(make_ctx(server, idempotency_key=key), text="x")
    again = send(make_ctx(server, idempotency_key=key), text="x")
    other = send(make_ctx(server, idempotency_key="run-41f7:step-3"), text="x")
    assert first["message_id"] == again["message_id"] == expected
    assert other["message_id"] != expected
    assert server.messages[0].message["Message-ID"] == expected
    assert server.messages[0].message["X-Ponte-Idempotency-Key"] == key


def test_without_a_key_each_message_id_is_new(server: SmtpServer, make_ctx: MakeContext) -> None:
    first, second = send(make_ctx(server), text="x"), send(make_ctx(server), text="x")
    assert first["message_id"] != second["message_id"]
    assert first["message_id"].endswith("@financeiro.exemplo.com.br>")
    assert server.messages[0].message["X-Ponte-Idempotency-Key"] is None


def test_login_and_starttls_before_sending(make_ctx: MakeContext) -> None:
    with SmtpServer(username="ponte", password="s3nh4", tls="starttls", require_starttls=True) as server:
        ctx = make_ctx(server, security="starttls", verify_tls=False, username="ponte", password="s3nh4")
        send(ctx, text="x")
    assert server.messages[0].authenticated_as == "ponte"
    assert server.messages[0].tls is True


def test_wrong_password_when_sending_is_a_config_error(make_ctx: MakeContext) -> None:
    with SmtpServer(username="ponte", password="s3nh4") as server, pytest.raises(ConfigError) as caught:
        send(make_ctx(server, username="ponte", password="errada-123"), text="x")
    assert "errada-123" not in caught.value.user_message + caught.value.internal_message
    assert server.messages == []


def test_some_recipients_refused_is_reported_not_failed(make_ctx: MakeContext) -> None:
    refusal = "550 5.1.1 User unknown"
    with SmtpServer(refuse={"antigo@cliente.com.br": refusal}) as server:
        output = send(make_ctx(server), text="x", to="ana.souza@cliente.com.br, antigo@cliente.com.br")
    assert output["accepted"] == ["ana.souza@cliente.com.br"]
    assert output["refused"] == {"antigo@cliente.com.br": {"code": 550, "message": "5.1.1 User unknown"}}
    assert server.messages[0].rcpt_tos == ["ana.souza@cliente.com.br"]
    jsonschema.validate(output, SEND.output_schema)


@pytest.mark.parametrize(
    ("scripted", "error_type", "fragment"),
    [
        ({"refuse": {"ana.souza@cliente.com.br": "550 5.1.1 User unknown"}}, PermanentError,
         "refused every recipient (ana.souza@cliente.com.br: 550 5.1.1 User unknown)"),
        ({"refuse": {"ana.souza@cliente.com.br": "451 4.7.1 Greylisted, try later"}}, TransientError,
         "temporarily refused the recipients"),
        ({"data_reply": "451 4.3.0 Mail server temporarily rejected message"}, TransientError,
         "rejected the message: 451 4.3.0"),
        ({"data_reply": "554 5.6.0 Message rejected as spam"}, PermanentError,
         "rejected the message: 554 5.6.0 Message rejected as spam"),
    ],
)
def test_smtp_refusals_map_to_the_typed_tree(
    make_ctx: MakeContext, scripted: dict[str, Any], error_type: type[Exception], fragment: str
) -> None:
    """4xx is worth retrying, 5xx is final; an explicit refusal is never ambiguous."""
    with SmtpServer(**scripted) as server, pytest.raises(error_type) as caught:
        send(make_ctx(server), text="x")
    error = caught.value
    assert isinstance(error, PermanentError | TransientError)
    assert fragment in error.user_message
    assert getattr(error, "ambiguous", False) is False
    assert server.messages == []


def test_a_connection_lost_during_data_is_ambiguous(make_ctx: MakeContext) -> None:
    with SmtpServer(disconnect_after_data=True) as server, pytest.raises(TransientError) as caught:
        send(make_ctx(server, idempotency_key="run-1:step-1"), text="x")
    assert caught.value.ambiguous is True
    assert "may have been delivered" in caught.value.user_message
    assert len(server.messages) == 1  # it was delivered: the retry will carry the same Message-ID


def test_a_closed_port_when_sending_is_transient_and_not_ambiguous(make_ctx: MakeContext) -> None:
    with pytest.raises(TransientError) as caught:
        send(make_ctx(unused_port()), text="x")
    assert caught.value.ambiguous is False
