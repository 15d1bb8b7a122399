"""A policy repository as configured: settings plus its release history (library entry points)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from notifier.config import Settings, load_settings
from notifier.errors import PolicyError, UsageError
from notifier.frontmatter import Version
from notifier.history import PolicyRepository, ReleaseHistory, TagAction
from notifier.policy import decode_policy
from notifier.vocabulary import Vocabulary


@dataclass(frozen=True)
class HistoryView:
    """The release history of a repository, with the settings it was read with."""

    settings: Settings
    history: ReleaseHistory


def read_history(path: Path, *, ref: str | None = None) -> HistoryView:
    """Read the releases on ``ref`` (default: the configured release branch)."""
    with PolicyRepository(path) as repository:
        settings = load_settings(repository.root)
        ref = ref or repository.release_ref(settings.release_branch)
        return HistoryView(settings, repository.history(settings.policy_dir, ref))


def resolve_document(view: HistoryView, name: str, cwd: Path) -> str:
    """Accept a document id (``privacy``) or a policy path (``policy/privacy.md``)."""
    if name in view.history.releases:
        return name
    candidate = (cwd / name).resolve()
    root = view.settings.root
    if name.endswith(".md") or "/" in name:
        if not candidate.is_relative_to(root):
            raise UsageError(
                "path is outside the repository",
                where=name,
                fix=f"Give a policy inside {root}, or its document id.",
            )
        stem = candidate.stem
        if stem in view.history.releases:
            return stem
    known = ", ".join(view.history.documents) or "none yet"
    raise UsageError(
        f"no released policy named '{name}'", where=view.history.ref, fix=f"Use one of: {known}."
    )


def tag_releases(
    path: Path, *, ref: str | None, dry_run: bool, push: str | None
) -> list[TagAction]:
    """Create the missing ``<doc>/<version>`` tags (and push them to ``push`` if given)."""
    with PolicyRepository(path) as repository:
        settings = load_settings(repository.root)
        ref = ref or repository.release_ref(settings.release_branch)
        history = repository.history(settings.policy_dir, ref)
        actions = repository.tag_releases(history, dry_run=dry_run)
        if push and not dry_run:
            repository.push_tags(push, [a.name for a in actions if a.action == "created"])
        return actions


@dataclass(frozen=True)
class VersionText:
    """One side of ``notifier diff``: what it was given as, and the text."""

    label: str
    text: str


_DOC_AT_VERSION = re.compile(r"^([a-z0-9][a-z0-9-]*)@(\d+(?:\.\d+)*)$")


def load_version(spec: str, *, repo: Path, cwd: Path) -> VersionText:
    """Read a version given as a file path, ``DOC@VERSION`` or ``REV:PATH``."""
    file = cwd / spec
    if file.is_file():
        return VersionText(spec, _decode(file.read_bytes(), spec))
    match = _DOC_AT_VERSION.match(spec)
    if match:
        return VersionText(spec, _released_text(match.group(1), match.group(2), repo))
    rev, colon, path = spec.partition(":")
    if colon and rev and path:
        with PolicyRepository(repo) as repository:
            return VersionText(
                spec, _decode(repository.read_blob(repository.resolve(rev), path), spec)
            )
    raise UsageError(
        f"'{spec}' is not a file, DOC@VERSION or REV:PATH",
        where=str(cwd),
        fix="Give a file path, a release such as `privacy@1.0`, or a revision and "
        "path such as `main:policy/privacy.md`.",
    )


def _released_text(doc: str, version: str, repo: Path) -> str:
    with PolicyRepository(repo) as repository:
        settings = load_settings(repository.root)
        history = repository.history(
            settings.policy_dir, repository.release_ref(settings.release_branch)
        )
        for release in history.of(doc):
            if release.version == Version(version):
                return _decode(
                    repository.read_blob(release.commit, release.path), f"{doc}@{version}"
                )
        known = ", ".join(str(r.version) for r in history.of(doc)) or "none"
        raise UsageError(
            f"no release {version} of '{doc}'",
            where=history.ref,
            fix=f"Released versions of '{doc}': {known}.",
        )


def _decode(data: bytes, label: str) -> str:
    text, problems = decode_policy(data, label)
    if text is None:
        raise PolicyError(problems[0].message, where=problems[0].location, fix=problems[0].fix)
    return text


def vocabulary_for(repo: Path) -> Vocabulary:
    """The classifier vocabulary of the repository at ``repo`` (the defaults outside one)."""
    try:
        with PolicyRepository(repo) as repository:
            return load_settings(repository.root).classify.vocabulary()
    except UsageError:
        return Vocabulary.default()
