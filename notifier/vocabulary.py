"""The words the classifier looks for: topic vocabularies and the signals of obligation.

Every list here is a default that ``[tool.notifier.classify]`` can replace or extend, so the rules
stay transparent: a reason always quotes the words that triggered it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

from notifier.text import findall_between_spaces


def _default_topics() -> dict[str, tuple[str, ...]]:
    """Topics whose change alters what the company does or may do, or the reader's rights
    (``RUBRIC.md``), from ``notifier/data/topics.toml``."""
    data = tomllib.loads(
        resources.files("notifier").joinpath("data/topics.toml").read_text("utf-8")
    )
    return {name: tuple(table["terms"]) for name, table in data.items()}


DEFAULT_TOPICS = _default_topics()

# Words whose change alters an obligation or permission.
MODALS = frozenset(
    "may might must shall should will would can cannot can't could need required require "
    "requires only always solely exclusively never not no none nor without unless except "
    "won't don't doesn't didn't isn't aren't wasn't weren't haven't hasn't mustn't shouldn't "
    "wouldn't couldn't "
    # Hedges: removing "(planned)" from a commitment, or adding "reasonable", changes it.
    "planned intend intends aim aims strive strives endeavor endeavour endeavors "
    "endeavours reasonable reasonably generally typically usually try tries attempt attempts "
    "best efforts".split()
)
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nor",
        "without",
        "cannot",
        "can't",
        "won't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "mustn't",
        "shouldn't",
        "wouldn't",
        "couldn't",
    ]
)
REFERENCE_WORDS = frozenset(
    [
        "section",
        "sections",
        "paragraph",
        "paragraphs",
        "clause",
        "clauses",
        "article",
        "articles",
        "part",
        "parts",
        "§",
        "appendix",
        "exhibit",
        "schedule",
        "annex",
    ]
)
DURATION_UNITS = frozenset(
    [
        "second",
        "seconds",
        "minute",
        "minutes",
        "hour",
        "hours",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "business",
        "calendar",
    ]
)
NUMBER_WORDS = frozenset(
    [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "half",
        "twice",
        "once",
        "first",
        "second",
        "third",
    ]
)
DATE_LINE = re.compile(
    r"^(effective|last updated|last modified|last revised|updated|revised|date)\b[^.]{0,60}$",
    re.I,
)
# A sentence that only sends the reader elsewhere states no practice of its own.
POINTER = re.compile(
    r"^(for (more|further|additional) (information|details)|to learn more|learn more|"
    r"read more|more information|(please )?(see|visit|refer to|review) (our|the|this|\"))\b",
    re.I,
)
POINTER_MAX_WORDS = 40
CONTACT = re.compile(
    r"@[\w-]+\.\w|\b(street|st\.|avenue|ave\.|suite|floor|road|p\.?o\.? box|phone|tel|fax|"
    r"zip|postal code|attn|attention)\b",
    re.I,
)


_WORD = re.compile("\\w[\\w'\u2019-]*|[$\u20ac\u00a3\u00a7]")
_POSSESSIVE = ("'s", "\u2019s")
# Punctuation no topic word holds (apostrophes and hyphens may be inside one, and currency and
# section signs are words of their own).
_WORD_EDGES = '.,;:!?()[]{}"\u201c\u201d*/<>'
_MEMO_LIMIT = 20_000


@dataclass(frozen=True)
class Topic:
    """A named vocabulary: a change that adds or removes one of its terms is material."""

    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """Topics and product names the classifier uses (defaults, or from configuration)."""

    topics: tuple[Topic, ...]
    product_names: frozenset[str] = frozenset()

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Vocabulary:
        """The built-in vocabulary."""
        return cls.build({}, ())

    @classmethod
    def build(
        cls,
        topics: Mapping[str, Sequence[str]],
        product_names: Sequence[str],
    ) -> Vocabulary:
        """Defaults with configured topics replacing (or adding to) the built-in ones."""
        merged = {name: tuple(terms) for name, terms in DEFAULT_TOPICS.items()}
        merged.update({name: tuple(terms) for name, terms in topics.items()})
        return cls(
            tuple(Topic(name, terms) for name, terms in merged.items() if terms),
            frozenset(name.casefold() for name in product_names),
        )

    @cached_property
    def _topics_of_term(self) -> dict[str, tuple[str, ...]]:
        owners: dict[str, list[str]] = {}
        for topic in self.topics:
            for term in topic.terms:
                owners.setdefault(term.casefold(), []).append(topic.name)
        return {term: tuple(names) for term, names in owners.items()}

    @cached_property
    def _term_sizes(self) -> dict[str, tuple[int, ...]]:
        """First word of a term -> the word counts of its terms, longest first."""
        sizes: dict[str, set[int]] = {}
        for term in self._topics_of_term:
            words = term.split(" ")
            sizes.setdefault(words[0], set()).add(len(words))
        return {word: tuple(sorted(counts, reverse=True)) for word, counts in sizes.items()}

    @cached_property
    def _memo(self) -> dict[str, dict[str, list[str]]]:
        return {}

    def topics_in(self, text: str) -> dict[str, list[str]]:
        """Topic name -> terms found in ``text`` (lower-cased, in order). Do not mutate it."""
        found = self._memo.get(text)
        if found is None:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[text] = self._find(text)
        return found

    def _find(self, text: str) -> dict[str, list[str]]:
        # Only words that start a term are looked at; the longest term wins where terms overlap.
        folded = text.casefold()
        words = findall_between_spaces(_WORD, folded, _WORD_EDGES)
        if any(mark in folded for mark in _POSSESSIVE):  # not for every "don't"
            words = [w[:-2] if w.endswith(_POSSESSIVE) else w for w in words]
        owners, sizes = self._topics_of_term, self._term_sizes
        found: dict[str, list[str]] = {}
        if sizes.keys().isdisjoint(words):
            return found
        resume = 0
        for index, word in enumerate(words):
            if index < resume or word not in sizes:
                continue
            for size in sizes[word]:
                term = word if size == 1 else " ".join(words[index : index + size])
                if term in owners:
                    for topic in owners[term]:
                        found.setdefault(topic, []).append(term)
                    resume = index + size
                    break
        return found
