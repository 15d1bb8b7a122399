"""``notifier demo``: the whole flow on a throw-away copy of the repository, in a minute.

It clones the repository into a temporary folder, commits a realistic material change to the
privacy policy as a new release (workflow logs kept for 90 days instead of 30, effective after the
notice period), and runs the release flow there with the outbox and the sample recipients: the
site with its redline, the e-mails, and the in-app notice. The real repository is not touched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from notifier.config import load_settings
from notifier.errors import UsageError
from notifier.history import PolicyRepository
from notifier.ledger.inapp import notices_for_user
from notifier.notify import open_ledger
from notifier.release import ReleaseRun, run_release

DEMO_USER = "sample-1"


@dataclass(frozen=True)
class DemoResult:
    """Where to look."""

    folder: Path
    release: ReleaseRun
    redline: Path
    outbox: Path
    inapp: list[dict[str, str]]


def run_demo(repo: Path, *, today: dt.date, folder: Path | None = None) -> DemoResult:
    """Rehearse a material change end to end on a copy of ``repo``."""
    target = folder or Path(tempfile.mkdtemp(prefix="notifier-demo-"))
    with PolicyRepository(repo) as original, original.clone_to(target / "repo") as copy:
        settings = load_settings(copy.root)
        policy = copy.root / settings.policy_dir / "privacy.md"
        if not policy.is_file():
            raise UsageError(
                "the demo changes policy/privacy.md, which does not exist",
                where=str(policy),
                fix="Run the demo in a repository with it.",
            )
        text = policy.read_text(encoding="utf-8")
        version = _next_version(text)
        effective = today + dt.timedelta(days=settings.notice_period_days)
        policy.write_text(lengthen_log_retention(text, version, effective), encoding="utf-8")
        copy.commit_all(
            f"Privacy policy {version}: keep workflow logs for 90 days",
            author="Demo Legal",
            email="legal@example.com",
        )
    release = run_release(target / "repo", channel="outbox", people=None, today=today)
    settings = load_settings(target / "repo")
    with open_ledger(settings) as ledger:
        shown = notices_for_user(ledger, DEMO_USER, classes={"material", "editorial"})
    inapp = [
        {
            "id": n.key.replace("/", "@"),
            "class": n.change_class,
            "summary": n.summary,
            "effective_date": n.effective_date.isoformat(),
            "redline": n.redline_url,
        }
        for n in shown
    ]
    state = settings.state_path
    return DemoResult(
        target,
        release,
        state / f"site/privacy/{version}/changes/index.html",
        state / f"outbox/privacy-{version}",
        inapp,
    )


def _next_version(text: str) -> str:
    match = re.search(r'^version:\s*"?([\d.]+)"?\s*$', text, re.M)
    parts = (match.group(1) if match else "1.0").split(".")
    return f"{int(parts[0]) + 1}.0"


def lengthen_log_retention(text: str, version: str, effective: dt.date) -> str:
    """``text`` (the privacy policy) as release ``version``: workflow logs kept for 90 days."""
    summary = (
        "Workflow logs are now kept for 90 days instead of 30, so that failed runs can be "
        "audited for a full quarter."
    )
    text = re.sub(r"^version:.*$", f'version: "{version}"', text, count=1, flags=re.M)
    text = re.sub(
        r"^effective_date:.*$",
        f"effective_date: {effective.isoformat()}",
        text,
        count=1,
        flags=re.M,
    )
    text = re.sub(
        r"^summary:.*?(?=^\w+:)",
        f"summary: {json.dumps(summary)}\n",
        text,
        count=1,
        flags=re.M | re.S,
    )
    text = re.sub(r"^change:.*$", "change: material", text, count=1, flags=re.M)
    return text.replace("Retained for 30 days", "Retained for 90 days")
