"""Policy Markdown to safe HTML, with the same section anchors as the document model."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import markdown_it_pyrs

from notifier.model import heading_anchor
from notifier.parsing import run_markdown_it
from notifier.site.sanitize import sanitize_html

# CommonMark and tables, without raw HTML: HTML written in a policy is shown as text.
_RULES: list[Any] = [
    "blockquote",
    "code",
    "fence",
    "heading",
    "hr",
    "lheading",
    "list",
    "paragraph",
    "reference",
    "autolink",
    "backticks",
    "emphasis",
    "entity",
    "escape",
    "image",
    "link",
    "newline",
    "table",
]
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class TocEntry:
    """A heading of a rendered page, for the page's table of contents."""

    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class RenderedPolicy:
    """A policy body as sanitized HTML with anchored headings."""

    html: str
    toc: tuple[TocEntry, ...]


@lru_cache(maxsize=1)
def _renderer() -> Any:
    return markdown_it_pyrs.MarkdownIt("zero").enable_many(_RULES)


def render_policy(body: str, *, shift: int = 0) -> RenderedPolicy:
    """Render a policy body; headings get stable ids and are moved down ``shift`` levels."""
    rendered = run_markdown_it(_renderer().render, body)
    taken: set[str] = set()
    toc: list[TocEntry] = []

    def anchored(match: re.Match[str]) -> str:
        level = min(int(match.group(1)) + shift, 6)
        inner = match.group(2)
        title = html.unescape(_TAG.sub("", inner)).strip()
        anchor = heading_anchor(title, taken)
        toc.append(TocEntry(level, anchor, title))
        link = f'<a class="headerlink" href="#{anchor}" title="Permanent link">&para;</a>'
        return f'<h{level} id="{anchor}">{inner} {link}</h{level}>'

    return RenderedPolicy(sanitize_html(_HEADING.sub(anchored, rendered)), tuple(toc))
