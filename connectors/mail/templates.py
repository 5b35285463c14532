"""Rendering a recipe's ``html_template``: Jinja in a sandbox, HTML-escaped, strict about names.

Templates come from recipe authors and variables from Asaas or ZapSign payloads (customer names,
descriptions), so every value is HTML-escaped, attribute access is sandboxed (no ``__class__`` and
friends, no mutating lists or dicts) and an undefined variable fails the step instead of sending
"Olá ," to a customer. ``None`` renders as an empty string.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connectors.sdk import PermanentError

_ENV = ImmutableSandboxedEnvironment(
    autoescape=True,
    undefined=StrictUndefined,
    finalize=lambda value: "" if value is None else value,
)


@lru_cache(maxsize=128)
def _compile(source: str) -> Template:
    return _ENV.from_string(source)


def render_html(source: str, variables: dict[str, Any] | None) -> str:
    """Render ``source`` with ``variables``; any template problem is a PermanentError that says why."""
    try:
        return _compile(source).render(variables or {})
    except TemplateSyntaxError as exc:
        problem = f"html_template has a syntax error on line {exc.lineno}: {exc.message}"
        raise PermanentError(problem) from None
    except SecurityError as exc:
        raise PermanentError(f"html_template tried something the sandbox does not allow: {exc}") from None
    except UndefinedError as exc:
        raise PermanentError(f"html_template uses a variable that was not given: {exc.message}") from None
    except RecursionError:  # a macro calling itself, or an expression nested thousands deep
        raise PermanentError("html_template nests or recurses too deeply to render") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        problem = f"html_template could not be rendered: {exc.__class__.__name__}: {exc}"
        raise PermanentError(problem) from None
