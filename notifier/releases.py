"""Releases and the release history: plain data, read from git by :mod:`notifier.history`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from notifier.frontmatter import ChangeClass, Version
from notifier.policy import PolicyDocument
from notifier.problems import Problem


@dataclass(frozen=True)
class Release:
    """One release of one policy: the commit where its version changed, and what it declares."""

    doc_id: str
    version: Version
    effective_date: dt.date
    commit: str
    author: str
    date: dt.datetime
    change: ChangeClass
    summary: str
    content_hash: str
    path: str
    document: PolicyDocument = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        """The policy's title at this release."""
        return self.document.front_matter.title

    @property
    def tag_name(self) -> str:
        """The annotated tag that marks this release on the git host."""
        return f"{self.doc_id}/{self.version}"

    def is_upcoming(self, today: dt.date) -> bool:
        """Merged, but its effective date is still in the future."""
        return self.effective_date > today

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (without the text)."""
        return {
            "document": self.doc_id,
            "version": str(self.version),
            "title": self.title,
            "effective_date": self.effective_date.isoformat(),
            "change": self.change.value,
            "summary": self.summary,
            "commit": self.commit,
            "author": self.author,
            "date": self.date.isoformat(),
            "path": self.path,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class ReleaseHistory:
    """Every release of every policy on one ref, oldest first, plus what looked wrong."""

    ref: str
    commit: str | None
    releases: dict[str, list[Release]]
    problems: list[Problem]

    @property
    def documents(self) -> list[str]:
        """The document ids, sorted."""
        return sorted(self.releases)

    def of(self, doc_id: str) -> list[Release]:
        """Releases of one document, oldest first (empty if unknown)."""
        return self.releases.get(doc_id, [])

    def latest(self, doc_id: str) -> Release | None:
        """The most recent release, upcoming or not."""
        releases = self.of(doc_id)
        return releases[-1] if releases else None

    def current(self, doc_id: str, today: dt.date) -> Release | None:
        """The release in effect on ``today``."""
        effective = [release for release in self.of(doc_id) if not release.is_upcoming(today)]
        return effective[-1] if effective else None

    def upcoming(self, doc_id: str, today: dt.date) -> list[Release]:
        """Merged releases that take effect after ``today``."""
        return [release for release in self.of(doc_id) if release.is_upcoming(today)]

    def status(self, release: Release, today: dt.date) -> str:
        """``upcoming``, ``current`` or ``superseded`` on ``today``."""
        if release.is_upcoming(today):
            return "upcoming"
        current = self.current(release.doc_id, today)
        return (
            "current" if current is not None and current.commit == release.commit else "superseded"
        )

    def all(self) -> Iterator[Release]:
        """Every release of every document, by document then age."""
        for doc_id in self.documents:
            yield from self.of(doc_id)
