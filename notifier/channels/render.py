"""E-mail content of a notice: subject, HTML (CSS inlined for mail clients) and plain text.

Rendered once per notice with Jinja2 templates; a company overrides any of them by putting a
file of the same name under ``<repository>/templates/email/`` (``subject.txt``, ``body.html``,
``body.txt``, ``style.css``). HTML is autoescaped; the policy text itself is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2 import TemplateError as JinjaTemplateError

from notifier.errors import NotifierError
from notifier.notices import Notice, long_date


class TemplateError(NotifierError):
    """A notice template cannot be rendered."""


@dataclass(frozen=True)
class EmailContent:
    """One notice as an e-mail, the same for every recipient."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class Sender:
    """Who notices come from."""

    email: str
    name: str = ""
    address: str = ""  # a postal address, which commercial-mail laws ask for


def render_email(
    notice: Notice, sender: Sender, templates: Path | None = None, *, reminder: bool = False
) -> EmailContent:
    """Render the notice with the repository's templates where present, else the built-in.

    ``reminder`` renders the reminder sent some days before a material change takes effect.
    """
    loaders = [FileSystemLoader(str(templates))] if templates and templates.is_dir() else []
    environment = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("notifier", "templates")]),
        autoescape=lambda name: bool(name and name.endswith(".html")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    values = {
        "notice": notice,
        "effective": long_date(notice.effective_date),
        "sender_name": sender.name or sender.email,
        "sender_address": sender.address,
        "greeting": "Hello,",
        "reminder": reminder,
    }
    try:
        subject = " ".join(environment.get_template("email/subject.txt").render(values).split())
        text = environment.get_template("email/body.txt").render(values)
        html = environment.get_template("email/body.html").render(values, subject=subject)
    except JinjaTemplateError as exc:
        where = getattr(exc, "filename", None) or getattr(exc, "name", None) or "templates"
        raise TemplateError(
            f"notice template error: {exc}",
            where=str(where),
            fix="Fix the template (see docs: operators, templates).",
        ) from None
    return EmailContent(subject, css_inline.inline(html), text)
