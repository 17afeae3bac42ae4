"""course.final_check: papers drawn per learner from the bank, reproducible, and never carrying an answer."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import nbformat
import pytest
import yaml

from course.answers import AnswerFormatError, NotAnsweredError, check_answer
from course.final_check import (
    Bank,
    BankItem,
    declared_learner_id,
    draw_paper,
    load_bank,
    normalise_learner_id,
    paper_for,
    slot_form,
)
from course.grading.release import check_no_leaks
from course.policy import PolicyError, load_policies

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "data" / "final_check_bank.yaml"
SOLUTION = REPO / "solutions" / "07-final-check" / "07-final-check.ipynb"
ROSTER_IDS = [row["employee_id"] for row in csv.DictReader((REPO / "data" / "roster.csv").open(encoding="utf-8"))]


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


def test_neighbours_get_different_papers_and_every_item_is_used(bank: Bank) -> None:
    """Across the roster, no two learners share a paper, and every item of the bank is drawn by someone."""
    papers = {lid: draw_paper(lid, bank=bank).item_ids for lid in ROSTER_IDS}
    assert len(ROSTER_IDS) >= 20
    assert len(set(papers.values())) == len(papers)
    assert {i for p in papers.values() for i in p} == {i.id for i in bank.items}


def test_every_paper_follows_the_blueprint(bank: Bank) -> None:
    """Slot k's item is on the blueprint's topic for slot k, and no item appears twice on a paper."""
    for lid in ROSTER_IDS:
        paper = draw_paper(lid, bank=bank)
        assert [s.item.topic for s in paper.slots] == bank.blueprint
        assert [s.slot for s in paper.slots] == list(range(1, len(bank.blueprint) + 1))
        assert len(set(paper.item_ids)) == len(paper.item_ids)


def test_the_same_id_gives_the_same_paper_in_a_new_process(bank: Bank) -> None:
    """A paper depends on nothing but the id and the bank: another process, another hash seed, same paper."""
    code = ("import json, sys; from course.final_check import draw_paper; "
            "print(json.dumps({i: draw_paper(i).item_ids for i in sys.argv[1:]}))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code, *ROSTER_IDS[:5]], capture_output=True, text=True,
                         check=True, env=env, cwd=REPO).stdout
    assert json.loads(out) == {i: list(draw_paper(i, bank=bank).item_ids) for i in ROSTER_IDS[:5]}


def test_the_draw_is_the_documented_sha256_ranking(bank: Bank) -> None:
    """An auditor can recompute a paper by hand: rank a topic's items by sha256(salt:ID:item id)."""
    paper = draw_paper("e1001 ", bank=bank)
    for topic in bank.topics:
        items = [i.id for i in bank.items if i.topic == topic]
        ranked = sorted(items, key=lambda i: hashlib.sha256(f"{bank.salt}:E1001:{i}".encode()).hexdigest())
        drawn = [s.item.id for s in paper.slots if s.item.topic == topic]
        assert drawn == ranked[: len(drawn)]


def test_a_pinned_paper_never_changes(tmp_path: Path) -> None:
    """The draw itself is frozen: a fixed bank gives this exact paper on every Python version."""
    data = {"title": "t", "version": "1", "salt": "pinned", "blueprint": ["01-a", "01-a", "02-b"],
            "items": [{"id": f"q{n}", "topic": "01-a" if n < 4 else "02-b", "kind": "yes_no",
                       "question": f"Question {n}?"} for n in range(7)]}
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    assert draw_paper("E1001", bank=load_bank(path)).item_ids == ("q1", "q2", "q6")


def test_ids_are_normalised_and_checked() -> None:
    assert normalise_learner_id("  e1001 ") == "E1001"
    assert draw_paper(" e1001").item_ids == draw_paper("E1001").item_ids
    with pytest.raises(NotAnsweredError, match="my_employee_id"):
        draw_paper(...)
    for bad in ("E 1001", "", 1001, None, "E1001; DROP"):
        with pytest.raises(AnswerFormatError):
            normalise_learner_id(bad)


def test_other_paper_sizes_spread_over_the_topics(bank: Bank) -> None:
    six = draw_paper("E1001", n=6, bank=bank)
    assert [s.item.topic for s in six.slots] == bank.topics
    with pytest.raises(ValueError, match="1 to"):
        draw_paper("E1001", n=0, bank=bank)
    with pytest.raises(ValueError, match="no question 11"):
        draw_paper("E1001", bank=bank).slot(11)


def test_slot_form_gives_the_kind_and_the_choices(bank: Bank) -> None:
    """The visible check of a slot knows the answer's form from the item, for the learner's own paper."""
    for lid in ROSTER_IDS:
        paper = draw_paper(lid, bank=bank)
        for s in paper.slots:
            form = slot_form(lid, s.slot, bank=bank)
            assert form["kind"] == s.item.kind
            if s.item.kind == "choice":
                assert form["choices"] == [o.value for o in s.item.options]


# -- no answers anywhere but the hidden tests ----------------------------------------------------

def test_the_bank_cannot_hold_an_answer(tmp_path: Path) -> None:
    """An answer written into the bank is refused when the bank is loaded."""
    data = yaml.safe_load(BANK.read_text("utf-8"))
    data["items"][0]["answer"] = "problem_prevented"
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(PolicyError, match=r"items\[0\]\.answer.*unknown key"):
        load_bank(path)


def test_what_the_package_returns_has_no_answer_field(bank: Bank) -> None:
    """Items, papers and the audit carry question texts and forms only."""
    assert set(BankItem.model_fields) == {"id", "topic", "kind", "question", "post", "channel", "options"}
    audit = paper_for("E1001", bank=bank)
    assert {k for row in audit for k in row} == {"learner_id", "bank_version", "slot", "item_id", "topic",
                                                  "kind", "question"}
    assert {f.name for f in fields(draw_paper("E1001", bank=bank))} == {"learner_id", "slots", "bank_version",
                                                                         "salt"}


def test_no_answer_key_line_is_in_course_or_data(tmp_path: Path) -> None:
    """The hidden tests' lines (the answer key) appear nowhere in course/ or data/, nor in the release."""
    hidden = [line.strip() for block in _hidden_blocks().values() for line in block.splitlines()
              if len(line.strip()) >= 12 and not line.strip().startswith("#")]
    assert any('"value_coffee"' in line for line in hidden)
    files = [p for base in ("course", "data") for p in (REPO / base).rglob("*")
             if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".csv", ".json", ".j2"}]
    found = [(p.name, line) for p in files for line in hidden if line in p.read_text("utf-8", errors="replace")]
    assert found == []
    assert check_no_leaks(SOLUTION.parent, tmp_path / "nothing", also=[REPO / "data"]) == []


# -- the answer key in the solution's hidden tests -------------------------------------------------

def _hidden_blocks() -> dict[int, str]:
    nb = nbformat.read(SOLUTION, as_version=4)
    blocks = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        m = re.fullmatch(r"slot_(\d+)", grade_id)
        if m and cell.metadata["nbgrader"].get("grade"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS\n", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            blocks[int(m.group(1))] = hidden
    return blocks


def _key_ids(hidden: str) -> set[str]:
    body = hidden.split("key = {", 1)[1].split("\n}\n", 1)[0]
    return set(re.findall(r'^    "(\w+)":', body, re.M))


def test_each_slot_has_the_key_of_its_topic(bank: Bank) -> None:
    """Slot k's hidden test knows the answer of every item its topic can put there, and slots agree."""
    blocks = _hidden_blocks()
    assert sorted(blocks) == list(range(1, len(bank.blueprint) + 1))
    by_topic: dict[str, str] = {}
    for slot, topic in enumerate(bank.blueprint, start=1):
        key_source = blocks[slot].split("key = {", 1)[1].split("\n}\n", 1)[0]
        assert _key_ids(blocks[slot]) == {i.id for i in bank.items if i.topic == topic}, f"slot {slot}"
        assert by_topic.setdefault(topic, key_source) == key_source, f"slot {slot}'s key differs for {topic}"


def test_every_key_entry_works_out_an_answer_of_the_items_form(bank: Bank, capsys: pytest.CaptureFixture,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """For every item in every slot it can land in, the key gives an answer the item's form accepts."""
    blocks = _hidden_blocks()
    policies = load_policies()
    monkeypatch.setattr("course.policy.load_policies", lambda *args, **kwargs: policies)  # load once
    wanted = {(s, i.id) for s, topic in enumerate(bank.blueprint, start=1) for i in bank.items if i.topic == topic}
    found: dict[tuple[int, str], str] = {}
    n = 0
    while wanted - set(found) and n < 5000:
        lid = f"T{n:04d}"
        for s in draw_paper(lid, bank=bank).slots:
            found.setdefault((s.slot, s.item.id), lid)
        n += 1
    assert wanted <= set(found)
    for (slot, item_id), lid in sorted(found.items()):
        ns: dict = {"my_employee_id": lid}
        exec(blocks[slot].rsplit("assert answered_right", 1)[0], ns)  # our own hidden tests, up to the assert
        assert ns["item"].id == item_id
        expected = ns["expected"]
        item = bank.item(item_id)
        choices = [o.value for o in item.options] or None
        for value in expected if isinstance(expected, list) else [expected]:
            if item.kind == "number":
                assert isinstance(value, int | float) and not isinstance(value, bool), item_id
            else:
                check_answer(item_id, value, item.kind, choices=choices)
    capsys.readouterr()


# -- for the grading pipeline ------------------------------------------------------------------------

def _notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_declared_learner_id_reads_the_literal_without_running_it() -> None:
    assert declared_learner_id(_notebook("x = 1", 'my_employee_id = " e1001"')) == "E1001"
    assert declared_learner_id(_notebook('my_employee_id = ...\nmy_employee_id = "E1002"')) == "E1002"
    assert declared_learner_id(_notebook('my_employee_id = "E1001"', 'my_employee_id = "E1003"')) == "E1003"
    assert declared_learner_id(_notebook("my_employee_id = ...")) is None
    assert declared_learner_id(_notebook("my_employee_id = input()")) is None
    assert declared_learner_id(_notebook("this is not python (")) is None
    assert declared_learner_id(nbformat.read(SOLUTION, as_version=4)) == "E1001"
