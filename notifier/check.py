"""``notifier check``: the gate a pull request must pass before a policy change may merge.

The working tree is compared with the last release of each policy on the release branch (or on
``--base``). Every problem is collected, each naming the file, line or key and the fix; nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from notifier.compare import compare
from notifier.config import Settings, load_settings
from notifier.history import PolicyRepository
from notifier.links import check_links
from notifier.parsing import parse_body
from notifier.policy import PolicyDocument, PolicyParse, parse_policy
from notifier.problems import Problem
from notifier.release_rules import check_declared_class, check_release, top_reasons
from notifier.releases import Release, ReleaseHistory

_RENAME_SIMILARITY = 0.5


@dataclass(frozen=True)
class DocumentStatus:
    """How one policy in the working tree relates to its last release."""

    doc_id: str
    path: str
    version: str | None
    base_version: str | None
    state: str  # "new", "release", "unchanged", "changed", "invalid", "deleted"
    change: str | None = None
    effective_date: str | None = None
    renamed_from: str | None = None
    detected: str | None = None
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__, reasons=list(self.reasons))


@dataclass(frozen=True)
class CheckReport:
    """Everything ``notifier check`` found."""

    base_ref: str
    base_commit: str | None
    today: dt.date
    notice_period_days: int
    documents: list[DocumentStatus]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is nothing to fix (notices do not count)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        """Problems that fail the check."""
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def notices(self) -> list[Problem]:
        """Things shown for the record that do not fail the check (e.g. a justified class)."""
        return [problem for problem in self.problems if problem.severity != "error"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, stable for programs reading it."""
        return {
            "ok": self.ok,
            "base": {"ref": self.base_ref, "commit": self.base_commit},
            "today": self.today.isoformat(),
            "notice_period_days": self.notice_period_days,
            "documents": [document.to_dict() for document in self.documents],
            "problems": [problem.to_dict() for problem in self.problems],
        }


def check_repository(path: Path, *, base: str | None, today: dt.date) -> CheckReport:
    """Check every policy of the working tree at ``path`` against the releases on ``base``."""
    with PolicyRepository(path) as repository:
        settings = load_settings(repository.root)
        base_ref = base or repository.release_ref(settings.release_branch)
        history = repository.history(settings.policy_dir, base_ref)
        parses = _read_working_tree(repository, settings)
    return _Checker(settings, history, today).run(parses)


def _read_working_tree(repository: PolicyRepository, settings: Settings) -> dict[str, PolicyParse]:
    folder = settings.policy_path
    repository.relative(folder)
    if not folder.is_dir():
        return {}
    return {
        repository.relative(file): parse_policy(file.read_bytes(), repository.relative(file))
        for file in sorted(folder.glob("*.md"))
    }


class _Checker:
    def __init__(self, settings: Settings, history: ReleaseHistory, today: dt.date) -> None:
        self.settings = settings
        self.history = history
        self.today = today
        self.problems: list[Problem] = []
        self.documents: list[DocumentStatus] = []

    def run(self, parses: dict[str, PolicyParse]) -> CheckReport:
        if not parses:
            self.problems.append(
                Problem(
                    "no-policies",
                    self.settings.policy_dir,
                    "no policy files found",
                    f"Add policies as `{self.settings.policy_dir}/<name>.md`, or set `policy_dir`.",
                )
            )
        bases = self._match_bases(parses)
        for path, parsed in parses.items():
            self.problems += parsed.problems
            self._check_body(parsed, path)
            self._check_document(path, parsed, bases.get(path))
        self._report_deleted(bases)
        self.problems += check_links(parses)
        return CheckReport(
            self.history.ref,
            self.history.commit,
            self.today,
            self.settings.notice_period_days,
            self.documents,
            self.problems,
        )

    def _match_bases(self, parses: dict[str, PolicyParse]) -> dict[str, Release]:
        """Last release for each working-tree path, following renames by content similarity."""
        latest = {
            doc: release
            for doc in self.history.documents
            if (release := self.history.latest(doc)) is not None
        }
        bases = {r.path: r for r in latest.values() if r.path in parses}
        missing = [r for r in latest.values() if r.path not in parses]
        new_paths = [path for path in parses if path not in bases]
        for release in missing:
            match = _most_similar(release, new_paths, parses)
            if match is not None:
                bases[match] = release
                new_paths.remove(match)
        return bases

    def _report_deleted(self, bases: dict[str, Release]) -> None:
        matched = {release.doc_id for release in bases.values()}
        for doc_id in self.history.documents:
            release = self.history.latest(doc_id)
            if release is None or doc_id in matched:
                continue
            self.documents.append(
                DocumentStatus(doc_id, release.path, None, str(release.version), "deleted")
            )
            self.problems.append(
                Problem(
                    "policy-deleted",
                    release.path,
                    f"released policy '{doc_id}' ({release.version}) is missing from the "
                    "working tree",
                    f"Restore it (`git checkout {self.history.ref} -- {release.path}`); a policy "
                    "is retired by a final release, never by deleting its text.",
                )
            )

    def _check_body(self, parsed: PolicyParse, path: str) -> None:
        if parsed.body is None:
            return
        offset = parsed.body_line - 1
        for raw in parse_body(parsed.body).raw_html:
            if raw.unsafe:
                message = f"script or event handler in the Markdown: `{_clip(raw.html)}`"
                fix = (
                    "Remove it: policies are published as text, and scripts would run in "
                    "readers' browsers (the site renders it inert)."
                )
                code = "unsafe-html"
            else:
                message = f"raw HTML in the Markdown: `{_clip(raw.html)}`"
                fix = (
                    "Write it in Markdown (emphasis, lists, tables, links); the site escapes HTML."
                )
                code = "raw-html"
            self.problems.append(Problem(code, path, message, fix, raw.line + offset))

    def _check_document(self, path: str, parsed: PolicyParse, base: Release | None) -> None:
        document = parsed.document
        if document is None:
            self.documents.append(
                DocumentStatus(
                    _doc(path), path, None, str(base.version) if base else None, "invalid"
                )
            )
            return
        releases = self.history.of(base.doc_id) if base else []
        self.problems += check_release(document, base, releases, self.settings, self.today)
        status = _status(document, base)
        if base is not None and status.state in ("release", "changed"):
            comparison = compare(
                base.document.body, document.body, vocabulary=self.settings.classify.vocabulary()
            )
            if status.state == "release":
                self.problems += check_declared_class(document, comparison)
            status = replace(
                status, detected=comparison.classification, reasons=top_reasons(comparison)
            )
        self.documents.append(status)


def _status(document: PolicyDocument, base: Release | None) -> DocumentStatus:
    front = document.front_matter
    if base is None:
        state = "new"
    elif front.version != base.version:
        state = "release"
    elif document.content_hash != base.content_hash or front != base.document.front_matter:
        state = "changed"
    else:
        state = "unchanged"
    renamed = base.path if base is not None and base.path != document.path else None
    return DocumentStatus(
        document.doc_id,
        document.path,
        str(front.version),
        str(base.version) if base else None,
        state,
        front.change.value,
        front.effective_date.isoformat(),
        renamed,
    )


def _most_similar(release: Release, paths: list[str], parses: dict[str, PolicyParse]) -> str | None:
    best, best_ratio = None, _RENAME_SIMILARITY
    old_lines = release.document.normalised_body.splitlines()
    for path in paths:
        body = parses[path].body
        if body is None:
            continue
        matcher = difflib.SequenceMatcher(None, old_lines, body.splitlines(), autojunk=False)
        if matcher.quick_ratio() > best_ratio and (ratio := matcher.ratio()) > best_ratio:
            best, best_ratio = path, ratio
    return best


def _doc(path: str) -> str:
    return Path(path).stem


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
