"""Reminder texts a person edits in the wizard: a subject and a plain-text body with placeholders
(``{{ name }}``, ``{{ amount }}``...), turned into the e-mail's HTML template and read back from it.

Why plain text and not HTML: the person writing it is the finance team, not a developer, and the
text must be safe whatever they type. The body is HTML-escaped piece by piece around the
placeholders (so ``<b>`` shows as typed), blank lines make paragraphs, single line breaks
``<br>``; the values are escaped again by the e-mail connector's sandboxed Jinja when it sends.
Only known placeholders are allowed: no ``{% ... %}``, no attribute access, nothing Jinja would run.

:func:`to_html` is deterministic and :func:`from_html` is its inverse (checked by regenerating), so
a saved rule opens again in the wizard with its texts, and a template edited by hand elsewhere is
recognised as such and left alone.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: The mapping's variables a text may use (the same in every reminder template).
PLACEHOLDERS = ("name", "amount", "due_date", "days", "description", "invoice_url", "bank_slip_url")
MAX_SUBJECT = 200
MAX_BODY = 5000

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LANG = {"pt_BR": "pt-BR", "en": "en"}
_BODY_STYLE = "font-family: Arial, Helvetica, sans-serif; color: #222222; line-height: 1.5; max-width: 560px"
_LINKS = {
    "pt_BR": ('<p><a href="{{ invoice_url }}">Ver a fatura e pagar</a></p>\n'
              '{% if bank_slip_url %}<p><a href="{{ bank_slip_url }}">Baixar o boleto (PDF)</a></p>{% endif %}\n'),
    "en": ('<p><a href="{{ invoice_url }}">View the invoice and pay</a></p>\n'
           '{% if bank_slip_url %}<p><a href="{{ bank_slip_url }}">Download the boleto (PDF)</a></p>{% endif %}\n'),
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a text, as a code and its values (the page words it in its language)."""

    code: str  # empty | too_long | statement | unknown | braces | placeholder_in_subject
    value: str = ""


def _days(n: int, locale: str) -> str:
    if locale == "pt_BR":
        return f"{n} dia" if n == 1 else f"{n} dias"
    return f"{n} day" if n == 1 else f"{n} days"


def default_text(locale: str, day: int) -> tuple[str, str]:
    """The subject and body a step starts with: the shipped reminder's words for that day."""
    n = abs(day)
    if locale == "pt_BR":
        if day < 0:
            return ("Lembrete: sua cobrança vence em breve",
                    "Olá, {{ name }}!\n\nPassando para lembrar que a sua cobrança de {{ amount }} vence em "
                    f"{_days(n, locale)}, no dia {{{{ due_date }}}}.\n\n"
                    "Se o pagamento já está programado, obrigado! Se não, é só usar o link abaixo.")
        if day == 0:
            return ("Sua cobrança vence hoje",
                    "Olá, {{ name }}!\n\nA sua cobrança de {{ amount }} vence hoje, {{ due_date }}.\n\n"
                    "Pague até o fim do dia pelo link abaixo para evitar multa e juros.")
        return ("Cobrança em atraso: regularize seu pagamento",
                "Olá, {{ name }}!\n\nAinda não identificamos o pagamento da cobrança de {{ amount }}, vencida em "
                f"{{{{ due_date }}}} (há {_days(n, locale)}).\n\nPedimos que regularize o pagamento o quanto antes "
                "pelo link abaixo. Se você já pagou, por favor desconsidere esta mensagem.")
    if day < 0:
        return ("Reminder: your payment is due soon",
                "Hello {{ name }},\n\nA friendly reminder: your payment of {{ amount }} is due in "
                f"{_days(n, locale)}, on {{{{ due_date }}}}.\n\n"
                "If you have already scheduled it, thank you! Otherwise, you can pay with the link below.")
    if day == 0:
        return ("Your payment is due today",
                "Hello {{ name }},\n\nYour payment of {{ amount }} is due today, {{ due_date }}.\n\n"
                "Please pay by the end of the day with the link below to avoid late fees and interest.")
    return ("Overdue payment: please settle it",
            "Hello {{ name }},\n\nWe have not received your payment of {{ amount }}, which was due on "
            f"{{{{ due_date }}}} ({_days(n, locale)} ago).\n\nPlease settle it as soon as possible with the link "
            "below. If you have already paid, please disregard this message.")


def normalise(text: str) -> str:
    """Line ends as ``\\n``, no trailing spaces, no blank lines at the ends (what a form sends varies)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def check_subject(subject: str) -> Problem | None:
    if not subject.strip():
        return Problem("empty")
    if len(subject) > MAX_SUBJECT:
        return Problem("too_long", str(MAX_SUBJECT))
    if "{{" in subject or "{%" in subject or "}}" in subject:
        return Problem("placeholder_in_subject")
    return None


def check_body(body: str) -> Problem | None:
    """None when ``body`` only uses known placeholders; else the first problem found."""
    if not body.strip():
        return Problem("empty")
    if len(body) > MAX_BODY:
        return Problem("too_long", str(MAX_BODY))
    for found in re.finditer(r"\{[%#]", body):
        return Problem("statement", body[found.start():found.start() + 12])
    for match in _PLACEHOLDER.finditer(body):
        if match.group(1) not in PLACEHOLDERS:
            return Problem("unknown", match.group(1))
    rest = _PLACEHOLDER.sub("", body)
    if "{{" in rest or "}}" in rest:
        return Problem("braces")
    return None


def _escape(text: str) -> str:
    """HTML-escape around the placeholders, which stay Jinja (``{{ name }}``, spacing normalised)."""
    out, last = [], 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(html.escape(text[last:match.start()], quote=False))
        out.append("{{ " + match.group(1) + " }}")
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


def to_html(body: str, locale: str) -> str:
    """The reminder e-mail's HTML template for a checked ``body`` (see :func:`check_body`)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", normalise(body)) if p.strip()]
    inner = "".join("<p>" + "<br>\n".join(_escape(line) for line in p.split("\n")) + "</p>\n" for p in paragraphs)
    return (f'<!doctype html>\n<html lang="{_LANG[locale]}">\n<body style="{_BODY_STYLE}">\n'
            f"{inner}{_LINKS[locale]}</body>\n</html>\n")


def from_html(source: str) -> tuple[str, str] | None:
    """``(body, locale)`` of a template made by :func:`to_html`; None for any other HTML."""
    head = re.match(r'<!doctype html>\n<html lang="([^"]+)">\n<body style="[^"]*">\n', source)
    locale = next((k for k, v in _LANG.items() if head and v == head.group(1)), None)
    if head is None or locale is None:
        return None
    paragraphs = re.findall(r"<p>(.*?)</p>\n", source[head.end():source.find(_LINKS[locale])], re.S)
    body = "\n\n".join(html.unescape(p.replace("<br>\n", "\n")) for p in paragraphs)
    return (body, locale) if to_html(body, locale) == source else None
