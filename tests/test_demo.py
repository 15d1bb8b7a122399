"""``notifier demo`` on a copy of this very repository, on a machine with no git identity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import git

from .conftest import REPO_ROOT


def test_demo_rehearses_a_material_change_without_touching_the_repository(tmp_path: Path) -> None:
    tags_before = sorted(t.name for t in git.Repo(REPO_ROOT).tags)
    folder = str(tmp_path / "demo")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GIT_", "NOTIFIER_", "SENDGRID_"))
    }
    # A fresh CI runner: no git identity anywhere, yet the release must still tag.
    env |= {"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "NOTIFIER_TODAY": "2026-11-26"}
    proc = subprocess.run(
        [sys.executable, "-m", "notifier", "--repo", str(REPO_ROOT), "demo", "--folder", folder],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    state = tmp_path / "demo" / "repo" / ".notifier"
    assert (state / "site/privacy/2.0/changes/index.html").is_file(), proc.stdout
    page = (state / "site/privacy/2.0/changes/index.html").read_text(encoding="utf-8")
    assert "<del>30</del>" in page and "<ins>90</ins>" in page
    emails = list(state.glob("outbox/privacy-2.0/*.eml"))
    assert len(emails) == 10
    notices = json.loads(proc.stdout.split("(GET /v1/notices):\n", 1)[1])
    assert notices and notices[0]["class"] == "material"
    assert "90 days" in notices[0]["summary"]
    demo_tags = sorted(t.name for t in git.Repo(tmp_path / "demo" / "repo").tags)
    assert any(tag.startswith("privacy/") for tag in demo_tags)
    assert sorted(t.name for t in git.Repo(REPO_ROOT).tags) == tags_before
