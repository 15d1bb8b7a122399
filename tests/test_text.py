"""Words and tokens of normalised text (notifier.text)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.model import _VISIBLE_FORM, normalise_inline
from notifier.text import _TOKEN, findall_between_spaces, tokens
from notifier.vocabulary import _WORD, _WORD_EDGES

# Letters and digits of several scripts (and a superscript digit, a letter of \w that is no
# ASCII), the punctuation the patterns treat apart, and the many kinds of space.
TEXT = st.text(
    alphabet="ab1Z_é\u00b2\u0660$€£§%@/:.,-'\u2019!?()\u00a0\u2009\u3000 \t\n\x1c\x85",
    max_size=40,
)


@pytest.mark.parametrize("pattern", [_TOKEN, _WORD], ids=["tokens", "topic words"])
@settings(max_examples=500, deadline=None)
@given(text=TEXT)
def test_findall_between_spaces_is_findall(pattern: re.Pattern[str], text: str) -> None:
    assert findall_between_spaces(pattern, text) == pattern.findall(text)


@settings(max_examples=500, deadline=None)
@given(
    text=TEXT | st.text(alphabet="ab1_.,;:!?()[]{}\"\u201c\u201d*/<>'\u2019-$\u00a7 ", max_size=30)
)
def test_topic_words_between_spaces_and_edges_are_findall(text: str) -> None:
    assert findall_between_spaces(_WORD, text, _WORD_EDGES) == _WORD.findall(text)


def test_tokens_keep_inner_punctuation() -> None:
    assert tokens("Keep AES-256-GCM for $5,000.00 (don't) 10% e.g. snake_case") == (
        "Keep",
        "AES-256-GCM",
        "for",
        "$5,000.00",
        "(",
        "don't",
        ")",
        "10%",
        "e.g",
        ".",
        "snake_case",
    )


# Quotes, spaces and zero-width characters a reader cannot tell apart, a combining accent.
INVISIBLE = st.text(alphabet="a \u2019\u201c\u00a0\u200b\u00ad\u2028e\u0301\t\n", max_size=30)


@settings(max_examples=1000, deadline=None)
@given(text=TEXT | INVISIBLE)
def test_normalise_inline_collapses_every_space_and_maps_invisible_differences(text: str) -> None:
    visible = "".join(_VISIBLE_FORM.get(c, c) for c in unicodedata.normalize("NFC", text))
    assert normalise_inline(text) == " ".join(visible.split())
