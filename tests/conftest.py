"""Shared fixtures: real git repositories built in temporary folders."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest

from notifier.ledger.store import NoticeLedger

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_folder() -> Path:
    """``shared/`` (seed policy, corpus): beside the clone in CI and for developers."""
    candidates = [
        os.environ.get("POLICY_NOTIFIER_SHARED", ""),
        REPO_ROOT.parent / "shared",
        "/work/shared",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "corpus" / "RUBRIC.md").is_file():
            return Path(candidate)
    raise RuntimeError(
        "shared/ (seed policy and corpus) not found beside the repository; "
        "set POLICY_NOTIFIER_SHARED=/path/to/shared"
    )


SHARED = _shared_folder()
CORPUS = SHARED / "corpus"

PYPROJECT = """\
[tool.notifier]
policy_dir = "policy"
notice_period_days = 30
"""


def policy_text(
    *,
    version: str = "1.0",
    effective: str = "2026-01-01",
    change: str = "initial",
    summary: str = "First release.",
    title: str = "Privacy Policy",
    body: str = "## 1. Introduction\n\nWe keep logs for 30 days.\n",
    extra: str = "",
) -> str:
    """A policy file with the given front matter and body."""
    return (
        f'---\ntitle: {title}\nversion: "{version}"\neffective_date: {effective}\n'
        f"summary: {json.dumps(summary)}\nchange: {change}\n{extra}---\n\n{body}"
    )


@dataclass
class PolicyRepo:
    """A real git repository in a temp folder, with helpers to write and commit policies."""

    path: Path
    repo: git.Repo

    def write(self, relative: str, content: str | bytes) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def commit(self, message: str, *, date: str | None = None, author: str = "Legal") -> str:
        self.repo.git.add("-A")
        env = {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": "legal@example.com",
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": "legal@example.com",
        }
        if date:
            env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        with self.repo.git.custom_environment(**env):
            self.repo.git.commit("-q", "--allow-empty", "-m", message)
        return str(self.repo.head.commit.hexsha)

    def release(
        self, message: str = "release", relative: str = "policy/privacy.md", **fields: str
    ) -> str:
        self.write(relative, policy_text(**fields))
        return self.commit(message)

    def merge(self, branch: str, message: str) -> str:
        self.repo.git.merge(
            "--no-ff",
            "-q",
            branch,
            "-m",
            message,
            env={
                "GIT_AUTHOR_NAME": "Bot",
                "GIT_AUTHOR_EMAIL": "b@example.com",
                "GIT_COMMITTER_NAME": "Bot",
                "GIT_COMMITTER_EMAIL": "b@e.com",
            },
        )
        return str(self.repo.head.commit.hexsha)


def make_repo(path: Path) -> PolicyRepo:
    """An empty repository on branch main with a pyproject holding [tool.notifier]."""
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch="main")
    repo.git.config("commit.gpgsign", "false")
    repo.git.config("tag.gpgsign", "false")
    (path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return PolicyRepo(path, repo)


@pytest.fixture
def policy_repo(tmp_path: Path) -> Iterator[PolicyRepo]:
    """A fresh repository; closed after the test."""
    built = make_repo(tmp_path / "repo")
    yield built
    built.repo.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path, today: str | None = None) -> CliResult:
    """Run the real ``notifier`` command in a subprocess."""
    env = dict(os.environ)
    env.pop("NOTIFIER_TODAY", None)
    if today:
        env["NOTIFIER_TODAY"] = today
    proc = subprocess.run(
        [sys.executable, "-m", "notifier", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


TODAY = dt.date(2026, 11, 26)


POSTGRES_URL = os.environ.get(
    "NOTIFIER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _drop_ledger(url: str) -> None:
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        # The tables as they are (an older schema's too), not as the code declares them.
        found = MetaData()
        found.reflect(connection)
        found.drop_all(connection)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh ledger database: a SQLite file, or the test PostgreSQL database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    _drop_ledger(POSTGRES_URL)
    yield POSTGRES_URL
    _drop_ledger(POSTGRES_URL)


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[NoticeLedger]:
    """A ledger on each database, schema up to date."""
    opened = NoticeLedger.open(ledger_url)
    yield opened
    opened.close()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is needed: ./scripts/test installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
