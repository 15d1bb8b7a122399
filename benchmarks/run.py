"""Run the benchmarks: ``python benchmarks/run.py [name ...]`` (default: all)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHMARKS = ["history", "diff", "site", "send", "inapp"]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        if name not in BENCHMARKS:
            sys.exit(f"Error: unknown benchmark '{name}'. Choose from: {', '.join(BENCHMARKS)}.")
        importlib.import_module(f"benchmarks.bench_{name}").run()


if __name__ == "__main__":
    main(sys.argv[1:])
