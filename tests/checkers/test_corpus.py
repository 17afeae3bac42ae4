"""The labelled corpus: the scanner reaches 0.95 precision and recall for every sensitive kind, and the
voice checker reports exactly the rules each draft is labelled with."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from course.policy import load_policies
from course.privacy import scanner_for
from course.voice import checker_for
from tests.checkers.corpus_eval import CORPUS, evaluate, load_corpus
from tests.checkers.make_corpus import build

ROWS = load_corpus()


def test_committed_corpus_is_what_the_generator_builds() -> None:
    """The committed corpus.jsonl has not drifted from its generator (nobody edited labels by hand)."""
    committed = CORPUS.read_text("utf-8").splitlines()
    assert committed == [json.dumps(row, ensure_ascii=False) for row in build()]


def test_corpus_is_large_and_covers_every_channel_and_kind() -> None:
    """Several hundred drafts, every channel, and at least 30 labelled examples of every kind."""
    assert len(ROWS) >= 500
    assert set(Counter(r["channel"] for r in ROWS)) == set(checker_for().channel_ids)
    per_kind = Counter(s["kind"] for r in ROWS for s in r["sensitive"])
    assert set(per_kind) == set(load_policies().sensitive.kind_ids)
    assert min(per_kind.values()) >= 30, per_kind
    assert sum(1 for r in ROWS if not r["sensitive"]) >= 150, "lookalike and clean drafts keep precision honest"


@pytest.mark.parametrize("kind", load_policies().sensitive.kind_ids)
def test_scanner_precision_and_recall_per_kind(kind: str) -> None:
    """For each kind, the scanner's precision and recall on the corpus are at least 0.95."""
    scores = evaluate(ROWS, scanner_for().detect, kinds=[kind])[kind]
    assert scores.precision >= 0.95 and scores.recall >= 0.95, (
        f"{kind}: precision {scores.precision:.3f}, recall {scores.recall:.3f} ({scores})")


def test_voice_checker_reports_exactly_the_labelled_rules() -> None:
    """Every draft gets exactly its labelled voice rules (reading grade aside: a formula, unit-tested)."""
    checker = checker_for(sensitive=False)
    wrong = []
    for row in ROWS:
        got = sorted(r for r in checker.check(row["text"], row["channel"]).rule_ids if r != "reading.grade")
        if got != row["voice"]:
            wrong.append(f"{row['id']}: expected {row['voice']}, got {got}: {row['text'][:80]!r}")
    assert not wrong, "\n".join(wrong)
