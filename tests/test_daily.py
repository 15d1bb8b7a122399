"""``notifier daily``: the site on the effective date, and the reminder e-mails before it."""

from __future__ import annotations

import email
import json
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from .conftest import PolicyRepo, run_cli
from .site_repo import build_site_repo

OUTBOX = ".notifier/outbox/privacy-2.0"


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    repo = build_site_repo(tmp_path / "repo")
    with (repo.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("reminder_days = 7\n")
    released = run_cli("release", "--no-site", cwd=repo.path, today="2026-11-26")
    assert released.code == 0, released.out + released.err
    return repo


def daily(repo: PolicyRepo, today: str, *args: str) -> dict[str, object]:
    result = run_cli("daily", "--format", "json", *args, cwd=repo.path, today=today)
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def subjects(repo: PolicyRepo) -> list[str]:
    found = []
    for path in sorted((repo.path / OUTBOX).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        found.append(str(make_header(decode_header(message["Subject"]))).strip())
    return found


def test_reminder_is_sent_once_in_the_window_before_the_effective_date(repo: PolicyRepo) -> None:
    assert len(subjects(repo)) == 10
    early = daily(repo, "2098-12-24")  # 8 days before 1 January 2099
    assert early["reminders"] == []
    dry = daily(repo, "2098-12-25", "--dry-run")
    assert [(r["release"], r["action"]) for r in dry["reminders"]] == [  # type: ignore[union-attr]
        ("privacy/2.0", "would remind")
    ]
    assert len(subjects(repo)) == 10, "a dry run sends nothing"
    due = daily(repo, "2098-12-25")
    reminder = due["reminders"][0]  # type: ignore[index]
    assert reminder["action"] == "reminded" and reminder["email"]["submitted"] == 10
    reminders = [s for s in subjects(repo) if s.startswith("Reminder: ")]
    assert len(reminders) == 10 and len(subjects(repo)) == 20
    recipients = {
        email.message_from_bytes(p.read_bytes())["To"] for p in (repo.path / OUTBOX).glob("*.eml")
    }
    assert len(recipients) == 10 and all("@" in to for to in recipients), "addressed"
    assert daily(repo, "2098-12-26")["reminders"] == [], "once, however often the job runs"
    assert daily(repo, "2098-12-25", "--dry-run")["reminders"] == []
    assert daily(repo, "2099-01-01")["reminders"] == [], "not on or after the effective date"
    proof = run_cli("proof", "--notice", "privacy@2.0", "--format", "json", cwd=repo.path)
    channels = sorted(row["channel"] for row in json.loads(proof.out))
    assert channels == ["email"] * 10 + ["reminder"] * 10


def test_reminder_text_says_it_is_a_reminder(repo: PolicyRepo) -> None:
    daily(repo, "2098-12-30")
    path = next(
        p
        for p in sorted((repo.path / OUTBOX).glob("*.eml"))
        if "Reminder" in email.message_from_bytes(p.read_bytes())["Subject"]
    )
    message = email.message_from_bytes(path.read_bytes())
    text = next(
        part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    assert text.splitlines()[2] == "This is a reminder of the notice we sent you earlier."


def test_reminder_days_must_be_shorter_than_the_notice_period(tmp_path: Path) -> None:
    repo = build_site_repo(tmp_path / "repo")
    with (repo.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("reminder_days = 30\n")
    result = run_cli("daily", cwd=repo.path, today="2026-11-26")
    assert result.code != 0
    assert "'reminder_days' (30) must be less than 'notice_period_days' (30)" in result.err
    assert "Traceback" not in result.err


def test_adopted_releases_get_no_reminder(tmp_path: Path) -> None:
    repo = build_site_repo(tmp_path / "repo")
    with (repo.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("reminder_days = 7\n")
    # A first run after the effective date adopts privacy 2.0: it was never announced.
    first = run_cli("release", "--no-site", cwd=repo.path, today="2099-01-02")
    assert first.code == 0, first.err
    assert daily(repo, "2098-12-28", "--dry-run")["reminders"] == []
    assert daily(repo, "2098-12-28")["reminders"] == []
