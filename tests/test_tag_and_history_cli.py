"""``notifier tag`` and ``notifier history`` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from notifier.errors import RepositoryError
from notifier.workspace import tag_releases

from .conftest import PolicyRepo, run_cli


@pytest.fixture
def two_releases(policy_repo: PolicyRepo) -> PolicyRepo:
    policy_repo.release("first", effective="2026-01-01")
    policy_repo.release(
        "second",
        version="1.1",
        change="material",
        effective="2027-01-15",
        summary='Longer retention: "90 days".',
    )
    return policy_repo


def test_tag_creates_annotated_tags_idempotently(two_releases: PolicyRepo) -> None:
    dry = tag_releases(two_releases.path, ref=None, dry_run=True, push=None)
    assert [a.action for a in dry] == ["would create", "would create"]
    assert list(two_releases.repo.tags) == []
    first = run_cli("tag", cwd=two_releases.path)
    assert first.code == 0, first.err
    assert "created       privacy/1.1" in first.out
    tag = two_releases.repo.tags["privacy/1.1"]
    assert tag.tag is not None, "annotated"
    assert "Longer retention" in tag.tag.message
    again = json.loads(run_cli("tag", "--format", "json", cwd=two_releases.path).out)
    assert {a["action"] for a in again} == {"exists"}


def test_tag_refuses_to_move_a_tag(two_releases: PolicyRepo) -> None:
    first_commit = two_releases.repo.commit("HEAD~1")
    two_releases.repo.create_tag("privacy/1.1", ref=first_commit, message="wrong")
    with pytest.raises(RepositoryError, match=r"tag 'privacy/1\.1' points at"):
        tag_releases(two_releases.path, ref=None, dry_run=False, push=None)
    assert "privacy/1.0" not in [t.name for t in two_releases.repo.tags], "nothing half-done"


def test_tag_push_to_remote(two_releases: PolicyRepo, tmp_path: Path) -> None:
    remote = git.Repo.init(tmp_path / "remote.git", bare=True)
    two_releases.repo.create_remote("origin", str(tmp_path / "remote.git"))
    tag_releases(two_releases.path, ref=None, dry_run=False, push="origin")
    assert sorted(t.name for t in remote.tags) == ["privacy/1.0", "privacy/1.1"]


def test_history_does_not_need_tags(two_releases: PolicyRepo) -> None:
    result = run_cli(
        "history", "privacy", "--format", "json", cwd=two_releases.path, today="2026-11-26"
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    releases = data["documents"]["privacy"]
    assert [(r["version"], r["status"]) for r in releases] == [
        ("1.0", "current"),
        ("1.1", "upcoming"),
    ]
    assert releases[1]["summary"] == 'Longer retention: "90 days".'
    assert len(releases[1]["content_hash"]) == 64
    text = run_cli("history", cwd=two_releases.path, today="2027-01-15")
    assert "1.1        effective 2027-01-15  material  current" in text.out


def test_history_problems_exit_non_zero(two_releases: PolicyRepo) -> None:
    two_releases.release(
        "backwards", version="0.9", change="editorial", summary="Back.", effective="2027-02-01"
    )
    result = run_cli("history", cwd=two_releases.path)
    assert result.code == 1
    assert "version goes back from 1.1 to 0.9" in result.out


def test_history_unknown_document_is_usage_error(two_releases: PolicyRepo) -> None:
    result = run_cli("history", "terms", cwd=two_releases.path)
    assert result.code == 2
    assert "Use one of: privacy." in result.err
