"""Properties of ``compare`` on generated policies (hypothesis)."""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from notifier import compare
from notifier.model import DocumentModel
from notifier.text import tokens

WORDS = st.sampled_from(
    "we keep your data for thirty days and may share it with partners who help us run the "
    "service you can ask us to delete account logs payment records never sell".split()
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=12).map(lambda w: " ".join(w).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)
ITEMS = st.lists(st.lists(WORDS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=5)


@dataclass(frozen=True)
class Part:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...]


PART = st.builds(
    Part,
    heading=st.lists(WORDS, min_size=1, max_size=4).map(lambda w: " ".join(w).title()),
    paragraphs=st.lists(PARAGRAPH, min_size=0, max_size=3).map(tuple),
    items=ITEMS.map(tuple) | st.just(()),
)
DOCUMENT = st.lists(PART, min_size=1, max_size=6)


def render(parts: list[Part], *, style: int) -> str:
    """The same document in two Markdown styles a reader cannot tell apart."""
    out: list[str] = []
    for number, part in enumerate(parts, 1):
        heading = f"{number}. {part.heading}"
        if style == 0:
            out.append(f"## {heading}\n")
        else:
            # "1. X" would start a list; the escaped dot is the same heading to a reader.
            escaped = heading.replace(".", "\\.", 1)
            out.append(f"{escaped}\n{'-' * len(escaped)}\n")
        for paragraph in part.paragraphs:
            if style == 0:
                out.append(paragraph + "\n")
            else:
                emphasised = paragraph.replace("data", "*data*").replace("'", "\u2019")
                out.append(textwrap.fill(emphasised, width=30) + "   \n")
        for item in part.items:
            out.append(("- " if style == 0 else "*   ") + item)
        out.append("")
    text = "\n".join(out)
    return text if style == 0 else "\ufeff" + text.replace("\n", "\r\n")


def model_tokens(model: DocumentModel) -> Counter[str]:
    counted: Counter[str] = Counter()
    for section in model.sections:
        counted.update(tokens(section.heading))
        for block in section.blocks:
            counted.update(block.tokens)
    return counted


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(DOCUMENT)
def test_a_text_compared_with_itself_has_no_change(parts: list[Part]) -> None:
    text = render(parts, style=0)
    assert compare(text, text).changes == ()


@FAST
@given(DOCUMENT)
def test_reformatting_is_no_change(parts: list[Part]) -> None:
    comparison = compare(render(parts, style=0), render(parts, style=1))
    assert comparison.changes == (), [c.to_dict() for c in comparison.changes]
    assert comparison.classification == "none"


@FAST
@given(DOCUMENT, DOCUMENT)
def test_every_word_of_both_versions_is_accounted_for(old: list[Part], new: list[Part]) -> None:
    comparison = compare(render(old, style=0), render(new, style=0))
    seen_old: Counter[str] = Counter()
    seen_new: Counter[str] = Counter()
    for section in comparison.sections:
        for op in section.heading_ops:
            seen_old.update(op.old)
            seen_new.update(op.new)
        for block in section.blocks:
            for op in block.ops:
                seen_old.update(op.old)
                seen_new.update(op.new)
                if op.op == "equal":
                    assert op.old == op.new
    assert seen_old == model_tokens(comparison.old)
    assert seen_new == model_tokens(comparison.new)


@FAST
@given(DOCUMENT, st.data())
def test_an_edit_is_never_reported_as_no_change(parts: list[Part], data: st.DataObject) -> None:
    old = render(parts, style=0)
    # A new sentence: the classifier rates text the policy already holds elsewhere as editorial
    # (a repeat), and the words can spell "We sell data." by chance.
    assume("We sell data." not in " ".join(old.split()))
    index = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    edited = list(parts)
    edited[index] = Part(
        parts[index].heading, (*parts[index].paragraphs, "We sell data."), parts[index].items
    )
    comparison = compare(old, render(edited, style=0))
    assert comparison.classification == "material"
