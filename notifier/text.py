"""Words and sentences of normalised policy text."""

from __future__ import annotations

import re
from collections.abc import Sequence

# A word keeps its inner punctuation: "AES-256-GCM", "1.3", "U.S", "don't", "$5,000.00".
_TOKEN = re.compile(r"[$€£]?\w+(?:[-'.,/:@]\w+)*%?|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "llc",
        "u.s",
        "u.k",
        "no",
        "nos",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jr",
        "sr",
        "art",
        "sec",
        "para",
        "p",
        "pp",
        "fig",
        "approx",
        "cf",
        "al",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)


def tokens(text: str) -> tuple[str, ...]:
    """Words (with their inner punctuation) and punctuation marks, in order."""
    return tuple(findall_between_spaces(_TOKEN, text))


def findall_between_spaces(pattern: re.Pattern[str], text: str, edges: str = "") -> list[str]:
    """``pattern.findall(text)``, for a pattern whose matches hold no whitespace and take a
    run of letters and digits whole; ``edges`` are characters no match holds.

    The same list, found faster: most words of prose are such a run between spaces (or between
    spaces and edge characters, as "data," or "(see"), and are taken as they are; the pattern
    is run only on the rest. (``str.split`` and ``\\s`` know the same spaces, and
    ``str.isalnum`` the same letters and digits as ``\\w``, but for ``_``, which ``isalnum``
    leaves to the pattern.)
    """
    found: list[str] = []
    take, search = found.append, pattern.findall
    for chunk in text.split():
        if chunk.isalnum():
            take(chunk)
        elif edges and (core := chunk.strip(edges)).isalnum():
            take(core)
        else:
            found += search(chunk)
    return found


def spacing(text: str) -> tuple[bool, ...]:
    """For each token of :func:`tokens`, whether a space comes before it in ``text``."""
    flags = []
    end = 0
    for match in _TOKEN.finditer(text):
        flags.append(match.start() > end)
        end = match.end()
    return tuple(flags)


def detokenize(words: Sequence[str]) -> str:
    """Join tokens back into readable text (no space before punctuation)."""
    text = ""
    for token in words:
        if text and (token[0].isalnum() or token[0] in "$€£(\"'") and text[-1] not in "($€£":
            text += " "
        text += token
    return text


def words(text: str) -> tuple[str, ...]:
    """Only the words of ``text``."""
    return tuple(token for token in _TOKEN.findall(text) if token[0].isalnum() or len(token) > 1)


def sentences(text: str) -> tuple[str, ...]:
    """Split a block into sentences, not breaking after common abbreviations or initials."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start : match.start()].rsplit(None, 1)
        stem = before[-1].casefold() if before else ""
        if stem in _ABBREVIATIONS or (len(stem) == 1 and stem.isalpha()):
            continue
        parts.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return tuple(part for part in parts if part)
