"""The ``notifier`` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from notifier import __version__
from notifier.command_options import (
    lazy_recipients,
    recipient_options,
    recipient_source,
    today_option,
)
from notifier.errors import NotifierError

FORMATS_CHECK = click.Choice(["text", "markdown", "json"])
FORMATS_DATA = click.Choice(["text", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="notifier")
@click.option(
    "--repo",
    "repo",
    type=click.Path(path_type=Path),
    default=".",
    help="The policy repository (default: the current folder).",
)
@click.pass_context
def cli(ctx: click.Context, repo: Path) -> None:
    """Versioned legal policies: check changes, publish releases, notify users."""
    ctx.obj = repo


@cli.command()
@click.option("--base", help="Compare with this ref instead of the release branch.")
@click.option("--format", "fmt", type=FORMATS_CHECK, default="text", show_default=True)
@click.option("--today", help="Pretend today is this date (YYYY-MM-DD).")
@click.pass_obj
def check(repo: Path, base: str | None, fmt: str, today: str | None) -> None:
    """Validate every policy against its last release (the pull-request gate).

    Exit 0 when clean, 1 when there are problems, 2 on usage errors.
    """
    from notifier import reports
    from notifier.check import check_repository

    report = check_repository(repo, base=base, today=today_option(today))
    if fmt == "json":
        click.echo(reports.to_json(report.to_dict()), nl=False)
    else:
        render = reports.check_markdown if fmt == "markdown" else reports.check_text
        click.echo(render(report), nl=False)
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.argument("doc", required=False)
@click.option("--ref", help="Read releases from this ref instead of the release branch.")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.option("--today", help="Pretend today is this date (YYYY-MM-DD).")
@click.pass_obj
def history(repo: Path, doc: str | None, ref: str | None, fmt: str, today: str | None) -> None:
    """List the releases of every policy (or of DOC) read from git."""
    from notifier import reports
    from notifier.workspace import read_history, resolve_document

    view = read_history(repo, ref=ref)
    doc_id = resolve_document(view, doc, Path.cwd()) if doc else None
    render = reports.history_json if fmt == "json" else reports.history_text
    click.echo(render(view.history, today_option(today), doc_id), nl=False)
    sys.exit(1 if view.history.problems else 0)


@cli.command()
@click.option("--ref", help="Tag the releases on this ref instead of the release branch.")
@click.option("--dry-run", is_flag=True, help="Show the tags that would be created.")
@click.option("--push", "remote", help="Push the new tags to this remote (e.g. origin).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.pass_obj
def tag(repo: Path, ref: str | None, dry_run: bool, remote: str | None, fmt: str) -> None:
    """Create annotated tags <doc>/<version> for every release (idempotent)."""
    from notifier import reports
    from notifier.workspace import tag_releases

    actions = tag_releases(repo, ref=ref, dry_run=dry_run, push=remote)
    click.echo((reports.tags_json if fmt == "json" else reports.tags_text)(actions), nl=False)


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "html"]),
    default="text",
    show_default=True,
)
@click.pass_obj
def diff(repo: Path, old: str, new: str, fmt: str) -> None:
    """Show what changed from OLD to NEW and whether it is editorial or material.

    OLD and NEW are file paths, releases (privacy@1.0) or revisions (main:policy/privacy.md).
    """
    from notifier import redline, reports
    from notifier.compare import compare
    from notifier.workspace import load_version, vocabulary_for

    cwd = Path.cwd()
    before = load_version(old, repo=repo, cwd=cwd)
    after = load_version(new, repo=repo, cwd=cwd)
    comparison = compare(before.text, after.text, vocabulary=vocabulary_for(repo))
    if fmt == "json":
        data = dict(comparison.to_dict(), old=before.label, new=after.label)
        click.echo(reports.to_json(data), nl=False)
    elif fmt == "markdown":
        click.echo(redline.redline_markdown(comparison), nl=False)
    elif fmt == "html":
        title = f"{before.label} -> {after.label}"
        click.echo(redline.redline_html_page(comparison, title=title), nl=False)
    else:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(redline.redline_text(comparison, colour=colour), nl=False, color=colour)


@cli.command()
@click.argument("notice", metavar="DOC@VERSION")
@click.option(
    "--recipients",
    "recipients_path",
    type=click.Path(path_type=Path),
    help="CSV or JSONL file with an `email` column (optional: id, name, locale).",
)
@click.option("--recipients-sql", help="SQL query returning the recipients (with --source-url).")
@click.option("--source-url", help="SQLAlchemy URL of the application's database.")
@click.option(
    "--channel", type=click.Choice(["outbox", "sendgrid"]), default="outbox", show_default=True
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Requests in flight at once (default: sendgrid.threads).",
)
@click.option(
    "--unknown",
    type=click.Choice(["resend", "hold"]),
    default="resend",
    show_default=True,
    help="What to do with batches whose outcome is unknown.",
)
@click.option(
    "--lease-seconds",
    type=click.IntRange(1),
    default=600,
    show_default=True,
    help="After this long without a heartbeat, another worker's claims are taken over.",
)
@click.option("--dry-run", is_flag=True, help="Validate and render; send and record nothing.")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.pass_obj
def send(
    repo: Path,
    notice: str,
    recipients_path: Path | None,
    recipients_sql: str | None,
    source_url: str | None,
    channel: str,
    workers: int | None,
    unknown: str,
    lease_seconds: int,
    dry_run: bool,
    fmt: str,
) -> None:
    """Send the e-mail notice of release DOC@VERSION to recipients (resumable).

    Exit 0 when every e-mail was accepted, 1 when some failed or the run stopped early.
    """
    from notifier import delivery_reports, notify, reports
    from notifier.sending import SendOptions

    people = recipient_source(recipients_path, recipients_sql, source_url)
    prepared = notify.prepare(repo, notice)
    if dry_run:
        result = notify.dry_run(prepared, people)
        click.echo(
            delivery_reports.dry_run_text(result)
            if fmt == "text"
            else reports.to_json(delivery_reports.dry_run_dict(result)),
            nl=False,
        )
        return
    options = SendOptions(
        batch_size=prepared.settings.sendgrid.batch_size,
        threads=workers or prepared.settings.sendgrid.threads,
        lease=dt.timedelta(seconds=lease_seconds),
        unknown=unknown,
    )
    target = notify.make_channel(channel, prepared)
    with delivery_reports.SendProgress(enabled=fmt == "text" and sys.stderr.isatty()) as progress:
        report = notify.send(prepared, people, target, options, progress.update)
    _finish(fmt, delivery_reports.send_text, delivery_reports.send_dict, report)


@cli.command()
@click.argument("notice", metavar="DOC@VERSION")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to write to (default: <state_dir>/preview/<doc>-<version>).",
)
@click.pass_obj
def preview(repo: Path, notice: str, output: Path | None) -> None:
    """Write the rendered e-mail of release DOC@VERSION (HTML, text, .eml) to a folder."""
    from notifier import notify

    prepared = notify.prepare(repo, notice)
    folder = output or prepared.settings.state_path / "preview" / notice.replace("@", "-")
    written = notify.write_preview(prepared, folder)
    for path in written:
        click.echo(str(path))


@cli.command()
@click.argument("notice", metavar="DOC@VERSION")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.pass_obj
def report(repo: Path, notice: str, fmt: str) -> None:
    """Show how the notice of DOC@VERSION was delivered: counts per state and failures."""
    from notifier import delivery_reports, notify, reports
    from notifier.ledger.proof import notice_report

    with notify.open_ledger(notify.repository_settings(repo)) as ledger:
        result = notice_report(ledger, notice.replace("@", "/"))
    click.echo(
        delivery_reports.notice_report_text(result)
        if fmt == "text"
        else reports.to_json(result.to_dict()),
        nl=False,
    )


@cli.command()
@click.option("--notice", "notice", metavar="DOC@VERSION", help="Proof for one notice.")
@click.option("--user", help="Proof for one user (application user id or address).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def proof(repo: Path, notice: str | None, user: str | None, fmt: str, output: Path | None) -> None:
    """Export proof of notice: who, which version and hash, channel, when, provider id, events."""
    from notifier import delivery_reports, notify
    from notifier.errors import UsageError
    from notifier.ledger.proof import proof_rows

    if not notice and not user:
        raise UsageError("nothing to prove", where="proof", fix="Give --notice or --user.")
    with notify.open_ledger(notify.repository_settings(repo)) as ledger:
        rows = proof_rows(ledger, notice=notice.replace("@", "/") if notice else None, user=user)
        with delivery_reports.open_output(output) as stream:
            count = delivery_reports.write_proof(rows, fmt, stream)
    if output:
        click.echo(f"{count} proof row(s) written to {output}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.pass_obj
def serve(repo: Path, host: str, port: int) -> None:
    """Serve the SendGrid Event Webhook (POST /webhooks/sendgrid) and GET /healthz.

    The webhook's verification key comes from SENDGRID_WEBHOOK_PUBLIC_KEY; without it every
    webhook request is refused.
    """
    import uvicorn

    from notifier import notify

    app = notify.web_app(notify.repository_settings(repo))
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


@cli.command()
@recipient_options
@click.option("--no-site", is_flag=True, help="Do not build the site.")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option("--today", help="Pretend today is this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.pass_obj
def release(
    repo: Path,
    channel: str,
    recipients_path: Path | None,
    recipients_sql: str | None,
    source_url: str | None,
    no_site: bool,
    dry_run: bool,
    today: str | None,
    fmt: str,
) -> None:
    """Process new releases: tag, build the site, create notices, send e-mails, publish in-app.

    Running it twice does nothing the second time; after an interruption it completes the work.
    """
    from notifier import delivery_reports
    from notifier.release import run_release

    result = run_release(
        repo,
        channel=channel,
        people=lazy_recipients(recipients_path, recipients_sql, source_url),
        today=today_option(today),
        dry_run=dry_run,
        build_site=not no_site,
    )
    _finish(fmt, delivery_reports.release_text, delivery_reports.release_dict, result)


@cli.command()
@recipient_options
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option("--today", help="Pretend today is this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS_DATA, default="text", show_default=True)
@click.pass_obj
def daily(
    repo: Path,
    channel: str,
    recipients_path: Path | None,
    recipients_sql: str | None,
    source_url: str | None,
    dry_run: bool,
    today: str | None,
    fmt: str,
) -> None:
    """Rebuild the site for today and send the reminders that are due (`reminder_days`).

    A release whose effective date has come becomes current on the site.
    """
    from notifier import delivery_reports
    from notifier.daily import run_daily

    result = run_daily(
        repo,
        today=today_option(today),
        channel=channel,
        people=lazy_recipients(recipients_path, recipients_sql, source_url),
        dry_run=dry_run,
    )
    _finish(fmt, delivery_reports.daily_text, delivery_reports.daily_dict, result)


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path), default=".")
@click.option("--dry-run", is_flag=True, help="List the files; write nothing.")
def init_command(folder: Path, dry_run: bool) -> None:
    """Create the files a new policy repository needs in FOLDER (never overwriting any)."""
    from notifier.init import init_repository

    result = init_repository(folder, dry_run=dry_run)
    verb = "would write" if dry_run else "wrote"
    for name in result.written:
        click.echo(f"{verb} {name}")
    if not dry_run:
        click.echo("Next: edit pyproject.toml and policy/privacy.md, commit, and push to main.")


@cli.command()
@click.option(
    "--folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to build the copy (default: a new temporary folder).",
)
@click.option("--today", help="Pretend today is this date (YYYY-MM-DD).")
@click.pass_obj
def demo(repo: Path, folder: Path | None, today: str | None) -> None:
    """Rehearse a material change end to end on a throw-away copy of the repository."""
    from notifier import delivery_reports, reports
    from notifier.demo import run_demo

    result = run_demo(repo, today=today_option(today), folder=folder)
    click.echo(delivery_reports.release_text(result.release), nl=False)
    click.echo(f"\nThe demo ran in {result.folder / 'repo'} (your repository is untouched).")
    click.echo(f"  the redline:  {result.redline}")
    click.echo(f"  the e-mails:  {result.outbox} ({len(list(result.outbox.glob('*.eml')))} .eml)")
    click.echo(f"  the site:     {result.redline.parents[3] / 'index.html'}")
    click.echo("  in-app notices for user sample-1 (GET /v1/notices):")
    click.echo(reports.to_json(result.inapp), nl=False)


def _finish(
    fmt: str, as_text: Callable[[Any], str], as_data: Callable[[Any], Any], result: Any
) -> NoReturn:
    """Print ``result`` as text or JSON; exit 0 when it is ``ok``, else 1."""
    from notifier import reports

    click.echo(as_text(result) if fmt == "text" else reports.to_json(as_data(result)), nl=False)
    sys.exit(0 if result.ok else 1)


def _fail(error: NotifierError) -> NoReturn:
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(error.exit_code)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``notifier`` console script."""
    # The HTTP client of sendgrid logs API keys and addresses at DEBUG; never let that through.
    logging.getLogger("python_http_client").setLevel(logging.INFO)
    try:
        return cli.main(args=argv, prog_name="notifier", standalone_mode=False)
    except NotifierError as error:
        _fail(error)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except Exception as error:
        _fail(_ledger_failure(error))


def _ledger_failure(error: Exception) -> NotifierError:
    """The ledger failed in the middle of a command (locked too long by another writer, server
    gone): a clear error, since all that was done is recorded and the command can be run again.
    Anything else is a bug and keeps its traceback."""
    # SQLAlchemy is imported only by the commands that use a ledger. Integrity and programming
    # errors are bugs; these are the database being unavailable or damaged.
    exceptions = sys.modules.get("sqlalchemy.exc")
    unavailable = exceptions is not None and (
        isinstance(error, exceptions.OperationalError | exceptions.InterfaceError)
        or type(error) is exceptions.DatabaseError
    )
    if not unavailable:
        raise error
    from notifier.ledger.store import LedgerError

    # The driver's own message only: SQLAlchemy's would carry the statement and its values.
    detail = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
    return LedgerError(
        f"the ledger database failed ({detail})",
        fix="Run the command again once the database is available: what was done is recorded.",
    )
