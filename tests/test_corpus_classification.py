"""The classifier on the real corpus: the goals of the evaluation, and no crash on any pair."""

from __future__ import annotations

import json

from benchmarks.evaluate import corpus_pairs, evaluate_labelled, read
from notifier import compare

from .conftest import CORPUS


def test_labelled_none_pairs_come_out_none() -> None:
    labels = json.loads((CORPUS / "labels-dev.json").read_text(encoding="utf-8"))
    none_pairs = [entry for entry in labels if entry["accept"] == ["none"]]
    assert len(none_pairs) >= 10
    for entry in none_pairs:
        comparison = compare(read(entry["old"]), read(entry["new"]))
        details = [c.to_dict() for c in comparison.changes if c.classification.value != "none"]
        assert comparison.classification == "none", (entry["id"], details)


def test_evaluation_goals_are_met() -> None:
    evaluation = evaluate_labelled()
    for name, (value, goal) in evaluation.goals().items():
        assert value >= goal, f"{name}: {value:.1%} < {goal:.0%}"


def test_every_corpus_pair_compares_without_error() -> None:
    pairs = corpus_pairs()
    assert len(pairs) == 379
    for _, old, new in pairs:
        data = compare(read(old), read(new)).to_dict()
        assert data["classification"] in ("none", "editorial", "material")
