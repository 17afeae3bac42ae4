"""Read the labelled corpus and score a sensitive-content detector on it: precision and recall per kind.

Shared by tests/checkers/test_corpus.py and bench/checkers.py, so the test and the benchmark count
in exactly the same way. A predicted span is a true positive when it has the same kind as a labelled
span and overlaps it; each labelled span can be matched once. Spans are ``str`` indices.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).with_name("corpus.jsonl")
Span = tuple[str, int, int]  # (kind, start, end)


def load_corpus(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def expected_spans(row: dict) -> list[Span]:
    return [(s["kind"], s["start"], s["end"]) for s in row["sensitive"]]


@dataclass
class Scores:
    """True positives, false positives and false negatives, with precision, recall and F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Scores) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


def score_row(expected: Iterable[Span], predicted: Iterable[Span]) -> dict[str, Scores]:
    """Per-kind counts for one draft: same kind and overlapping spans match, one to one."""
    out: dict[str, Scores] = {}
    unmatched = list(expected)
    for kind, start, end in predicted:
        hit = next((e for e in unmatched if e[0] == kind and e[1] < end and start < e[2]), None)
        scores = out.setdefault(kind, Scores())
        if hit is None:
            scores.fp += 1
        else:
            scores.tp += 1
            unmatched.remove(hit)
    for kind, _, _ in unmatched:
        out.setdefault(kind, Scores()).fn += 1
    return out


def evaluate(rows: Iterable[dict], predict: Callable[[str], Iterable[Span]],
             kinds: Iterable[str] | None = None) -> dict[str, Scores]:
    """Scores per kind over the corpus for ``predict(text) -> [(kind, start, end)]``.

    With ``kinds``, only those kinds are counted (labels and predictions alike).
    """
    wanted = set(kinds) if kinds is not None else None
    totals: dict[str, Scores] = {}
    for row in rows:
        expected = [s for s in expected_spans(row) if wanted is None or s[0] in wanted]
        predicted = [s for s in predict(row["text"]) if wanted is None or s[0] in wanted]
        for kind, scores in score_row(expected, predicted).items():
            totals.setdefault(kind, Scores()).add(scores)
    return totals


def micro(per_kind: dict[str, Scores]) -> Scores:
    total = Scores()
    for scores in per_kind.values():
        total.add(scores)
    return total
