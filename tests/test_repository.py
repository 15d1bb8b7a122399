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
