"""``notifier daily``: what a schedule runs once a day.

It rebuilds the site, so that an upcoming release becomes current on its effective date, and,
when ``reminder_days`` is set, sends the reminder e-mail of each material change that takes effect
within that many days. A reminder is a separate stream of deliveries of the same notice in the
ledger (channel ``reminder``): it is sent once per recipient however often the job runs, resumes
after an interruption, and appears in the proof of notice beside the first e-mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from notifier.frontmatter import ChangeClass
from notifier.ledger.queue import DeliveryQueue
from notifier.ledger.schema import notices as notices_table
from notifier.ledger.schema import releases as releases_table
from notifier.ledger.store import NoticeLedger
from notifier.notices import EMAIL, REMINDER, channels_for
from notifier.notify import open_ledger, prepare_release
from notifier.release import (
    People,
    ReleaseOutcome,
    outcomes_ok,
    publish_site,
    read_ledger_if_any,
    sample_people,
    send_release,
)
from notifier.releases import Release
from notifier.workspace import HistoryView, read_history

_UNFINISHED = ("pending", "claimed")  # "submitted" means the provider accepted it


@dataclass
class DailyRun:
    """What ``notifier daily`` did (or, in a dry run, would do)."""

    site: Path | None
    taking_effect: list[str]
    upcoming: list[str]
    reminders: list[ReleaseOutcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Every due reminder sent completely."""
        return outcomes_ok(self.reminders)


def run_daily(
    repo: Path,
    *,
    today: dt.date,
    channel: str = "outbox",
    people: People | None = None,
    dry_run: bool = False,
) -> DailyRun:
    """Rebuild the site for ``today`` and send the reminders that are due (see the module)."""
    view = read_history(repo)
    releases = list(view.history.all())
    run = DailyRun(
        site=None,
        taking_effect=[r.tag_name for r in releases if r.effective_date == today],
        upcoming=[r.tag_name for r in releases if r.effective_date > today],
        dry_run=dry_run,
    )
    due = _due(view, today)
    if dry_run:
        sent = read_ledger_if_any(view, _reminded_keys)
        noticed = read_ledger_if_any(view, _noticed)
        run.reminders = [_outcome(r, "would remind") for r in due if r.tag_name in noticed - sent]
        return run
    run.site = publish_site(view)
    if due:
        run.reminders = _remind(view, due, channel, people)
    return run


def _due(view: HistoryView, today: dt.date) -> list[Release]:
    """Material releases taking effect within ``reminder_days`` whose notice went by e-mail."""
    days = view.settings.reminder_days
    if not days or EMAIL not in channels_for(ChangeClass.MATERIAL, view.settings.channels):
        return []
    window = dt.timedelta(days=days)
    return [
        r
        for r in view.history.all()
        if r.change is ChangeClass.MATERIAL
        and r.effective_date - window <= today < r.effective_date
    ]


def _remind(
    view: HistoryView, due: list[Release], channel: str, people: People | None
) -> list[ReleaseOutcome]:
    people = people or sample_people(channel, where="notifier daily")
    outcomes = []
    with open_ledger(view.settings) as ledger:
        noticed = _noticed(ledger)
        for release in due:
            if release.tag_name not in noticed or _reminded(ledger, release.tag_name):
                continue
            outcome = _outcome(release, "reminded")
            outcome.email = send_release(prepare_release(view, release), channel, people, REMINDER)
            if not outcome.email.ok and outcome.email.stopped:
                outcome.action = "incomplete"
            outcomes.append(outcome)
    return outcomes


def _outcome(release: Release, action: str) -> ReleaseOutcome:
    return ReleaseOutcome(release.tag_name, release.change.value, action, (REMINDER,))


def _noticed(ledger: NoticeLedger) -> set[str]:
    """Releases announced by the release flow (adopted ones never were) with a stored notice."""
    with ledger.engine.connect() as connection:
        processed = connection.scalars(
            select(releases_table.c.key).where(releases_table.c.outcome == "processed")
        )
        stored = connection.scalars(select(notices_table.c.key))
        return set(processed) & set(stored)


def _reminded(ledger: NoticeLedger, key: str) -> bool:
    """Reminders already queued, and none left to send."""
    counts = DeliveryQueue(ledger, ledger.notice_id(key), REMINDER).counts()
    return bool(counts) and not any(counts.get(state) for state in _UNFINISHED)


def _reminded_keys(ledger: NoticeLedger) -> set[str]:
    with ledger.engine.connect() as connection:
        keys = connection.scalars(select(notices_table.c.key)).all()
    return {key for key in keys if _reminded(ledger, key)}
