"""What several ``notifier`` commands share: the recipient options and sources, and the
``--today`` date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def today_option(value: str | None) -> dt.date:
    """The date of ``--today`` (YYYY-MM-DD), or today's."""
    from notifier import clock

    if value is None:
        return clock.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD") from None


def recipient_source(path: Path | None, query: str | None, source_url: str | None) -> Any:
    """The recipients from a file or a query; none when neither is given."""
    from notifier.errors import UsageError
    from notifier.recipients import query_recipients, read_recipients

    if path and query:
        raise UsageError(
            "both --recipients and --recipients-sql given",
            where="send",
            fix="Use one source of recipients.",
        )
    if path:
        return read_recipients(path)
    if query:
        if not source_url:
            raise UsageError(
                "--recipients-sql needs --source-url",
                where="send",
                fix="Give the SQLAlchemy URL of the application's database.",
            )
        return query_recipients(source_url, query)
    return iter(())


def recipient_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The channel and recipient options of ``release`` and ``daily``."""
    options = [
        click.option(
            "--channel",
            type=click.Choice(["outbox", "sendgrid"]),
            default="outbox",
            show_default=True,
        ),
        click.option(
            "--recipients",
            "recipients_path",
            type=click.Path(path_type=Path),
            help="CSV or JSONL file of recipients (default with the outbox: a sample file).",
        ),
        click.option(
            "--recipients-sql", help="SQL query returning the recipients (with --source-url)."
        ),
        click.option("--source-url", help="SQLAlchemy URL of the application's database."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def lazy_recipients(
    path: Path | None, sql: str | None, source_url: str | None
) -> Callable[[], Any] | None:
    """The recipients, read lazily per notice; ``None`` for the sample ones."""
    if not path and not sql:
        return None
    return lambda: recipient_source(path, sql, source_url)
