"""A notice: what users are told about one release, built once from the release and its diff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from notifier.compare import Comparison
from notifier.frontmatter import ChangeClass
from notifier.releases import Release

EMAIL = "email"
INAPP = "inapp"
REMINDER = "reminder"  # the e-mail sent some days before a material change takes effect
ADDRESSED_CHANNELS = (EMAIL, REMINDER)  # the ledger channels that go to an address
CHANNELS = (EMAIL, INAPP)
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "material": (EMAIL, INAPP),
    "initial": (),
    "editorial": (INAPP,),
    "none": (),
}


@dataclass(frozen=True)
class Notice:
    """One release as announced to users (the same for every channel and recipient)."""

    key: str  # "<doc>/<version>"
    document: str
    version: str
    title: str
    change_class: str
    summary: str
    effective_date: dt.date
    content_hash: str
    text_url: str
    redline_url: str
    commit: str
    material_changes: tuple[str, ...] = field(default_factory=tuple)


def long_date(day: dt.date) -> str:
    """``1 March 2026``: how dates are written for readers."""
    return f"{day.day} {day:%B %Y}"


def notice_for(release: Release, comparison: Comparison, *, site_url: str) -> Notice:
    """The notice of ``release``; ``comparison`` is against the release before it."""
    base = site_url.rstrip("/")
    path = f"{release.doc_id}/{release.version}/"
    reasons = tuple(r for change in comparison.material_changes for r in change.reasons)
    return Notice(
        key=f"{release.doc_id}/{release.version}",
        document=release.doc_id,
        version=str(release.version),
        title=release.title,
        change_class=release.change.value,
        summary=release.summary,
        effective_date=release.effective_date,
        content_hash=release.content_hash,
        text_url=f"{base}/{path}",
        redline_url=f"{base}/{path}changes/",
        commit=release.commit,
        material_changes=reasons,
    )


def channels_for(
    change_class: ChangeClass | str,
    configured: dict[str, list[str]] | None = None,
) -> tuple[str, ...]:
    """Which channels a class of change is announced on (configuration overrides defaults)."""
    value = change_class.value if isinstance(change_class, ChangeClass) else change_class
    if configured and value in configured:
        return tuple(configured[value])
    return DEFAULT_CHANNELS.get(value, ())
