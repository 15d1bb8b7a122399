"""Build the site of the 70 releases of GitHub's privacy statement (replayed from the corpus).

Baseline, in the same run: a plain mkdocs site of the same 70 texts as ordinary Markdown pages
(same theme and search, no notifier plugin). Our site has more than twice as many pages: each
release archived, each redline, the history, compare and changelog pages, feeds and JSON.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.timing import measure, report
from tests.conftest import make_repo
from tests.corpus_replay import replay
from tests.site_repo import MKDOCS

PLAIN_MKDOCS = MKDOCS.replace("  - notifier\n", "").replace("nav:\n  - Home: index.md\n", "")


def _build(project: Path, out: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", NOTIFIER_TODAY="2026-11-26")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )


def _pages(out: Path) -> int:
    return sum(1 for _ in out.rglob("index.html"))


def run(repeat: int = 3) -> dict[str, float]:
    """Print both build times and the ratio."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ours = make_repo(root / "ours")
        (ours.path / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
        ours.write("docs/index.md", "# Policies\n\n<!-- notifier:policies -->\n")
        versions = replay("site-policy", "github-privacy-statement", ours.repo)
        ours.repo.close()
        plain = root / "plain"
        (plain / "docs").mkdir(parents=True)
        (plain / "mkdocs.yml").write_text(PLAIN_MKDOCS, encoding="utf-8")
        (plain / "docs/index.md").write_text("# Policies\n", encoding="utf-8")
        for version in versions:
            (plain / "docs" / f"v{version.seq:03}.md").write_text(version.body, encoding="utf-8")
        timing_ours = measure(
            "mkdocs build with notifier", lambda: _build(ours.path, root / "o"), repeat
        )
        timing_plain = measure(
            "plain mkdocs build, same texts", lambda: _build(plain, root / "p"), repeat
        )
        print(
            f"site: {len(versions)} releases; pages built: ours {_pages(root / 'o')}, "
            f"plain {_pages(root / 'p')}"
        )
        print(report(timing_ours, timing_plain) + " (goal <= 1.5x)")
        return {
            "ours_s": timing_ours.median,
            "plain_s": timing_plain.median,
            "ratio": timing_ours.median / timing_plain.median,
        }
