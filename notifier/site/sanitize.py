"""The allowlist every generated page goes through before it is published.

Policy text may come from an outside pull request. The Markdown is rendered with raw HTML turned
off (it shows as text), and the resulting HTML, with our own page markup, is then cleaned by
ammonia (nh3) against this allowlist: no script, no event handler, no style attribute, no
``javascript:`` URL, and no image, since an image would make every reader's browser request it
from wherever it points.
"""

from __future__ import annotations

import nh3

_TAGS = {
    "a",
    "abbr",
    "aside",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "ins",
    "input",
    "label",
    "li",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "small",
    "span",
    "strong",
    "summary",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "time",
    "tr",
    "ul",
    "button",
    "output",
    "s",
}
_ATTRIBUTES = {
    "*": {
        "class",
        "id",
        "title",
        "lang",
        "data-state",
        "data-version",
        "data-document",
        "data-notifier-compare",
        "aria-label",
        "aria-live",
        "role",
        "hidden",
    },
    "a": {"href"},
    "input": {"type", "checked"},
    "label": {"for"},
    "select": {"name"},
    "option": {"value", "selected"},
    "time": {"datetime"},
    "td": {"colspan"},
    "th": {"colspan", "scope"},
    "button": {"type"},
    "ol": {"start"},
}


def sanitize_html(html: str) -> str:
    """``html`` with everything outside the allowlist removed (scripts with their content)."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
