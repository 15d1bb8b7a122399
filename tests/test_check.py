"""``notifier check`` on real repositories: each rule, the formats and the exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from notifier.check import CheckReport, check_repository

from .conftest import TODAY, PolicyRepo, policy_text, run_cli


def check(repo: PolicyRepo, base: str | None = None) -> CheckReport:
    return check_repository(repo.path, base=base, today=TODAY)


def codes(report: CheckReport) -> list[str]:
    return [problem.code for problem in report.problems]


@pytest.fixture
def released(policy_repo: PolicyRepo) -> PolicyRepo:
    policy_repo.release("first release", effective="2026-01-01")
    return policy_repo


def test_clean_repository_passes(released: PolicyRepo) -> None:
    report = check(released)
    assert report.ok
    assert [(d.doc_id, d.state) for d in report.documents] == [("privacy", "unchanged")]


def test_text_change_without_version_change(released: PolicyRepo) -> None:
    released.write(
        "policy/privacy.md", policy_text(body="## 1. Introduction\n\nWe keep logs for 90 days.\n")
    )
    report = check(released)
    assert codes(report) == ["version-not-raised"]
    problem = report.problems[0]
    assert problem.line == 3 and problem.key == "version"
    assert "1.1" in problem.fix


def test_whitespace_only_change_needs_no_version(released: PolicyRepo) -> None:
    released.write(
        "policy/privacy.md",
        policy_text(body="## 1. Introduction  \n\nWe keep logs for 30 days.\n\n\n"),
    )
    assert check(released).ok


def test_released_front_matter_may_not_change(released: PolicyRepo) -> None:
    released.write("policy/privacy.md", policy_text(summary="Rewritten summary."))
    assert codes(check(released)) == ["released-front-matter-changed"]


def test_version_backwards_and_duplicate(released: PolicyRepo) -> None:
    released.release(version="2.0", change="editorial", summary="Two.", effective="2026-02-01")
    released.write(
        "policy/privacy.md",
        policy_text(version="1.5", change="editorial", summary="x", effective="2026-03-01"),
    )
    assert codes(check(released)) == ["version-backwards"]
    released.write(
        "policy/privacy.md",
        policy_text(version="1.0", change="editorial", summary="x", effective="2026-03-01"),
    )
    assert codes(check(released)) == ["duplicate-version"]


def test_material_change_needs_the_notice_period(released: PolicyRepo) -> None:
    body = "## 1. Introduction\n\nWe keep logs for 90 days.\n"
    released.write(
        "policy/privacy.md",
        policy_text(
            version="1.1",
            change="material",
            body=body,
            summary="Longer retention.",
            effective="2026-12-06",
        ),
    )
    report = check(released)
    assert codes(report) == ["notice-period"]
    problem = report.problems[0]
    assert problem.key == "effective_date" and problem.line == 4
    assert "10 days from today" in problem.message
    assert "2026-12-26 or later" in problem.fix
    released.write(
        "policy/privacy.md",
        policy_text(
            version="1.1",
            change="material",
            body=body,
            summary="Longer retention.",
            effective="2026-12-26",
        ),
    )
    report = check(released)
    assert report.ok
    assert [(d.state, d.base_version, d.version) for d in report.documents] == [
        ("release", "1.0", "1.1")
    ]


def test_editorial_change_has_no_notice_period(released: PolicyRepo) -> None:
    released.write(
        "policy/privacy.md",
        policy_text(version="1.1", change="editorial", summary="Typo.", effective="2026-11-26"),
    )
    assert check(released).ok


def test_new_release_rules(released: PolicyRepo) -> None:
    released.write(
        "policy/privacy.md", policy_text(version="1.1", change="initial", effective="2025-12-01")
    )
    assert codes(check(released)) == [
        "initial-not-first",
        "effective-date-backwards",
        "summary-not-updated",
    ]


def test_new_policy_must_be_initial(released: PolicyRepo) -> None:
    released.write(
        "policy/terms.md", policy_text(title="Terms", change="material", body="Terms.\n")
    )
    report = check(released)
    assert codes(report) == ["first-release-class"]
    assert {d.doc_id: d.state for d in report.documents}["terms"] == "new"


def test_raw_html_and_script_are_flagged(released: PolicyRepo) -> None:
    body = (
        "## 1. Introduction\n\nWe keep logs for 30 days.\n\n<div>box</div>\n\n"
        "Text <img src=x onerror=alert(1)> and [click](javascript:alert(1)).\n\n"
        "<script>alert(1)</script>\n"
    )
    released.write(
        "policy/privacy.md",
        policy_text(version="1.1", change="editorial", summary="HTML.", body=body),
    )
    report = check(released)
    found = [(p.code, p.line) for p in report.problems]
    assert found == [
        ("raw-html", 13),
        ("unsafe-html", 15),
        ("unsafe-html", 15),
        ("unsafe-html", 17),
    ]


def test_broken_internal_links(released: PolicyRepo) -> None:
    body = (
        "## 1. Introduction\n\nSee [retention](#retention), [intro](#introduction), "
        "[terms](terms.md#use), [cookies](cookies.md) and [web](https://example.com).\n"
    )
    released.write(
        "policy/privacy.md",
        policy_text(version="1.1", change="editorial", summary="Links.", body=body),
    )
    released.write("policy/terms.md", policy_text(title="Terms", body="## 1. Scope\n\nText.\n"))
    report = check(released)
    messages = [p.message for p in report.problems if p.code == "broken-link"]
    assert len(messages) == 3
    assert "no section with anchor '#retention'" in messages[0]
    assert "policy/terms.md has no section with anchor '#use'" in messages[1]
    assert "there is no policy file policy/cookies.md" in messages[2]
    broken = [p for p in report.problems if p.code == "broken-link"]
    assert "#introduction" in broken[0].fix


def test_rename_in_working_tree_is_followed(released: PolicyRepo) -> None:
    released.repo.git.mv("policy/privacy.md", "policy/privacy-policy.md")
    report = check(released)
    assert report.ok
    assert report.documents[0].renamed_from == "policy/privacy.md"


def test_deleted_policy_is_reported(released: PolicyRepo) -> None:
    (released.path / "policy/privacy.md").unlink()
    report = check(released)
    assert "policy-deleted" in codes(report)
    assert "git checkout main -- policy/privacy.md" in report.problems[-1].fix


def test_all_bad_files_reported_at_once(released: PolicyRepo) -> None:
    released.write("policy/empty.md", "")
    released.write("policy/nofront.md", "# Terms\n")
    released.write("policy/latin.md", b"---\ntitle: caf\xe9\n---\n")
    released.write("policy/badyaml.md", "---\ntitle: [\n---\n")
    assert sorted(codes(check(released))) == sorted(
        ["empty-file", "front-matter-missing", "encoding", "front-matter-yaml"]
    )


def test_base_ref_option(released: PolicyRepo) -> None:
    first = released.repo.head.commit.hexsha
    released.release(version="1.1", change="editorial", summary="Second.", effective="2026-02-01")
    report = check(released, base=first)
    assert report.ok
    assert report.documents[0].state == "release"


def test_cli_formats_and_exit_codes(released: PolicyRepo) -> None:
    ok = run_cli("check", cwd=released.path, today="2026-11-26")
    assert ok.code == 0, ok.err
    assert "OK: no problems." in ok.out
    released.write(
        "policy/privacy.md",
        policy_text(
            version="1.1",
            change="material",
            summary="Longer.",
            effective="2026-12-06",
            body="We keep logs for 90 days.\n",
        ),
    )
    text = run_cli("check", cwd=released.path, today="2026-11-26")
    assert text.code == 1
    assert (
        "policy/privacy.md:4: [effective_date] a material change needs 30 days' notice" in text.out
    )
    data = json.loads(
        run_cli("check", "--format", "json", cwd=released.path, today="2026-11-26").out
    )
    assert data["ok"] is False
    assert data["problems"][0]["code"] == "notice-period"
    markdown = run_cli("check", "--format", "markdown", cwd=released.path, today="2026-11-26")
    assert markdown.out.startswith("## Policy check found 1 problem(s)")
    assert "| `privacy` | release | 1.0 | 1.1 | material | material | 2026-12-06 |" in markdown.out
    usage = run_cli("check", "--format", "yaml", cwd=released.path)
    assert usage.code == 2


def test_cli_errors_are_one_line_without_traceback(tmp_path: Path, policy_repo: PolicyRepo) -> None:
    empty = run_cli("check", cwd=policy_repo.path)
    assert empty.code == 1
    assert empty.err.startswith("Error: the repository has no commits (")
    assert "Traceback" not in empty.err
    outside = run_cli("--repo", str(tmp_path / "nowhere"), "check", cwd=tmp_path)
    assert outside.code == 2
    assert outside.err.startswith("Error: not inside a git repository")


def test_cli_shallow_clone(released: PolicyRepo, tmp_path: Path) -> None:
    released.release(version="1.1", change="editorial", summary="Second.", effective="2026-02-01")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{released.path}", str(clone)], check=True
    )
    result = run_cli("check", cwd=clone)
    assert result.code == 1
    assert "shallow" in result.err and "fetch-depth: 0" in result.err


def test_check_writes_nothing(released: PolicyRepo) -> None:
    released.write("policy/privacy.md", "---\ntitle: [\n---\n")
    before = released.repo.git.status("--porcelain", "--ignored")
    run_cli("check", cwd=released.path)
    assert released.repo.git.status("--porcelain", "--ignored") == before


def test_declared_class_lower_than_detected_fails_with_reasons(released: PolicyRepo) -> None:
    body = "## 1. Introduction\n\nWe keep logs for 90 days.\n"
    fields = {"version": "1.1", "summary": "Retention.", "effective": "2027-01-15", "body": body}
    released.write("policy/privacy.md", policy_text(change="editorial", **fields))
    report = check(released)
    assert codes(report) == ["declared-class-too-low"]
    problem = report.problems[0]
    assert problem.key == "change" and problem.line == 6
    assert '"keep logs for 30 days" -> "keep logs for 90 days" (retention period' in problem.message
    assert report.documents[0].detected == "material"
    justified = 'change_justification: "Only fixes a typo in the number."\n'
    released.write("policy/privacy.md", policy_text(change="editorial", extra=justified, **fields))
    report = check(released)
    assert report.ok
    assert [p.code for p in report.notices] == ["class-override"]
    assert "Only fixes a typo" in report.notices[0].message


def test_declared_higher_than_detected_passes(released: PolicyRepo) -> None:
    body = "## 1. Introduction\n\nWe keep logs for 30 days. Thanks for reading.\n"
    released.write(
        "policy/privacy.md",
        policy_text(
            version="1.1", change="material", body=body, summary="More.", effective="2027-01-15"
        ),
    )
    report = check(released)
    assert report.ok
    assert report.documents[0].detected == "editorial"
