"""``notifier release``: the one command CI runs after a merge to main.

It tags the releases, builds the site, and for every release it has not processed yet creates
the notice, sends the e-mails its class requires and publishes it to the in-app API; then it
records the release as processed in the ledger. Running it again does nothing more; interrupted
at any point, running it again completes the work (tags and the site are rebuilt as they are,
and sending resumes where it stopped).

On the very first run (an empty ledger), releases that took effect before today are recorded as
*adopted*: a repository that starts using policy-notifier does not e-mail its users about old
changes.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from notifier.errors import NotifierError, UsageError
from notifier.ledger.schema import releases as releases_table
from notifier.ledger.store import NoticeLedger, utcnow
from notifier.notices import EMAIL, INAPP, channels_for
from notifier.notify import (
    PreparedNotice,
    ledger_url,
    make_channel,
    open_ledger,
    prepare_release,
    send,
)
from notifier.recipients import Recipient, read_recipients
from notifier.releases import Release
from notifier.sending import SendOptions, SendReport
from notifier.workspace import HistoryView, read_history

People = Callable[[], Iterable[Recipient]]


@dataclass
class ReleaseOutcome:
    """What happened to one release in this run."""

    key: str
    change: str
    action: str  # "adopted", "processed", "would process", "would adopt", "incomplete"
    channels: tuple[str, ...] = ()
    email: SendReport | None = None


def outcomes_ok(outcomes: list[ReleaseOutcome]) -> bool:
    """Every release (or reminder) complete and every e-mail accepted."""
    return all(o.action != "incomplete" and (o.email is None or o.email.ok) for o in outcomes)


@dataclass
class ReleaseRun:
    """What ``notifier release`` did."""

    tags_created: list[str] = field(default_factory=list)
    site: Path | None = None
    releases: list[ReleaseOutcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Every release processed and every e-mail accepted."""
        return outcomes_ok(self.releases)


def sample_recipients() -> Path:
    """The sample recipients used with the outbox when none are configured."""
    return Path(str(resources.files("notifier").joinpath("data/sample-recipients.csv")))


def sample_people(channel: str, *, where: str) -> People:
    """The sample recipients, read lazily per notice; only the outbox may use them."""
    if channel != "outbox":
        raise UsageError(
            "no recipients for SendGrid",
            where=where,
            fix="Give --recipients or --recipients-sql (the sample recipients "
            "are only used with the outbox).",
        )
    sample = sample_recipients()
    return lambda: read_recipients(sample)


def run_release(
    repo: Path,
    *,
    channel: str,
    people: People | None,
    today: dt.date,
    dry_run: bool = False,
    build_site: bool = True,
) -> ReleaseRun:
    """Process the releases on the release branch (see the module docstring)."""
    view = read_history(repo)
    run = ReleaseRun(dry_run=dry_run)
    people = people or sample_people(channel, where="notifier release")
    if dry_run:
        done = _processed_without_writing(view)
        run.tags_created = _tag(repo, dry_run=True)
        for release in _pending(view, done):
            adopt = not done and release.effective_date < today
            channels = () if adopt else channels_for(release.change, view.settings.channels)
            action = "would adopt" if adopt else "would process"
            run.releases.append(
                ReleaseOutcome(release.tag_name, release.change.value, action, channels)
            )
        return run
    with open_ledger(view.settings) as ledger:
        done = _processed(ledger)
        run.tags_created = _tag(repo, dry_run=False)
        if build_site:
            run.site = publish_site(view)
        for release in _pending(view, done):
            adopt = not done and release.effective_date < today
            run.releases.append(_process(ledger, view, release, adopt, channel, people))
    return run


def _pending(view: HistoryView, done: set[str]) -> list[Release]:
    pending = [r for r in view.history.all() if r.tag_name not in done]
    return sorted(pending, key=lambda r: (r.date, r.doc_id))


def _processed_without_writing(view: HistoryView) -> set[str]:
    """The processed releases, for a dry run."""
    return read_ledger_if_any(view, _processed)


def read_ledger_if_any(view: HistoryView, read: Callable[[NoticeLedger], set[str]]) -> set[str]:
    """``read`` the ledger for a dry run: creates no ledger and migrates nothing.

    A missing ledger, or one from before the release flow, has nothing to report yet.
    """
    url = ledger_url(view.settings)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return set()
    ledger = NoticeLedger.open(url, migrate=False)
    try:
        return read(ledger)
    except SQLAlchemyError:
        return set()
    finally:
        ledger.close()


def _processed(ledger: NoticeLedger) -> set[str]:
    with ledger.engine.connect() as connection:
        return set(connection.scalars(select(releases_table.c.key)))


def _tag(repo: Path, dry_run: bool) -> list[str]:
    from notifier.workspace import tag_releases

    actions = tag_releases(repo, ref=None, dry_run=dry_run, push=None)
    return [a.name for a in actions if a.action in ("created", "would create")]


def publish_site(view: HistoryView) -> Path | None:
    """Build the site into the state folder (``None`` without ``mkdocs.yml``)."""
    root = view.settings.root
    if not (root / "mkdocs.yml").is_file():
        return None
    target = view.settings.state_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(target)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    if result.returncode != 0:
        raise NotifierError(
            "the site did not build",
            where=str(root / "mkdocs.yml"),
            fix="Run `mkdocs build --strict` to see why: "
            + (result.stderr.strip().splitlines() or [""])[-1],
        )
    return target


def _process(
    ledger: NoticeLedger,
    view: HistoryView,
    release: Release,
    adopt: bool,
    channel: str,
    people: People,
) -> ReleaseOutcome:
    channels = channels_for(release.change, view.settings.channels)
    if adopt:
        _record(ledger, release, "adopted")
        return ReleaseOutcome(release.tag_name, release.change.value, "adopted")
    prepared = prepare_release(view, release)
    outcome = ReleaseOutcome(release.tag_name, release.change.value, "processed", channels)
    if EMAIL in channels or INAPP in channels:
        ledger.save_notice(prepared.notice)  # the in-app API shows it from now on
    if EMAIL in channels:
        outcome.email = send_release(prepared, channel, people)
        if not outcome.email.ok and outcome.email.stopped:
            outcome.action = "incomplete"
            return outcome
    _record(ledger, release, "processed")
    return outcome


def send_release(
    prepared: PreparedNotice, channel: str, people: People, stream: str = EMAIL
) -> SendReport:
    """Queue ``people`` and send the notice's e-mails (``stream``: the notice or its reminder)."""
    options = SendOptions(
        batch_size=prepared.settings.sendgrid.batch_size,
        threads=prepared.settings.sendgrid.threads,
        stream=stream,
    )
    return send(prepared, people(), make_channel(channel, prepared), options)


def _record(ledger: NoticeLedger, release: Release, outcome: str) -> None:
    with ledger.engine.begin() as connection:
        exists = connection.scalar(
            select(func.count()).where(releases_table.c.key == release.tag_name)
        )
        if not exists:
            connection.execute(
                insert(releases_table).values(
                    key=release.tag_name,
                    commit=release.commit,
                    outcome=outcome,
                    processed_at=utcnow(),
                )
            )
