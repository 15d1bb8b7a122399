"""``notifier diff`` through the real command line: files, releases and revisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, PolicyRepo, run_cli

PRIVACY = (REPO_ROOT / "policy/privacy.md").read_text(encoding="utf-8")


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(PRIVACY, encoding="utf-8")
    new.write_text(
        PRIVACY.replace("Retained for 30 days", "Retained for 90 days").replace(
            "We may update this policy periodically", "We may update this policy from time to time"
        ),
        encoding="utf-8",
    )
    return old, new


def test_text_redline_of_the_privacy_policy(two_files: tuple[Path, Path]) -> None:
    result = run_cli("diff", str(two_files[0]), str(two_files[1]), cwd=two_files[0].parent)
    assert result.code == 0, result.err
    assert result.out.startswith("Classification: material (1 material, 1 editorial, 0 none)")
    assert "## 4. Data Retention" in result.out
    assert "- Workflow Logs: Retained for [-30-]{+90+} days, then purged" in result.out
    assert "[-periodically-]{+from time to time+}" in result.out
    assert "\x1b[" not in result.out, "no colour codes when not a terminal"


def test_json_output(two_files: tuple[Path, Path]) -> None:
    result = run_cli("diff", "--format", "json", *map(str, two_files), cwd=two_files[0].parent)
    data = json.loads(result.out)
    assert data["classification"] == "material"
    assert data["old"].endswith("old.md")
    change = data["changes"][0]
    assert change["section"] == "4. Data Retention"
    assert change["kind"] == "block_modified"
    assert change["reasons"] == [
        '4. Data Retention: "Retained for 30 days" -> "Retained for 90 days" '
        "(retention period changed)"
    ]


def test_html_output_is_escaped_with_ins_and_del(tmp_path: Path) -> None:
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text("## Terms\n\nWe keep data.\n", encoding="utf-8")
    new.write_text("## Terms\n\nWe keep data <img src=x onerror=alert(1)> forever.\n")
    result = run_cli("diff", "--format", "html", str(old), str(new), cwd=tmp_path)
    assert "<ins>" in result.out
    assert "onerror=alert(1)>" not in result.out
    assert "Content-Security-Policy" in result.out


def test_markdown_output_is_inert(tmp_path: Path) -> None:
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text("## Terms\n\nWe keep data.\n", encoding="utf-8")
    new.write_text(
        "## Terms\n\nWe keep data, see [x](https://evil.example) ![i](https://t.example/p.png).\n"
    )
    result = run_cli("diff", "--format", "markdown", str(old), str(new), cwd=tmp_path)
    assert result.out.startswith("## Change: ")
    assert "](https://" not in result.out


def test_releases_and_revisions(policy_repo: PolicyRepo) -> None:
    policy_repo.release("first")
    policy_repo.release(
        "second",
        version="1.1",
        change="material",
        effective="2027-01-15",
        summary="Longer.",
        body="## 1. Introduction\n\nWe keep logs for 90 days.\n",
    )
    by_release = run_cli(
        "diff", "privacy@1.0", "privacy@1.1", "--format", "json", cwd=policy_repo.path
    )
    assert by_release.code == 0, by_release.err
    data = json.loads(by_release.out)
    assert data["classification"] == "material"
    kinds = {c["kind"] for c in data["changes"]}
    assert "front_matter_changed" in kinds
    by_revision = run_cli(
        "diff", "HEAD~1:policy/privacy.md", "policy/privacy.md", cwd=policy_repo.path
    )
    assert "[-30-]{+90+}" in by_revision.out


def test_bad_specs_are_usage_errors(policy_repo: PolicyRepo) -> None:
    policy_repo.release("first")
    missing = run_cli("diff", "nope.md", "policy/privacy.md", cwd=policy_repo.path)
    assert missing.code == 2
    assert "is not a file, DOC@VERSION or REV:PATH" in missing.err
    version = run_cli("diff", "privacy@9.9", "policy/privacy.md", cwd=policy_repo.path)
    assert version.code == 2
    assert "Released versions of 'privacy': 1.0." in version.err
    path = run_cli("diff", "HEAD:policy/terms.md", "policy/privacy.md", cwd=policy_repo.path)
    assert path.code == 2
    assert "does not exist" in path.err
    policy_repo.write("latin.md", b"caf\xe9")
    encoding = run_cli("diff", "latin.md", "policy/privacy.md", cwd=policy_repo.path)
    assert encoding.code == 1
    assert "not UTF-8" in encoding.err


def test_text_the_markdown_parser_fails_on_is_an_error_naming_the_line(
    two_files: tuple[Path, Path],
) -> None:
    """markdown-it (the Rust port) panics on a '[' followed by a backtick never closed."""
    old, new = two_files
    body_start = PRIVACY.count("\n", 0, PRIVACY.index("\n---\n") + 5)
    lines = PRIVACY.split("\n")
    lines.insert(body_start + 2, "See [`this.")
    new.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("diff", str(old), str(new), cwd=old.parent)
    assert result.code == 1
    assert "Error: the Markdown parser (markdown-it) fails on this text (line 3 of" in result.err
    assert "Traceback" not in result.err
