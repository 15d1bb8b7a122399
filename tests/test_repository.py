"""This repository itself: its policies pass the check, its workflow runs the check."""

from __future__ import annotations

import yaml

from notifier.check import check_repository

from .conftest import REPO_ROOT, TODAY


def test_main_passes_its_own_check() -> None:
    report = check_repository(REPO_ROOT, base=None, today=TODAY)
    assert report.ok, report.problems
    assert "privacy" in [d.doc_id for d in report.documents]


def test_pull_request_workflow_runs_the_check_on_full_history() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/policy-check.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "policy/**" in triggers["pull_request"]["paths"]
    steps = workflow["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    run = next(s["run"] for s in steps if "notifier check" in s.get("run", ""))
    assert "--format markdown" in run and "GITHUB_STEP_SUMMARY" in run and "pipefail" in run


WORKFLOWS = REPO_ROOT / ".github/workflows"


def test_workflows_pass_actionlint() -> None:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    result = subprocess.run(
        [actionlint, *sorted(map(str, WORKFLOWS.glob("*.yml")))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_daily_and_pages_workflows() -> None:
    release = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
    steps = release["jobs"]["release"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    run = next(s for s in steps if "notifier release" in s.get("run", ""))
    assert run["env"]["SENDGRID_API_KEY"] == "${{ secrets.SENDGRID_API_KEY }}"
    assert run["env"]["NOTIFIER_DATABASE_URL"] == "${{ secrets.NOTIFIER_DATABASE_URL }}"
    assert release["concurrency"]["cancel-in-progress"] is False
    daily = yaml.safe_load((WORKFLOWS / "daily.yml").read_text())
    assert daily[True]["schedule"][0]["cron"]
    assert daily["jobs"]["publish"]["uses"] == "./.github/workflows/pages.yml"
    pages = yaml.safe_load((WORKFLOWS / "pages.yml").read_text())
    assert any("deploy-pages" in s.get("uses", "") for s in pages["jobs"]["deploy"]["steps"])
