"""Flask-WTF forms: login, users, and a connection form built from the connector's ``auth_schema``.

Secret fields (``writeOnly``) are password inputs never filled from storage: left blank on an edit,
the stored secret is kept, and the page only says it is set. A secret typed in a submission that is
shown again (a validation error elsewhere, a refused test) is re-rendered in that response only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import PasswordInput

from app.inputs import parse_int
from app.models import ROLES


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def role_choices() -> list[tuple[str, str]]:
    labels = {"admin": _l("Administrator"), "operator": _l("Operator")}
    return [(role, str(labels.get(role, role))) for role in ROLES]


EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=255),
                                                 Regexp(EMAIL, message=_l("Invalid e-mail address."))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=255)])
    role = SelectField(_l("Role"), choices=role_choices)
    locale = SelectField(_l("Language"), choices=[("pt_BR", "Português (Brasil)"), ("en", "English")])
    password = PasswordField(_l("Password (leave blank to generate one)"),
                             validators=[Optional(), Length(min=10, max=200)])


class ConnectionFormBase(FlaskForm):
    name = StringField(_l("Connection name"), validators=[DataRequired(), Length(max=255)])


def connection_form_class(auth_schema: dict[str, Any], *, editing: bool,
                          translate: Callable[[str], str] = str) -> type[ConnectionFormBase]:
    """A form class with one field per auth property, in the schema's order, labelled with
    ``translate`` (the connector's catalog in the page's language)."""
    props: dict[str, Any] = auth_schema.get("properties", {})
    required = set(auth_schema.get("required", []))

    class ConnectionForm(ConnectionFormBase):
        pass

    for key, prop in props.items():
        label = translate(prop["title"]) if prop.get("title") else key
        description = translate(prop["description"]) if prop.get("description") else ""
        needed = key in required and not (editing and prop.get("writeOnly"))
        validators = [DataRequired()] if needed else [Optional()]
        field: Any
        if "enum" in prop:
            field = SelectField(label, choices=[(v, v) for v in prop["enum"]], default=prop.get("default"),
                                description=description)
        elif prop.get("type") == "boolean":
            field = BooleanField(label, default=prop.get("default", False), description=description)
        elif prop.get("writeOnly"):
            # What the user typed in this very request comes back (another field was invalid, or the
            # service refused it and "save anyway" resubmits it); a stored secret never does: GET
            # renders with no form data, and a blank edit keeps the stored value.
            field = PasswordField(label, validators=validators, description=description,
                                  widget=PasswordInput(hide_value=False))
        else:
            field = StringField(label, validators=validators, default=prop.get("default"),
                                description=description)
        setattr(ConnectionForm, f"f_{key}", field)
    return ConnectionForm


def connection_values(form: ConnectionFormBase, auth_schema: dict[str, Any], *,
                      editing: bool) -> dict[str, Any]:
    """The submitted values for ``create_connection``/``update_connection``.

    Blank optional fields are left out (on an edit a blank setting is removed with None, a blank
    secret is kept); integers are typed as the schema asks.
    """
    values: dict[str, Any] = {}
    for key, prop in auth_schema.get("properties", {}).items():
        raw = getattr(form, f"f_{key}").data
        if prop.get("type") == "boolean":
            values[key] = bool(raw)
            continue
        text = (raw or "").strip() if isinstance(raw, str) else raw
        if text in (None, ""):
            if editing and not prop.get("writeOnly"):
                values[key] = None
            continue
        if prop.get("type") == "integer" and parse_int(text, maximum=10**18) is not None:
            text = int(text)
        values[key] = text
    return values
