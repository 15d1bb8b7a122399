"""``compare(old_text, new_text) -> Comparison``: what changed between two versions, and how much.

This is the public entry point of the diff and the classifier. A version is a whole policy file
(front matter optional) or just Markdown; BOM and CRLF are accepted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import yaml
from deepdiff import DeepDiff

from notifier import parsing
from notifier.changes import (
    SENTENCE_LEVEL_KINDS,
    BlockChange,
    Change,
    ChangeKind,
    FrontMatterChange,
    LinkChange,
    SentenceChange,
)
from notifier.classify import Assessment, Classifier
from notifier.diff import (
    BlockDiff,
    SectionAlignment,
    SectionDiff,
    align,
    align_sections,
    block_changes,
    section_changes,
    word_ops,
)
from notifier.frontmatter import ChangeClass
from notifier.model import DocumentModel
from notifier.parsing import parse_body
from notifier.policy import lf_line_ends, split_front_matter
from notifier.text import tokens
from notifier.vocabulary import Vocabulary

_SENTENCE_SIMILARITY = 0.4
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ABSENT = object()  # a front-matter key that is not there (None is a value)


@dataclass(frozen=True)
class ClassifiedChange:
    """A typed change with its class and the reasons for it."""

    change: Change
    classification: ChangeClass
    reasons: tuple[str, ...]

    @property
    def kind(self) -> ChangeKind:
        """The change's kind."""
        return self.change.kind

    @property
    def section(self) -> str:
        """The section heading it belongs to."""
        return self.change.section

    def to_dict(self) -> dict[str, Any]:
        """``{"section", "kind", "classification", "reasons", "old", "new"}``."""
        return {
            "section": self.section,
            "kind": self.kind.value,
            "classification": self.classification.value,
            "reasons": list(self.reasons),
            "old": self.change.old_text,
            "new": self.change.new_text,
        }


@dataclass(frozen=True)
class Comparison:
    """Two versions compared: the aligned redline, the typed changes and the overall class."""

    old: DocumentModel
    new: DocumentModel
    alignment: SectionAlignment
    changes: tuple[ClassifiedChange, ...]

    @property
    def sections(self) -> tuple[SectionDiff, ...]:
        """The aligned redline, section by section, in the new document's order."""
        return self.alignment.sections

    @property
    def classification(self) -> str:
        """``"none"``, ``"editorial"`` or ``"material"``: the highest class of the changes."""
        return self.change_class.value

    @property
    def change_class(self) -> ChangeClass:
        """The overall class as a :class:`ChangeClass`."""
        if not self.changes:
            return ChangeClass.NONE
        return max((c.classification for c in self.changes), key=lambda c: c.rank)

    @property
    def material_changes(self) -> list[ClassifiedChange]:
        """The changes that make this comparison material."""
        return [c for c in self.changes if c.classification is ChangeClass.MATERIAL]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: classification, counts per class and every change."""
        counts = {
            cls.value: 0 for cls in (ChangeClass.NONE, ChangeClass.EDITORIAL, ChangeClass.MATERIAL)
        }
        for change in self.changes:
            counts[change.classification.value] += 1
        return {
            "classification": self.classification,
            "counts": counts,
            "changes": [change.to_dict() for change in self.changes],
        }


def clear_caches() -> None:
    """Forget every parsed version and memoized piece of text (for measuring a cold start)."""
    parsing.clear_caches()
    _word_set.cache_clear()
    _load.cache_clear()


def compare(old_text: str, new_text: str, *, vocabulary: Vocabulary | None = None) -> Comparison:
    """Compare two versions of a policy (files with or without front matter)."""
    with _collector_paused():
        return _compare(old_text, new_text, vocabulary)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector back while one comparison runs.

    A comparison allocates tens of thousands of small objects that live as long as their
    version is cached, and hardly any reference cycles (deepdiff leaves a few, on nested front
    matter): the collector's passes over them found almost nothing and cost about a tenth of
    the time. Reference counting still frees everything as usual; the objects made meanwhile
    are looked at once, by the first collection after, which also frees those few cycles. The
    collector is left as it was found (a caller that disabled it keeps it disabled).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _compare(old_text: str, new_text: str, vocabulary: Vocabulary | None) -> Comparison:
    old_front, old_body = _split(old_text)
    new_front, new_body = _split(new_text)
    old_model = parse_body(old_body)
    new_model = parse_body(new_body, previous=old_model)
    alignment = align_sections(old_model, new_model)
    changes: list[Change] = list(front_matter_changes(old_front, new_front))
    for section in alignment.middle:  # those before and after it are unchanged
        if section.unchanged:
            continue
        changes += section_changes(section)
        if section.old is not None and section.new is not None:
            heading = " / ".join([*section.new.path, section.new.heading])
            changes += _refined(block_changes(section, heading))
            changes += _link_changes(section)
    changes = _pair_moves(changes)
    classifier = Classifier(vocabulary or Vocabulary.default(), old_model, new_model)
    return Comparison(
        old_model,
        new_model,
        alignment,
        tuple(_classified(change, classifier.assess(change)) for change in changes),
    )


def _classified(change: Change, assessment: Assessment) -> ClassifiedChange:
    return ClassifiedChange(change, assessment.classification, assessment.reasons)


def _split(text: str) -> tuple[str | None, str]:
    text = lf_line_ends(text)
    split = split_front_matter(text)
    return (None, text) if split is None else (split[0], split[1])


def front_matter_changes(old: str | None, new: str | None) -> Iterable[FrontMatterChange]:
    """Changed front-matter keys, compared as data: scalars directly, nested values with
    deepdiff (order of lists ignored)."""
    if old == new:
        return []
    old_data, new_data = _load(old), _load(new)
    if not isinstance(old_data, dict) or not isinstance(new_data, dict):
        return [FrontMatterChange("(front matter)", old, new)]
    found = []
    for key in old_data.keys() | new_data.keys():
        found += _value_changes(str(key), old_data.get(key, _ABSENT), new_data.get(key, _ABSENT))
    return sorted(found, key=lambda change: change.key)


def _value_changes(key: str, old: Any, new: Any) -> list[FrontMatterChange]:
    # Most front matter is flat; deepdiff (about half a millisecond a call) is kept for the
    # nested values, where its path and order-insensitive lists are worth it.
    if _same(old, new):
        return []
    if isinstance(old, dict | list) and type(old) is type(new):
        diff = DeepDiff(old, new, ignore_order=True, view="tree")
        return [
            FrontMatterChange(
                ".".join([key, *(str(part) for part in item.path(output_format="list"))]),
                _text(item.t1),
                _text(item.t2),
            )
            for items in diff.values()
            for item in items
        ]
    return [FrontMatterChange(key, _text(old), _text(new))]


def _same(old: Any, new: Any) -> bool:
    """Equal, types included all the way down (``True == 1`` is a change here, as for
    deepdiff); lists in the same order (a reordered list is left to deepdiff)."""
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


@lru_cache(maxsize=64)
def _load(source: str | None) -> Any:
    # Memoized: consecutive comparisons share a version. The data is only read, never changed.
    if source is None:
        return {}
    try:
        return yaml.load(source, Loader=_LOADER)
    except yaml.YAMLError:
        return None


def _text(value: Any) -> str | None:
    if value is None or value is _ABSENT or type(value).__name__ == "NotPresent":
        return None
    return str(value)


def _refined(changes: list[BlockChange]) -> list[Change]:
    """Paragraph edits become sentence changes; list items and rows stay block changes."""
    refined: list[Change] = []
    for change in changes:
        if (
            change.kind is ChangeKind.BLOCK_MODIFIED
            and change.old
            and change.new
            and change.block_kind in SENTENCE_LEVEL_KINDS
        ):
            refined += _sentence_changes(change)
        else:
            refined.append(change)
    return refined


def _sentence_changes(change: BlockChange) -> list[Change]:
    assert change.old is not None and change.new is not None
    found: list[Change] = []
    pairs = align(
        change.old.sentences,
        change.new.sentences,
        key=lambda s: s,
        words=_word_set,
        threshold=_SENTENCE_SIMILARITY,
    )
    for old, new in pairs:
        if old == new:
            continue
        if old is None:
            kind = ChangeKind.SENTENCE_ADDED
        elif new is None:
            kind = ChangeKind.SENTENCE_REMOVED
        else:
            kind = ChangeKind.SENTENCE_MODIFIED
        ops = word_ops(tokens(old) if old else (), tokens(new) if new else ())
        found.append(
            SentenceChange(
                kind, change.section, old, new, ops, change.block_kind, change.topic_heading
            )
        )
    return found


@lru_cache(maxsize=4096)
def _word_set(sentence: str) -> frozenset[str]:
    return frozenset(sentence.casefold().split())


def _link_changes(section: SectionDiff) -> list[LinkChange]:
    title = section.new.title if section.new else ""
    found = []
    for block in section.blocks:
        found += _block_link_changes(block, title)
    return found


def _block_link_changes(block: BlockDiff, title: str) -> list[LinkChange]:
    if block.old is None or block.new is None:
        return []
    if block.old.links == block.new.links:
        return []
    old = {link.text: link.target for link in block.old.links}
    new = {link.text: link.target for link in block.new.links}
    found = []
    for text in sorted(set(old) | set(new)):
        before, after = old.get(text, ""), new.get(text, "")
        visible = text in block.old.text and text in block.new.text
        if before != after and visible:
            found.append(LinkChange(title, text, before, after))
    return found


def _pair_moves(changes: list[Change]) -> list[Change]:
    """A text removed in one place and added in another, word for word, is one move."""
    removed: dict[tuple[type, str], int] = {}
    for index, change in enumerate(changes):
        if change.kind in (ChangeKind.BLOCK_REMOVED, ChangeKind.SENTENCE_REMOVED):
            removed.setdefault((type(change), change.old_text or ""), index)
    moved_from: set[int] = set()
    result: list[Change] = []
    for change in changes:
        source = None
        if change.kind in (ChangeKind.BLOCK_ADDED, ChangeKind.SENTENCE_ADDED):
            source = removed.get((type(change), change.new_text or ""))
        if source is not None and source not in moved_from:
            moved_from.add(source)
            result.append(_as_move(change, changes[source]))
        else:
            result.append(change)
    # The removed half of a move is kept as the move's "old" side, not as a change of its own.
    return [change for index, change in enumerate(result) if index not in moved_from]


def _as_move(added: Change, removed: Change) -> Change:
    if isinstance(added, BlockChange) and isinstance(removed, BlockChange):
        return replace(added, kind=ChangeKind.BLOCK_MOVED, old=removed.old)
    assert isinstance(added, SentenceChange)
    return replace(added, kind=ChangeKind.SENTENCE_MOVED, old_text=removed.old_text)
