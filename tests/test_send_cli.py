"""``notifier send``, ``report``, ``proof`` and ``preview`` through the real command line."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from .conftest import PolicyRepo, run_cli
from .fake_sendgrid import API_KEY, fake_sendgrid
from .site_repo import build_site_repo


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    return build_site_repo(tmp_path / "repo")


def recipients_file(path: Path, count: int, extra: str = "") -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,id,name\n")
        for i in range(count):
            handle.write(f"user{i}@example.com,u{i},User {i}\n")
        handle.write(extra)
    return path


def notifier(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "notifier", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_outbox_send_report_and_proof(repo: PolicyRepo, tmp_path: Path) -> None:
    people = recipients_file(
        tmp_path / "people.csv", 120, "not-an-address,x1,X\nUSER3@example.com,u3b,Dup\n"
    )
    sent = run_cli("send", "privacy@2.0", "--recipients", str(people), cwd=repo.path)
    assert sent.code == 1, "an invalid address is a failure"
    assert "queued 120, duplicates 1, invalid 1" in sent.out
    outbox = repo.path / ".notifier/outbox/privacy-2.0"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 120
    message = files[0].read_text()
    assert "Subject: Important: changes to our Privacy Policy take effect 1 January 2099" in message
    assert "multipart/alternative" in message and "X-Notifier-Notice: privacy/2.0" in message
    report = json.loads(run_cli("report", "privacy@2.0", "--format", "json", cwd=repo.path).out)
    assert report["states"]["email"] == {"submitted": 120, "failed": 1}
    assert report["failures"][0]["error"].startswith("invalid address")
    proof = list(
        csv.DictReader(io.StringIO(run_cli("proof", "--notice", "privacy@2.0", cwd=repo.path).out))
    )
    assert len(proof) == 121
    row = next(r for r in proof if r["user_id"] == "u7")
    assert row["address"] == "user7@example.com" and row["version"] == "2.0"
    assert len(row["content_hash"]) == 64 and row["state"] == "submitted" and row["submitted_at"]
    again = run_cli("send", "privacy@2.0", "--recipients", str(people), cwd=repo.path)
    assert "this run: 0 accepted" in again.out, "running twice sends nothing twice"
    exported = tmp_path / "proof.json"
    args = ("proof", "--notice", "privacy@2.0", "--format", "json", "--output", str(exported))
    assert run_cli(*args, cwd=repo.path).code == 0
    assert len(json.loads(exported.read_text())) == 121
    unknown = run_cli(
        "proof", "--notice", "privacy@9.9", "--output", str(tmp_path / "no.csv"), cwd=repo.path
    )
    assert unknown.code == 2 and "no notice 'privacy/9.9'" in unknown.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv", "proof.json", "repo"]


def test_unreadable_recipients_queue_and_send_nothing(repo: PolicyRepo, tmp_path: Path) -> None:
    people = recipients_file(tmp_path / "people.csv", 12_000)  # more than two loading chunks
    data = people.read_bytes().replace(b"user11000@", b"us\xe9r11000@")
    people.write_bytes(data)
    result = run_cli("send", "privacy@2.0", "--recipients", str(people), cwd=repo.path)
    assert result.code == 2
    assert f"not UTF-8 text (byte 0xe9 in column 3) ({people}:11002)" in result.err
    assert "Nothing was queued or sent." in result.err and "Traceback" not in result.err
    report = json.loads(run_cli("report", "privacy@2.0", "--format", "json", cwd=repo.path).out)
    assert not report["states"].get("email")
    assert not (repo.path / ".notifier/outbox").exists()


def test_a_ledger_failing_mid_command_is_a_clear_error(repo: PolicyRepo, tmp_path: Path) -> None:
    people = recipients_file(tmp_path / "people.csv", 3)
    assert run_cli("send", "privacy@2.0", "--recipients", str(people), cwd=repo.path).code == 0
    with sqlite3.connect(repo.path / ".notifier/ledger.sqlite3") as damage:
        damage.execute("DROP TABLE events")
    result = run_cli("proof", "--notice", "privacy@2.0", cwd=repo.path)
    assert result.code == 1 and "Traceback" not in result.err
    assert "Error: the ledger database failed (no such table: events)." in result.err
    (repo.path / ".notifier/ledger.sqlite3").write_bytes(b"not a database" * 100)
    broken = run_cli("report", "privacy@2.0", cwd=repo.path)
    assert broken.code == 1 and "cannot open the ledger database" in broken.err
    assert "Traceback" not in broken.err


def test_dry_run_writes_nothing(repo: PolicyRepo, tmp_path: Path) -> None:
    people = recipients_file(tmp_path / "people.csv", 10, "bad address,x,X\n")
    result = run_cli("send", "privacy@2.0", "--recipients", str(people), "--dry-run", cwd=repo.path)
    assert result.code == 0
    assert "read: 11, valid: 10, invalid: 1" in result.out
    assert not (repo.path / ".notifier").exists()


def test_preview_writes_html_text_and_eml(repo: PolicyRepo, tmp_path: Path) -> None:
    result = run_cli("preview", "privacy@2.0", "--output", str(tmp_path / "preview"), cwd=repo.path)
    assert result.code == 0, result.err
    html = (tmp_path / "preview/email.html").read_text()
    assert "Account Data: Retained until" not in html, "the summary and reasons, not the text"
    assert "retention period changed" in html
    assert "https://policies.example.com/privacy/2.0/changes/" in html
    assert 'style="' in html, "CSS inlined for mail clients"
    assert (tmp_path / "preview/email.eml").is_file()


def test_template_override(repo: PolicyRepo, tmp_path: Path) -> None:
    repo.write(
        "templates/email/subject.txt", "Policy update: {{ notice.title }} {{ notice.version }}\n"
    )
    run_cli("preview", "privacy@2.0", "--output", str(tmp_path / "p"), cwd=repo.path)
    assert (
        (tmp_path / "p/email.txt")
        .read_text()
        .startswith("Subject: Policy update: Privacy Policy 2.0")
    )


def test_bad_arguments_are_clear(repo: PolicyRepo, tmp_path: Path) -> None:
    no_file = run_cli("send", "privacy@2.0", "--recipients", "x.csv", cwd=repo.path)
    assert no_file.code == 2 and "recipients file not found (x.csv)" in no_file.err
    people = recipients_file(tmp_path / "people.csv", 1)
    missing = run_cli("send", "privacy@9.9", "--recipients", str(people), cwd=repo.path)
    assert missing.code == 2 and "no release privacy@9.9" in missing.err
    no_key = run_cli("send", "privacy@2.0", "--channel", "sendgrid", cwd=repo.path)
    assert no_key.code == 2 and "SENDGRID_API_KEY is not set" in no_key.err
    unknown = run_cli("report", "privacy@1.0", cwd=repo.path)
    assert unknown.code == 2 and "no notice 'privacy/1.0'" in unknown.err


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_sendgrid_send_with_faults(
    repo: PolicyRepo, tmp_path: Path, database: str, ledger_url: str
) -> None:
    del database  # the ledger_url fixture is parametrized the same way
    people = recipients_file(tmp_path / "people.csv", 2500, "bad-guy@example.com,b,B\n")
    with fake_sendgrid() as (url, state):
        state.faults = ["429", "500", "drop"]
        env = {
            "SENDGRID_API_KEY": API_KEY,
            "SENDGRID_API_URL": url,
            "NOTIFIER_DATABASE_URL": ledger_url,
        }
        result = notifier(
            "send",
            "privacy@2.0",
            "--recipients",
            str(people),
            "--channel",
            "sendgrid",
            cwd=repo.path,
            env=env,
        )
        assert result.returncode == 1, result.stderr
        assert "2500 accepted, 1 refused" in result.stdout
        assert API_KEY not in result.stdout + result.stderr
        assert len(state.addresses()) == len(set(state.addresses())) == 2500
        report = json.loads(
            notifier("report", "privacy@2.0", "--format", "json", cwd=repo.path, env=env).stdout
        )
        assert report["states"]["email"] == {"submitted": 2500, "failed": 1}
        assert "Does not contain a valid address" in report["failures"][0]["error"]


def test_workers_started_together_on_a_new_ledger_send_each_recipient_once(
    repo: PolicyRepo, tmp_path: Path, ledger_url: str
) -> None:
    """Three `notifier send` processes at once on an empty ledger: one creates the schema while
    the others wait, the first to queue the list queues it, and the batches are shared."""
    people = recipients_file(tmp_path / "people.csv", 6000)
    with fake_sendgrid() as (url, state):
        env = {**os.environ, "SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": url}
        env["NOTIFIER_DATABASE_URL"] = ledger_url
        command = [sys.executable, "-m", "notifier", "send", "privacy@2.0", "--recipients"]
        command += [str(people), "--channel", "sendgrid", "--format", "json"]
        workers = [
            subprocess.Popen(command, cwd=repo.path, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        runs = [json.loads(worker.communicate(timeout=300)[0]) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    assert sum(run["submitted"] for run in runs) == 6000
    assert len(state.addresses()) == len(set(state.addresses())) == 6000
    # Claims skip rows another worker holds, so the last batches may be split between workers.
    assert 6 <= state.requests <= 6 + 2


def test_crash_and_resume_sends_everyone_at_least_once(repo: PolicyRepo, tmp_path: Path) -> None:
    people = recipients_file(tmp_path / "people.csv", 20000)
    with (repo.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.notifier.sendgrid]\nbatch_size = 500\nthreads = 4\n")
    rng = random.Random(20261126)
    with fake_sendgrid() as (url, state):
        state.delay = 0.05
        state.keep_payloads = False
        env = {**os.environ, "SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": url}
        kills = 0
        for _ in range(4):
            before = state.requests
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "notifier",
                    "send",
                    "privacy@2.0",
                    "--recipients",
                    str(people),
                    "--channel",
                    "sendgrid",
                ],
                cwd=repo.path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Kill at a random point of the sending: after a random number of requests.
            target = before + rng.randint(1, 8)
            deadline = time.monotonic() + 60
            while (
                process.poll() is None and state.requests < target and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
        final = notifier(
            "send",
            "privacy@2.0",
            "--recipients",
            str(people),
            "--channel",
            "sendgrid",
            cwd=repo.path,
            env=env,
        )
        assert final.returncode == 0, final.stdout + final.stderr
    accepted = Counter(state.addresses())
    assert kills >= 3, "the sender was killed while sending"
    assert len(accepted) == 20000, "every recipient accepted at least once"
    duplicates = sum(count - 1 for count in accepted.values())
    assert duplicates <= kills * 4 * 500, "no more than the batches in flight at the kills"
    report = json.loads(run_cli("report", "privacy@2.0", "--format", "json", cwd=repo.path).out)
    assert report["states"]["email"] == {"submitted": 20000}
    assert report["resent"] >= duplicates, "every possible duplicate is counted in the report"
