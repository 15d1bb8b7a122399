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


def measure(
    name: str,
    action: Callable[[], object],
    repeat: int,
    setup: Callable[[], object] = lambda: None,
) -> Timing:
    """Run ``action`` ``repeat`` times (after one warm-up) and keep each duration; ``setup``
    runs before each, untimed."""
    setup()
    action()
    runs = []
    for _ in range(repeat):
        setup()
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return Timing(name, runs)


def measure_alternating(
    candidates: dict[str, Callable[[], float | None]],
    repeat: int,
    setup: Callable[[], object] = lambda: None,
) -> list[Timing]:
    """Like :func:`measure` for several candidates, their runs taking turns, so that a slow
    spell of a shared machine falls on all of them rather than on one. A candidate that times
    itself (the part of a new process after its start-up) returns its seconds."""
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    for action in candidates.values():
        setup()
        action()
    for _ in range(repeat):
        for name, action in candidates.items():
            setup()
            start = time.perf_counter()
            own = action()
            runs[name].append(time.perf_counter() - start if own is None else own)
    return [Timing(name, found) for name, found in runs.items()]


def report(ours: Timing, baseline: Timing) -> str:
    """One line per candidate and the ratio ours / baseline."""
    ratio = ours.median / baseline.median
    return (
        f"  {ours.name:<44} median {ours.median * 1000:9.1f} ms\n"
        f"  {baseline.name:<44} median {baseline.median * 1000:9.1f} ms\n"
        f"  ratio ours/baseline: {ratio:.2f}x"
    )
