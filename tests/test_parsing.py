"""Parsing: the relative parse of a new version equals a full parse, on real and random edits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.evaluate import corpus_pairs, read
from notifier.compare import _split
from notifier.errors import PolicyError
from notifier.model import DocumentModel
from notifier.parsing import (
    clear_caches,
    parse_body,
)
from notifier.site.render import render_policy

from .conftest import REPO_ROOT


def full_parse(body: str) -> DocumentModel:
    clear_caches()
    return parse_body(body)


def relative_parse(old: str, new: str) -> DocumentModel:
    clear_caches()
    return parse_body(new, previous=parse_body(old))


def same(a: DocumentModel, b: DocumentModel) -> bool:
    nodes = [(n.start, n.end, n.line, n.last_line) for n in a.source.nodes]  # type: ignore[union-attr]
    other = [(n.start, n.end, n.line, n.last_line) for n in b.source.nodes]  # type: ignore[union-attr]
    contents = a.source.contents == b.source.contents  # type: ignore[union-attr]
    return (
        a == b and nodes == other and contents and a.links == b.links and a.raw_html == b.raw_html
    )


def test_relative_parse_equals_full_parse_on_every_corpus_pair() -> None:
    for pair, old, new in corpus_pairs():
        old_body, new_body = _split(read(old))[1], _split(read(new))[1]
        assert same(relative_parse(old_body, new_body), full_parse(new_body)), pair


def test_versions_parsed_one_after_another_equal_full_parses() -> None:
    """As over a history: each version relative to the one before, itself parsed so, sharing
    elements and sections with it; every result is then checked against a full parse."""
    clear_caches()
    chained: dict[str, tuple[str, str, DocumentModel]] = {}
    for pair, old, new in corpus_pairs():
        old_body, new_body = _split(read(old))[1], _split(read(new))[1]
        previous = chained[old][2] if old in chained else parse_body(old_body)
        chained[new] = (pair, new_body, parse_body(new_body, previous=previous))
    for pair, body, model in chained.values():
        assert same(model, full_parse(body)), pair


def test_relative_parse_from_and_to_nothing() -> None:
    for old, new in [("", BASE), (BASE, ""), ("\n\n", BASE), (BASE, "\n"), ("# A\n", "# A\n\nB\n")]:
        assert same(relative_parse(old, new), full_parse(new)), (old[:20], new[:20])


def test_a_version_takes_the_sections_whose_elements_did_not_change() -> None:
    old = "# A\n\nOne.\n\n## B\n\nTwo.\n\n## C\n\nThree.\n"
    new = old.replace("One.", "One, changed.")
    clear_caches()
    before = parse_body(old)
    after = parse_body(new, previous=before)
    assert after.sections[0] is not before.sections[0]
    assert after.sections[1:] == before.sections[1:]
    assert all(a is b for a, b in zip(after.sections[1:], before.sections[1:], strict=True))
    assert same(after, full_parse(new))


def test_a_version_takes_a_repeated_heading_s_section_whose_anchor_stays() -> None:
    old = "## A\n\nOne.\n\n## B\n\nTwo.\n\n## A\n\nThree.\n"
    clear_caches()
    before = parse_body(old)
    after = parse_body(old.replace("Two.", "Two, changed."), previous=before)
    assert [section.anchor for section in after.sections] == ["a", "b", "a_1"]
    assert after.sections[2] is before.sections[2]


def test_a_version_takes_the_unchanged_text_before_the_first_heading() -> None:
    old = "Last updated: May.\n\n# A\n\nOne.\n\n## B\n\nTwo.\n"
    clear_caches()
    before = parse_body(old)
    after = parse_body(old.replace("Two.", "Two, changed."), previous=before)
    assert after.sections[0] is before.sections[0]
    assert after.sections[0].level == 0 and after.sections[0].blocks[0].text == "Last updated: May."
    changed = parse_body(old.replace("May", "June"), previous=after)
    assert changed.sections[0] is not after.sections[0]
    assert same(changed, full_parse(old.replace("May", "June")))
    # Headings only, then a text before them again: nothing to take from a version without.
    headed = parse_body("# A\n\nOne.\n", previous=changed)
    assert same(parse_body(old, previous=headed), full_parse(old))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # "1. Terms" goes: "Terms", whose anchor was "terms_1", is "terms" again.
        (
            "## 1. Terms\n\nA.\n\n## Other\n\nB.\n\n## Terms\n\nC.\n",
            "## Other\n\nB.\n\n## Terms\n\nC.\n",
        ),
        # The heading above is renamed: the unchanged section below has a new path.
        ("# Policy\n\n## Data\n\nA.\n\nB.\n", "# Privacy Policy\n\n## Data\n\nA.\n\nB.\n"),
        # A paragraph joins the end of an unchanged section.
        ("## A\n\nOne.\n\n## B\n\nTwo.\n", "## A\n\nOne.\n\nAdded.\n\n## B\n\nTwo.\n"),
        # A heading is added above at a higher level: the sections below move under it.
        ("## A\n\nOne.\n\n## B\n\nTwo.\n", "# Top\n\n## A\n\nOne.\n\n## B\n\nTwo.\n"),
        # "1. A" comes before "A": "A", unchanged, becomes "a_1".
        ("## A\n\nOne.\n\n## B\n\nTwo.\n", "## 1. A\n\nZero.\n\n## A\n\nOne.\n\n## B\n\nTwo.\n"),
        # The section ended inside a quote, which held a heading: the quote goes.
        (
            "## A\n\npara\n\n> quoted\n>\n> # H\n\nText.\n",
            "## A\n\npara\n\n## B\n\nother\n",
        ),
        # The same heading twice: the second one keeps its "_1".
        ("## A\n\nOne.\n\n## A\n\nTwo.\n", "## A\n\nOne!\n\n## A\n\nTwo.\n"),
        # Three times, the first goes: "a_1" becomes "a", "a_2" becomes "a_1".
        (
            "## A\n\nOne.\n\n## A\n\nTwo.\n\n## A\n\nThree.\n",
            "## B\n\nOne.\n\n## A\n\nTwo.\n\n## A\n\nThree.\n",
        ),
        # A heading between takes "a_1": the unchanged "A" after it becomes "a_2".
        (
            "## A\n\nOne.\n\n## B\n\nTwo.\n\n## A\n\nThree.\n",
            "## A\n\nOne.\n\n## A\n\nTwo.\n\n## A\n\nThree.\n",
        ),
    ],
)
def test_a_section_taken_from_the_previous_version_is_what_a_full_parse_gives(
    old: str, new: str
) -> None:
    assert same(relative_parse(old, new), full_parse(new))


def test_a_part_parsed_again_resolves_reference_links_defined_elsewhere() -> None:
    old = "# T\n\nSee [the page][r].\n\nOther text.\n\n[r]: https://example.com/x\n"
    new = old.replace("See", "Do see")
    model = relative_parse(old, new)
    assert same(model, full_parse(new))
    assert [(link.text, link.target) for link in model.links] == [
        ("the page", "https://example.com/x")
    ]


def test_a_part_parsed_again_takes_the_first_definition_of_a_label() -> None:
    old = (
        "[r]: https://first.example\n\n# T\n\nIntro.\n\n"
        "See [the page][r].\n\n[r]: https://second.example\n"
    )
    new = old.replace("See", "Do see")
    model = relative_parse(old, new)
    assert same(model, full_parse(new))
    assert [link.target for link in model.links] == ["https://first.example"]


def test_a_paragraph_closed_by_a_table_is_not_reused_once_the_table_is_gone() -> None:
    """A table starts only with its delimiter row, and may interrupt a paragraph: the line after
    the one that closed an element decides too (found by random edits of a corpus policy)."""
    old = "Intro.\n\n| x |\n| a | b |\n|---|---|\n| c | d |\n\nEnd.\n"
    new = old.replace("|---|---|\n", "")
    assert same(relative_parse(old, new), full_parse(new))
    assert same(relative_parse(new, old), full_parse(old))


def test_text_like_a_definition_defines_nothing_once_in_a_code_block() -> None:
    """Whether a line defines a label depends on what surrounds it, even far before it (found
    by random edits of a corpus policy: a fence opened a page above a definition)."""
    filler = "A line of ordinary text.\n" * 60
    old = f"See [x][r].\n\n{filler}\n[r]: https://one.example\n"
    new = f"See [x][r].\n\n```\n{filler}\n[r]: https://one.example\n"
    model = relative_parse(old, new)
    assert same(model, full_parse(new))
    assert model.links == ()


def test_text_the_markdown_parser_fails_on_is_a_policy_error_naming_its_line() -> None:
    # markdown-it's Rust port panics on a '[' followed by a backtick that is never closed.
    with pytest.raises(PolicyError, match="line 4 of the policy's body"):
        full_parse("# T\n\nIntro.\nSee [`this.\n\nMore.\n")


def test_the_site_renderer_reports_that_failure_the_same_way() -> None:
    with pytest.raises(PolicyError, match="line 3 of the policy's body"):
        render_policy("Intro.\n\nSee [`this.\n")


TABLE = "# T\n\n| a | b |\n|---|---|\n| one | [x](https://x.test) <b>y</b> |\n| two | z |\n"


def test_a_table_row_read_before_keeps_its_links_and_html_on_their_new_lines() -> None:
    new = TABLE.replace("| one |", "| zero | new |\n| one |")
    model = relative_parse(TABLE, new)  # the table is read again, its rows remembered
    assert same(model, full_parse(new))
    assert [(link.text, link.line) for link in model.links] == [("x", 6)]
    assert [(raw.html, raw.line) for raw in model.raw_html] == [("<b>", 6), ("</b>", 6)]


BASE = (REPO_ROOT / "policy/privacy.md").read_text(encoding="utf-8").split("---\n", 2)[2]
# Bodies to edit: this repository's policy, and corpus policies with a long table
# (YouTube/Google), one long numbered list (LinkedIn) and many sections (GitHub).
BODIES = [
    BASE,
    *(
        _split(read(path))[1]
        for path in (
            "ota/youtube-privacy-policy/025_2026-04-03_4313901.md",
            "ota/linkedin-privacy-policy/006_2024-03-08_1bf5737.md",
            "site-policy/github-privacy-statement/013_2020-02-10_3c81029.md",
        )
    ),
]
INSERTS = st.sampled_from(
    [
        "",
        "- new item",
        "## New Section",
        "    indented code",
        "```",
        "``` python",
        "> quote",
        "> - quoted item",
        "> # quoted heading",
        "1. item",
        "10. item",
        "Setext",
        "===",
        "| a | b |",
        "|---|---|",
        "|:--|--:|",
        "<div>",
        "<pre>",
        "</pre>",
        "text with [link](#x)",
        "  - nested",
        "  continued",
        "[ref]: https://example.com",
        "see [the page][ref] and [this][]",
        "[this]: https://example.com/this",
        "* star item",
        "---",
        "  # heading inside an item",
        "  ***",
    ]
)
EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), INSERTS), max_size=4)


def edited(lines: list[str], edits: list[tuple[float, int, str]]) -> list[str]:
    lines = list(lines)
    for where, removed, inserted in edits:
        index = int(where * len(lines))
        lines[index : index + removed] = [inserted] if inserted else []
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BODIES), EDITS, EDITS)
def test_relative_parse_equals_full_parse_on_random_edits(
    body: str, first: list[tuple[float, int, str]], second: list[tuple[float, int, str]]
) -> None:
    """Two versions edited one after the other, each parsed relative to the one before (random
    edits of corpus policies found three bugs that edits of one step of one policy did not)."""
    lines = edited(body.split("\n"), first)
    then = "\n".join(lines)
    now = "\n".join(edited(lines, second))
    clear_caches()
    model = parse_body(then, previous=parse_body(body))
    latest = parse_body(now, previous=model)
    assert same(model, full_parse(then))
    assert same(latest, full_parse(now))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # in a list item
        (
            "See [x][r].\n\n- [r]: https://one.example\n",
            "See [x][r].\n\n- [r]: https://two.example\n",
        ),
        # in a quote
        (
            "See [x][r].\n\n> [r]: https://one.example\n",
            "See [x][r].\n\n> [r]: https://two.example\n",
        ),
        # the destination on the next line
        (
            "See [x][r].\n\n[r]:\n  https://one.example\n",
            "See [x][r].\n\n[r]:\n  https://two.example\n",
        ),
    ],
)
def test_a_changed_definition_is_seen_wherever_it_is(old: str, new: str) -> None:
    model = relative_parse(old, new)  # the paragraph using it is the same text in both
    assert same(model, full_parse(new))
    assert [link.target for link in model.links] == ["https://two.example"]


@pytest.mark.parametrize(
    "item",
    ["a\n  # H", "a\n  ***\n  c", "a\n  Title\n  ===", "[l](https://x.example)\n  # H\n  b"],
)
def test_an_item_reads_the_same_in_a_tight_and_a_loose_list(item: str) -> None:
    """A window may start at any item of a top-level list, and the list it sees may be tight
    where the whole one is loose: the item's text must not depend on it."""
    tight = full_parse(f"- {item}\n- other\n")
    loose = full_parse(f"- {item}\n\n- other\n")
    assert [b.text for s in tight.sections for b in s.blocks] == [
        b.text for s in loose.sections for b in s.blocks
    ]
