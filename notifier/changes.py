"""Typed changes between two versions of a policy, and the word operations inside them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from notifier.model import Block, Section

# Blocks whose edits are reported sentence by sentence; list items, rows and code as a whole.
SENTENCE_LEVEL_KINDS = frozenset({"paragraph", "html"})


class ChangeKind(StrEnum):
    """What kind of change: the ``kind`` field of the JSON report."""

    SECTION_ADDED = "section_added"
    SECTION_REMOVED = "section_removed"
    SECTION_RENAMED = "section_renamed"
    SECTION_MOVED = "section_moved"
    BLOCK_ADDED = "block_added"
    BLOCK_REMOVED = "block_removed"
    BLOCK_MODIFIED = "block_modified"
    BLOCK_MOVED = "block_moved"
    SENTENCE_ADDED = "sentence_added"
    SENTENCE_REMOVED = "sentence_removed"
    SENTENCE_MODIFIED = "sentence_modified"
    SENTENCE_MOVED = "sentence_moved"
    LINK_CHANGED = "link_changed"
    FRONT_MATTER_CHANGED = "front_matter_changed"


@dataclass(frozen=True)
class WordOp:
    """One step of a word-level diff: ``equal``, ``insert``, ``delete`` or ``replace``."""

    op: str
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class SectionChange:
    """A section added, removed, renamed (heading changed) or moved."""

    kind: ChangeKind
    old: Section | None
    new: Section | None

    @property
    def section(self) -> str:
        """The section's heading (new name when renamed)."""
        return (self.new or self.old).title  # type: ignore[union-attr]

    @property
    def old_text(self) -> str | None:
        """The old heading, or the removed section's text."""
        return _section_text(self.old, self.kind)

    @property
    def new_text(self) -> str | None:
        """The new heading, or the added section's text."""
        return _section_text(self.new, self.kind)


def _section_text(section: Section | None, kind: ChangeKind) -> str | None:
    if section is None:
        return None
    if kind in (ChangeKind.SECTION_RENAMED, ChangeKind.SECTION_MOVED):
        return section.heading
    return "\n".join([section.heading, *(block.text for block in section.blocks)]).strip()


@dataclass(frozen=True)
class BlockChange:
    """A paragraph, list item, table row or code block added, removed, modified or moved."""

    kind: ChangeKind
    section: str
    old: Block | None
    new: Block | None
    words: tuple[WordOp, ...] = ()
    topic_heading: str = ""

    @property
    def old_text(self) -> str | None:
        """The block's old text."""
        return self.old.text if self.old else None

    @property
    def new_text(self) -> str | None:
        """The block's new text."""
        return self.new.text if self.new else None

    @property
    def block_kind(self) -> str:
        """``paragraph``, ``item``, ``row``, ``code`` or ``html``."""
        return (self.new or self.old).kind  # type: ignore[union-attr]


@dataclass(frozen=True)
class SentenceChange:
    """A sentence added, removed or modified inside a paragraph."""

    kind: ChangeKind
    section: str
    old_text: str | None
    new_text: str | None
    words: tuple[WordOp, ...] = ()
    block_kind: str = "paragraph"
    topic_heading: str = ""


@dataclass(frozen=True)
class LinkChange:
    """The same link text now points somewhere else."""

    section: str
    text: str
    old_text: str
    new_text: str
    kind: ChangeKind = ChangeKind.LINK_CHANGED


@dataclass(frozen=True)
class FrontMatterChange:
    """A front-matter key added, removed or changed (found with deepdiff)."""

    key: str
    old_text: str | None
    new_text: str | None
    kind: ChangeKind = ChangeKind.FRONT_MATTER_CHANGED

    @property
    def section(self) -> str:
        """Front matter is reported as its own section."""
        return "(front matter)"


Change = SectionChange | BlockChange | SentenceChange | LinkChange | FrontMatterChange
