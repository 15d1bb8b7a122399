"""Reading releases from real git repositories."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from notifier.errors import RepositoryError, UsageError
from notifier.history import PolicyRepository
from notifier.workspace import read_history, resolve_document

from .conftest import CORPUS, PolicyRepo, make_repo, policy_text
from .corpus_replay import replay


def history_of(repo: PolicyRepo, ref: str = "main"):  # type: ignore[no-untyped-def]
    return read_history(repo.path, ref=ref).history


def test_release_is_a_version_change(policy_repo: PolicyRepo) -> None:
    first = policy_repo.release("first")
    policy_repo.write("policy/privacy.md", policy_text(body="## 1. Introduction\n\nTypo fxed.\n"))
    policy_repo.commit("text edit without a version change: not a release")
    second = policy_repo.release(
        version="1.1", change="material", effective="2026-03-01", summary="Longer retention."
    )
    releases = history_of(policy_repo).of("privacy")
    assert [(str(r.version), r.commit) for r in releases] == [("1.0", first), ("1.1", second)]
    assert releases[1].summary == "Longer retention."
    assert releases[1].author == "Legal"
    assert releases[1].change.value == "material"


def test_renames_are_followed(policy_repo: PolicyRepo) -> None:
    policy_repo.release()
    policy_repo.repo.git.mv("policy/privacy.md", "policy/privacy-policy.md")
    policy_repo.commit("rename")
    policy_repo.release(
        relative="policy/privacy-policy.md", version="2", change="editorial", summary="Renamed."
    )
    history = history_of(policy_repo)
    assert history.documents == ["privacy-policy"]
    releases = history.of("privacy-policy")
    assert [r.path for r in releases] == ["policy/privacy.md", "policy/privacy-policy.md"]
    assert {r.doc_id for r in releases} == {"privacy-policy"}
    assert history.problems == []


def test_merges_count_on_the_first_parent_only(policy_repo: PolicyRepo) -> None:
    policy_repo.release()
    policy_repo.repo.git.checkout("-q", "-b", "change")
    policy_repo.release(version="1.1", change="editorial", summary="Draft one.")
    policy_repo.release(version="1.2", change="editorial", summary="Draft two.")
    policy_repo.repo.git.checkout("-q", "main")
    merge = policy_repo.merge("change", "Merge pull request #1")
    releases = history_of(policy_repo).of("privacy")
    assert [str(r.version) for r in releases] == ["1.0", "1.2"]
    assert releases[-1].commit == merge


def test_upcoming_and_current(policy_repo: PolicyRepo) -> None:
    policy_repo.release(effective="2026-01-01")
    policy_repo.release(version="1.1", change="material", effective="2026-12-30", summary="Later.")
    history = history_of(policy_repo)
    today = dt.date(2026, 11, 26)
    old, new = history.of("privacy")
    assert history.current("privacy", today) == old
    assert history.upcoming("privacy", today) == [new]
    assert history.status(new, today) == "upcoming"
    assert history.status(old, dt.date(2026, 12, 30)) == "superseded"


def test_deleted_and_backwards_and_duplicate_are_reported(policy_repo: PolicyRepo) -> None:
    policy_repo.release(version="2.0")
    policy_repo.release(version="1.0", change="editorial", summary="Backwards.")
    policy_repo.release(version="2.1", change="editorial", summary="Fine.")
    policy_repo.release(version="2.0", change="editorial", summary="Duplicate.")
    policy_repo.release(relative="policy/terms.md")
    (policy_repo.path / "policy/terms.md").unlink()
    policy_repo.commit("delete terms")
    history = history_of(policy_repo)
    assert [str(r.version) for r in history.of("privacy")] == ["2.0", "2.1"]
    assert [p.code for p in history.problems] == [
        "version-backwards",
        "duplicate-version",
        "policy-deleted",
    ]


def test_unparseable_commit_is_reported_not_released(policy_repo: PolicyRepo) -> None:
    policy_repo.release()
    policy_repo.write("policy/privacy.md", "---\ntitle: [\n---\n")
    policy_repo.commit("broken")
    history = history_of(policy_repo)
    assert len(history.of("privacy")) == 1
    assert history.problems[0].code == "front-matter-yaml"
    assert "not a release" in history.problems[0].message


def test_repository_without_commits(policy_repo: PolicyRepo) -> None:
    with pytest.raises(RepositoryError, match="no commits"):
        read_history(policy_repo.path)


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not inside a git repository"):
        read_history(tmp_path)


def test_missing_release_branch(policy_repo: PolicyRepo) -> None:
    policy_repo.release()
    policy_repo.repo.git.branch("-m", "trunk")
    with pytest.raises(RepositoryError, match="release branch 'main' not found") as caught:
        read_history(policy_repo.path)
    assert "--base" in caught.value.fix


def test_shallow_clone_says_how_to_fetch(policy_repo: PolicyRepo, tmp_path: Path) -> None:
    policy_repo.release()
    policy_repo.release(version="1.1", change="editorial", summary="Second.")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{policy_repo.path}", str(clone)], check=True
    )
    with pytest.raises(RepositoryError) as caught:
        read_history(clone)
    assert "shallow" in caught.value.what
    assert "git fetch --unshallow" in caught.value.fix
    assert "fetch-depth: 0" in caught.value.fix


def test_document_argument_outside_repository(policy_repo: PolicyRepo, tmp_path: Path) -> None:
    policy_repo.release()
    view = read_history(policy_repo.path)
    assert resolve_document(view, "policy/privacy.md", policy_repo.path) == "privacy"
    with pytest.raises(UsageError, match="outside the repository"):
        resolve_document(view, "../elsewhere/privacy.md", policy_repo.path)
    with pytest.raises(UsageError, match="no released policy named 'terms'"):
        resolve_document(view, "terms", policy_repo.path)


def test_replayed_corpus_history_comes_back_byte_for_byte(tmp_path: Path) -> None:
    built = make_repo(tmp_path / "corpus-repo")
    replayed = replay("site-policy", "github-privacy-statement", built.repo)
    assert len(replayed) == 70
    with PolicyRepository(built.path) as repository:
        history = repository.history("policy", "main")
        releases = history.of("github-general-privacy-statement")
        assert history.problems == []
        assert len(releases) == len(replayed)
        for release, version in zip(releases, replayed, strict=True):
            assert str(release.version) == str(version.seq)
            assert release.commit == version.commit
            assert release.path == version.path
            assert release.document.body == version.body
            assert repository.read_blob(release.commit, release.path) == version.data
    assert len({r.path for r in releases}) == 2, "the corpus renames the file once"
    assert (CORPUS / "README.md").is_file()
