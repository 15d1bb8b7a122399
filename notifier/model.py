"""The parsed Markdown body of a policy: headings with stable anchors, links and raw HTML.

Parsing uses markdown-it-py's token tree (CommonMark), so what is found here is what a reader's
browser will get, not what a regular expression guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown.extensions.toc import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

_UNSAFE_HTML = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style)\b|\bon[a-z]+\s*=", re.I)
_UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data):", re.I)


@dataclass(frozen=True)
class Heading:
    """A heading: its level, visible text, anchor (as the site renders it) and body line."""

    level: int
    text: str
    anchor: str
    line: int


@dataclass(frozen=True)
class Link:
    """A link in the body: its target URL and the body line where it starts."""

    target: str
    text: str
    line: int


@dataclass(frozen=True)
class RawHtml:
    """Raw HTML written into the Markdown, which the site will not render."""

    html: str
    line: int
    unsafe: bool


@dataclass(frozen=True)
class MarkdownOutline:
    """What the checks need to know about a body: headings, links and raw HTML."""

    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    raw_html: tuple[RawHtml, ...]

    @property
    def anchors(self) -> frozenset[str]:
        """Every anchor a link may point to."""
        return frozenset(heading.anchor for heading in self.headings)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def heading_anchor(text: str, taken: set[str]) -> str:
    """The anchor mkdocs gives a heading (``toc`` slugify, ``_1`` suffixes for repeats)."""
    base = slugify(text, "-") or "section"
    anchor, count = base, 0
    while anchor in taken:
        count += 1
        anchor = f"{base}_{count}"
    taken.add(anchor)
    return anchor


def outline(body: str) -> MarkdownOutline:
    """Parse ``body`` (lines counted from 1) into headings, links and raw HTML."""
    tokens = _parser().parse(body)
    headings: list[Heading] = []
    links: list[Link] = []
    raw: list[RawHtml] = []
    taken: set[str] = set()
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else 1
        if token.type == "heading_open":
            text = _inline_text(tokens[index + 1])
            headings.append(Heading(int(token.tag[1]), text, heading_anchor(text, taken), line))
        elif token.type == "html_block":
            raw.append(_raw(token.content, line))
        elif token.type == "inline":
            _scan_inline(token, line, links, raw)
    raw.extend(_unsafe_links(body))
    return MarkdownOutline(tuple(headings), tuple(links), tuple(raw))


def _scan_inline(token: Token, line: int, links: list[Link], raw: list[RawHtml]) -> None:
    children = token.children or []
    for position, child in enumerate(children):
        if child.type == "link_open":
            text = _text_until_close(children, position + 1)
            links.append(Link(str(child.attrs.get("href", "")), text, line))
        elif child.type == "html_inline":
            raw.append(_raw(child.content, line))


def _raw(html: str, line: int) -> RawHtml:
    return RawHtml(html.strip(), line, bool(_UNSAFE_HTML.search(html)))


def _unsafe_links(body: str) -> list[RawHtml]:
    # markdown-it leaves javascript: links as plain text, so they are found in the source.
    found = []
    for match in _UNSAFE_LINK.finditer(body):
        line = body.count("\n", 0, match.start()) + 1
        found.append(RawHtml(match.group(0).lstrip("]("), line, unsafe=True))
    return found


def _inline_text(token: Token) -> str:
    return "".join(
        child.content for child in token.children or [] if child.type in ("text", "code_inline")
    ).strip()


def _text_until_close(children: list[Token], start: int) -> str:
    parts = []
    for child in children[start:]:
        if child.type == "link_close":
            break
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts)
