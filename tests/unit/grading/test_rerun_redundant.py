"""The clean re-run is skipped only when it would run exactly the learner's own code again."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.grading.execute import ExecuteJob
from course.grading.pipeline import rerun_is_redundant

SETUP = "from course.answers import check_answer"
TEST = 'check_answer("team", team)\nassert team == "my_team"'


def _nb(*cells: str, markdown: bool = False) -> bytes:
    body = [new_markdown_cell("Read this.")] if markdown else []
    return nbformat.writes(new_notebook(cells=[*body, *(new_code_cell(c) for c in cells)])).encode()


OWN_FILES = (("data/posts.csv", b"id,text\n"),)


def _redundant(learner: bytes, clean: bytes, files: tuple = OWN_FILES) -> bool:
    """The job as the pipeline has it: the learner's folder (+ the collector's timestamp) and the re-run's."""
    job = ExecuteJob(key="k", notebook_name="n.ipynb", notebook=learner, rerun=clean, rerun_files=OWN_FILES,
                     files=(*files, ("timestamp.txt", b"2026-11-20 10:00:00 UTC")))
    return rerun_is_redundant(job)


def test_plain_answers_written_differently_need_no_second_run() -> None:
    """Comments, quotes, a blank `...` and set order do not change what runs."""
    learner = _nb(SETUP, '# Type the audience id in quotes\nteam = "my_team"\nmissing = ...\nkinds = {"b", "a"}', TEST,
                  markdown=True)
    clean = _nb(SETUP, "team = 'my_team'\nmissing = ...\nkinds = {'a', 'b'}", TEST)
    assert _redundant(learner, clean)


def test_any_other_code_of_the_learners_keeps_the_second_run() -> None:
    """A call, an import, a redefinition or an extra cell means the learner's kernel ran their code."""
    clean = _nb(SETUP, "team = 'my_team'", TEST)
    for answer in ('team = "my_team"\nimport builtins', 'team = "my_team"; print(team)', 'def team(): pass',
                   "team = str('my_team')", "team = 'your_team'"):
        assert not _redundant(_nb(SETUP, answer, TEST), clean), answer
    assert not _redundant(_nb(SETUP, 'team = "my_team"', TEST, "AssertionError = None"), clean)
    assert not _redundant(_nb(SETUP, 'team = "my_team"', TEST + "\n"), clean)


def test_an_extra_file_of_the_learners_keeps_the_second_run() -> None:
    """A file the assignment does not have (a `course/` package shadowing the real one) changes what
    the same code does, so the clean run in the assignment's own files is still needed."""
    same = _nb(SETUP, "team = 'my_team'", TEST)
    assert _redundant(same, same)
    assert not _redundant(same, same, files=(*OWN_FILES, ("course/__init__.py", b"")))
    assert not _redundant(same, same, files=(("data/posts.csv", b"id,text\nforged\n"),))
