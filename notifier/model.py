"""The parsed body of a policy: sections, blocks and sentences, with what a reader cannot see
normalised away.

A section is a heading and the blocks (paragraphs, list items, table rows, quotes, code) up to
the next heading. Blocks and sections do not know their position, so consecutive versions of a
policy share the blocks and sections they have in common (and their words and sentences,
computed on first use). Parsing is in :mod:`notifier.parsing`, putting sections together in
:mod:`notifier.assembly`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from markdown.extensions.toc import slugify

from notifier.text import sentences, spacing, tokens

_NUMBERING = re.compile(
    r"^(?:(?:section|article|part|§)\s*)?(?:[0-9]+(?:\.[0-9]+)*[.):]?|[a-z][.)]|[ivxlc]+[.)])\s+"
)
UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data):", re.I)
_VISIBLE_FORM = (
    dict.fromkeys("\u2018\u2019\u201a\u201b", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f", '"')
    | dict.fromkeys("\u00a0\u202f\u2009", " ")
    | dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", "")
)
_INVISIBLE_DIFFERENCE = re.compile("[" + "".join(_VISIBLE_FORM) + "]")


@dataclass(frozen=True)
class Heading:
    """A heading: its level, visible text and anchor (as the site renders it)."""

    level: int
    text: str
    anchor: str


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
    blocks: tuple[Block, ...]

    @property
    def key(self) -> str:
        """The heading as matched across versions: case, numbering and punctuation ignored."""
        return heading_key(self.heading)

    @property
    def title(self) -> str:
        """How the section is named in reports (the preamble is "(preamble)")."""
        return self.heading or "(preamble)"

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """The sentences of its blocks, in order (once per section: versions share them)."""
        return tuple(itertools.chain.from_iterable(block.sentences for block in self.blocks))


@dataclass(frozen=True)
class DocumentModel:
    """A policy body as a reader sees it, plus what the checks need (links, raw HTML)."""

    sections: tuple[Section, ...]
    headings: tuple[Heading, ...]
    source: SourceMap | None = field(default=None, compare=False, repr=False)

    @cached_property
    def links(self) -> tuple[Link, ...]:
        """Every link, with the line it is on (the checks need them; the diff does not)."""
        if self.source is None:
            return ()
        return tuple(
            Link(link.target, link.text, node.line + line - 1)
            for node, content in zip(self.source.nodes, self.source.contents, strict=True)
            for line, link in content.links
        )

    @cached_property
    def raw_html(self) -> tuple[RawHtml, ...]:
        """Raw HTML and script links written into the Markdown, by line."""
        if self.source is None:
            return ()
        found = [
            RawHtml(raw.html, node.line + raw.line - 1, raw.unsafe)
            for node, content in zip(self.source.nodes, self.source.contents, strict=True)
            for raw in content.raw
        ]
        # markdown-it leaves javascript: links as plain text, so they are found in the source.
        body = self.source.data.decode("utf-8")
        found += [
            RawHtml(m.group(0).lstrip("]("), body.count("\n", 0, m.start()) + 1, True)
            for m in UNSAFE_LINK.finditer(body)
        ]
        return tuple(sorted(found, key=lambda raw: raw.line))

    @property
    def anchors(self) -> frozenset[str]:
        """Every anchor a link may point to."""
        return frozenset(heading.anchor for heading in self.headings)

    @cached_property
    def sentence_set(self) -> frozenset[str]:
        """Every sentence of the document (for telling moved text from new text)."""
        return frozenset(
            itertools.chain.from_iterable(section.sentences for section in self.sections)
        )

    def contains(self, sentence: str) -> bool:
        """Whether ``sentence`` is, word for word, a sentence of the document."""
        return sentence in self.sentence_set


@dataclass(frozen=True)
class HeadingMark:
    """A heading inside an element's content."""

    level: int
    text: str


class ElementContent(NamedTuple):
    """What one top-level Markdown element holds, with lines relative to its first line.

    A named tuple, as :class:`SourceNode`: every version reads its changed elements into new
    ones, and what the sections are assembled from is read off fields, not computed.
    """

    items: tuple[Block | HeadingMark, ...]
    links: tuple[tuple[int, LinkTarget], ...]
    raw: tuple[RawHtml, ...]
    has_heading: bool  # a section starts in it
    opens_section: bool  # it starts with a heading: the section before it ends before it
    # It starts with its only heading: the section it opens is made of whole elements (see
    # :class:`SectionSource`).
    opens_one_section: bool

    @classmethod
    def of(
        cls,
        items: tuple[Block | HeadingMark, ...],
        links: tuple[tuple[int, LinkTarget], ...],
        raw: tuple[RawHtml, ...],
    ) -> ElementContent:
        """The content of an element holding ``items``, ``links`` and ``raw``."""
        headings = sum(isinstance(item, HeadingMark) for item in items)
        opens = bool(items) and isinstance(items[0], HeadingMark)
        return cls(items, links, raw, headings > 0, opens, opens and headings == 1)


class SourceNode(NamedTuple):
    """Where a top-level element of the source lies: byte range and lines (what it holds is
    apart, in :attr:`SourceMap.contents`).

    A named tuple of numbers, not a dataclass: every version makes hundreds of them (shifted
    copies of the previous version's), a tuple is made in a third of the time, and the garbage
    collector stops looking at a tuple of numbers once it has seen it.
    """

    start: int
    end: int
    line: int  # first line, from 1
    last_line: int  # line of the last byte


@dataclass(frozen=True)
class SectionSource:
    """The whole elements a section was made of: the one that opens it with its heading, and
    those up to the next heading. The next version takes the section as it is where the same
    elements follow one another again (and the headings above and the anchors before agree)."""

    section: Section
    heading: Heading
    contents: tuple[ElementContent, ...]
    anchor_base: str  # its heading's anchor where no heading before has taken it


@dataclass(frozen=True)
class SourceMap:
    """Where each top-level element of a parsed body lies, so the next version can reuse them.

    ``lines`` (the body split at newlines) and ``line_starts`` (byte offset of each line, and
    one past the end) are kept for the next version's relative parse; ``sections`` and
    ``preamble`` (the section before the first heading) for its assembly.
    """

    data: bytes
    signature: str
    nodes: tuple[SourceNode, ...]
    contents: tuple[ElementContent, ...]  # what each node holds
    lines: list[bytes] = field(compare=False, repr=False)
    line_starts: list[int] = field(compare=False, repr=False)
    sections: tuple[SectionSource, ...] = field(default=(), compare=False, repr=False)
    preamble: Section | None = field(default=None, compare=False, repr=False)

    @cached_property
    def sections_by_opening(self) -> dict[int, SectionSource]:
        """The sections made of whole elements, by the identity of the element opening them
        (elements are shared between versions: see :mod:`notifier.parsing`); where a heading
        recurs with the same text, the first (the others: :attr:`later_sections_by_opening`)."""
        return {id(source.contents[0]): source for source in reversed(self.sections)}

    @cached_property
    def later_sections_by_opening(self) -> dict[int, list[SectionSource]]:
        """The sections opened by the same element as one before them."""
        first = self.sections_by_opening
        found: dict[int, list[SectionSource]] = {}
        for source in self.sections:
            key = id(source.contents[0])
            if first[key] is not source:
                found.setdefault(key, []).append(source)
        return found


def normalise_inline(text: str) -> str:
    """Visible text with invisible differences removed: quotes, spaces, zero-width characters."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        # A regular expression finds the few characters to replace much faster than translate.
        text = _INVISIBLE_DIFFERENCE.sub(lambda match: _VISIBLE_FORM[match.group()], text)
    # Most text is spaced already: checked in C (every space but " " is unprintable), it is
    # kept as it is rather than split into words and joined again.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


@lru_cache(maxsize=8192)
def heading_key(text: str) -> str:
    """A heading as matched across versions: ``"4. Data Retention"`` -> ``"data retention"``."""
    key = _NUMBERING.sub("", normalise_inline(text).casefold())
    return " ".join(re.sub(r"[^\w\s]", " ", key).split())


def heading_anchor(text: str, taken: set[str]) -> str:
    """A section's anchor: its heading without numbering, so that ``#data-retention`` stays the
    same when "4. Data Retention" becomes "5. Data Retention" (``_1`` suffixes for repeats)."""
    anchor = free_anchor(anchor_base(text), taken)
    taken.add(anchor)
    return anchor


def free_anchor(base: str, taken: set[str]) -> str:
    """The anchor of a heading whose :func:`anchor_base` is ``base``, the headings before it
    having taken ``taken``: ``base``, or the first of ``base_1``, ``base_2`` ... still free."""
    anchor, count = base, 0
    while anchor in taken:
        count += 1
        anchor = f"{base}_{count}"
    return anchor


def anchor_base(text: str) -> str:
    """A heading's anchor when no heading before it has taken it."""
    return _slug(heading_key(text) or text)


@lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    return str(slugify(text, "-")) or "section"


def clear_heading_caches() -> None:
    """Forget the memoized heading keys and anchors (for measuring a cold start)."""
    heading_key.cache_clear()
    _slug.cache_clear()
