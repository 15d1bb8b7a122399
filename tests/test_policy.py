"""Parsing a policy file: front matter, encodings, and the problems reported for bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from notifier.errors import PolicyError
from notifier.frontmatter import ChangeClass, Version
from notifier.policy import content_hash, parse_policy, read_policy

from .conftest import policy_text


def codes(data: bytes | str) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    return [problem.code for problem in parse_policy(raw, "policy/privacy.md").problems]


def test_valid_policy_parses_to_typed_front_matter() -> None:
    document = read_policy(policy_text(version="1.10").encode(), "policy/privacy.md")
    front = document.front_matter
    assert document.doc_id == "privacy"
    assert front.version == Version("1.10")
    assert front.version > Version("1.9")
    assert front.effective_date == dt.date(2026, 1, 1)
    assert front.change is ChangeClass.INITIAL
    assert document.body.startswith("\n## 1. Introduction")
    assert document.line_of("version") == 3


def test_bom_and_crlf_are_accepted_and_hash_like_lf() -> None:
    text = policy_text()
    crlf = ("\ufeff" + text.replace("\n", "\r\n")).encode()
    assert codes(crlf) == []
    assert (
        read_policy(crlf, "policy/p.md").content_hash
        == read_policy(text.encode(), "policy/p.md").content_hash
    )


def test_content_hash_ignores_trailing_space_but_not_words() -> None:
    assert content_hash("a  \nb\n\n") == content_hash("a\nb")
    assert content_hash("30 days") != content_hash("90 days")


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        ("", "empty-file", 1),
        ("# Privacy\n\ntext\n", "front-matter-missing", 1),
        ("---\ntitle: x\n", "front-matter-unclosed", 1),
        ("---\ntitle: [unclosed\nversion: 1\n---\n", "front-matter-yaml", 3),
        ("---\n- a\n- b\n---\n", "front-matter-not-mapping", 2),
    ],
)
def test_broken_front_matter(data: str, code: str, line: int) -> None:
    problems = parse_policy(data.encode(), "policy/privacy.md").problems
    assert [p.code for p in problems] == [code]
    assert problems[0].line == line
    assert problems[0].fix


def test_non_utf8_names_the_line() -> None:
    data = policy_text().encode() + b"caf\xe9\n"
    problems = parse_policy(data, "policy/privacy.md").problems
    assert [p.code for p in problems] == ["encoding"]
    assert problems[0].line == data.count(b"\n")
    assert "0xe9" in problems[0].message


def test_every_front_matter_problem_is_reported_at_once() -> None:
    text = (
        "---\ntitle: [a, b]\nversion: one\neffective_date: January 2026\n"
        "summry: typo\nchange: materal\ntitle: again\n---\nBody\n"
    )
    problems = parse_policy(text.encode(), "policy/privacy.md").problems
    by_code = {p.code: p for p in problems}
    assert set(by_code) >= {
        "front-matter-type",
        "front-matter-version",
        "front-matter-date",
        "front-matter-unknown-key",
        "front-matter-change",
        "front-matter-missing-key",
        "front-matter-duplicate-key",
    }
    assert "did you mean 'summary'" in by_code["front-matter-unknown-key"].fix.lower()
    assert "did you mean 'material'" in by_code["front-matter-change"].fix.lower()
    assert by_code["front-matter-date"].line == 4
    assert by_code["front-matter-date"].key == "effective_date"
    assert by_code["front-matter-unknown-key"].line == 5


def test_impossible_date_is_invalid() -> None:
    assert codes(policy_text(effective="2026-02-30")) == ["front-matter-date"]


def test_empty_value_is_reported() -> None:
    assert codes(policy_text(summary="")) == ["front-matter-empty", "front-matter-missing-key"]


def test_bad_file_name_is_reported() -> None:
    problems = parse_policy(policy_text().encode(), "policy/Privacy Policy.md").problems
    assert [p.code for p in problems] == ["file-name"]


def test_read_policy_raises_with_fix() -> None:
    with pytest.raises(PolicyError) as caught:
        read_policy(b"no front matter", "policy/x.md")
    assert "notifier check" in caught.value.message


def test_versions_compare_numerically() -> None:
    assert Version("1.0") == Version("1")
    assert hash(Version("1.0")) == hash(Version("1"))
    assert sorted([Version("1.10"), Version("1.2"), Version("2")]) == [
        Version("1.2"),
        Version("1.10"),
        Version("2"),
    ]
