"""Putting a version's top-level elements together into sections.

A section is a heading and the blocks up to the next heading; its path is the headings above it
and its anchor the site's (numbering left out, ``_1`` for a repeat). Consecutive versions share
their unchanged elements (:mod:`notifier.parsing` reads each element once), so a section of the
previous version is taken as it is wherever the elements it was made of follow one another
again, under the same headings and where it gets the same anchor: a new version then costs in
proportion to what changed in it, not to its length. Tests check that this equals assembling
everything afresh, on every corpus pair and on random edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifier.model import (
    Block,
    ElementContent,
    Heading,
    HeadingMark,
    Section,
    SectionSource,
    SourceMap,
    anchor_base,
    free_anchor,
)

_NO_SECTION: tuple[str, int, str, tuple[str, ...]] = ("", 0, "", ())


@dataclass(frozen=True)
class Assembly:
    """The sections and headings of a version, and the sections made of whole elements."""

    sections: tuple[Section, ...]
    headings: tuple[Heading, ...]
    sources: tuple[SectionSource, ...]
    preamble: Section | None  # the blocks before the first heading, if any


def assemble(contents: tuple[ElementContent, ...], previous: SourceMap | None = None) -> Assembly:
    """The sections of the top-level elements holding ``contents``, taking the unchanged ones
    from ``previous``."""
    assembler = _Assembler(previous)
    index, count = 0, len(contents)
    while index < count:
        content = contents[index]
        if not content.has_heading:
            assembler.add_blocks(content)
            index += 1
            continue
        if content.opens_one_section:
            end = assembler.reuse(contents, index)
            if end:
                index = end
                continue
        assembler.add(content)
        index += 1
    return assembler.finish()


def _same_elements(
    contents: tuple[ElementContent, ...], index: int, section: tuple[ElementContent, ...]
) -> bool:
    """Whether the elements from ``index`` on are the ones ``section`` was made of."""
    end = index + len(section)
    if contents[index:end] != section:
        return False
    # The section must end where it ended: at a heading, or at the end of the text.
    return end == len(contents) or contents[end].opens_section


class _Assembler:
    """The sections so far, the open section, and the headings above it."""

    def __init__(self, previous: SourceMap | None) -> None:
        self.previous = previous
        self.previous_openings = previous.sections_by_opening if previous is not None else {}
        self.previous_preamble = previous.preamble if previous is not None else None
        self.preamble: Section | None = None
        self.sections: list[Section] = []
        self.headings: list[Heading] = []
        self.sources: list[SectionSource] = []
        self.heading = _NO_SECTION  # text, level, anchor and path of the open section
        self.opened: Heading | None = None
        self.anchor_base = ""  # of the open section's heading
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

    def reuse(self, contents: tuple[ElementContent, ...], index: int) -> int:
        """Take the previous version's section opened by ``contents[index]`` if it is still
        the same; where the elements after it start (0: it is not the same)."""
        source = self._same_source(contents, index)
        if source is None:
            return 0
        section = source.section
        if self.heading is not _NO_SECTION or self.blocks:
            self._close()
        self._pop_to(section.level)
        if (
            tuple(self.titles) != section.path
            # The headings before may have taken (or left) the base of its anchor, or a "_1".
            or free_anchor(source.anchor_base, self.anchors) != section.anchor
        ):
            return 0
        self._push(section.level, section.heading, section.anchor)
        self.sections.append(section)
        self.headings.append(source.heading)
        self.sources.append(source)
        return index + len(source.contents)

    def _same_source(
        self, contents: tuple[ElementContent, ...], index: int
    ) -> SectionSource | None:
        """The previous version's section made of the elements from ``contents[index]`` on."""
        opening = id(contents[index])
        source = self.previous_openings.get(opening)
        if source is None or _same_elements(contents, index, source.contents):
            return source
        assert self.previous is not None  # it had a section
        for later in self.previous.later_sections_by_opening.get(opening, ()):
            if _same_elements(contents, index, later.contents):
                return later
        return None

    def _heading(self, item: HeadingMark, opener: ElementContent | None) -> None:
        self._close()
        self._pop_to(item.level)
        path = tuple(self.titles)
        self.anchor_base = anchor_base(item.text)
        anchor = free_anchor(self.anchor_base, self.anchors)
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
            if level == 0:  # the text before the first heading
                section = self.preamble = self._same_preamble(section)
            self.sections.append(section)
            if self.contents is not None and self.opened is not None:
                self.sources.append(
                    SectionSource(section, self.opened, tuple(self.contents), self.anchor_base)
                )
        self.heading, self.opened, self.contents, self.blocks = _NO_SECTION, None, None, []

    def finish(self) -> Assembly:
        self._close()
        return Assembly(
            tuple(self.sections), tuple(self.headings), tuple(self.sources), self.preamble
        )

    def _same_preamble(self, preamble: Section) -> Section:
        # Unchanged, it is the previous version's object, as the sections taken over are, so
        # that the diff pairs it with itself at a glance (see diff.align_sections).
        previous = self.previous_preamble
        return previous if previous is not None and previous == preamble else preamble
