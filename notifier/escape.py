"""Escaping policy text for the formats it is shown in (it may come from an outside PR)."""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]|!~#]")


def markdown_escape(text: str) -> str:
    """Text as inert Markdown: no link, image, emphasis, table cell or HTML can come out of it,
    since a link or image in a PR comment would be followed by every reader's browser."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text).replace("<", "&lt;").replace(">", "&gt;")
