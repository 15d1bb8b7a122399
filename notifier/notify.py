"""Library entry points for notices: prepare, preview, send, report and prove them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notifier.channels.base import Channel
from notifier.channels.render import EmailContent, Sender, render_email
from notifier.compare import compare
from notifier.config import Settings
from notifier.errors import UsageError
from notifier.frontmatter import Version
from notifier.ledger.store import NoticeLedger, default_url
from notifier.notices import REMINDER, Notice, notice_for
from notifier.recipients import Recipient, address_problem
from notifier.releases import Release
from notifier.sending import (
    Progress,
    SendOptions,
    SendReport,
    deliver,
    stage_recipients,
)
from notifier.workspace import HistoryView, read_history

ENV_DATABASE = "NOTIFIER_DATABASE_URL"
ENV_API_KEY = "SENDGRID_API_KEY"
ENV_API_URL = "SENDGRID_API_URL"
ENV_WEBHOOK_KEY = "SENDGRID_WEBHOOK_PUBLIC_KEY"
ENV_TOKEN_SECRET = "NOTIFIER_TOKEN_SECRET"


@dataclass(frozen=True)
class PreparedNotice:
    """A release turned into a notice, with the repository settings it was read with."""

    notice: Notice
    settings: Settings

    @property
    def sender(self) -> Sender:
        """Who the notice comes from."""
        sender = self.settings.sender
        return Sender(sender.email, sender.name, sender.address)

    def content(self, *, reminder: bool = False) -> EmailContent:
        """The notice rendered as an e-mail, with the repository's templates if any."""
        return render_email(
            self.notice,
            self.sender,
            self.settings.root / self.settings.templates_dir,
            reminder=reminder,
        )


def prepare_release(view: HistoryView, release: Release) -> PreparedNotice:
    """The notice of ``release``, compared with the release before it."""
    releases = view.history.of(release.doc_id)
    index = next(i for i, r in enumerate(releases) if r.commit == release.commit)
    before = releases[index - 1].document.body if index else ""
    comparison = compare(
        before, release.document.body, vocabulary=view.settings.classify.vocabulary()
    )
    site_url = view.settings.site_url or "https://policies.example.com/"
    return PreparedNotice(notice_for(release, comparison, site_url=site_url), view.settings)


def prepare(repo: Path, spec: str) -> PreparedNotice:
    """The notice of release ``DOC@VERSION`` of the repository at ``repo``."""
    doc, at, version = spec.partition("@")
    if not at or not doc or not version:
        raise UsageError(
            f"'{spec}' is not DOC@VERSION",
            where="NOTICE",
            fix="Name the release, e.g. `privacy@1.1` (see `notifier history`).",
        )
    view = read_history(repo)
    releases = view.history.of(doc)
    for release in releases:
        if release.version == Version(version):
            return prepare_release(view, release)
    known = ", ".join(f"{doc}@{r.version}" for r in releases) or "none"
    raise UsageError(
        f"no release {spec}", where=view.history.ref, fix=f"Releases of '{doc}': {known}."
    )


def repository_settings(repo: Path) -> Settings:
    """The settings of the repository at ``repo``."""
    from notifier.config import load_settings
    from notifier.history import PolicyRepository

    with PolicyRepository(repo) as repository:
        return load_settings(repository.root)


def write_preview(prepared: PreparedNotice, folder: Path) -> list[Path]:
    """Write ``email.html``, ``email.txt`` and ``email.eml`` of the notice into ``folder``."""
    import email.policy

    from notifier.channels.outbox import build_message

    content = prepared.content()
    folder.mkdir(parents=True, exist_ok=True)
    message = build_message(content, prepared.sender, "recipient@example.com", prepared.notice, 0)
    files = {
        "email.html": content.html.encode("utf-8"),
        "email.txt": f"Subject: {content.subject}\n\n{content.text}".encode(),
        "email.eml": message.as_bytes(policy=email.policy.SMTP),
    }
    written = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return written


def ledger_url(settings: Settings) -> str:
    """``NOTIFIER_DATABASE_URL``, else ``ledger_url`` in the configuration, else SQLite."""
    return os.environ.get(ENV_DATABASE) or settings.ledger_url or default_url(settings.state_path)


def open_ledger(settings: Settings) -> NoticeLedger:
    """The ledger of this repository."""
    return NoticeLedger.open(ledger_url(settings))


def make_channel(name: str, prepared: PreparedNotice) -> Channel:
    """The ``outbox`` or ``sendgrid`` channel, configured from settings and environment."""
    if name == "outbox":
        from notifier.channels.outbox import OutboxChannel

        return OutboxChannel(prepared.settings.state_path / "outbox", prepared.sender)
    if name == "sendgrid":
        from notifier.channels.sendgrid import DEFAULT_API_URL, SendGridChannel, SendGridSettings

        key = os.environ.get(ENV_API_KEY, "")
        if not key:
            raise UsageError(
                f"{ENV_API_KEY} is not set",
                where="environment",
                fix="Export the API key (in CI, from the secrets store), or use --channel outbox.",
            )
        options = prepared.settings.sendgrid
        settings = SendGridSettings(
            api_key=key,
            api_url=os.environ.get(ENV_API_URL) or DEFAULT_API_URL,
            timeout=float(options.timeout),
            category=options.category,
            asm_group_id=options.asm_group_id or None,
            sandbox=options.sandbox,
            max_retries=options.max_retries,
            backoff_base=float(options.backoff),
        )
        return SendGridChannel(settings, prepared.sender)
    raise UsageError(f"unknown channel '{name}'", where="--channel", fix="Use outbox or sendgrid.")


@dataclass(frozen=True)
class DryRun:
    """What a send would do, computed without writing anything."""

    notice: Notice
    subject: str
    read: int
    valid: int
    invalid: int


def dry_run(prepared: PreparedNotice, people: Iterable[Recipient]) -> DryRun:
    """Validate the recipients and render the notice, writing nothing."""
    read = invalid = 0
    for person in people:
        read += 1
        invalid += address_problem(person.email) is not None
    content = prepared.content()
    return DryRun(prepared.notice, content.subject, read, read - invalid, invalid)


def send(
    prepared: PreparedNotice,
    people: Iterable[Recipient],
    channel: Channel,
    options: SendOptions,
    progress: Progress | None = None,
) -> SendReport:
    """Queue ``people`` for the notice and deliver every pending e-mail (resumable)."""
    content = prepared.content(reminder=options.stream == REMINDER)
    report = SendReport(prepared.notice.key, channel.name)
    with open_ledger(prepared.settings) as ledger:
        notice_id = ledger.save_notice(prepared.notice)
        with ledger.intake(notice_id, options.stream, options.batch_size) as intake:
            try:
                stage_recipients(intake, people, progress)
            except UsageError as exc:
                fix = exc.fix.rstrip()
                stop = "" if not fix or fix.endswith(".") else "."
                fix += stop + " Nothing was queued or sent."
                raise UsageError(exc.what, where=exc.where, fix=fix.lstrip()) from None
            deliver(ledger, prepared.notice, content, channel, options, report, progress, intake)
    return report


def web_app(settings: Settings) -> Any:
    """The ASGI app of ``notifier serve`` for this repository's ledger."""
    from notifier.web.app import create_app
    from notifier.webhook import WebhookVerifier

    key = os.environ.get(ENV_WEBHOOK_KEY, "").strip()
    secret = os.environ.get(ENV_TOKEN_SECRET, "")
    inapp = inapp_settings(settings, secret) if secret else None
    return create_app(open_ledger(settings), WebhookVerifier(key) if key else None, inapp)


def inapp_settings(settings: Settings, secret: str) -> Any:
    """The notice API's settings: token checks, and which classes the app shows."""
    from notifier.notices import DEFAULT_CHANNELS, INAPP
    from notifier.web.notices_api import InAppSettings
    from notifier.web.tokens import TokenSettings

    if len(secret) < 32:
        raise UsageError(
            f"{ENV_TOKEN_SECRET} is too short",
            where="environment",
            fix="Use a random secret of at least 32 characters.",
        )
    channels = {**{k: list(v) for k, v in DEFAULT_CHANNELS.items()}, **settings.channels}
    shown = frozenset(cls for cls, names in channels.items() if INAPP in names)
    options = settings.inapp
    return InAppSettings(
        TokenSettings(secret, audience=options.audience, max_lifetime=options.token_lifetime),
        classes=shown,
        acknowledge=frozenset(options.acknowledge),
        allowed_origins=options.allowed_origins,
    )
