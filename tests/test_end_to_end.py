"""The whole path, from a pull request to proof of notice, on a fresh clone of this repository.

Everything is real: git, the CLI in subprocesses, the fake SendGrid API over HTTP driven by the
official client, the in-app API served by ``notifier serve``, and the SQLite ledger.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git
import httpx

from notifier.demo import lengthen_log_retention
from notifier.web.tokens import mint_token

from .conftest import REPO_ROOT
from .fake_sendgrid import API_KEY, fake_sendgrid
from .test_send_cli import notifier, recipients_file

TODAY = dt.date(2026, 11, 26)
SECRET = "end-to-end-secret-shared-with-the-app-0123456789"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Legal Editor",
    "GIT_AUTHOR_EMAIL": "legal@example.com",
    "GIT_COMMITTER_NAME": "Legal Editor",
    "GIT_COMMITTER_EMAIL": "legal@example.com",
}

# The clone holds a `notifier/` folder too: run the code under test, not the clone's copy.
SAFE_PATH = {"PYTHONSAFEPATH": "1"}


def propose(text: str, effective: dt.date) -> str:
    """The pull request: workflow logs kept for 90 days instead of 30, a material change."""
    assert "Retained for 30 days" in text
    return lengthen_log_retention(text, "2.0", effective)


def cli(
    clone: Path, *args: str, today: dt.date = TODAY, **env: str
) -> subprocess.CompletedProcess[str]:
    env = {"NOTIFIER_TODAY": today.isoformat(), **IDENTITY, **SAFE_PATH, **env}
    return notifier(*args, cwd=clone, env=env)


@contextmanager
def notifier_serve(clone: Path) -> Iterator[str]:
    """``notifier serve`` in a subprocess on a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"NOTIFIER_TOKEN_SECRET": SECRET, "NOTIFIER_TODAY": TODAY.isoformat(), **SAFE_PATH}
    process = subprocess.Popen(
        [sys.executable, "-m", "notifier", "serve", "--port", str(port)],
        cwd=clone,
        env={**os.environ, **env},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pull_request_to_proof_of_notice(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    repo = git.Repo.clone_from(str(REPO_ROOT), str(clone))
    main = repo.active_branch.name
    policy = clone / "policy" / "privacy.md"
    original = policy.read_text(encoding="utf-8")

    # The pull request: too little notice first, so the check fails and says why.
    repo.git.checkout("-b", "longer-log-retention")
    policy.write_text(propose(original, TODAY + dt.timedelta(days=10)), encoding="utf-8")
    repo.git.add("-A")
    repo.git.commit("-m", "Keep workflow logs for 90 days", env=IDENTITY)
    failed = cli(clone, "check", "--base", main, "--format", "json")
    assert failed.returncode == 1, failed.stderr
    problems = json.loads(failed.stdout)["problems"]
    assert [p["code"] for p in problems] == ["notice-period"]
    assert "10 days from today" in problems[0]["message"]
    assert problems[0]["key"] == "effective_date"

    # The editor moves the date 30 days out: the check passes and finds the change material.
    effective = TODAY + dt.timedelta(days=30)
    policy.write_text(propose(original, effective), encoding="utf-8")
    repo.git.commit("-am", "Give 30 days' notice", env=IDENTITY)
    passed = cli(clone, "check", "--base", main, "--format", "json")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    report = json.loads(passed.stdout)
    assert report["ok"] is True

    # Merge, then the release against the fake SendGrid API with 50 recipients.
    repo.git.checkout(main)
    repo.git.merge("--no-ff", "longer-log-retention", "-m", "Merge pull request", env=IDENTITY)
    people = recipients_file(tmp_path / "people.csv", 50)
    with fake_sendgrid() as (url, state):
        sendgrid = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": url}
        args = ("release", "--channel", "sendgrid", "--recipients", str(people))
        released = cli(clone, *args, **sendgrid)
        assert released.returncode == 0, released.stdout + released.stderr
        assert "privacy/2.0 (material): processed" in released.stdout
        again = cli(clone, *args, **sendgrid)
        assert again.returncode == 0, again.stdout + again.stderr
    addresses = state.addresses()
    assert sorted(addresses) == sorted(f"user{i}@example.com" for i in range(50))
    assert len(addresses) == len(set(addresses)) == 50, "each accepted once"
    assert {t.name for t in repo.tags} >= {"privacy/1.0", "privacy/2.0"}

    # The site: version 1.0 is current, the change is announced, the redline shows it.
    site = clone / ".notifier" / "site" / "privacy"
    current = (site / "index.html").read_text(encoding="utf-8")
    assert "Version 1.0" in current
    assert f"This policy changes on {effective.day} {effective:%B %Y}" in current
    redline = (site / "2.0" / "changes" / "index.html").read_text(encoding="utf-8")
    assert "<del>30</del>" in redline and "<ins>90</ins>" in redline

    # The in-app API shows the notice to a user, who acknowledges it.
    with notifier_serve(clone) as api:
        headers = {"Authorization": f"Bearer {mint_token('u7', SECRET)}"}
        notices = httpx.get(f"{api}/v1/notices", headers=headers, timeout=10).json()["notices"]
        assert [n["id"] for n in notices] == ["privacy@2.0"]
        assert notices[0]["acknowledgement_required"] is True
        ack = httpx.post(f"{api}/v1/notices/privacy@2.0/acknowledge", headers=headers, timeout=10)
        assert ack.status_code in (200, 204), ack.text

    # Proof of notice: 50 e-mails and one in-app acknowledgement.
    proof = cli(clone, "proof", "--notice", "privacy@2.0", "--format", "json")
    assert proof.returncode == 0, proof.stderr
    rows = json.loads(proof.stdout)
    assert len(rows) == 51
    channels = sorted(row["channel"] for row in rows)
    assert channels.count("email") == 50 and channels.count("inapp") == 1

    # A week before it takes effect (reminder_days = 7), the daily run reminds everyone, once.
    with fake_sendgrid() as (url, state):
        sendgrid = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": url}
        args = ("daily", "--channel", "sendgrid", "--recipients", str(people))
        week_before = effective - dt.timedelta(days=7)
        reminded = cli(clone, *args, today=week_before, **sendgrid)
        assert reminded.returncode == 0, reminded.stdout + reminded.stderr
        assert "reminder: privacy/2.0 (material): reminded" in reminded.stdout
        next_day = cli(clone, *args, today=week_before + dt.timedelta(days=1), **sendgrid)
        assert next_day.returncode == 0 and "reminder:" not in next_day.stdout
    assert sorted(state.addresses()) == sorted(f"user{i}@example.com" for i in range(50))
    proof = cli(clone, "proof", "--notice", "privacy@2.0", "--format", "json")
    assert sorted(row["channel"] for row in json.loads(proof.stdout)).count("reminder") == 50

    # The clock passes the effective date: the daily run makes 2.0 current.
    daily = cli(clone, "daily", today=effective + dt.timedelta(days=1))
    assert daily.returncode == 0, daily.stdout + daily.stderr
    current = (site / "index.html").read_text(encoding="utf-8")
    assert "Version 2.0" in current and "This policy changes on" not in current
