"""Diff and classify all consecutive pairs of the corpus, against git's word diff.

In the same run: our ``compare`` over every pair in one process (reading the files included);
``git diff --no-index --word-diff=porcelain`` over the same pairs, one process per pair, as a
script would do it; the largest pair alone; our pass as the first work of a new process, with its
peak memory; and ``difflib.HtmlDiff``, the alternative a user would otherwise pick, within a time
budget.

Our runs and git's take turns, so that a slow spell of a shared machine does not fall on one of
them only. Before each of our runs, untimed, the caches are emptied and the previous run's garbage
collected: a new process has neither, and freeing fifty megabytes of cached versions is no part of
comparing them.
"""

from __future__ import annotations

import difflib
import gc
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.evaluate import corpus_pairs
from benchmarks.timing import measure, measure_alternating
from notifier import compare
from notifier.compare import clear_caches
from notifier.vocabulary import Vocabulary
from tests.conftest import CORPUS

LARGEST = (
    "ota/youtube-privacy-policy/025_2026-04-03_4313901.md",
    "ota/youtube-privacy-policy/026_2026-05-05_8e9acae.md",
)
HTMLDIFF_BUDGET_S = 60.0


def _cold_start() -> None:
    """Each measured run starts as a fresh process would: nothing parsed or memoized."""
    clear_caches()
    Vocabulary.default.cache_clear()
    gc.collect()  # nor the previous run's garbage for the collector to walk


def _ours(pairs: list[tuple[str, str, str]]) -> int:
    material = 0
    for _, old, new in pairs:
        old_text = (CORPUS / old).read_text(encoding="utf-8")
        new_text = (CORPUS / new).read_text(encoding="utf-8")
        material += compare(old_text, new_text).classification == "material"
    return material


def _git(pairs: list[tuple[str, str, str]]) -> int:
    differing = 0
    for _, old, new in pairs:
        result = subprocess.run(
            [
                "git",
                "diff",
                "--no-index",
                "--word-diff=porcelain",
                str(CORPUS / old),
                str(CORPUS / new),
            ],
            capture_output=True,
            check=False,
        )
        differing += result.returncode == 1
    return differing


def _largest() -> None:
    compare(*((CORPUS / path).read_text(encoding="utf-8") for path in LARGEST))


def _none(_: object) -> None:
    """A candidate's result dropped: it is timed from outside."""


def _fresh_pass(peaks: list[float]) -> float:
    """Seconds of our pass as the first work of a new process (its start-up and imports not
    timed: code, caches and allocator all cold); its peak memory is added to ``peaks``."""
    code = (
        "import resource, sys, time; sys.path.insert(0, '.');"
        "from benchmarks.bench_diff import _ours; from benchmarks.evaluate import corpus_pairs;"
        "pairs = corpus_pairs(); start = time.perf_counter(); _ours(pairs);"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    peaks.append(int(out[-1]) / 1024)
    return float(out[-2])


def _htmldiff(pairs: list[tuple[str, str, str]]) -> tuple[int, float]:
    """Pairs done by difflib.HtmlDiff.make_file within the budget, and the time taken."""
    start = time.perf_counter()
    done = 0
    for _, old, new in pairs:
        old_lines = (CORPUS / old).read_text(encoding="utf-8").splitlines()
        new_lines = (CORPUS / new).read_text(encoding="utf-8").splitlines()
        difflib.HtmlDiff().make_file(old_lines, new_lines)
        done += 1
        if time.perf_counter() - start > HTMLDIFF_BUDGET_S:
            break
    return done, time.perf_counter() - start


def run(repeat: int = 5) -> dict[str, float]:
    """Print the measures and the ratio against git; return them for the note."""
    pairs = corpus_pairs()
    print(f"diff: {len(pairs)} consecutive corpus pairs")
    peaks: list[float] = []
    ours, git, fresh = measure_alternating(
        {
            "notifier compare (one process)": lambda: _none(_ours(pairs)),
            "git diff --no-index --word-diff=porcelain": lambda: _none(_git(pairs)),
            "ours, as a new process's first work": lambda: _fresh_pass(peaks),
        },
        repeat,
        setup=_cold_start,
    )
    largest = measure("largest pair (YouTube/Google privacy, 110 KB)", _largest, 5, _cold_start)
    ratio = ours.median / git.median
    for timing in (ours, git, fresh, largest):
        print(f"  {timing.name:<46} median {timing.median * 1000:9.1f} ms")
    print(
        f"  ratio ours/git: {ratio:.2f}x (goal <= 1.0x); largest pair "
        f"{largest.median * 1000:.0f} ms (goal < 150 ms)"
    )
    print(f"  ratio of a new process's pass to git: {fresh.median / git.median:.2f}x")
    peak = max(peaks)
    print(f"  peak memory of that process: {peak:.0f} MB (goal < 250 MB)")
    done, seconds = _htmldiff(pairs)
    per_pair = seconds / done
    print(
        f"  difflib.HtmlDiff: {done} pairs in {seconds:.1f} s ({per_pair * 1000:.0f} ms per "
        f"pair; about {per_pair * len(pairs):.0f} s for all, "
        f"{per_pair * len(pairs) / ours.median:.0f}x ours)"
    )
    return {
        "ours_s": ours.median,
        "git_s": git.median,
        "ratio": ratio,
        "largest_ms": largest.median * 1000,
        "fresh_s": fresh.median,
        "peak_mb": peak,
    }
