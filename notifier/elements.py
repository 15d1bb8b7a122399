"""Reading one top-level element of markdown-it's token tree into what a reader sees: blocks
(paragraphs, list items, table rows, quoted, code and HTML text), headings, link targets kept
apart from the text, and raw HTML (flagged when unsafe). :mod:`notifier.parsing` finds the
elements and puts their contents together into sections.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from notifier.model import (
    Block,
    ElementContent,
    HeadingMark,
    LinkTarget,
    RawHtml,
    normalise_inline,
)

_UNSAFE_HTML = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style)\b|\bon[a-z]+\s*=", re.I)
_UNSAFE_SCHEME = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
_INLINE_TEXT = frozenset({"text", "code_inline", "text_special"})
_INLINE_SPACE = frozenset({"softbreak", "hardbreak"})
_NESTED_IN_ITEM = frozenset(
    {"bullet_list", "ordered_list", "blockquote", "table", "fence", "code_block", "html_block"}
)
_BLOCKS_IN_ITEM_TEXT = frozenset({"heading", "lheading", "hr"})
_ROW_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class _RowContent:
    """A table row as read: its block (None for an empty row), and its links and raw HTML with
    lines relative to the row's first line."""

    block: Block | None
    links: tuple[tuple[int, LinkTarget], ...]
    raw: tuple[RawHtml, ...]


# A table is one element, so a change in one row would have every row of it read again (some
# policies are a table of forty kilobytes). Rows are remembered by their source, the number of
# cells the header gives them and the document's link definitions: what decides how they read.
_rows: dict[tuple[bytes, int, str], _RowContent] = {}


def clear_row_cache() -> None:
    """Forget the table rows read so far (for measuring a cold start)."""
    _rows.clear()


class ElementReader:
    """Walks one top-level element of the token tree into blocks, links and raw HTML."""

    def __init__(
        self, source: bytes, line_starts: list[int], offset: int, first_line: int, signature: str
    ) -> None:
        # Offsets in the token tree are from ``offset`` (``source`` is the text parsed, from
        # there on); lines are counted in the whole text.
        self.source = source
        self.line_starts = line_starts
        self.offset = offset
        self.first_line = first_line
        self.signature = signature
        self.items: list[Block | HeadingMark] = []
        self.links: list[tuple[int, LinkTarget]] = []
        self.raw: list[RawHtml] = []

    def read(self, node: Any) -> ElementContent:
        if node.name == "list_item":
            self._list_item(node, depth=0)
        else:
            self.block(node, depth=0)
        return ElementContent.of(tuple(self.items), tuple(self.links), tuple(self.raw))

    def line(self, node: Any) -> int:
        """Line of ``node`` relative to the chunk's first line (which is 1)."""
        srcmap = node.srcmap
        if not srcmap:
            return 1
        return bisect.bisect_right(self.line_starts, self.offset + srcmap[0]) - self.first_line + 1

    def block(self, node: Any, depth: int) -> None:
        name = node.name
        if name in ("heading", "lheading"):
            text, _ = self._inline(node.children)
            self.items.append(HeadingMark(int(node.meta.get("level", 1)), text))
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
            name = child.name  # made anew at each access, as every attribute of a node
            if name == "paragraph":
                inline.extend([*child.children, _SPACE])
            elif name in _NESTED_IN_ITEM:
                nested.append(child)
            elif name in _BLOCKS_IN_ITEM_TEXT:
                # A tight list has no paragraph nodes: without the spaces, "- a\n  # H" would
                # read "aH" there and "a H" in a loose list.
                inline.extend([_SPACE, child, _SPACE])
            else:
                inline.append(child)
        self._add("item", inline, depth)
        for child in nested:
            self.block(child, depth + 1)

    def _table(self, node: Any) -> None:
        if len(_rows) > _ROW_CACHE_LIMIT:
            _rows.clear()
        for part in node.children:
            for row in part.children:
                self._row(row)

    def _row(self, row: Any) -> None:
        if not row.srcmap:
            self._read_row(row)
            return
        start, end = row.srcmap
        key = (self.source[start:end], len(row.children), self.signature)
        line = self.line(row)
        content = _rows.get(key)
        if content is None:
            links, raw = len(self.links), len(self.raw)
            block = self._read_row(row)
            content = _rows[key] = _RowContent(
                block,
                tuple((at - line, link) for at, link in self.links[links:]),
                tuple(_moved(html, -line) for html in self.raw[raw:]),
            )
            return
        if content.block is not None:
            self.items.append(content.block)
        self.links += [(at + line, link) for at, link in content.links]
        self.raw += [_moved(html, line) for html in content.raw]

    def _read_row(self, row: Any) -> Block | None:
        cells = [self._inline(cell.children) for cell in row.children]
        text = " | ".join(text for text, _ in cells)
        links = tuple(link for _, cell_links in cells for link in cell_links)
        if not text.strip(" |"):
            return None
        block = Block("row", text, links)
        self.items.append(block)
        return block

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


def _moved(html: RawHtml, lines: int) -> RawHtml:
    # Made directly: dataclasses.replace takes twice as long, for every remembered row
    # of a table holding raw HTML, each time the table is read again.
    return RawHtml(html.html, html.line + lines, html.unsafe)


class _Space:
    """A marker between the paragraphs of one list item."""

    name = "space"
    children: tuple[Any, ...] = ()


_SPACE = _Space()
