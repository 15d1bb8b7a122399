"""Turning the log of policy-file changes into releases, following renames.

Pure logic over commits and file changes; the bytes come through a ``read_blob`` callable, so git
stays in :mod:`notifier.history`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from notifier.frontmatter import Version
from notifier.policy import PolicyDocument, PolicyParse, doc_id_for, parse_policy
from notifier.problems import Problem
from notifier.releases import Release, ReleaseHistory

FIELD_SEPARATOR = "\x1f"
_SAME_DOCUMENT_SIMILARITY = 0.3


@dataclass(frozen=True)
class FileChange:
    """One file of a commit: its status letter (A, M, D, R), path, and new blob id."""

    status: str
    path: str
    blob: str
    old_path: str | None = None


@dataclass(frozen=True)
class CommitChanges:
    """One commit of ``git log --raw -z``: who, when, and the policy files it changed."""

    sha: str
    author: str
    date: dt.datetime
    files: list[FileChange]

    @classmethod
    def parse(cls, record: str) -> CommitChanges:
        """Parse one record (header, then ``:modes shas status\0path\0[path\0]`` entries)."""
        header, _, rest = record.partition("\0\n")
        sha, author, date = header.split(FIELD_SEPARATOR)
        tokens = [token for token in rest.split("\0") if token]
        files: list[FileChange] = []
        while tokens:
            _, _, _, blob, status = tokens.pop(0).split(" ")
            if status[0] in "RC":
                old, new = tokens.pop(0), tokens.pop(0)
                files.append(FileChange(status[0], new, blob, old))
            else:
                files.append(FileChange(status[0], tokens.pop(0), blob))
        return cls(sha, author, dt.datetime.fromisoformat(date), files)


@dataclass
class Lineage:
    """One document followed through renames; its releases keep the path they had."""

    path: str
    releases: list[Release] = field(default_factory=list)
    versions: set[Version] = field(default_factory=set)
    deleted_in: str | None = None


class HistoryReader:
    """Turns the log of policy changes into releases, collecting problems instead of failing.

    git pairs a deleted and an added file as a rename only above 50% similarity; a policy that is
    renamed and rewritten in one commit falls below that. So a deletion and an addition in the
    same commit are also paired when the title stays the same or the text is still similar.
    """

    def __init__(self, read_blob: Callable[[str], bytes]) -> None:
        self.read_blob = read_blob
        self.lineages: dict[str, Lineage] = {}
        self.problems: list[Problem] = []

    def apply(self, change: CommitChanges) -> None:
        """Take in one commit of the first-parent log."""
        deleted = [f.path for f in change.files if f.status == "D" and f.path in self.lineages]
        for file in change.files:
            if file.status == "D":
                continue
            if file.status == "R" and file.old_path in self.lineages:
                self._move(file.old_path, file.path)
            parsed = parse_policy(self.read_blob(file.blob), file.path)
            if file.path not in self.lineages:
                origin = self._renamed_from(deleted, parsed)
                if origin is not None:
                    deleted.remove(origin)
                    self._move(origin, file.path)
            lineage = self.lineages.setdefault(file.path, Lineage(file.path))
            lineage.deleted_in = None
            self._read_version(lineage, change, parsed)
        for path in deleted:
            self.lineages[path].deleted_in = change.sha

    def _move(self, old: str, new: str) -> None:
        lineage = self.lineages.pop(old)
        lineage.path = new
        self.lineages[new] = lineage

    def _renamed_from(self, deleted: list[str], parsed: PolicyParse) -> str | None:
        if parsed.document is None:
            return None
        for path in deleted:
            releases = self.lineages[path].releases
            if releases and _same_document(releases[-1].document, parsed.document):
                return path
        return None

    def _read_version(self, lineage: Lineage, change: CommitChanges, parsed: PolicyParse) -> None:
        where = f"commit {change.sha[:12]}"
        if parsed.document is None:
            self.problems.extend(
                replace(p, message=f"{p.message} (in {where}; not a release)")
                for p in parsed.problems
            )
            return
        document = parsed.document
        version = document.front_matter.version
        previous = lineage.releases[-1] if lineage.releases else None
        if previous is not None and version == previous.version:
            return
        if version in lineage.versions:
            self._problem(
                "duplicate-version",
                document.path,
                f"version {version} is released twice ({where}); the second is ignored",
                "Give the release a new version.",
            )
        elif previous is not None and version < previous.version:
            self._problem(
                "version-backwards",
                document.path,
                f"version goes back from {previous.version} to {version} ({where}); ignored",
                "Versions must increase.",
            )
        else:
            lineage.releases.append(_release(document, change))
            lineage.versions.add(version)

    def _problem(self, code: str, path: str, message: str, fix: str) -> None:
        self.problems.append(Problem(code, path, message, fix))

    def finish(self, ref: str, commit: str) -> ReleaseHistory:
        """The history read so far, with deleted policies reported."""
        releases: dict[str, list[Release]] = {}
        for path, lineage in self.lineages.items():
            if not lineage.releases:
                continue
            if lineage.deleted_in is not None:
                self._problem(
                    "policy-deleted",
                    path,
                    f"released policy was deleted in commit {lineage.deleted_in[:12]}",
                    "Restore the file; a policy is retired by a final release, "
                    "never by deleting its text.",
                )
            doc_id = doc_id_for(path)
            releases[doc_id] = [replace(r, doc_id=doc_id) for r in lineage.releases]
        return ReleaseHistory(ref, commit, releases, self.problems)


def _same_document(old: PolicyDocument, new: PolicyDocument) -> bool:
    if old.front_matter.title.casefold() == new.front_matter.title.casefold():
        return True
    matcher = difflib.SequenceMatcher(
        None, old.body.splitlines(), new.body.splitlines(), autojunk=False
    )
    return matcher.real_quick_ratio() >= _SAME_DOCUMENT_SIMILARITY and (
        matcher.ratio() >= _SAME_DOCUMENT_SIMILARITY
    )


def _release(document: PolicyDocument, change: CommitChanges) -> Release:
    front = document.front_matter
    return Release(
        doc_id=document.doc_id,
        version=front.version,
        effective_date=front.effective_date,
        commit=change.sha,
        author=change.author,
        date=change.date,
        change=front.change,
        summary=front.summary,
        content_hash=document.content_hash,
        path=document.path,
        document=document,
    )
