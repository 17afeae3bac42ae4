"""A learner's whole journey through module 02 in a real JupyterLab, then the trainer's side of it.

Fetch from the Assignments list, open the module from the file browser, run it, practise with its
widget, type the graded answers, save, Validate, submit; then the trainer collects and grades the
submission with `course grade` and finds its written answer waiting in formgrader. A screenshot is
kept at every step under ``var/test-artifacts/browser/test_learner_journey.../``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, expect

from course.grading import simulate
from course.grading.collect import collect
from course.grading.pipeline import grade
from course.policy import load_policies
from course.practice import load_practice, options_for
from course.workspace import Workspace
from tests.browser.conftest import JOURNEY_MODULE, LEARNER, VIEWPORT, RunningLab, need
from tests.browser.jlab import NOT_ANSWERED, Lab, problems, shot
from tests.conftest import REPO
from tests.modules import MODULES, SOLUTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODULE = JOURNEY_MODULE
#: The README's two pictures are copies of these screenshots of the journey (in docs/images/).
README_SHOTS = {"03-practice-right.png": "learner-practice-feedback.png",
                "05-validate-passed.png": "learner-validate-passed.png"}


def _answer_plan(released, solution) -> tuple[dict[str, str], dict[str, float], float]:
    """Which answers the learner gets right and wrong, each test's points, and the score that must follow.

    Right everywhere except the True/False answers, which the learner flips: a wrong answer that is
    still in the right form, so Validate passes and only the hidden tests can tell.
    """
    points = simulate.test_points(solution)
    fills: dict[str, str] = {}
    for grade_id, cell in simulate.answer_cells(solution).items():
        region = simulate.solution_region(cell.source)
        fills[grade_id] = "wrong" if re.search(r"=\s*(True|False)\s*$", region, re.M) else "right"
    assert "wrong" in fills.values() and "right" in fills.values(), "module has no True/False answer to flip"
    expected = sum(p for test, p in points.items() if fills.get(f"{test}_answer") == "right")
    return fills, points, expected


def _practice_widget(lab: Lab) -> Locator:
    widget = lab.notebook().locator(".jp-OutputArea .widget-vbox").filter(
        has=lab.page.get_by_role("heading", name=re.compile(r"^Practice:"))).first
    widget.scroll_into_view_if_needed()
    expect(widget).to_be_visible()
    return widget


def test_learner_journey_from_open_to_submit(learner: Lab, learner_server: RunningLab, trainer_server: RunningLab,
                                             course_workspace: Workspace, browser: Browser, artifacts: Path) -> None:
    """A learner fetches module 02, runs it, gets instant practice feedback, answers, validates and
    submits; `course grade` then scores exactly the answers typed, and formgrader lists the submission
    as waiting for the trainer to mark its written answer."""
    need(MODULE in MODULES, f"module {MODULE} is not in solutions/ yet")
    page = learner.page
    released = simulate.read(course_workspace.root / "release" / MODULE / f"{MODULE}.ipynb")
    solution = simulate.read(SOLUTIONS / MODULE / f"{MODULE}.ipynb")
    fills, points, expected_score = _answer_plan(released, solution)
    typed = simulate.make_submission(released, solution, fills, rng=random.Random(8))
    later_failures: list[str] = []

    # Fetch: the module is in the Assignments list, and Fetch puts it in the learner's files.
    learner.open("journey")
    assignments = learner.assignments()
    released_row = learner.assignment_row(assignments, "released", MODULE)
    expect(released_row).to_be_visible()
    released_row.get_by_role("button", name="Fetch").click()
    expect(learner.assignment_row(assignments, "fetched", MODULE)).to_be_visible(timeout=30_000)
    shot(page, artifacts, "00-fetched")
    home = learner_server.server.root_dir
    assert (home / course_workspace.course_id / MODULE / f"{MODULE}.ipynb").is_file()

    # 1. Open it from the file browser and run all cells: no traceback, no broken widget; only the
    #    one-line "not answered yet" messages of the unanswered questions.
    learner.open_from_file_browser(course_workspace.course_id, MODULE, f"{MODULE}.ipynb")
    cells, found = learner.run_every_cell()
    stopped = [c.index for c in cells if any(NOT_ANSWERED.match(e) for e in c.errors)]
    learner.scroll_to(stopped[0] if stopped else 0)
    shot(page, artifacts, "01-ran-all-cells")
    if found:  # recorded, and checked at the end, so that the later steps are still tried
        later_failures.append("1. Run All Cells: " + "; ".join(found))
    assert not problems(cells), problems(cells)
    friendly = [e for c in cells for e in c.errors]
    assert friendly and all(NOT_ANSWERED.match(e) for e in friendly)

    # 2. The practice widget: a wrong pick gets ✘ and a hint, the right pick ✔ and the reason.
    policies = load_policies()
    practice = load_practice(MODULE, policies=policies)
    item = practice.items[0]
    options = {o.value: o.label for o in options_for(item, policies)}
    wrong = next(iter(item.hints), next(v for v in options if v != item.answer))
    widget = _practice_widget(learner)
    feedback = widget.get_by_role("status")
    widget.get_by_role("radio", name=options[wrong], exact=True).check()
    widget.get_by_role("button", name="Check my answer").click()
    expect(feedback).to_contain_text("✘ Not yet:")
    expect(feedback).to_contain_text(" ".join((item.hints.get(wrong) or practice.default_hint).split())[:60])
    shot(page, artifacts, "02-practice-wrong", target=widget)
    widget.get_by_role("radio", name=options[item.answer], exact=True).check()
    widget.get_by_role("button", name="Check my answer").click()
    expect(feedback).to_contain_text("✔ Correct:")
    expect(feedback).to_contain_text(" ".join(item.explanation.split())[:60])
    shot(page, artifacts, "03-practice-right", target=widget)

    # 3. Type the graded answers, save, press Validate: it passes.
    typed_ids = learner.type_answers(typed)
    assert typed_ids and set(typed_ids) <= set(fills), (typed_ids, fills)
    shot(page, artifacts, "04-answers-typed")
    learner.save()
    dialog = learner.validate()
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    shot(page, artifacts, "05-validate-passed")
    learner.close_dialog()

    # 4. Submit from the Assignments list; the trainer collects and grades it with `course grade`.
    learner.submit(MODULE)
    shot(page, artifacts, "06-submitted")
    collected = collect(course_workspace.root, MODULE)
    assert [(c.student, c.assignment) for c in collected.items] == [(LEARNER, MODULE)], collected.items
    grade(course_workspace.root, [MODULE], jobs=1)
    with course_workspace.gradebook() as gb:
        notebook = gb.find_submission_notebook(MODULE, MODULE, LEARNER)
        scores = {g.name: g.score for g in notebook.grades if g.auto_score is not None}
        code_score = gb.find_submission(MODULE, LEARNER).code_score
    assert scores == {t: (p if fills[f"{t}_answer"] == "right" else 0.0) for t, p in points.items()}
    assert code_score == expected_score

    # 5. The trainer opens formgrader: the submission waits for its written answer to be marked.
    trainer_page = browser.new_context(viewport=VIEWPORT).new_page()
    try:
        trainer = Lab(trainer_page, trainer_server.url, trainer_server.token)
        trainer.open("formgrader")
        trainer.menu("Nbgrader", "Formgrader")
        frame = trainer_page.frame_locator("#formgrader iframe")
        expect(frame.get_by_role("link", name="Manual Grading")).to_be_visible(timeout=30_000)
        frame.get_by_role("link", name="Manual Grading").click()
        frame.get_by_role("link", name=MODULE, exact=True).click()
        frame.get_by_role("link", name=MODULE, exact=True).click()
        row = frame.locator("tbody tr").filter(has_text=LEARNER)
        expect(row).to_have_count(1, timeout=30_000)
        frame.get_by_role("button", name="Show All Names").click()
        expect(row.get_by_text(LEARNER)).to_be_visible()
        expect(row.locator(".needs-manual-grade .glyphicon-ok")).to_have_count(1)
        expect(row.locator(".code-score")).to_have_text(f"{expected_score:g} / {sum(points.values()):g}")
        shot(trainer_page, artifacts, "07-formgrader-needs-manual-grade")
    finally:
        trainer_page.context.close()

    assert not later_failures, "\n".join(later_failures)


def test_readme_shows_two_pictures_of_the_journey() -> None:
    """The README's two pictures exist, are small, and are screenshots of the learner journey."""
    for name in README_SHOTS.values():
        picture = REPO / "docs" / "images" / name
        assert picture.is_file(), f"{picture} missing: run the journey test, then copy its screenshot there"
        assert picture.stat().st_size < 300_000
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    readme = (REPO / "README.md").read_text("utf-8")
    for name in README_SHOTS.values():
        assert f"docs/images/{name}" in readme

