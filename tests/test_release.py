"""``notifier release`` and ``notifier daily`` on real repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import PolicyRepo, run_cli
from .fake_sendgrid import API_KEY, fake_sendgrid
from .site_repo import BODY_3, build_site_repo
from .test_send_cli import notifier, recipients_file


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    return build_site_repo(tmp_path / "repo")


def release(repo: PolicyRepo, *args: str) -> dict[str, object]:
    result = run_cli("release", "--format", "json", *args, cwd=repo.path, today="2026-11-26")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def test_first_run_adopts_the_past_and_processes_what_is_coming(repo: PolicyRepo) -> None:
    dry = release(repo, "--dry-run")
    assert dry["dry_run"] is True and not (repo.path / ".notifier").exists()
    assert list(repo.repo.tags) == []
    first = release(repo)
    actions = {r["release"]: r["action"] for r in first["releases"]}  # type: ignore[union-attr]
    assert actions == {
        "privacy/1.0": "adopted",
        "privacy/1.1": "adopted",
        "terms/1.0": "adopted",
        "privacy/2.0": "processed",
    }
    assert sorted(t.name for t in repo.repo.tags) == [
        "privacy/1.0",
        "privacy/1.1",
        "privacy/2.0",
        "terms/1.0",
    ]
    assert len(list((repo.path / ".notifier/outbox/privacy-2.0").glob("*.eml"))) == 10
    assert (repo.path / ".notifier/site/privacy/2.0/changes/index.html").is_file()
    again = release(repo)
    assert again["releases"] == [] and again["tags_created"] == []
    assert len(list((repo.path / ".notifier/outbox/privacy-2.0").glob("*.eml"))) == 10


def test_a_later_release_is_processed_by_class(repo: PolicyRepo) -> None:
    release(repo)
    repo.release(
        "privacy 2.1",
        version="2.1",
        change="editorial",
        body=BODY_3.replace("This policy explains", "This policy sets out"),
        effective="2099-01-02",
        summary="Wording.",
    )
    later = release(repo)
    assert later["releases"] == [
        {
            "release": "privacy/2.1",
            "change": "editorial",
            "action": "processed",
            "channels": ["inapp"],
            "email": None,
        }
    ]


def test_interrupted_release_completes_on_the_next_run(repo: PolicyRepo, tmp_path: Path) -> None:
    with (repo.path / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.notifier.sendgrid]\nmax_retries = 2\nbackoff = 0.01\n")
    release(repo, "--no-site")  # adopt the past, process privacy 2.0 through the outbox
    repo.release(
        "privacy 3.0",
        version="3.0",
        change="material",
        body=BODY_3.replace("90 days", "180 days"),
        effective="2099-03-01",
        summary="Logs kept for 180 days.",
    )
    people = recipients_file(tmp_path / "people.csv", 50)
    with fake_sendgrid() as (url, state):
        state.faults = ["503"] * 20
        env = {"SENDGRID_API_KEY": API_KEY, "SENDGRID_API_URL": url, "NOTIFIER_TODAY": "2026-11-26"}
        args = ("release", "--no-site", "--channel", "sendgrid", "--recipients", str(people))
        stopped = notifier(*args, cwd=repo.path, env=env)
        assert stopped.returncode == 1
        assert "incomplete" in stopped.stdout
        state.faults = []
        finished = notifier(*args, cwd=repo.path, env=env)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert "privacy/3.0 (material): processed" in finished.stdout
    assert sorted(state.addresses()) == sorted(f"user{i}@example.com" for i in range(50))


def test_sendgrid_needs_real_recipients(repo: PolicyRepo) -> None:
    env = {**os.environ, "SENDGRID_API_KEY": API_KEY}
    result = notifier("release", "--channel", "sendgrid", cwd=repo.path, env=env)
    assert result.returncode == 2 and "no recipients for SendGrid" in result.stderr


def test_daily_makes_the_upcoming_release_current(repo: PolicyRepo) -> None:
    before = run_cli("daily", cwd=repo.path, today="2026-11-26")
    assert before.code == 0 and "upcoming: privacy/2.0" in before.out
    page = (repo.path / ".notifier/site/privacy/index.html").read_text()
    assert "Version 1.1" in page and "This policy changes on 1 January 2099" in page
    on_the_day = run_cli("daily", cwd=repo.path, today="2099-01-01")
    assert "takes effect today: privacy/2.0" in on_the_day.out
    page = (repo.path / ".notifier/site/privacy/index.html").read_text()
    assert "Version 2.0" in page and "This policy changes on" not in page
