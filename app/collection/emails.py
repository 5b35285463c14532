"""The default reminder and receipt emails, pt-BR and English, as ``email.send_email`` mappings.

The HTML lives in ``app/collection/templates/<kind>.<locale>.html`` (Jinja, rendered by the email
connector's sandbox with the mapping's ``variables``; the text/plain part is derived from it, links
kept). Stored recipes must be complete on their own, so each mapping file embeds its template:
after editing a template, run ``python -m app.collection.emails`` to rewrite the four mapping files
(a test fails while they differ).
"""

from __future__ import annotations

import sys
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
LOCALES = ("pt_BR", "en")

SUBJECTS = {
    ("reminder", "pt_BR"): '{map: {before: "Lembrete: sua cobrança vence em breve", '
                           'due: "Sua cobrança vence hoje", after: "Cobrança em atraso: regularize seu pagamento"}}',
    ("reminder", "en"): '{map: {before: "Reminder: your payment is due soon", due: "Your payment is due today", '
                        'after: "Overdue payment: please settle it"}}',
    ("receipt", "pt_BR"): '"Pagamento recebido: obrigado!"',
    ("receipt", "en"): '"Payment received: thank you!"',
}

VARIABLES = {
    "reminder": """\
    name: {path: "$.customer.name"}
    amount: {path: "$.payment.value", format: [brl]}
    due_date: {path: "$.reminder.due_date", format: [{date: "%d/%m/%Y"}]}
    phase: {path: "$.reminder.phase"}
    days: {path: "$.reminder.days"}
    invoice_url: {path: "$.payment.invoiceUrl"}
    bank_slip_url: {path: "$.payment.bankSlipUrl", default: ""}
    description: {path: "$.payment.description", default: ""}
""",
    "receipt": """\
    name: {path: "$.customer.name"}
    amount: {path: "$.payment.value", format: [brl]}
    payment_date: {path: "$.payment.paymentDate", format: [{date: "%d/%m/%Y"}], default: ""}
    receipt_url: {path: "$.payment.invoiceUrl"}
    description: {path: "$.payment.description", default: ""}
""",
}

TITLES = {
    "reminder": ("Collection rule reminder email", "collection_reminder_email"),
    "receipt": ("Payment receipt email", "payment_receipt_email"),
}


def mapping_key(kind: str, locale: str) -> str:
    base = TITLES[kind][1]
    return base if locale == "pt_BR" else f"{base}_en"


def mapping_yaml(kind: str, locale: str) -> str:
    """The mapping file for one email: recipient, subject, the embedded template and its variables."""
    title = TITLES[kind][0]
    template = (TEMPLATES / f"{kind}.{locale}.html").read_text(encoding="utf-8")
    subject = SUBJECTS[(kind, locale)]
    subject_field = (f'{{path: "$.reminder.phase", format: [{subject}]}}' if kind == "reminder" else subject)
    body = "".join(f"      {line}\n" if line else "\n" for line in template.splitlines())
    return (
        f"# {title} ({locale}). Generated from app/collection/templates/{kind}.{locale}.html by\n"
        "# `python -m app.collection.emails`: edit the template, then run it again.\n"
        f"key: {mapping_key(kind, locale)}\n"
        "action: email.send_email\n"
        "fields:\n"
        '  to: {path: "$.customer.email"}\n'
        f"  subject: {subject_field}\n"
        "  html_template:\n"
        "    const: |\n"
        f"{body}"
        "  variables:\n"
        f"{VARIABLES[kind]}"
    )


def write_mappings(folder: Path = MAPPINGS) -> list[Path]:
    written = []
    for kind in TITLES:
        for locale in LOCALES:
            path = folder / f"{mapping_key(kind, locale)}.yaml"
            path.write_text(mapping_yaml(kind, locale), encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write_mappings():
        sys.stdout.write(f"wrote {path}\n")
