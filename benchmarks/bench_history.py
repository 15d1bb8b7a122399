"""Read the full history of a 70-release document (replayed from the corpus).

Baseline, measured in the same run: what a script would do with git alone, one
``git log --follow`` for the commits and paths plus one ``git show`` per release. git's rename
detection loses this document at its 2024 rename (the file was rewritten in the same commit), so
the baseline is given both paths and runs ``git log --follow`` once for each; it parses nothing.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from benchmarks.timing import measure, report
from notifier.history import PolicyRepository
from tests.conftest import make_repo
from tests.corpus_replay import replay

DOC = "github-privacy-statement"


def _ours(path: Path) -> int:
    with PolicyRepository(path) as repository:
        return len(repository.history("policy", "main").of("github-general-privacy-statement"))


PATHS = ["policy/github-general-privacy-statement.md", "policy/github-privacy-statement.md"]


def _git_baseline(path: Path) -> int:
    shown: set[str] = set()
    for policy_path in PATHS:
        log = subprocess.run(
            ["git", "log", "--follow", "--name-only", "--format=%x01%H", "main", "--", policy_path],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for record in log.split("\x01")[1:]:
            sha, file = record.split()[:2]
            if sha in shown or file not in PATHS:
                continue
            subprocess.run(
                ["git", "show", f"{sha}:{file}"], cwd=path, capture_output=True, check=True
            )
            shown.add(sha)
    return len(shown)


def run(repeat: int = 5) -> None:
    """Print both timings and the ratio."""
    with tempfile.TemporaryDirectory() as folder:
        built = make_repo(Path(folder) / "repo")
        versions = replay("site-policy", DOC, built.repo)
        built.repo.close()
        assert _ours(built.path) == _git_baseline(built.path) == len(versions) == 70
        print(f"history: {len(versions)} releases of {DOC}, replayed into a temp repository")
        ours = measure(
            "notifier history (GitPython, parse + hash)", lambda: _ours(built.path), repeat
        )
        baseline = measure(
            "git log --follow + git show per release", lambda: _git_baseline(built.path), repeat
        )
        print(report(ours, baseline))
