"""Releases read from git: the only module that talks to git.

A release is a commit on the first-parent history of the release branch in which a policy's
front-matter ``version`` changes. Renames of policy files are followed, so a document keeps its
history under its current name. Tags (``<doc>/<version>``) are written for people browsing the git
host; the history never depends on them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from notifier.errors import RepositoryError, UsageError
from notifier.lineage import FIELD_SEPARATOR, CommitChanges, HistoryReader
from notifier.releases import Release, ReleaseHistory

__all__ = ["PolicyRepository", "Release", "ReleaseHistory", "TagAction"]

TAGGER_EMAIL = "policy-notifier@users.noreply.invalid"
_RECORD = "\x01"


@dataclass(frozen=True)
class TagAction:
    """What ``notifier tag`` did (or would do) for one release."""

    name: str
    commit: str
    action: str  # "created", "exists", or "would create"


class PolicyRepository:
    """A git working copy holding policies: the single door to git for the whole library."""

    def __init__(self, path: Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise UsageError(
                "not inside a git repository",
                where=str(path),
                fix="Run the command in a clone of your policy repository, or pass --repo PATH.",
            ) from None
        if self.repo.bare or self.repo.working_tree_dir is None:
            raise UsageError(
                "the repository has no working tree",
                where=str(path),
                fix="Clone it (`git clone`) and run the command in the clone.",
            )
        self.root = Path(self.repo.working_tree_dir).resolve()

    def close(self) -> None:
        """Stop the git helper processes GitPython keeps alive."""
        self.repo.close()

    def __enter__(self) -> PolicyRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, refusing paths outside the repository."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise UsageError(
                "path is outside the repository",
                where=str(path),
                fix=f"Give a path inside {self.root}.",
            )
        return resolved.relative_to(self.root).as_posix()

    def has_commits(self) -> bool:
        """Whether HEAD points at a commit."""
        try:
            self.repo.head.commit  # noqa: B018 - raises when HEAD is unborn
        except ValueError:
            return False
        return True

    def resolve(self, ref: str) -> str:
        """The commit sha of ``ref``, or a :class:`RepositoryError` that says how to get it."""
        self._require_commits()
        try:
            return str(self.repo.commit(ref).hexsha)
        except (git.BadName, git.BadObject, ValueError):
            raise RepositoryError(
                f"unknown git ref '{ref}'",
                where=str(self.root),
                fix="Fetch it (`git fetch origin`) or pass an existing branch, tag or commit.",
            ) from None

    def release_ref(self, branch: str) -> str:
        """The release branch, local or from ``origin``, as a ref name."""
        self._require_commits()
        for candidate in (branch, f"origin/{branch}"):
            try:
                self.repo.commit(candidate)
            except (git.BadName, git.BadObject, ValueError):
                continue
            return candidate
        raise RepositoryError(
            f"release branch '{branch}' not found",
            where=str(self.root),
            fix=f"Fetch it (`git fetch origin {branch}`), pass --base REF, or set "
            "`release_branch` in [tool.notifier].",
        )

    def read_blob(self, commit: str, path: str) -> bytes:
        """The bytes of ``path`` at ``commit``, read through the tree (no subprocess per file)."""
        try:
            blob = self.repo.commit(commit).tree / path
        except KeyError:
            raise UsageError(
                f"'{path}' does not exist at {commit[:12]}",
                where=str(self.root),
                fix="Check the path (relative to the repository root) and the "
                "revision, e.g. `main:policy/privacy.md`.",
            ) from None
        return bytes(blob.data_stream.read())

    def read_object(self, sha: str) -> bytes:
        """The bytes of the blob ``sha`` (one lookup in git's object database)."""
        return bytes(self.repo.odb.stream(bytes.fromhex(sha)).read())

    def history(self, policy_dir: str, ref: str) -> ReleaseHistory:
        """Read every release of every policy under ``policy_dir`` on ``ref``'s first parents."""
        self._require_full_history()
        commit = self.resolve(ref)
        reader = HistoryReader(self.read_object)
        for change in self._log(policy_dir, commit):
            reader.apply(change)
        return reader.finish(ref, commit)

    def tag_releases(self, history: ReleaseHistory, *, dry_run: bool) -> list[TagAction]:
        """Create the missing annotated tags ``<doc>/<version>``; refuse to move existing ones."""
        existing = {tag.name: tag for tag in self.repo.tags}
        actions: list[TagAction] = []
        for release in history.all():
            tag = existing.get(release.tag_name)
            if tag is None:
                actions.append(
                    TagAction(
                        release.tag_name, release.commit, "would create" if dry_run else "created"
                    )
                )
            elif tag.commit.hexsha != release.commit:
                raise RepositoryError(
                    f"tag '{release.tag_name}' points at {tag.commit.hexsha[:12]}, but the release "
                    f"is commit {release.commit[:12]}",
                    where=str(self.root),
                    fix=f"Check which is right; delete the wrong tag with "
                    f"`git tag -d {release.tag_name}` and run `notifier tag` again.",
                )
            else:
                actions.append(TagAction(release.tag_name, release.commit, "exists"))
        if not dry_run:
            self._create_tags(history, [a for a in actions if a.action == "created"])
        return actions

    def clone_to(self, target: Path) -> PolicyRepository:
        """A full clone of this repository in ``target`` (for rehearsals such as the demo)."""
        git.Repo.clone_from(str(self.root), str(target))
        return PolicyRepository(target)

    def commit_all(self, message: str, *, author: str, email: str) -> str:
        """Commit every change of the working tree; returns the new commit's sha."""
        actor = git.Actor(author, email)
        self.repo.git.add("-A")
        commit = self.repo.index.commit(message, author=actor, committer=actor)
        return str(commit.hexsha)

    def push_tags(self, remote: str, names: list[str]) -> None:
        """Push the named tags to ``remote``."""
        if names:
            self.repo.git.push(remote, *[f"refs/tags/{name}" for name in names])

    def _create_tags(self, history: ReleaseHistory, actions: list[TagAction]) -> None:
        by_name = {release.tag_name: release for release in history.all()}
        with self.repo.git.custom_environment(**self._tagger_fallback()):
            for action in actions:
                release = by_name[action.name]
                message = f"{release.title} {release.version} ({release.change.value})\n\n"
                self.repo.create_tag(
                    action.name, ref=release.commit, message=message + release.summary
                )

    def _tagger_fallback(self) -> dict[str, str]:
        """An identity for annotated tags where git has none (CI runners, fresh machines)."""
        reader = self.repo.config_reader()
        if reader.has_option("user", "email") or "GIT_COMMITTER_EMAIL" in os.environ:
            return {}
        return {"GIT_COMMITTER_NAME": "policy-notifier", "GIT_COMMITTER_EMAIL": TAGGER_EMAIL}

    def _require_commits(self) -> None:
        if not self.has_commits():
            raise RepositoryError(
                "the repository has no commits",
                where=str(self.root),
                fix="Commit the policy files first (`git add policy && git commit`).",
            )

    def _require_full_history(self) -> None:
        self._require_commits()
        if self.repo.git.rev_parse("--is-shallow-repository").strip() == "true":
            raise RepositoryError(
                "this clone is shallow, so the release history is incomplete",
                where=str(self.root),
                fix="Fetch the full history with `git fetch --unshallow`; in GitHub Actions "
                "set `fetch-depth: 0` on actions/checkout.",
            )

    def _log(self, policy_dir: str, commit: str) -> Iterator[CommitChanges]:
        output = self.repo.git.log(
            "--first-parent",
            "--diff-merges=first-parent",
            "--reverse",
            "-M",
            "--raw",
            "--no-abbrev",
            "-z",
            f"--format={_RECORD}%H{FIELD_SEPARATOR}%an{FIELD_SEPARATOR}%aI",
            commit,
            "--",
            f":(glob){policy_dir}/*.md",
            strip_newline_in_stdout=False,
        )
        for record in output.split(_RECORD)[1:]:
            yield CommitChanges.parse(record)
