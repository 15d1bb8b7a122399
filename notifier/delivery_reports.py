"""How sending, delivery reports and proof of notice are shown: terminal, JSON and CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from notifier.daily import DailyRun
from notifier.ledger.proof import NoticeReport, ProofRow
from notifier.notify import DryRun
from notifier.release import ReleaseOutcome, ReleaseRun
from notifier.sending import SendReport


class SendProgress:
    """A progress bar with rate and ETA on standard error (silent when not a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> SendProgress:
        if self.enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.speed:>8.0f}/s"),
                TimeRemainingColumn(),
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def update(self, phase: str, done: int, total: int | None) -> None:
        """Report progress of ``phase`` ("queue" or "send")."""
        if not self.progress:
            return
        if phase not in self.tasks:
            label = "Reading recipients" if phase == "queue" else "Sending"
            self.tasks[phase] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


def dry_run_dict(result: DryRun) -> dict[str, Any]:
    """JSON-ready data."""
    return {
        "notice": result.notice.key,
        "subject": result.subject,
        "read": result.read,
        "valid": result.valid,
        "invalid": result.invalid,
        "dry_run": True,
    }


def dry_run_text(result: DryRun) -> str:
    """What a send would do."""
    return (
        f"Dry run for {result.notice.key}: nothing was sent or recorded.\n"
        f"  subject: {result.subject}\n"
        f"  recipients read: {result.read}, valid: {result.valid}, "
        f"invalid: {result.invalid}\n"
    )


def send_dict(report: SendReport) -> dict[str, Any]:
    """JSON-ready data."""
    data = asdict(report)
    data["ok"] = report.ok
    return data


def send_text(report: SendReport) -> str:
    """The final summary of a send."""
    rate = report.submitted / report.seconds if report.seconds else 0.0
    loaded = report.loaded
    recovery = report.recovery
    lines = [
        f"Notice {report.notice} via {report.channel}:",
        f"  recipients read {loaded.read}: queued {loaded.queued}, duplicates "
        f"{loaded.duplicates}, invalid {loaded.invalid}",
        f"  this run: {report.submitted} accepted, {report.refused} refused, {report.batches} "
        f"batch(es), {report.requests} request(s), {report.retries} retr(ies), "
        f"{report.seconds:.1f} s ({rate:.0f}/s)",
    ]
    if recovery.released or recovery.unknown:
        lines.append(
            f"  recovered from a stopped run: {recovery.released} never sent, "
            f"{recovery.unknown} with unknown outcome ({recovery.requeued} sent again)"
        )
    states = ", ".join(f"{state} {count}" for state, count in sorted(report.states.items()))
    lines.append(f"  ledger: {states or 'empty'}")
    if report.stopped:
        lines.append(f"Stopped: {report.stopped}")
    return "\n".join(lines) + "\n"


def notice_report_text(report: NoticeReport) -> str:
    """Counts per state and the failures with their reasons."""
    lines = [f"Notice {report.notice}"]
    for channel, states in sorted(report.states.items()):
        total = sum(states.values())
        parts = ", ".join(f"{state} {count}" for state, count in sorted(states.items()))
        lines.append(f"  {channel}: {total} ({parts})")
    if report.batches:
        parts = ", ".join(f"{state} {count}" for state, count in sorted(report.batches.items()))
        lines.append(f"  batches: {parts}")
    if report.resent:
        lines.append(f"  sent more than once after an unknown outcome: {report.resent}")
    if report.failure_count:
        lines.append(f"  failures ({report.failure_count}):")
        lines += [f"    {f.channel} {f.address or f.user_id}: {f.error}" for f in report.failures]
        if report.failure_count > len(report.failures):
            lines.append(
                f"    ... and {report.failure_count - len(report.failures)} more "
                "(see --format json or notifier proof)"
            )
    return "\n".join(lines) + "\n"


@contextmanager
def open_output(path: Path | None) -> Iterator[IO[str]]:
    """A file to write (newline handling left to csv), or standard output.

    The file is written beside its final name and renamed once complete, so an export that
    stops half-way (an error, Ctrl-C) leaves no half file behind.
    """
    if path is None:
        yield sys.stdout
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_proof(rows: Iterable[ProofRow], fmt: str, stream: IO[str]) -> int:
    """Stream proof rows as CSV (with a header) or as a JSON array; return how many."""
    count = 0
    if fmt == "csv":
        writer: Any = None
        for row in rows:
            data = row.to_dict()
            if writer is None:
                writer = csv.DictWriter(stream, fieldnames=list(data))
                writer.writeheader()
            writer.writerow(data)
            count += 1
        if writer is None:
            stream.write(",".join(ProofRow.__dataclass_fields__) + "\r\n")
        return count
    stream.write("[")
    for row in rows:
        stream.write(("," if count else "") + "\n  " + json.dumps(row.to_dict()))
        count += 1
    stream.write("\n]\n")
    return count


def release_dict(run: ReleaseRun) -> dict[str, Any]:
    """JSON-ready data."""
    return {
        "ok": run.ok,
        "dry_run": run.dry_run,
        "tags_created": run.tags_created,
        "site": str(run.site) if run.site else None,
        "releases": [_outcome_dict(r) for r in run.releases],
    }


def _outcome_dict(outcome: ReleaseOutcome) -> dict[str, Any]:
    return {
        "release": outcome.key,
        "change": outcome.change,
        "action": outcome.action,
        "channels": list(outcome.channels),
        "email": send_dict(outcome.email) if outcome.email else None,
    }


def daily_dict(run: DailyRun) -> dict[str, Any]:
    """JSON-ready data."""
    return {
        "ok": run.ok,
        "dry_run": run.dry_run,
        "site": str(run.site) if run.site else None,
        "taking_effect": run.taking_effect,
        "upcoming": run.upcoming,
        "reminders": [_outcome_dict(r) for r in run.reminders],
    }


def daily_text(run: DailyRun) -> str:
    """What the daily job did (or would do)."""
    lines = ["Dry run: nothing was changed."] if run.dry_run else []
    lines += [f"takes effect today: {key}" for key in run.taking_effect]
    lines += [f"upcoming: {key}" for key in run.upcoming]
    for outcome in run.reminders:
        lines.append(f"reminder: {outcome.key} ({outcome.change}): {outcome.action}")
        if outcome.email:
            lines += ["    " + line for line in send_text(outcome.email).splitlines()]
    if not run.dry_run:
        lines.append(f"site: {run.site}" if run.site else "site: no mkdocs.yml, not built")
    return "\n".join(lines) + "\n"


def release_text(run: ReleaseRun) -> str:
    """What the release flow did (or would do)."""
    lines = ["Dry run: nothing was changed." if run.dry_run else "Release flow:"]
    if run.tags_created:
        verb = "would tag" if run.dry_run else "tagged"
        lines.append(f"  {verb}: {', '.join(run.tags_created)}")
    if run.site:
        lines.append(f"  site built in {run.site}")
    if not run.releases:
        lines.append("  no new release to process")
    for outcome in run.releases:
        channels = ", ".join(outcome.channels) or "no channel"
        lines.append(f"  {outcome.key} ({outcome.change}): {outcome.action} [{channels}]")
        if outcome.email:
            lines += ["    " + line for line in send_text(outcome.email).splitlines()]
    return "\n".join(lines) + "\n"
