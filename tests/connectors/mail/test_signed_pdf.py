"""send_email with attach_signed_pdf: the signed ZapSign PDF reaches the inbox attached (or linked),
and a link that expired, is too big or is not a PDF fails the step before anything is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
import responses
from flask import Flask, Response, request

from connectors.mail import CONNECTOR
from connectors.mail.attachments import download_pdf, expires_at, safe_filename
from connectors.sdk import Context, PermanentError, TransientError
from sandbox.server import RunningServer, serve_in_thread
from tests.smtp_server import SmtpServer

MakeContext = Callable[..., Context]
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
S3 = "https://zapsign.s3.amazonaws.com/pdf/sandbox/eb9c367a/signed.pdf"

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")


def send(ctx: Context, **data: Any) -> dict[str, Any]:
    action = CONNECTOR.action("send_email")
    data = {"to": "financeiro@cliente.com.br", "subject": "Contrato assinado", "text": "Segue o contrato.", **data}
    jsonschema.validate(data, action.input_schema)
    output = action.run(ctx, data)
    jsonschema.validate(output, action.output_schema)
    return output


@pytest.fixture
def files() -> Iterator[RunningServer]:
    """A stand-in for S3 over real HTTP: /signed.pdf, /big.pdf, /page.html, /expired.pdf."""
    app = Flask("s3")

    @app.get("/<name>")
    def serve_file(name: str) -> Any:
        if name == "expired.pdf":
            return Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            403, mimetype="application/xml")
        if name == "page.html":
            return Response("<html>login</html>", mimetype="text/html")
        if name == "big.pdf":
            return Response(PDF + b"0" * 4096, mimetype="application/pdf")
        assert request.args.get("X-Amz-Signature") == "abc"
        return Response(PDF, mimetype="binary/octet-stream")  # S3 often does not say application/pdf

    server = serve_in_thread(app)
    yield server
    server.stop()


def test_the_signed_pdf_arrives_attached(server: SmtpServer, make_ctx: MakeContext, files: RunningServer) -> None:
    output = send(make_ctx(server), attach_signed_pdf={"url": f"{files.url}/signed.pdf?X-Amz-Signature=abc",
                                                        "filename": "Contrato: João / 2026"})
    assert output["attached"] == [{"filename": "Contrato- João - 2026.pdf", "bytes": len(PDF)}]
    [received] = server.messages
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "Contrato- João - 2026.pdf"
    assert part.get_content() == PDF
    assert "Segue o contrato." in message.get_body(("plain",)).get_content()


def test_as_link_puts_the_link_in_the_body_and_downloads_nothing(server: SmtpServer,
                                                                 make_ctx: MakeContext) -> None:
    output = send(make_ctx(server), html="<p>Segue o contrato.</p>",
                  attach_signed_pdf={"url": S3, "as": "link", "link_text": "Baixar o contrato"})
    assert "attached" not in output
    [received] = server.messages
    assert f'<a href="{S3}">Baixar o contrato</a>' in received.html
    assert S3 in received.text and list(received.message.iter_attachments()) == []


@pytest.mark.parametrize(("name", "reason"), [
    ("expired.pdf", "has expired"), ("page.html", "did not answer a PDF"), ("big.pdf", "too large")])
def test_a_bad_file_fails_the_step_and_sends_nothing(server: SmtpServer, make_ctx: MakeContext,
                                                     files: RunningServer, name: str, reason: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.mail.attachments.MAX_BYTES", len(PDF) + 100)
    with pytest.raises(PermanentError, match=reason) as caught:
        send(make_ctx(server), attach_signed_pdf={"url": f"{files.url}/{name}"})
    if name == "expired.pdf":
        assert "replay the run from the trigger" in str(caught.value)
    assert server.messages == []


def test_an_expired_presigned_url_fails_before_any_call() -> None:
    url = f"{S3}?X-Amz-Date=20261204T100000Z&X-Amz-Expires=3600&X-Amz-Signature=secret"
    assert expires_at(url) == dt.datetime(2026, 12, 4, 11, 0, tzinfo=dt.UTC)
    with responses.RequestsMock() as mocked, pytest.raises(PermanentError, match="has expired") as caught:
        download_pdf(url, now=lambda: dt.datetime(2026, 12, 4, 11, 5, tzinfo=dt.UTC))
    assert len(mocked.calls) == 0
    assert "secret" not in str(caught.value)  # the presigned query is a credential: never repeated


@responses.activate
@pytest.mark.parametrize(("status", "error"), [(503, TransientError), (429, TransientError), (404, PermanentError)])
def test_download_errors_say_whether_a_retry_can_help(status: int, error: type) -> None:
    responses.get(S3, status=status, body=b"nope")
    with pytest.raises(error, match=f"HTTP {status}"):
        download_pdf(S3)


@responses.activate
def test_an_unreachable_file_is_transient() -> None:
    import requests

    responses.get(S3, body=requests.exceptions.ConnectTimeout())
    with pytest.raises(TransientError, match="ConnectTimeout"):
        download_pdf(S3)


def test_a_link_that_is_not_http_is_refused_before_any_call() -> None:
    with pytest.raises(PermanentError, match="http"):
        download_pdf("file:///etc/passwd")


@pytest.mark.parametrize(("raw", "name"), [(None, "contrato-assinado.pdf"), ("a/b\\c.PDF", "a-b-c.PDF"),
                                          ("  Contrato  ", "Contrato.pdf"), ("\x00..", "contrato-assinado.pdf")])
def test_file_names_are_made_safe(raw: Any, name: str) -> None:
    assert safe_filename(raw) == name
