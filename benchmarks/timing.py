"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated runs of one candidate."""

    name: str
    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def measure(name: str, action: Callable[[], object], repeat: int) -> Timing:
    """Run ``action`` ``repeat`` times (after one warm-up) and keep each duration."""
    action()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return Timing(name, runs)


def report(ours: Timing, baseline: Timing) -> str:
    """One line per candidate and the ratio ours / baseline."""
    ratio = ours.median / baseline.median
    return (
        f"  {ours.name:<44} median {ours.median * 1000:9.1f} ms\n"
        f"  {baseline.name:<44} median {baseline.median * 1000:9.1f} ms\n"
        f"  ratio ours/baseline: {ratio:.2f}x"
    )
