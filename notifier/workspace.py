"""A policy repository as configured: settings plus its release history (library entry points)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from notifier.config import Settings, load_settings
from notifier.errors import UsageError
from notifier.history import PolicyRepository, ReleaseHistory, TagAction


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
