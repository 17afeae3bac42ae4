"""course.practice: practice sets load and validate; feedback is immediate and explains itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from course.policy import PolicyError
from course.practice import evaluate, load_practice


def _write(tmp_path: Path, items: list[dict]) -> Path:
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump({"title": "Demo", "items": items}), "utf-8")
    return tmp_path


ITEM = {
    "id": "lunch",
    "prompt": "Team lunch moves to Friday.",
    "options_from": "audiences",
    "answer": "my_team",
    "explanation": "Only your team needs it.",
    "hints": {"public": "Strangers don't need your lunch plans."},
}


def test_feedback_right_wrong_and_unanswered(tmp_path: Path) -> None:
    item = load_practice("demo", directory=_write(tmp_path, [ITEM])).items[0]
    assert evaluate(item, "my_team").correct
    assert "Only your team" in evaluate(item, "my_team").message
    wrong = evaluate(item, "public")
    assert not wrong.correct and "Strangers" in wrong.message
    assert "Pick one" in evaluate(item, None).message


def test_answer_must_be_an_option(tmp_path: Path) -> None:
    """A practice answer that is not among the options is caught when the file loads."""
    with pytest.raises(PolicyError, match=r"items\[0\]\.answer"):
        load_practice("demo", directory=_write(tmp_path, [{**ITEM, "answer": "my_teem"}]))


def test_options_or_options_from(tmp_path: Path) -> None:
    bad = {**ITEM, "options": [{"value": "a", "label": "A"}]}
    with pytest.raises(PolicyError, match="either 'options' or 'options_from'"):
        load_practice("demo", directory=_write(tmp_path, [bad]))
