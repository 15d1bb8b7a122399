"""Section-aware diff of two policy bodies.

Sections are matched by heading (numbering and case ignored), then by content for renamed or
moved sections; within a section, blocks are aligned by longest common subsequence, changed
blocks are paired by word overlap, and paragraphs are compared sentence by sentence; within a
sentence the result is word operations. The aligned result (:class:`SectionDiff`) carries every
word of both versions, which is what the redline renders; the typed changes are derived from it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from rapidfuzz.distance import Indel

from notifier.changes import (
    SENTENCE_LEVEL_KINDS,
    BlockChange,
    Change,
    ChangeKind,
    SectionChange,
    WordOp,
)
from notifier.model import Block, DocumentModel, Section
from notifier.text import tokens

_SECTION_SIMILARITY = 0.5
_BLOCK_SIMILARITY = 0.4
_PAIRING_WINDOW = 40

T = TypeVar("T")


@dataclass(frozen=True)
class BlockDiff:
    """One block of the redline: old and new block (either may be missing) and word operations."""

    old: Block | None
    new: Block | None

    @property
    def changed(self) -> bool:
        """Whether the visible text differs."""
        return self.old is None or self.new is None or self.old.text != self.new.text

    @cached_property
    def ops(self) -> tuple[WordOp, ...]:
        """Word operations from the old block to the new (computed when first needed)."""
        return word_ops(self.old.tokens if self.old else (), self.new.tokens if self.new else ())


@dataclass(frozen=True)
class SectionDiff:
    """One section of the redline, in the new document's order (removed ones where they were)."""

    old: Section | None
    new: Section | None
    moved: bool = False

    @cached_property
    def blocks(self) -> tuple[BlockDiff, ...]:
        """The blocks aligned (computed when first needed)."""
        old, new = self.old, self.new
        return tuple(align_blocks(old.blocks if old else (), new.blocks if new else ()))

    @property
    def unchanged(self) -> bool:
        """Same heading, same blocks, same place."""
        old, new = self.old, self.new
        return (
            old is not None
            and new is not None
            and not self.moved
            and (old is new or (old.heading == new.heading and old.blocks == new.blocks))
        )

    @cached_property
    def heading_ops(self) -> tuple[WordOp, ...]:
        """Word operations from the old heading to the new."""
        old = tokens(self.old.heading) if self.old else ()
        return word_ops(old, tokens(self.new.heading) if self.new else ())

    @property
    def changed(self) -> bool:
        """Whether the heading or any block changed, or the section moved."""
        return not self.unchanged

    @property
    def anchor(self) -> str:
        """The anchor of the section (new one when it exists)."""
        return (self.new or self.old).anchor  # type: ignore[union-attr]


def opcodes(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes from a longest common subsequence (rapidfuzz, in C++).

    The deletions and insertions between two equal runs are merged into one ``replace``, as
    difflib reports them.
    """
    merged: list[tuple[str, int, int, int, int]] = []
    for op in Indel.opcodes(old, new):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if merged and tag != "equal" and merged[-1][0] != "equal":
            _, p1, _, q1, _ = merged[-1]
            merged[-1] = ("replace", p1, i2, q1, j2)
        else:
            merged.append((tag, i1, i2, j1, j2))
    return merged


def word_ops(old: Sequence[str], new: Sequence[str]) -> tuple[WordOp, ...]:
    """Word operations turning token list ``old`` into ``new``."""
    if old == new:
        return (WordOp("equal", tuple(old), tuple(new)),) if old else ()
    if not old or not new:
        return (WordOp("insert" if new else "delete", tuple(old), tuple(new)),)
    return tuple(
        WordOp(tag, tuple(old[i1:i2]), tuple(new[j1:j2]))
        for tag, i1, i2, j1, j2 in opcodes(old, new)
    )


@dataclass(frozen=True)
class SectionAlignment:
    """The sections of two versions aligned.

    A new version shares the sections it did not change with the previous one (see
    :mod:`notifier.assembly`): those both versions start and end with pair with themselves,
    unchanged, and only the sections between are matched (as a whole, they would pair the same
    way). The shared ones are made into redline sections only when the redline is read.
    """

    head: tuple[Section, ...]
    middle: tuple[SectionDiff, ...]
    tail: tuple[Section, ...]

    @cached_property
    def sections(self) -> tuple[SectionDiff, ...]:
        """Every section of the redline, in the new document's order."""
        return (
            *(SectionDiff(section, section) for section in self.head),
            *self.middle,
            *(SectionDiff(section, section) for section in self.tail),
        )


def align_sections(old: DocumentModel, new: DocumentModel) -> SectionAlignment:
    """Match sections by heading, then by content, and diff each pair."""
    before, after = old.sections, new.sections
    head = _shared_head(before, after)
    tail = _shared_head(before[head:][::-1], after[head:][::-1])
    middle = _align_middle(before[head : len(before) - tail], after[head : len(after) - tail])
    return SectionAlignment(before[:head], tuple(middle), before[len(before) - tail :])


def _shared_head(old: Sequence[Section], new: Sequence[Section]) -> int:
    """How many sections both start with, the very same objects."""
    count = 0
    for a, b in zip(old, new, strict=False):
        if a is not b:
            break
        count += 1
    return count


def _align_middle(old: Sequence[Section], new: Sequence[Section]) -> list[SectionDiff]:
    pairs = _match_by_heading(old, new)
    _match_by_content(old, new, pairs)
    moved = _moved(pairs)
    diffs = []
    for old_index, new_index in _redline_order(pairs, len(old), len(new)):
        old_section = old[old_index] if old_index is not None else None
        new_section = new[new_index] if new_index is not None else None
        diffs.append(SectionDiff(old_section, new_section, (old_index, new_index) in moved))
    return diffs


def _match_by_heading(old: Sequence[Section], new: Sequence[Section]) -> dict[int, int]:
    waiting: dict[str, list[int]] = {}
    for index, section in enumerate(new):
        waiting.setdefault(section.key, []).append(index)
    pairs = {}
    for index, section in enumerate(old):
        queue = waiting.get(section.key)
        if queue:
            pairs[index] = queue.pop(0)
    return pairs


def _match_by_content(
    old: Sequence[Section], new: Sequence[Section], pairs: dict[int, int]
) -> None:
    """Pair leftover sections whose words mostly agree (renamed, or moved and retitled)."""
    taken = set(pairs.values())
    left_old = [i for i in range(len(old)) if i not in pairs and old[i].blocks]
    left_new = [j for j in range(len(new)) if j not in taken and new[j].blocks]
    if not left_old or not left_new:
        return
    old_words = {i: _word_set(old[i].blocks) for i in left_old}
    new_words = {j: _word_set(new[j].blocks) for j in left_new}
    scored = sorted(
        (
            (score, i, j)
            for i in left_old
            for j in left_new
            if _may_reach(old_words[i], new_words[j], _SECTION_SIMILARITY)
            and (score := _jaccard(old_words[i], new_words[j])) >= _SECTION_SIMILARITY
        ),
        reverse=True,
    )
    for _, i, j in scored:
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)


def _word_set(blocks: Sequence[Block]) -> frozenset[str]:
    return frozenset().union(*(block.word_set for block in blocks))


def _may_reach(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    """Whether the Jaccard similarity of ``a`` and ``b`` may be ``threshold`` or more: it is at
    most the smaller size over the larger (exactly so in floating point too, division being
    monotonic), which costs nothing next to intersecting two sets of hundreds of words (for a
    threshold above zero)."""
    small, large = len(a), len(b)
    if small > large:
        small, large = large, small
    return small > 0 and small / large >= threshold


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def _moved(pairs: dict[int, int]) -> set[tuple[int, int]]:
    """Pairs outside the longest run kept in order: those sections moved."""
    ordered = sorted(pairs.items())
    keep = set(_longest_increasing([new for _, new in ordered]))
    return {(old, new) for old, new in ordered if new not in keep}


def _longest_increasing(values: list[int]) -> list[int]:
    tails: list[int] = []
    tails_at: list[int] = []
    previous = [-1] * len(values)
    for index, value in enumerate(values):
        position = bisect.bisect_left(tails, value)
        if position == len(tails):
            tails.append(value)
            tails_at.append(index)
        else:
            tails[position] = value
            tails_at[position] = index
        previous[index] = tails_at[position - 1] if position else -1
    result = []
    index = tails_at[-1] if tails_at else -1
    while index != -1:
        result.append(values[index])
        index = previous[index]
    return result[::-1]


def _redline_order(
    pairs: dict[int, int], old_count: int, new_count: int
) -> list[tuple[int | None, int | None]]:
    """New sections in order; a removed section follows the section that preceded it."""
    by_new = {new: old for old, new in pairs.items()}
    order: list[tuple[tuple[int, int, int], int | None, int | None]] = [
        ((j, 0, 0), by_new.get(j), j) for j in range(new_count)
    ]
    after = -1
    for i in range(old_count):
        if i in pairs:
            after = pairs[i]
        else:
            order.append(((after, 1, i), i, None))
    return [(old, new) for _, old, new in sorted(order, key=lambda item: item[0])]


def align_blocks(old: Sequence[Block], new: Sequence[Block]) -> list[BlockDiff]:
    """Align two block lists; changed blocks are paired when their words mostly agree."""
    # Versions share unchanged Block objects (see notifier.model), so this is mostly identity.
    if old == new:
        return [BlockDiff(a, b) for a, b in zip(old, new, strict=True)]
    pairs = align(
        old,
        new,
        key=lambda block: block.text,
        words=lambda block: block.word_set,
    )
    return [BlockDiff(a, b) for a, b in pairs]


def align(
    old: Sequence[T],
    new: Sequence[T],
    *,
    key: Callable[[T], str],
    words: Callable[[T], frozenset[str]],
    threshold: float = _BLOCK_SIMILARITY,
) -> Iterator[tuple[T | None, T | None]]:
    """Pairs (old, new), (old, None) for removed and (None, new) for added items, in order:
    items equal by ``key`` pair, and the others pair where the Jaccard similarity of their
    ``words`` is ``threshold`` (above zero) or more."""
    for tag, i1, i2, j1, j2 in opcodes([key(x) for x in old], [key(x) for x in new]):
        if tag == "equal":
            yield from zip(old[i1:i2], new[j1:j2], strict=True)
        elif tag == "delete":
            yield from ((item, None) for item in old[i1:i2])
        elif tag == "insert":
            yield from ((None, item) for item in new[j1:j2])
        else:
            yield from _pair_similar(old[i1:i2], new[j1:j2], words, threshold)


def _pair_similar(
    old: Sequence[T], new: Sequence[T], words: Callable[[T], frozenset[str]], threshold: float
) -> Iterator[tuple[T | None, T | None]]:
    """Pair in order each old item with the most similar new item ahead of the last pairing."""
    start = 0
    for item in old:
        window = range(start, min(len(new), start + _PAIRING_WINDOW))
        best, best_score = -1, threshold
        item_words = words(item) if window else frozenset()
        for index in window:
            other = words(new[index])
            if not _may_reach(item_words, other, best_score):
                continue
            score = _jaccard(item_words, other)
            if score >= best_score:
                best, best_score = index, score
        if best < 0:
            yield item, None
            continue
        yield from ((None, added) for added in new[start:best])
        yield item, new[best]
        start = best + 1
    yield from ((None, added) for added in new[start:])


def section_changes(diff: SectionDiff) -> list[Change]:
    """The section-level changes of one aligned section (blocks are handled separately)."""
    if diff.old is None:
        return [SectionChange(ChangeKind.SECTION_ADDED, None, diff.new)]
    if diff.new is None:
        return [SectionChange(ChangeKind.SECTION_REMOVED, diff.old, None)]
    changes: list[Change] = []
    if diff.old.heading != diff.new.heading:
        changes.append(SectionChange(ChangeKind.SECTION_RENAMED, diff.old, diff.new))
    if diff.moved:
        changes.append(SectionChange(ChangeKind.SECTION_MOVED, diff.old, diff.new))
    return changes


def block_changes(section: SectionDiff, topic_heading: str) -> list[BlockChange]:
    """Block-level changes of a matched section (paragraph edits are refined into sentences)."""
    title = (section.new or section.old).title  # type: ignore[union-attr]
    found = []
    for block in section.blocks:
        if not block.changed:
            continue
        refined = False
        if block.old is None:
            kind = ChangeKind.BLOCK_ADDED
        elif block.new is None:
            kind = ChangeKind.BLOCK_REMOVED
        else:
            kind = ChangeKind.BLOCK_MODIFIED
            # Paragraph edits are compared sentence by sentence later; block ops would go unused.
            refined = block.new.kind in SENTENCE_LEVEL_KINDS
        ops = () if refined else block.ops
        found.append(BlockChange(kind, title, block.old, block.new, ops, topic_heading))
    return found
