"""The clean re-run that decides test scores: what it keeps of a learner's notebook, and how its
results combine with the learner's own run. Pure functions over notebooks: no kernel runs here."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course.grading import verdicts

SETUP = "from course.answers import same\nexpected = 'my_team'"
TEST = "assert same(answer, expected)"


def _cell(source: str, **meta: object) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    if meta:
        cell.metadata["nbgrader"] = {"schema_version": 3, **meta}
    return cell


def _learner_notebook(answer_source: str, *extra: nbformat.NotebookNode) -> bytes:
    nb = new_notebook(cells=[
        new_markdown_cell("# Module"),
        _cell(SETUP, grade_id="setup", locked=True, grade=False, solution=False),
        _cell(answer_source, grade_id="answer_cell", solution=True, grade=False, locked=False),
        *extra,
        _cell(TEST, grade_id="answer", grade=True, locked=True, solution=False, points=1),
        _cell("show_table()"),
    ])
    return nbformat.writes(nb).encode()


RULES = verdicts.NotebookRules(answer_names=frozenset({"answer"}), locked={"setup": SETUP, "answer": TEST},
                               author_code=frozenset({"show_table()"}))


def _sources(data: bytes) -> list[str]:
    return [c.source for c in nbformat.reads(data.decode(), as_version=4).cells]


def test_literal_names_accepts_only_plain_values() -> None:
    """Assignments of literals (and the ... placeholder) give their names; any other code gives None."""
    assert verdicts.literal_names("# pick one\nanswer = ...\n### BEGIN SOLUTION\nanswer = {'a', 'b'}\n") == {"answer"}
    assert verdicts.literal_names("a = b = (1, 'x', None)") == {"a", "b"}
    assert verdicts.literal_names("def squares(n):\n    return [i * i for i in range(n)]") is None
    assert verdicts.literal_names("answer = str('x')") is None
    assert verdicts.literal_names("answer = x") is None
    assert verdicts.literal_names("answer = (") is None


def test_literal_part_keeps_allowed_literals_and_drops_everything_else() -> None:
    """Calls, imports, attribute writes, other names and values that do not survive repr are left out."""
    source = ("import course.answers\ncourse.answers.same = lambda a, b: True\nanswer = 'public'\n"
              "expected = 'public'\nanswer2 = float('inf')\nanswer = {'b', 'a'}\nanswer3 = 1e999\n")
    kept, dropped = verdicts.literal_part(source, {"answer", "answer2", "answer3"})
    assert dropped
    assert kept.splitlines()[0] == "answer = 'public'"
    assert kept.splitlines()[1] in ("answer = {'a', 'b'}", "answer = {'b', 'a'}")
    assert len(kept.splitlines()) == 2  # not `expected`, not the inf values, not the patch


def test_literal_part_keeps_the_placeholder_and_refuses_giant_cells() -> None:
    """An unanswered ``...`` stays ``...``; a cell over the size cap yields nothing."""
    assert verdicts.literal_part("answer = ...", {"answer"}) == ("answer = ...", False)
    kept, dropped = verdicts.literal_part("answer = '" + "x" * verdicts.MAX_ANSWER_SOURCE + "'", {"answer"})
    assert (kept, dropped) == ("", True)


def test_rerun_keeps_trusted_cells_and_only_the_learners_plain_values() -> None:
    """Locked cells as the gradebook has them and the author's cells stay; learner code does not."""
    cheat = "import course.answers\ncourse.answers.same = lambda a, b: True\nanswer = 'public'"
    scratch = _cell("import os; os.system('curl evil')")
    fake_test = _cell("print('I am a test')", grade_id="setup", locked=True, grade=False, solution=False)
    data, notes = verdicts.build_rerun(_learner_notebook(cheat, scratch, fake_test), RULES)
    assert data is not None
    assert _sources(data) == [SETUP, "answer = 'public'", "", "", TEST, "show_table()"]
    assert notes == ["answer cell answer_cell holds code besides plain values; only its plain values were graded"]


def test_rerun_cells_carry_only_nbgraders_metadata() -> None:
    """A learner's "skip-execution" tag on a test cell (nbclient would not run it, and nbgrader gives
    an unrun test full marks) does not reach the re-run."""
    nb = nbformat.reads(_learner_notebook("answer = 'public'").decode(), as_version=4)
    for cell in nb.cells:
        cell.metadata["tags"] = ["skip-execution"]
    data, _ = verdicts.build_rerun(nbformat.writes(nb).encode(), RULES)
    assert data is not None
    cells = nbformat.reads(data.decode(), as_version=4).cells
    assert all(set(c.metadata) <= {"nbgrader"} for c in cells)
    assert TEST in [c.source for c in cells]


def test_rerun_accepts_nbgraders_readded_test_cell_but_not_a_commented_prefix_on_one_line() -> None:
    """nbgrader re-adds a deleted test behind comment lines; a prefix that swallows the first line is code."""
    assert verdicts._is_locked_copy("# This cell was missing.\n\n" + TEST, TEST)
    assert not verdicts._is_locked_copy("# " + TEST, TEST)
    assert not verdicts._is_locked_copy("answer = expected\n" + TEST, TEST)


def test_no_rerun_when_answers_are_code(tmp_path) -> None:
    """A course whose model answers are functions gets no re-run, with the reason."""
    solution = new_notebook(cells=[_cell("def squares(n):\n    return [i * i for i in range(n)]",
                                         grade_id="squares", solution=True, grade=False, locked=False)])
    path = tmp_path / "ps1.ipynb"
    nbformat.write(solution, path)
    rules = verdicts.rules_for(locked={}, solution=path, released=None)
    assert rules.answer_names is None and "code" in rules.why_not
    assert verdicts.build_rerun(_learner_notebook("answer = 1"), rules) == (None, [])


def test_rules_read_names_from_the_model_answers(tmp_path) -> None:
    """The names a learner may bind are those the model answers bind; the author's plain cells are trusted."""
    solution = new_notebook(cells=[
        _cell("answer = ...\n### BEGIN SOLUTION\nanswer = 'my_team'\n### END SOLUTION", grade_id="answer_cell",
              solution=True, grade=False, locked=False),
        _cell("show_table()"),
    ])
    path = tmp_path / "m.ipynb"
    nbformat.write(solution, path)
    rules = verdicts.rules_for(locked={"setup": SETUP}, solution=path, released=None)
    assert rules.answer_names == {"answer"}
    assert rules.author_code == {"show_table()"}


def _executed(outputs: list) -> nbformat.NotebookNode:
    cell = _cell(TEST, grade_id="answer", grade=True, locked=True, solution=False, points=2)
    cell.outputs = outputs
    return new_notebook(cells=[cell])


def test_apply_takes_the_rerun_result_when_it_is_lower() -> None:
    """A test that passed only in the learner's kernel gets the re-run's error, a note and a flag."""
    error = new_output("error", ename="AssertionError", evalue="", traceback=[])
    mine = _executed([])
    flags = verdicts.apply(mine, _executed([error]))
    assert flags and "passed in the learner's kernel" in flags[0] and "2 -> 0" in flags[0]
    assert mine.cells[0].outputs[0]["ename"] == "AssertionError"
    assert verdicts.NOTE in mine.cells[0].outputs[-1]["data"]["text/plain"]


def test_apply_never_raises_a_score() -> None:
    """When the learner's own run failed, a passing re-run changes nothing (stock nbgrader's score)."""
    error = new_output("error", ename="NameError", evalue="answer", traceback=[])
    mine = _executed([error])
    assert verdicts.apply(mine, _executed([])) == []
    assert mine.cells[0].outputs == [error]


def test_apply_takes_lower_partial_credit() -> None:
    """Partial credit (a number as the cell's result) counts the same way: the lower one wins."""
    mine = _executed([new_output("execute_result", data={"text/plain": "2"}, execution_count=1)])
    flags = verdicts.apply(mine, _executed([new_output("execute_result", data={"text/plain": "0.5"},
                                                       execution_count=1)]))
    assert flags and "2 -> 0.5" in flags[0]


def test_rerun_skips_the_authors_display_only_cells_but_keeps_their_source() -> None:
    """An author's cell that only calls a widget imported from course.widgets on plain values is
    tagged for nbclient to skip in the re-run (it decides nothing), so the re-run costs less; its
    source stays, so a learner's notebook with only the author's cells still equals its re-run."""
    setup = "from course.answers import same\nfrom course.widgets import show_situation, policy_table\nexpected = 1"
    shown = ['show_situation("draft_1")', 'policy_table("audiences")\nshow_situation("draft_2")']
    kept = ["show_situation(expected)", "policy_table('a', **{'b': 1})", "print('hi')", "x = show_situation('a')",
            "import os\nshow_situation('a')"]
    nb = new_notebook(cells=[
        _cell(setup, grade_id="setup", locked=True, grade=False, solution=False),
        *[_cell(s) for s in shown + kept],
        _cell("answer = 1", grade_id="answer_cell", solution=True, grade=False, locked=False),
        _cell("assert same(answer, expected)", grade_id="answer", grade=True, locked=True, solution=False, points=1),
    ])
    rules = verdicts.NotebookRules(answer_names=frozenset({"answer"}),
                                   locked={"setup": setup, "answer": "assert same(answer, expected)"},
                                   author_code=frozenset(shown + kept))
    data, _ = verdicts.build_rerun(nbformat.writes(nb).encode(), rules)
    assert data is not None
    cells = nbformat.reads(data.decode(), as_version=4).cells
    skipped = [c.source for c in cells if "skip-execution" in c.metadata.get("tags", [])]
    assert skipped == shown
    assert [c.source for c in cells] == [c.source for c in nb.cells]
    # a configured skip tag is the one used
    data, _ = verdicts.build_rerun(nbformat.writes(nb).encode(), rules, skip_tag="no-run")
    cells = nbformat.reads(data.decode(), as_version=4).cells
    assert [c.source for c in cells if c.metadata.get("tags") == ["no-run"]] == shown


def test_display_names_are_only_those_imported_from_display_modules_and_never_rebound() -> None:
    sources = ["from course.widgets import show_situation, policy_table as table\nfrom course.answers import same",
               "from course.widgets.cases import show_case\nimport course.widgets",
               "def show_case():\n    pass", "from os import path"]
    assert verdicts.display_names(sources) == {"show_situation", "table"}
    assert not verdicts.only_displays("", frozenset({"f"}))
    assert verdicts.only_displays("f(1, 'a', x=[1, 2])\nf()", frozenset({"f"}))
    assert not verdicts.only_displays("f(g())", frozenset({"f"}))
    assert not verdicts.only_displays("f(*[1])", frozenset({"f"}))
