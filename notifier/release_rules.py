"""The rules a new or changed policy must follow against its last release.

Each rule returns problems that name the front-matter key and line and say what to write instead.
"""

from __future__ import annotations

import datetime as dt

from notifier.compare import Comparison
from notifier.config import Settings
from notifier.frontmatter import ChangeClass
from notifier.policy import PolicyDocument
from notifier.problems import Problem
from notifier.releases import Release


def check_release(
    document: PolicyDocument,
    base: Release | None,
    releases: list[Release],
    settings: Settings,
    today: dt.date,
) -> list[Problem]:
    """Problems of ``document`` (the working tree) against ``base``, its last release."""
    if base is None:
        return _first_release(document)
    front = document.front_matter
    if front.version == base.version:
        return _same_version(document, base)
    problems = _version_order(document, base, releases)
    problems += _new_release(document, base, settings, today)
    return problems


def _problem(document: PolicyDocument, code: str, key: str, message: str, fix: str) -> Problem:
    return Problem(code, document.path, message, fix, document.line_of(key), key)


def _first_release(document: PolicyDocument) -> list[Problem]:
    change = document.front_matter.change
    if change is ChangeClass.INITIAL:
        return []
    return [
        _problem(
            document,
            "first-release-class",
            "change",
            f"this is the first release of '{document.doc_id}' but change is '{change.value}'",
            "Declare `change: initial` for a first release.",
        )
    ]


def _same_version(document: PolicyDocument, base: Release) -> list[Problem]:
    version = document.front_matter.version
    if document.content_hash != base.content_hash:
        return [
            _problem(
                document,
                "version-not-raised",
                "version",
                f"the text changed since release {version} but the version did not",
                f"Raise `version` (e.g. to {_next(str(version))}) and update "
                "effective_date, summary and change for the new release.",
            )
        ]
    changed = _changed_keys(document, base)
    if changed:
        return [
            _problem(
                document,
                "released-front-matter-changed",
                changed[0],
                f"release {version} is published; its {', '.join(changed)} changed",
                f"Restore the released values, or make a new release "
                f"(version {_next(str(version))}).",
            )
        ]
    return []


def _changed_keys(document: PolicyDocument, base: Release) -> list[str]:
    new, old = document.front_matter, base.document.front_matter
    keys = ["title", "effective_date", "summary", "change", "change_justification"]
    return [key for key in keys if getattr(new, key) != getattr(old, key)]


def _version_order(
    document: PolicyDocument, base: Release, releases: list[Release]
) -> list[Problem]:
    version = document.front_matter.version
    earlier = next((r for r in releases if r.version == version), None)
    if earlier is not None:
        return [
            _problem(
                document,
                "duplicate-version",
                "version",
                f"version {version} was already released in commit {earlier.commit[:12]}",
                f"Use a version above {base.version}, e.g. {_next(str(base.version))}.",
            )
        ]
    if version < base.version:
        return [
            _problem(
                document,
                "version-backwards",
                "version",
                f"version {version} is lower than the last release {base.version}",
                f"Use a version above {base.version}, e.g. {_next(str(base.version))}.",
            )
        ]
    return []


def _new_release(
    document: PolicyDocument, base: Release, settings: Settings, today: dt.date
) -> list[Problem]:
    front = document.front_matter
    problems = []
    if front.change is ChangeClass.INITIAL:
        problems.append(
            _problem(
                document,
                "initial-not-first",
                "change",
                f"'{document.doc_id}' was released before, so this is not its initial release",
                "Declare none, editorial or material.",
            )
        )
    if front.effective_date < base.effective_date:
        problems.append(
            _problem(
                document,
                "effective-date-backwards",
                "effective_date",
                f"effective_date {front.effective_date} is before the last "
                f"release's ({base.effective_date})",
                f"Use {base.effective_date} or later.",
            )
        )
    if front.summary == base.summary:
        problems.append(
            _problem(
                document,
                "summary-not-updated",
                "summary",
                "the summary is the previous release's",
                "Describe what this release changes, for readers.",
            )
        )
    if front.change is ChangeClass.MATERIAL:
        problems += _notice_period(document, settings.notice_period_days, today)
    return problems


def _notice_period(document: PolicyDocument, days: int, today: dt.date) -> list[Problem]:
    earliest = today + dt.timedelta(days=days)
    effective = document.front_matter.effective_date
    if effective >= earliest:
        return []
    return [
        _problem(
            document,
            "notice-period",
            "effective_date",
            f"a material change needs {days} days' notice: effective_date {effective} is "
            f"{(effective - today).days} days from today ({today})",
            f"Set effective_date to {earliest} or later.",
        )
    ]


def top_reasons(comparison: Comparison, limit: int = 5) -> tuple[str, ...]:
    """The reasons behind the detected class, most important first."""
    top = comparison.change_class
    reasons = [r for c in comparison.changes if c.classification is top for r in c.reasons]
    more = [f"... and {len(reasons) - limit} more"] if len(reasons) > limit else []
    return (*reasons[:limit], *more)


def check_declared_class(document: PolicyDocument, comparison: Comparison) -> list[Problem]:
    """A declared class lower than the detected one fails, unless a justification is given."""
    front = document.front_matter
    detected = comparison.change_class
    if front.change.rank >= detected.rank:
        return []
    reasons = "; ".join(top_reasons(comparison, limit=3))
    message = (
        f"declared change '{front.change.value}' but the change looks '{detected.value}': {reasons}"
    )
    if front.change_justification:
        return [
            Problem(
                "class-override",
                document.path,
                f"{message}. Justification given: {front.change_justification}",
                "Reviewers: confirm the justification.",
                document.line_of("change"),
                "change",
                severity="notice",
            )
        ]
    return [
        _problem(
            document,
            "declared-class-too-low",
            "change",
            message,
            f"Declare `change: {detected.value}`, or explain in `change_justification` "
            "why the detected class is wrong.",
        )
    ]


def _next(version: str) -> str:
    parts = version.split(".")
    if len(parts) == 1:
        parts.append("0")
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)
