"""Evaluate the classifier on the labelled corpus pairs, and run it on every corpus pair.

``python benchmarks/evaluate.py [--details]`` prints the confusion matrix, precision and recall
per class on ``labels-dev.json`` and the goals of the diff issue; then compares all consecutive
pairs of the corpus and reports errors (there must be none) and the class distribution. The labels
are only read here, to measure; the classifier never sees them.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from notifier import compare
from tests.conftest import CORPUS

CLASSES = ("none", "editorial", "material")


@dataclass(frozen=True)
class Outcome:
    """One labelled pair: accepted labels and what the classifier said."""

    pair: str
    accepted: tuple[str, ...]
    label: str
    predicted: str
    reasons: tuple[str, ...]

    @property
    def correct(self) -> bool:
        return self.predicted in self.accepted


@dataclass(frozen=True)
class Evaluation:
    """Outcomes and the measures the issue sets goals on."""

    outcomes: list[Outcome]

    def truth(self, outcome: Outcome) -> str:
        # An ambiguous pair counts as the accepted label the classifier chose, if any.
        return outcome.predicted if outcome.correct else outcome.accepted[0]

    def matrix(self) -> dict[str, Counter[str]]:
        rows: dict[str, Counter[str]] = {label: Counter() for label in CLASSES}
        for outcome in self.outcomes:
            rows[self.truth(outcome)][outcome.predicted] += 1
        return rows

    def precision(self, label: str) -> float:
        predicted = [o for o in self.outcomes if o.predicted == label]
        return sum(o.correct for o in predicted) / len(predicted) if predicted else 1.0

    def recall(self, label: str) -> float:
        actual = [o for o in self.outcomes if self.truth(o) == label]
        return sum(o.predicted == label for o in actual) / len(actual) if actual else 1.0

    def goals(self) -> dict[str, tuple[float, float]]:
        return {
            "material recall": (self.recall("material"), 1.0),
            "material precision": (self.precision("material"), 0.85),
            "none recall": (self.recall("none"), 0.95),
        }


def read(path: str) -> str:
    return (CORPUS / path).read_text(encoding="utf-8")


def evaluate_labelled() -> Evaluation:
    labels = json.loads((CORPUS / "labels-dev.json").read_text(encoding="utf-8"))
    outcomes = []
    for entry in labels:
        comparison = compare(read(entry["old"]), read(entry["new"]))
        reasons = tuple(
            r
            for c in comparison.changes
            for r in c.reasons
            if c.classification.value == comparison.classification
        )
        outcomes.append(
            Outcome(
                entry["id"],
                tuple(entry["accept"]),
                entry["label"],
                comparison.classification,
                reasons,
            )
        )
    return Evaluation(outcomes)


def corpus_pairs() -> list[tuple[str, str, str]]:
    """(pair id, old path, new path) for every consecutive pair of every corpus document."""
    pairs = []
    for collection in ("site-policy", "basecamp", "ota"):
        manifest = json.loads((CORPUS / collection / "manifest.json").read_text("utf-8"))
        by_doc: dict[str, list[dict[str, object]]] = {}
        for entry in manifest:
            by_doc.setdefault(str(entry["doc"]), []).append(entry)
        for doc, entries in by_doc.items():
            entries.sort(key=lambda e: int(str(e["seq"])))
            for old, new in itertools.pairwise(entries):
                pairs.append(
                    (
                        f"{collection}/{doc}/{old['seq']:0>3}-{new['seq']:0>3}",
                        f"{collection}/{old['file']}",
                        f"{collection}/{new['file']}",
                    )
                )
    return pairs


def print_evaluation(evaluation: Evaluation, details: bool) -> bool:
    print(f"Labelled pairs: {len(evaluation.outcomes)} (labels-dev.json)")
    print("confusion matrix (rows: label, columns: predicted)")
    print(f"  {'':<10}" + "".join(f"{c:>11}" for c in CLASSES))
    for label, row in evaluation.matrix().items():
        print(f"  {label:<10}" + "".join(f"{row[c]:>11}" for c in CLASSES))
    for label in CLASSES:
        print(
            f"  {label:<10} precision {evaluation.precision(label):6.1%}   "
            f"recall {evaluation.recall(label):6.1%}"
        )
    met = True
    for name, (value, goal) in evaluation.goals().items():
        ok = value >= goal
        met &= ok
        print(f"  goal {name:<19} {value:6.1%} (>= {goal:.0%}): {'met' if ok else 'NOT MET'}")
    for outcome in evaluation.outcomes:
        if details or not outcome.correct:
            mark = "ok " if outcome.correct else "MISS"
            print(
                f"  {mark} {outcome.pair}: label {'/'.join(outcome.accepted)}, "
                f"predicted {outcome.predicted}"
            )
            for reason in outcome.reasons[: 4 if not outcome.correct else 1]:
                print(f"        {reason[:160]}")
    return met


def run_corpus() -> Counter[str]:
    pairs = corpus_pairs()
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    for _, old, new in pairs:
        counts[compare(read(old), read(new)).classification] += 1
    elapsed = time.perf_counter() - start
    print(
        f"All corpus pairs: {len(pairs)} compared without error in {elapsed:.2f} s: "
        + ", ".join(f"{c} {counts[c]}" for c in CLASSES)
    )
    return counts


def main(argv: list[str]) -> int:
    met = print_evaluation(evaluate_labelled(), "--details" in argv)
    run_corpus()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
