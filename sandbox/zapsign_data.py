"""Seed data and record shapes of the ZapSign double, modelled on ZapSign's documented examples."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

APP_URL = "https://sandbox.app.zapsign.com.br"
S3 = "https://zapsign.s3.amazonaws.com/pdf/sandbox"
COMPANY_SIGNER = {"name": "Ponte Serviços Contábeis Ltda", "email": "contratos@ponte.example.com"}


def now_iso(moment: datetime | None = None) -> str:
    """ZapSign's timestamp format: UTC with microseconds and a ``Z``."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _input(variable: str, order: int, *, label: str | None = None, required: bool = True,
           input_type: str = "input", help_text: str = "") -> dict[str, Any]:
    return {"variable": "{{" + variable + "}}", "input_type": input_type, "label": label or variable,
            "help_text": help_text, "options": "", "required": required, "order": order}


def _template(token: str, name: str, inputs: list[dict[str, Any]], *, signers: int = 1,
              active: bool = True, created_at: datetime) -> dict[str, Any]:
    template_signers = [{"name": "{{NOME COMPLETO}}", "auth_mode": "assinaturaTela", "email": "{{EMAIL DO CLIENTE}}",
                         "phone_country": "", "phone_number": "", "lock_name": True, "lock_email": False,
                         "lock_phone": False, "qualification": ""}]
    if signers == 2:
        template_signers.append({**COMPANY_SIGNER, "auth_mode": "assinaturaTela", "phone_country": "",
                                 "phone_number": "", "lock_name": True, "lock_email": True,
                                 "lock_phone": False, "qualification": "Contratada"})
    return {
        "token": token, "template_type": "docx", "name": name, "active": active,
        "template_file": f"https://zapsign.s3.amazonaws.com/sandbox/templates/{token}.docx",
        "created_at": now_iso(created_at), "last_update_at": now_iso(created_at),
        "redirect_link": "", "folder_path": "/", "lang": "pt-br",
        "signers": template_signers, "inputs": inputs,
    }


# The id mappings/charge_to_contract.yaml uses; its variables are the ones that mapping fills
# (tests/sandbox/test_zapsign_double.py checks they agree).
SERVICE_CONTRACT_ID = "c2a8b6a4-1f0e-4b53-9a57-5f0c2e8d7a10"
ADHESION_TERM_ID = "7c1e5d0a-2b6f-4f0e-9a43-5d8e2c6b9f10"


def seed_templates() -> dict[str, dict[str, Any]]:
    """Two realistic DOCX templates and 24 fillers (three inactive): 26 in all, two pages of 20."""
    base = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    templates = [
        _template(SERVICE_CONTRACT_ID, "Contrato de prestação de serviços", [
            _input("NOME COMPLETO", 1, label="Nome completo do cliente"),
            _input("CPF", 2, help_text="Somente números"),
            _input("EMAIL DO CLIENTE", 3, label="E-mail do cliente", input_type="email"),
            _input("VALOR", 4, label="Valor mensal"),
            _input("VENCIMENTO", 5, label="Data de vencimento", input_type="date"),
            _input("DESCRIÇÃO DO SERVIÇO", 6, label="Descrição do serviço", required=False, input_type="textarea"),
        ], created_at=base),
        _template(ADHESION_TERM_ID, "Termo de adesão ao plano mensal", [
            _input("NOME COMPLETO", 1, label="Nome completo do cliente"),
            _input("CPF", 2, help_text="Somente números"),
            _input("EMAIL DO CLIENTE", 3, label="E-mail do cliente", input_type="email"),
            _input("PLANO", 4, label="Plano contratado"),
            _input("VALOR", 5, label="Valor mensal"),
            _input("DATA DE INICIO", 6, label="Início da vigência", input_type="date"),
        ], signers=2, created_at=base + timedelta(days=1)),
    ]
    for n in range(1, 25):
        token = str(uuid.UUID(int=0x5A9 << 100 | n))
        templates.append(_template(token, f"Modelo de teste {n:02d}", [_input("NOME COMPLETO", 1)],
                                   active=n % 8 != 0, created_at=base + timedelta(days=1 + n)))
    return {t["token"]: t for t in templates}


def new_signer(name: str, email: str = "", phone_country: str = "", phone_number: str = "",
               *, qualification: str = "") -> dict[str, Any]:
    token = str(uuid.uuid4())
    return {
        "external_id": "", "token": token, "sign_url": f"{APP_URL}/verificar/{token}", "status": "new",
        "name": name, "lock_name": False, "email": email, "lock_email": False,
        "phone_country": phone_country, "phone_number": phone_number, "lock_phone": False,
        "times_viewed": 0, "last_view_at": None, "signed_at": None, "auth_mode": "assinaturaTela",
        "qualification": qualification, "require_selfie_photo": False, "require_document_photo": False,
        "geo_latitude": "", "geo_longitude": "", "resend_attempts": {"whatsapp": 0, "email": 0, "sms": 0},
        "cpf": "", "cnpj": "",
    }


def new_document(open_id: int, name: str, signers: list[dict[str, Any]], answers: list[dict[str, Any]],
                 *, external_id: str = "", folder_path: str = "/", lang: str = "pt-br",
                 created_through: str = "api", created_by: str = "sandbox@ponte.example.com",
                 template_id: str | None = None) -> dict[str, Any]:
    token = str(uuid.uuid4())
    stamp = now_iso()
    return {
        "sandbox": True, "external_id": external_id, "open_id": open_id, "token": token, "name": name,
        "folder_path": folder_path, "status": "pending", "lang": lang,
        "original_file": f"{S3}/{token}/original.pdf", "signed_file": None, "extra_docs": [],
        "created_through": created_through, "deleted": False, "deleted_at": None,
        "signed_file_only_finished": False, "disable_signer_emails": False,
        "brand_logo": "", "brand_primary_color": "", "created_at": stamp, "last_update_at": stamp,
        "created_by": {"email": created_by}, "template": {"token": template_id} if template_id else None,
        "signers": signers, "answers": answers,
    }


WHO_SIGNED_FIELDS = (
    "external_id", "token", "status", "name", "email", "phone_country", "phone_number", "times_viewed",
    "last_view_at", "signed_at", "auth_mode", "qualification", "require_selfie_photo",
    "require_document_photo", "geo_latitude", "geo_longitude",
)


def who_signed(signer: dict[str, Any]) -> dict[str, Any]:
    """``signer_who_signed`` as the ``doc_signed`` webhook carries it (a subset, no sign_url)."""
    return {**{k: signer.get(k) for k in WHO_SIGNED_FIELDS}, "liveness_photo_url": ""}


def list_item(doc: dict[str, Any]) -> dict[str, Any]:
    """A ``GET /docs/`` result: the summary fields (plus ``external_id``, which the double lists)."""
    keys = ("open_id", "token", "status", "name", "original_file", "signed_file", "created_at",
            "last_update_at", "external_id", "folder_path")
    return {k: doc.get(k) for k in keys}
