"""The classifier on the real corpus: the goals of the evaluation, and no crash on any pair."""

from __future__ import annotations

import json

from benchmarks.evaluate import corpus_pairs, evaluate_labelled, read
from notifier import compare
from notifier.compare import Comparison, clear_caches

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


def _outcome(comparison: Comparison) -> str:
    """Everything a comparison tells: its report and the redline's alignment, block by block."""
    sections = [
        (
            section.old and section.old.anchor,
            section.new and section.new.anchor,
            section.moved,
            [
                (block.old and block.old.text, block.new and block.new.text)
                for block in section.blocks
            ],
        )
        for section in comparison.sections
    ]
    return json.dumps([comparison.to_dict(), sections])


def test_what_is_remembered_between_comparisons_changes_no_result() -> None:
    """Over a history each version is parsed relative to the one before and shares elements,
    rows and sections with it: every pair must come out as it does compared from nothing."""
    pairs = corpus_pairs()
    clear_caches()
    warm = [_outcome(compare(read(old), read(new))) for _, old, new in pairs]
    for (pair, old, new), outcome in zip(pairs, warm, strict=True):
        clear_caches()
        assert _outcome(compare(read(old), read(new))) == outcome, pair
