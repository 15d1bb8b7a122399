"""Rules that give every change a class, ``none``, ``editorial`` or ``material``, with reasons.

The rules follow ``RUBRIC.md``: a change is material when it alters what the company does or may
do, or the reader's rights or obligations. The signals are transparent: numbers, durations and
amounts; modal verbs and negation; topic terms added or removed; items added to lists in topic
sections. Spelling, punctuation, cross-references, contact details, product renames, moved text
and link targets are editorial or none. Every reason quotes the words that triggered it.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from notifier.changes import (
    BlockChange,
    Change,
    ChangeKind,
    FrontMatterChange,
    LinkChange,
    SectionChange,
    SentenceChange,
    WordOp,
)
from notifier.frontmatter import ChangeClass
from notifier.model import DocumentModel
from notifier.text import detokenize, sentences, tokens
from notifier.vocabulary import (
    CONTACT,
    DATE_LINE,
    DURATION_UNITS,
    MODALS,
    NEGATIONS,
    NUMBER_WORDS,
    POINTER,
    POINTER_MAX_WORDS,
    REFERENCE_WORDS,
    Vocabulary,
)

NONE, EDITORIAL, MATERIAL = ChangeClass.NONE, ChangeClass.EDITORIAL, ChangeClass.MATERIAL
_SPELLING_SIMILARITY = 0.8
_OBLIGATIONS = frozenset(
    ["must", "shall", "may", "will", "never", "not", "required", "only", "cannot", "prohibited"]
)
_CURRENCY = frozenset(["$", "€", "£", "usd", "eur", "gbp", "dollars", "euros"])


@dataclass(frozen=True)
class Assessment:
    """The class of one change and the reasons, each quoting the words that decided it."""

    classification: ChangeClass
    reasons: tuple[str, ...]


def _is_word(token: str) -> bool:
    return token[0].isalnum() or len(token) > 1


_DIGIT = re.compile(r"\d")


def _is_number(token: str) -> bool:
    return _DIGIT.search(token) is not None or token.casefold() in NUMBER_WORDS


def snippet(text: str, limit: int = 14) -> str:
    """The start of ``text``, at most ``limit`` words."""
    parts = text.split(None, limit)  # the rest in one piece: a block may be a page long
    return " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


class Classifier:
    """Assesses changes between two parsed versions with one vocabulary."""

    def __init__(self, vocabulary: Vocabulary, old: DocumentModel, new: DocumentModel) -> None:
        self.vocabulary = vocabulary
        self.old = old
        self.new = new

    def assess(self, change: Change) -> Assessment:
        """The class and reasons of one change."""
        if isinstance(change, FrontMatterChange):
            return Assessment(NONE, (f"front matter '{change.key}' changed (metadata)",))
        if isinstance(change, LinkChange):
            return Assessment(
                NONE,
                (
                    f'{change.section}: link "{change.text}" now points to '
                    f"{change.new_text or '(no link)'} (link target only)",
                ),
            )
        if isinstance(change, SectionChange):
            return self._section(change)
        return self._text_change(change)

    def _section(self, change: SectionChange) -> Assessment:
        if change.kind is ChangeKind.SECTION_RENAMED:
            return Assessment(
                EDITORIAL, (f'"{change.old_text}" -> "{change.new_text}" (heading renamed)',)
            )
        if change.kind is ChangeKind.SECTION_MOVED:
            return Assessment(EDITORIAL, (f"{change.section}: section moved",))
        section = change.new or change.old
        assert section is not None
        added = change.kind is ChangeKind.SECTION_ADDED
        verdicts = [
            self._added_text(
                section.title, block.text, block.sentences, block.kind, section.heading, added
            )
            for block in section.blocks
        ]
        verb = "added" if added else "removed"
        if not verdicts:
            return Assessment(EDITORIAL, (f"{section.title}: empty section {verb}",))
        return _combine(verdicts, f"{section.title}: section {verb}")

    def _text_change(self, change: BlockChange | SentenceChange) -> Assessment:
        kind = change.kind
        if kind in (ChangeKind.BLOCK_MOVED, ChangeKind.SENTENCE_MOVED):
            return Assessment(
                EDITORIAL, (f'{change.section}: moved "{snippet(change.new_text or "")}"',)
            )
        if change.old_text is None or change.new_text is None:
            added = change.old_text is None
            text = (change.new_text if added else change.old_text) or ""
            # A block keeps its sentences (a version's set of sentences was made of them).
            block = (
                (change.new if added else change.old) if isinstance(change, BlockChange) else None
            )
            parts = block.sentences if block is not None else sentences(text)
            return self._added_text(
                change.section, text, parts, change.block_kind, change.topic_heading, added
            )
        return self._modified(
            change.section, change.old_text, change.new_text, change.words, change.topic_heading
        )

    def _added_text(
        self,
        section: str,
        text: str,
        parts: Sequence[str],
        block_kind: str,
        heading: str,
        added: bool,
    ) -> Assessment:
        """An added or removed text (whose sentences are ``parts``)."""
        verb = "added" if added else "removed"
        quoted = f'{section}: {verb} "{snippet(text)}"'
        if DATE_LINE.match(text):
            return Assessment(NONE, (f"{quoted} (date line)",))
        elsewhere = self.old if added else self.new
        if all(elsewhere.contains(sentence) for sentence in parts):
            return Assessment(
                EDITORIAL,
                (
                    f"{quoted} (same text {'already' if added else 'still'} "
                    "elsewhere in the policy)",
                ),
            )
        if _pointer(text):
            return Assessment(EDITORIAL, (f"{quoted} (points the reader to more information)",))
        topics = self.vocabulary.topics_in(text)
        if topics:
            return Assessment(MATERIAL, (f"{quoted} ({_topic_list(topics)})",))
        obligations = sorted({t.casefold() for t in tokens(text)} & _OBLIGATIONS)
        if obligations:
            return Assessment(MATERIAL, (f"{quoted} (obligation words: {', '.join(obligations)})",))
        heading_topics = self.vocabulary.topics_in(heading)
        if block_kind in ("item", "row") and heading_topics:
            topic = next(iter(heading_topics))
            return Assessment(MATERIAL, (f"{quoted} (list item {verb} in a section on {topic})",))
        return Assessment(EDITORIAL, (f"{quoted} (no topic or obligation terms)",))

    def _modified(
        self, section: str, old: str, new: str, ops: Sequence[WordOp], heading: str
    ) -> Assessment:
        changed = [op for op in ops if op.op != "equal"]
        if not changed:
            return Assessment(NONE, (f'{section}: spacing only in "{snippet(new)}"',))
        deleted = [t for op in changed for t in op.old]
        inserted = [t for op in changed for t in op.new]
        quote = f"{section}: {_quote_change(ops)}"
        if DATE_LINE.match(old) and DATE_LINE.match(new):
            return Assessment(NONE, (f"{quote} (date line)",))
        old_words = [t.casefold() for t in deleted if _is_word(t)]
        new_words = [t.casefold() for t in inserted if _is_word(t)]
        if old_words == new_words:
            what = "punctuation" if not old_words else "capitalisation or punctuation"
            return Assessment(EDITORIAL, (f"{quote} ({what} only)",))
        if _pointer(old) and _pointer(new):
            return Assessment(EDITORIAL, (f"{quote} (points the reader to more information)",))
        spelling = _spelling_only(ops)
        # A corrected typo may turn a word into a topic term; it changes nothing.
        material = [] if spelling else self._material_signals(old, new, ops, deleted, inserted)
        if material:
            return Assessment(MATERIAL, tuple(f"{quote} ({why})" for why in material))
        return Assessment(EDITORIAL, (f"{quote} ({self._editorial_kind(ops, spelling)})",))

    def _material_signals(
        self, old: str, new: str, ops: Sequence[WordOp], deleted: list[str], inserted: list[str]
    ) -> list[str]:
        reasons = []
        numbers = self._number_change(old, new, ops, deleted, inserted)
        if numbers:
            reasons.append(numbers)
        # Compared sorted, as multisets: Counters are made only for a reason to give.
        old_modals = [word for word in map(str.casefold, deleted) if word in MODALS]
        new_modals = [word for word in map(str.casefold, inserted) if word in MODALS]
        if sorted(old_modals) != sorted(new_modals):
            reasons.append(_modal_reason(Counter(old_modals), Counter(new_modals)))
        reasons += self._topic_terms_changed(old, new)
        return reasons

    def _number_change(
        self, old: str, new: str, ops: Sequence[WordOp], deleted: list[str], inserted: list[str]
    ) -> str | None:
        old_numbers = sorted(t.casefold() for t in deleted if _is_number(t))
        new_numbers = sorted(t.casefold() for t in inserted if _is_number(t))
        if old_numbers == new_numbers or _cross_reference_only(ops):
            return None
        if CONTACT.search(old) or CONTACT.search(new):
            return None
        units = _units_next_to_changed_numbers(ops)
        topics = {**self.vocabulary.topics_in(old), **self.vocabulary.topics_in(new)}
        if units & DURATION_UNITS:
            return "retention period changed" if "retention" in topics else "duration changed"
        if units & _CURRENCY:
            return "amount changed"
        return "number changed"

    def _topic_terms_changed(self, old: str, new: str) -> list[str]:
        before = self.vocabulary.topics_in(old)
        after = self.vocabulary.topics_in(new)
        if before == after:  # the usual case: the same terms, in the same order
            return []
        reasons = []
        for topic in sorted(set(before) | set(after)):
            old_terms, new_terms = before.get(topic, []), after.get(topic, [])
            if old_terms == new_terms:
                continue
            gained = Counter(new_terms) - Counter(old_terms)
            lost = Counter(old_terms) - Counter(new_terms)
            parts = [f"adds '{t}'" for t in gained] + [f"removes '{t}'" for t in lost]
            if parts:
                reasons.append(f"{topic}: {', '.join(parts)}")
        return reasons

    def _editorial_kind(self, ops: Sequence[WordOp], spelling: bool) -> str:
        if _cross_reference_only(ops):
            return "cross-reference updated"
        if spelling:
            return "spelling"
        if self._product_rename(ops):
            return "product name changed"
        return "wording changed, no topic, number or obligation terms"

    def _product_rename(self, ops: Sequence[WordOp]) -> bool:
        names = self.vocabulary.product_names
        changed = [op for op in ops if op.op != "equal"]
        return bool(names) and all(
            op.op == "replace"
            and detokenize(op.old).casefold() in names
            and detokenize(op.new).casefold() in names
            for op in changed
        )


def _pointer(text: str) -> bool:
    return bool(POINTER.match(text)) and len(text.split()) <= POINTER_MAX_WORDS


def _combine(verdicts: list[Assessment], label: str) -> Assessment:
    top = max((verdict.classification for verdict in verdicts), key=lambda c: c.rank)
    reasons = [r for verdict in verdicts if verdict.classification is top for r in verdict.reasons]
    extra = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return Assessment(top, (f"{label}{extra}", *reasons[:3]))


def _topic_list(topics: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{topic}: {', '.join(sorted(set(terms))[:3])}" for topic, terms in list(topics.items())[:3]
    )


def _modal_reason(old: Counter[str], new: Counter[str]) -> str:
    removed = sorted((old - new).elements())
    added = sorted((new - old).elements())
    kind = "negation changed" if set(removed + added) & NEGATIONS else "obligation changed"
    return f"{kind}: {' '.join(removed) or '(none)'} -> {' '.join(added) or '(none)'}"


def _spelling_only(ops: Sequence[WordOp]) -> bool:
    """Every change replaces words by words spelt nearly alike."""
    changed = [op for op in ops if op.op != "equal"]
    return bool(changed) and all(
        op.op == "replace"
        and len(op.old) == len(op.new)
        and all(_similar_spelling(a, b) for a, b in zip(op.old, op.new, strict=True))
        for op in changed
    )


def _similar_spelling(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    if _is_number(a) or _is_number(b) or a in MODALS or b in MODALS:
        return False
    # The ratio is at most twice the shorter length over both (SequenceMatcher's
    # real_quick_ratio, computed alike): most pairs of words are ruled out before matching.
    if 2.0 * min(len(a), len(b)) / (len(a) + len(b)) < _SPELLING_SIMILARITY:
        return False
    return SequenceMatcher(None, a, b).ratio() >= _SPELLING_SIMILARITY


def _cross_reference_only(ops: Sequence[WordOp]) -> bool:
    """Every change is a short label just after "Section", "clause", "§" ("Section B (4)")."""
    changed = False
    previous: deque[str] = deque(maxlen=3)  # the words before the change
    for op in ops:
        if op.op != "equal":
            near = {token.casefold() for token in previous}
            short = all(len(token) <= 4 for token in (*op.old, *op.new))
            if not (
                op.op == "replace"
                and len(op.old) == len(op.new) <= 2
                and short
                and near & REFERENCE_WORDS
            ):
                return False
            changed = True
        previous.extend(op.new)
    return changed


def _units_next_to_changed_numbers(ops: Sequence[WordOp]) -> set[str]:
    """Words right around each changed number ("30 days", "$ 5", "USD 10") on either side."""
    units: set[str] = set()
    for side in ("old", "new"):
        sequence: list[str] = []
        changed: list[int] = []
        for op in ops:
            words = getattr(op, side)
            if op.op != "equal":
                changed += [len(sequence) + i for i, t in enumerate(words) if _is_number(t)]
            sequence.extend(words)
        for index in changed:
            units.update(t.casefold() for t in sequence[max(0, index - 1) : index + 3])
    return units


def _quote_change(ops: Sequence[WordOp], context: int = 3) -> str:
    """``"old words" -> "new words"`` around the changes, with a little context."""
    changed = [i for i, op in enumerate(ops) if op.op != "equal"]
    first, last = changed[0], changed[-1]
    before = _context(ops[first - 1].old if first else (), context, leading=True)
    after = _context(ops[last + 1].old if last + 1 < len(ops) else (), context, leading=False)
    old = [*before, *(t for op in ops[first : last + 1] for t in op.old), *after]
    new = [*before, *(t for op in ops[first : last + 1] for t in op.new), *after]
    return f'"{_clipped(old)}" -> "{_clipped(new)}"'


def _context(words: tuple[str, ...], count: int, *, leading: bool) -> list[str]:
    picked: list[str] = []
    sequence = reversed(words) if leading else iter(words)
    for token in sequence:
        if token in ".,;:!?" or len(picked) >= count:
            break
        picked.append(token)
    return picked[::-1] if leading else picked


def _clipped(tokens: Sequence[str], limit: int = 120) -> str:
    # The tokens past the limit cannot show (each adds a character or more), so they are not
    # joined: a change may replace a whole page.
    text = detokenize(tokens[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"
