"""policy/privacy.md is the seed privacy policy in Markdown, without a word changed."""

from __future__ import annotations

import re

from notifier.parsing import parse_body
from notifier.policy import read_policy

from .conftest import REPO_ROOT, SHARED


def words(text: str) -> list[str]:
    return re.findall(r"[\w@.&/,()\"'-]+", text)


def plain(markdown: str) -> str:
    markdown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    markdown = re.sub(r"^#+ |^- ", "", markdown, flags=re.M)
    return markdown.replace("**", "")


def test_wording_is_unchanged() -> None:
    seed = (SHARED / "seed-privacy-policy.txt").read_text(encoding="utf-8")
    document = read_policy((REPO_ROOT / "policy/privacy.md").read_bytes(), "policy/privacy.md")
    title, updated, rest = seed.split("\n", 2)
    assert title == document.front_matter.title
    assert updated == "Last updated: January 2026"
    assert document.front_matter.effective_date.isoformat() == "2026-01-01"
    assert words(plain(document.body)) == words(re.sub(r"^- ", "", rest, flags=re.M))


def test_numbered_sections_are_headings() -> None:
    document = read_policy((REPO_ROOT / "policy/privacy.md").read_bytes(), "policy/privacy.md")
    headings = parse_body(document.body).headings
    numbered = [h.text for h in headings if h.text[0].isdigit()]
    assert numbered[:4] == [
        "1. Introduction",
        "2. Information We Collect",
        "2.1 Information You Provide",
        "2.2 Automatically Collected",
    ]
    assert len(numbered) == 13
    assert {h.level for h in headings if h.text.startswith("2.") and h.text[2:3].isdigit()} == {3}
    assert headings[0].anchor == "introduction"
