"""The parsed body of a policy: sections, blocks and sentences, with what a reader cannot see
normalised away.

Parsing uses markdown-it (CommonMark) through its Rust port's token tree, so what is found here is
what a reader's browser will get, not what a regular expression guesses. A section is a heading
and the blocks (paragraphs, list items, table rows, quotes, code) up to the next heading.

Consecutive versions of a policy share most of their text, so each top-level Markdown element is
turned into blocks once and remembered by its source text: blocks do not know their position,
which lets two versions share them (and their words and sentences, computed on first use).
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import markdown_it_pyrs
from markdown.extensions.toc import slugify

from notifier.text import sentences, spacing, tokens

_UNSAFE_HTML = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style)\b|\bon[a-z]+\s*=", re.I)
_UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data):", re.I)
_UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:", re.M)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
_NUMBERING = re.compile(
    r"^(?:(?:section|article|part)\s+)?(?:[0-9]+(?:\.[0-9]+)*|[a-z]|[ivxlc]+)[.):]\s+"
)
_VISIBLE_FORM = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f", '"')
    | dict.fromkeys("\u00a0\u202f\u2009", " ")
    | dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad")
)
_INLINE_TEXT = frozenset({"text", "code_inline", "text_special"})
_INLINE_SPACE = frozenset({"softbreak", "hardbreak"})
_NESTED_IN_ITEM = frozenset(
    {"bullet_list", "ordered_list", "blockquote", "table", "fence", "code_block", "html_block"}
)
_CHUNK_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Heading:
    """A heading: its level, visible text, anchor (as the site renders it) and body line."""

    level: int
    text: str
    anchor: str
    line: int


@dataclass(frozen=True)
class LinkTarget:
    """A link inside a block: visible text and target URL (no position, so blocks can be shared)."""

    text: str
    target: str


@dataclass(frozen=True)
class Link:
    """A link in the body: its target URL, visible text and the body line where it starts."""

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
class Block:
    """A unit of text a reader sees: a paragraph, list item, table row, quote, code or HTML text.

    ``text`` is the normalised visible text (link targets kept apart in ``links``); ``depth`` is
    the list nesting level.
    """

    kind: str
    text: str
    links: tuple[LinkTarget, ...] = ()
    depth: int = 0

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """The sentences of the block."""
        return sentences(self.text)

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        """Words and punctuation, in order."""
        return tokens(self.text)

    @cached_property
    def spacing(self) -> tuple[bool, ...]:
        """Whether a space precedes each token (for rendering a redline faithfully)."""
        return spacing(self.text)

    @cached_property
    def word_set(self) -> frozenset[str]:
        """The distinct words, case-folded (for pairing similar blocks; punctuation kept)."""
        return frozenset(self.text.casefold().split())


@dataclass(frozen=True)
class Section:
    """A heading and its blocks; the preamble before the first heading has level 0."""

    heading: str
    level: int
    anchor: str
    path: tuple[str, ...]
    line: int
    blocks: tuple[Block, ...]

    @property
    def key(self) -> str:
        """The heading as matched across versions: case, numbering and punctuation ignored."""
        return heading_key(self.heading)

    @property
    def title(self) -> str:
        """How the section is named in reports (the preamble is "(preamble)")."""
        return self.heading or "(preamble)"


@dataclass(frozen=True)
class DocumentModel:
    """A policy body as a reader sees it, plus what the checks need (links, raw HTML)."""

    sections: tuple[Section, ...]
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    raw_html: tuple[RawHtml, ...]

    @property
    def anchors(self) -> frozenset[str]:
        """Every anchor a link may point to."""
        return frozenset(heading.anchor for heading in self.headings)

    @cached_property
    def sentence_set(self) -> frozenset[str]:
        """Every sentence of the document (for telling moved text from new text)."""
        return frozenset(s for sec in self.sections for b in sec.blocks for s in b.sentences)

    def contains(self, sentence: str) -> bool:
        """Whether ``sentence`` is, word for word, a sentence of the document."""
        return sentence in self.sentence_set


def normalise_inline(text: str) -> str:
    """Visible text with invisible differences removed: quotes, spaces, zero-width characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_VISIBLE_FORM)
    return " ".join(text.split())


@lru_cache(maxsize=8192)
def heading_key(text: str) -> str:
    """A heading as matched across versions: ``"4. Data Retention"`` -> ``"data retention"``."""
    key = _NUMBERING.sub("", normalise_inline(text).casefold())
    return " ".join(re.sub(r"[^\w\s]", " ", key).split())


def heading_anchor(text: str, taken: set[str]) -> str:
    """The anchor mkdocs gives a heading (``toc`` slugify, ``_1`` suffixes for repeats)."""
    base = _slug(text)
    anchor, count = base, 0
    while anchor in taken:
        count += 1
        anchor = f"{base}_{count}"
    taken.add(anchor)
    return anchor


@lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    return str(slugify(text, "-")) or "section"


@lru_cache(maxsize=1)
def _parser() -> Any:
    return markdown_it_pyrs.MarkdownIt("commonmark").enable("table")


@dataclass(frozen=True)
class _HeadingItem:
    level: int
    text: str
    line: int  # relative to the chunk


@dataclass(frozen=True)
class _Chunk:
    """What one top-level Markdown element holds, with lines relative to its first line."""

    items: tuple[Block | _HeadingItem, ...]
    links: tuple[tuple[int, LinkTarget], ...]
    raw: tuple[RawHtml, ...]

    @cached_property
    def positional(self) -> bool:
        """Whether it holds anything whose line is reported (headings, links, raw HTML)."""
        return bool(self.links or self.raw) or any(
            isinstance(item, _HeadingItem) for item in self.items
        )


_chunks: dict[tuple[str, bytes, str], _Chunk] = {}


def clear_caches() -> None:
    """Forget every parsed version and element (for measuring a cold start)."""
    parse_body.cache_clear()
    _chunks.clear()
    _slug.cache_clear()
    heading_key.cache_clear()


@lru_cache(maxsize=16)
def parse_body(body: str) -> DocumentModel:
    """Parse a Markdown body (lines counted from 1). Cached: a version is often compared twice."""
    data = body.encode("utf-8")
    newlines = [m.start() for m in re.finditer(b"\n", data)]
    # Reference-style links resolve against definitions anywhere in the document.
    references = _REFERENCE_DEFINITION.findall(body)
    signature = hashlib.sha1("".join(references).encode()).hexdigest() if references else ""
    assembler = _Assembler()
    if len(_chunks) > _CHUNK_CACHE_LIMIT:
        _chunks.clear()
    for node in _parser().tree(body).children:
        start, end = node.srcmap
        key = (node.name, data[start:end], signature)
        chunk = _chunks.get(key)
        if chunk is None:
            first_line = bisect.bisect_left(newlines, start) + 1
            chunk = _chunks[key] = _ChunkReader(newlines, first_line).read(node)
        elif chunk.positional:
            first_line = bisect.bisect_left(newlines, start) + 1
        else:
            assembler.blocks.extend(chunk.items)  # type: ignore[arg-type]
            continue
        assembler.add(chunk, first_line)
    assembler.raw.extend(_unsafe_links(body))
    return assembler.finish()


def _unsafe_links(body: str) -> list[RawHtml]:
    # markdown-it leaves javascript: links as plain text, so they are found in the source.
    return [
        RawHtml(m.group(0).lstrip("]("), body.count("\n", 0, m.start()) + 1, unsafe=True)
        for m in _UNSAFE_LINK.finditer(body)
    ]


class _Assembler:
    """Puts chunks together into sections, giving headings their anchors and absolute lines."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.heading: tuple[str, int, str, tuple[str, ...], int] = ("", 0, "", (), 1)
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str]] = []
        self.headings: list[Heading] = []
        self.links: list[Link] = []
        self.raw: list[RawHtml] = []
        self.anchors: set[str] = set()

    def add(self, chunk: _Chunk, first_line: int) -> None:
        offset = first_line - 1
        for item in chunk.items:
            if isinstance(item, Block):
                self.blocks.append(item)
            else:
                self._heading(item, item.line + offset)
        if chunk.links:
            self.links += [
                Link(link.target, link.text, line + offset) for line, link in chunk.links
            ]
        if chunk.raw:
            self.raw += [RawHtml(raw.html, raw.line + offset, raw.unsafe) for raw in chunk.raw]

    def _heading(self, item: _HeadingItem, line: int) -> None:
        self._close()
        while self.stack and self.stack[-1][0] >= item.level:
            self.stack.pop()
        path = tuple(title for _, title in self.stack)
        self.stack.append((item.level, item.text))
        anchor = heading_anchor(item.text, self.anchors)
        self.headings.append(Heading(item.level, item.text, anchor, line))
        self.heading = (item.text, item.level, anchor, path, line)

    def _close(self) -> None:
        text, level, anchor, path, line = self.heading
        if self.blocks or text:
            self.sections.append(Section(text, level, anchor, path, line, tuple(self.blocks)))
        self.blocks = []

    def finish(self) -> DocumentModel:
        self._close()
        self.raw.sort(key=lambda raw: raw.line)
        return DocumentModel(
            tuple(self.sections), tuple(self.headings), tuple(self.links), tuple(self.raw)
        )


class _ChunkReader:
    """Walks one top-level element of the token tree into blocks, links and raw HTML."""

    def __init__(self, newlines: list[int], first_line: int) -> None:
        self.newlines = newlines
        self.first_line = first_line
        self.items: list[Block | _HeadingItem] = []
        self.links: list[tuple[int, LinkTarget]] = []
        self.raw: list[RawHtml] = []

    def read(self, node: Any) -> _Chunk:
        self.block(node, depth=0)
        return _Chunk(tuple(self.items), tuple(self.links), tuple(self.raw))

    def line(self, node: Any) -> int:
        """Line of ``node`` relative to the chunk's first line (which is 1)."""
        srcmap = node.srcmap
        absolute = bisect.bisect_left(self.newlines, srcmap[0]) + 1 if srcmap else self.first_line
        return absolute - self.first_line + 1

    def block(self, node: Any, depth: int) -> None:
        name = node.name
        if name in ("heading", "lheading"):
            text, _ = self._inline(node.children)
            self.items.append(_HeadingItem(int(node.meta.get("level", 1)), text, self.line(node)))
        elif name == "paragraph":
            self._add("paragraph", node.children, depth)
        elif name in ("bullet_list", "ordered_list"):
            for item in node.children:
                self._list_item(item, depth)
        elif name == "blockquote":
            for child in node.children:
                self.block(child, depth)
        elif name == "table":
            self._table(node)
        elif name in ("fence", "code_block"):
            self._add_text("code", normalise_inline(str(node.meta.get("content", ""))), (), 0)
        elif name == "html_block":
            html = str(node.meta.get("content", ""))
            self._raw(html, self.line(node))
            # The site escapes HTML; a reader would still read the text between the tags.
            self._add_text("html", normalise_inline(_TAG.sub(" ", html)), (), depth)

    def _list_item(self, item: Any, depth: int) -> None:
        inline: list[Any] = []
        nested: list[Any] = []
        for child in item.children:
            if child.name == "paragraph":
                inline.extend([*child.children, _SPACE])
            elif child.name in _NESTED_IN_ITEM:
                nested.append(child)
            else:
                inline.append(child)
        self._add("item", inline, depth)
        for child in nested:
            self.block(child, depth + 1)

    def _table(self, node: Any) -> None:
        for part in node.children:
            for row in part.children:
                cells = [self._inline(cell.children) for cell in row.children]
                text = " | ".join(text for text, _ in cells)
                links = tuple(link for _, cell_links in cells for link in cell_links)
                if text.strip(" |"):
                    self.items.append(Block("row", text, links))

    def _add(self, kind: str, inline: list[Any], depth: int) -> None:
        text, links = self._inline(inline)
        self._add_text(kind, text, links, depth)

    def _add_text(self, kind: str, text: str, links: tuple[LinkTarget, ...], depth: int) -> None:
        if text:
            self.items.append(Block(kind, text, links, depth))

    def _inline(self, nodes: list[Any]) -> tuple[str, tuple[LinkTarget, ...]]:
        parts: list[str] = []
        links: list[LinkTarget] = []
        self._collect(nodes, parts, links)
        return normalise_inline("".join(parts)), tuple(links)

    def _collect(self, nodes: list[Any], parts: list[str], links: list[LinkTarget]) -> None:
        for node in nodes:
            name = node.name
            if name in _INLINE_TEXT:
                parts.append(str(node.meta.get("content", "")))
            elif name in _INLINE_SPACE or node is _SPACE:
                parts.append(" ")
            elif name == "html_inline":
                html = str(node.meta.get("content", ""))
                self._raw(html, self.line(node))
                parts.append(" " if html.lower().startswith("<br") else "")
            elif name in ("link", "autolink", "image"):
                self._link(node, parts, links)
            else:
                self._collect(node.children, parts, links)

    def _link(self, node: Any, parts: list[str], links: list[LinkTarget]) -> None:
        inner: list[str] = []
        self._collect(node.children, inner, links)
        url = str(node.meta.get("url", ""))
        link = LinkTarget(normalise_inline("".join(inner)), url)
        links.append(link)
        line = self.line(node)
        self.links.append((line, link))
        if _UNSAFE_SCHEME.match(url):
            self.raw.append(RawHtml(url, line, unsafe=True))
        parts.append("".join(inner))

    def _raw(self, html: str, line: int) -> None:
        self.raw.append(RawHtml(html.strip(), line, bool(_UNSAFE_HTML.search(html))))


class _Space:
    """A marker between the paragraphs of one list item."""

    name = "space"
    children: tuple[Any, ...] = ()


_SPACE = _Space()
