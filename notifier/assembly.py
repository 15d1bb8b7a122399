"""Putting a version's top-level elements together into sections.

A section is a heading and the blocks up to the next heading; its path is the headings above it
and its anchor the site's (numbering left out, ``_1`` for a repeat). Consecutive versions share
their unchanged elements (:mod:`notifier.parsing` reads each element once), so a section of the
previous version is taken as it is wherever the elements it was made of follow one another
again, under the same headings and with its anchor still free: a new version then costs in
proportion to what changed in it, not to its length. Tests check that this equals assembling
everything afresh, on every corpus pair and on random edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from notifier.model import (
    Block,
    ElementContent,
    Heading,
    HeadingMark,
    Section,
    SectionSource,
    SourceMap,
    SourceNode,
    anchor_base,
    heading_anchor,
)

_NO_SECTION: tuple[str, int, str, tuple[str, ...]] = ("", 0, "", ())
_CONTENT = attrgetter("content")


@dataclass(frozen=True)
class Assembly:
    """The sections and headings of a version, and the sections made of whole elements."""

    sections: tuple[Section, ...]
    headings: tuple[Heading, ...]
    sources: tuple[SectionSource, ...]


def assemble(nodes: Sequence[SourceNode], previous: SourceMap | None = None) -> Assembly:
    """The sections of ``nodes``, taking the unchanged ones from ``previous``."""
    assembler = _Assembler(previous.sections_by_opening if previous is not None else {})
    index, count = 0, len(nodes)
    while index < count:
        content = nodes[index].content
        if not content.has_heading:
            assembler.add_blocks(content)
            index += 1
            continue
        if content.opens_one_section:
            end = assembler.reuse(nodes, index)
            if end:
                index = end
                continue
        assembler.add(content)
        index += 1
    return assembler.finish()


class _Assembler:
    """The sections so far, the open section, and the headings above it."""

    def __init__(self, previous: dict[int, SectionSource]) -> None:
        self.previous = previous
        self.sections: list[Section] = []
        self.headings: list[Heading] = []
        self.sources: list[SectionSource] = []
        self.heading = _NO_SECTION  # text, level, anchor and path of the open section
        self.opened: Heading | None = None
        self.anchor_is_base = False  # the open section's anchor has no "_1"
        self.blocks: list[Block] = []
        # The elements of the open section, while it is made of whole elements.
        self.contents: list[ElementContent] | None = None
        self.stack: list[tuple[int, str]] = []
        self.titles: list[str] = []
        self.anchors: set[str] = set()

    def add_blocks(self, content: ElementContent) -> None:
        """An element without a heading: its blocks go to the open section."""
        self.blocks.extend(content.items)  # type: ignore[arg-type]
        if self.contents is not None:
            self.contents.append(content)

    def add(self, content: ElementContent) -> None:
        """An element with headings: each closes the open section and opens one."""
        if not content.opens_section:
            # Its blocks before its first heading (a quote's, say) go to the open section,
            # which is then not made of whole elements.
            self.contents = None
        opener = content if content.opens_one_section else None
        for item in content.items:
            if isinstance(item, HeadingMark):
                self._heading(item, opener)
            else:
                self.blocks.append(item)

    def reuse(self, nodes: Sequence[SourceNode], index: int) -> int:
        """Take the previous version's section opened by ``nodes[index]`` if it is still the
        same; where the nodes after it start (0: it is not the same)."""
        source = self.previous.get(id(nodes[index].content))
        if source is None or not self._same_elements(nodes, index, source.contents):
            return 0
        section = source.section
        self._close()
        self._pop_to(section.level)
        if (
            not source.anchor_is_base
            or section.anchor in self.anchors
            or tuple(self.titles) != section.path
        ):
            return 0
        self._push(section.level, section.heading, section.anchor)
        self.sections.append(section)
        self.headings.append(source.heading)
        self.sources.append(source)
        return index + len(source.contents)

    @staticmethod
    def _same_elements(
        nodes: Sequence[SourceNode], index: int, contents: tuple[ElementContent, ...]
    ) -> bool:
        end = index + len(contents)
        if end > len(nodes) or tuple(map(_CONTENT, nodes[index:end])) != contents:
            return False
        # The section must end where it ended: at a heading, or at the end of the text.
        return end == len(nodes) or nodes[end].content.opens_section

    def _heading(self, item: HeadingMark, opener: ElementContent | None) -> None:
        self._close()
        self._pop_to(item.level)
        path = tuple(self.titles)
        base = anchor_base(item.text)
        self.anchor_is_base = base not in self.anchors
        anchor = base if self.anchor_is_base else heading_anchor(item.text, self.anchors)
        self._push(item.level, item.text, anchor)
        self.opened = Heading(item.level, item.text, anchor)
        self.headings.append(self.opened)
        self.heading = (item.text, item.level, anchor, path)
        self.contents = [opener] if opener is not None else None

    def _pop_to(self, level: int) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
            self.titles.pop()

    def _push(self, level: int, text: str, anchor: str) -> None:
        self.stack.append((level, text))
        self.titles.append(text)
        self.anchors.add(anchor)

    def _close(self) -> None:
        text, level, anchor, path = self.heading
        if self.blocks or text:
            section = Section(text, level, anchor, path, tuple(self.blocks))
            self.sections.append(section)
            if self.contents is not None and self.opened is not None:
                self.sources.append(
                    SectionSource(section, self.opened, tuple(self.contents), self.anchor_is_base)
                )
        self.heading, self.opened, self.contents, self.blocks = _NO_SECTION, None, None, []

    def finish(self) -> Assembly:
        self._close()
        return Assembly(tuple(self.sections), tuple(self.headings), tuple(self.sources))
