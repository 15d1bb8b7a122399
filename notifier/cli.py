"""The ``notifier`` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from notifier import __version__
from notifier.errors import NotifierError

FORMATS_CHECK = click.Choice(["text", "markdown", "json"])
FORMATS_DATA = click.Choice(["text", "json"])


def _today(value: str | None) -> dt.date:
    from notifier import clock

    if value is None:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


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

    report = check_repository(repo, base=base, today=_today(today))
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
    click.echo(render(view.history, _today(today), doc_id), nl=False)
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
