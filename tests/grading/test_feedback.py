"""``course feedback`` on graded submissions of this course's modules: one page per learner and
notebook, what passed and what did not, the trainer's comments, and never a hidden test."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from course.grading import feedback, grade, simulate
from course.grading.feedback import FAILED, UNCHANGED, WRITTEN, visible_text
from course.grading.release import answer_lines
from tests.grading import courses
from tests.grading.conftest import GRADED_MODULES
from tests.modules import SOLUTIONS

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not GRADED_MODULES, reason="no modules in solutions/ yet")]


@pytest.fixture
def graded(module_workspace: Path) -> Path:
    """The first module, submitted right, wrong and blank by three learners, graded."""
    module = GRADED_MODULES[0]
    released = simulate.read(module_workspace / "release" / module / f"{module}.ipynb")
    solution = simulate.read(SOLUTIONS / module / f"{module}.ipynb")
    for kind in ("right", "wrong", "blank"):
        nb = simulate.make_submission(released, solution, kind, rng=random.Random(3))
        courses.submit(module_workspace, kind, module, {f"{module}.ipynb": nb})
    grade(module_workspace, jobs=2)
    return module_workspace


def test_every_graded_learner_gets_a_page_without_hidden_tests_or_answers(graded: Path) -> None:
    """A page per learner; no line of a hidden test, mark scheme or model answer in its visible
    text, not even for the learner who answered wrong (whose failing tests would quote them)."""
    module = GRADED_MODULES[0]
    report = feedback(graded)
    assert sorted((i.student, i.status) for i in report.items) == [
        ("blank", WRITTEN), ("right", WRITTEN), ("wrong", WRITTEN)]
    secrets = answer_lines(SOLUTIONS / module)[SOLUTIONS / module / f"{module}.ipynb"]
    hidden = [line for line in secrets if "assert" in line or "same(" in line]
    assert hidden, "the module has hidden tests to protect"
    for item in report.items:
        page = graded / "feedback" / item.student / module / f"{module}.html"
        assert item.pages == [page]
        text = visible_text(page.read_text("utf-8"))
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        if item.student != "right":  # the right learner's own answers are the model answers, naturally
            leaked = [line for line in secrets if line in text]
            assert leaked == [], f"{item.student}: {leaked[:3]}"
        assert "Your results" in text
    wrong = visible_text((graded / "feedback/wrong" / module / f"{module}.html").read_text("utf-8"))
    right = visible_text((graded / "feedback/right" / module / f"{module}.html").read_text("utf-8"))
    assert "✘ not passed" in wrong and "✔ passed" in right and "✘ not passed" not in right


def test_a_trainers_comment_appears_and_unchanged_pages_are_not_rewritten(graded: Path) -> None:
    """After a comment in the gradebook (as formgrader saves it) only that learner's page is written
    again, and it shows the comment; a second run writes nothing."""
    module = GRADED_MODULES[0]
    feedback(graded)
    from nbgrader.api import Gradebook

    page = visible_text((graded / "feedback/wrong" / module / f"{module}.html").read_text("utf-8"))
    assert "waiting for your trainer" in page  # the written answer is not marked yet
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(module, module, "wrong")
        comment = next(c for c in notebook.comments)
        comment.manual_comment = "Look again at who can see a team post, Sam."
        for grade in notebook.grades:
            if grade.needs_manual_grade:
                grade.manual_score, grade.needs_manual_grade = 1, False
        gb.db.commit()

    report = feedback(graded)
    assert {i.student: i.status for i in report.items} == {"wrong": WRITTEN, "right": UNCHANGED,
                                                           "blank": UNCHANGED}
    page = visible_text((graded / "feedback/wrong" / module / f"{module}.html").read_text("utf-8"))
    assert "Look again at who can see a team post, Sam." in page
    assert "waiting for your trainer" not in page and "1 of " in page
    assert {i.status for i in feedback(graded).items} == {UNCHANGED}
    assert all(i.status == WRITTEN for i in feedback(graded, force=True).items)
    assert not [i for i in report.items if i.status == FAILED]


@pytest.mark.browser
def test_feedback_pages_pass_axe_in_chromium(graded: Path, chromium: object) -> None:
    """The feedback page a learner opens, as `course feedback` writes it (nbgrader's template with our
    fixes), read in Chromium by axe-core: nothing serious or critical anywhere on it (the whole page is
    ours to answer for, nbgrader's template parts included), for a learner who failed checks and one who
    passed; it says its language, has an h1, and its headings never skip a level on the way down."""
    from tests.browser.axe import assert_no_new_findings, need_axe

    need_axe()
    module = GRADED_MODULES[0]
    feedback(graded)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        for student in ("wrong", "right"):
            page.goto((graded / "feedback" / student / module / f"{module}.html").as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.lang") == "en"
            assert "Your results" in page.locator("body").inner_text()
            report = assert_no_new_findings(page, f"feedback-{student}", whole_page_is_ours=True)
            assert report.serious(ours=True) == []
            levels = page.evaluate("() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))"
                                   ".filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))")
            assert 1 in levels, levels
            assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    finally:
        context.close()
