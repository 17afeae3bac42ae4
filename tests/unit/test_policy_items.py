"""tools/policy_items.py: every graded item either follows the policy or is marked for review.

The README's "Use your own policy" section tells a course owner which items to review when the
policy changes; this is where that list comes from, so every item must be classified.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from tests.conftest import REPO
from tools import policy_items as pi

#: Items whose hidden test neither reads the policy nor says what kind of answer it is, while they
#: wait for a marker (none now). Remove an item here once its hidden test is marked.
AWAITING_A_MARKER: set[tuple[str, str]] = set()

ITEMS = pi.all_items()


def _hidden(body: str) -> str:
    return ('"""Docstring."""\ncheck_answer("x", x, kind="text")\n'
            f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS\n")


@pytest.mark.parametrize(("body", "kind"), [
    ("assert same(x, policies.privacy.widest_audience('team_logistics'))", pi.POLICY),
    ("company = load_company_policies()\nassert same(x, company.value.noise.id)", pi.POLICY),
    ("# judgement call: a warning given early\nassert same(x, 'problem_prevented')", pi.JUDGEMENT),
    ("# Judgement call: a link request\nassert same(x, policies.moderation.category('link_begging').action)",
     pi.JUDGEMENT_AND_POLICY),
    ("from course.cases import load_cases as load_library\nassert x == len(load_library())", pi.DATA),
    ("# course fact: Shift+Enter runs a cell\nassert same(x, True)", pi.COURSE_FACT),
    ("assert same(x, 'customer_data')", pi.UNMARKED),
    ("# the rule comes from the policies, but this test fixes it\nassert same(x, 'phone')", pi.UNMARKED),
])
def test_classify_reads_the_hidden_tests(body: str, kind: str) -> None:
    """An item's kind comes from its hidden tests: policy reads, markers, data reads, or none of these."""
    cell_source = _hidden(body)
    hidden = "\n".join(pi._HIDDEN.findall(cell_source))
    assert pi.classify(hidden) == kind


def test_visible_part_of_a_test_cell_does_not_count(tmp_path) -> None:
    """A policy read outside the hidden tests (the visible format check) does not make an item policy-derived."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        '"""Which contact."""\ncheck_answer("x", x, kind="choice", choices=policies.moderation.contact_ids)\n'
        "### BEGIN HIDDEN TESTS\nassert same(x, 'press_office')\n### END HIDDEN TESTS\n")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "x", "points": 1}
    written = nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nModel answer.\n### END SOLUTION")
    written.metadata["nbgrader"] = {"grade": True, "solution": True, "grade_id": "explain_x", "points": 3}
    nb.cells = [cell, written]
    folder = tmp_path / "09-example"
    folder.mkdir()
    nbformat.write(nb, folder / "09-example.ipynb")
    items = pi.module_items(folder / "09-example.ipynb")
    assert [(i.grade_id, i.kind, i.points) for i in items] == [("x", pi.UNMARKED, 1.0), ("explain_x", pi.WRITTEN, 3.0)]


@pytest.mark.skipif(not ITEMS, reason="no modules in solutions/ yet")
def test_every_graded_item_follows_the_policy_or_is_marked() -> None:
    """Each graded item reads the policy, is marked (judgement call, course fact), is written or uses course data."""
    unmarked = {(i.module, i.grade_id) for i in ITEMS if i.kind == pi.UNMARKED}
    new = sorted(unmarked - AWAITING_A_MARKER)
    assert not new, ("these graded items neither read the policy in their hidden tests nor carry a "
                     f"'# judgement call' or '# course fact' comment: {new}")
    known = {(i.module, i.grade_id) for i in ITEMS}
    stale = sorted((AWAITING_A_MARKER & known) - unmarked)
    assert not stale, f"now marked: remove them from AWAITING_A_MARKER in this file: {stale}"


@pytest.mark.skipif(not ITEMS, reason="no modules in solutions/ yet")
def test_judgement_calls_say_why() -> None:
    """A hidden test marked as a judgement call says what the judgement is, after the marker."""
    for module in pi.modules():
        nb = nbformat.read(pi.SOLUTIONS / module / f"{module}.ipynb", as_version=4)
        for cell in nb.cells:
            for line in cell.source.splitlines():
                marker = pi._JUDGEMENT.search(line)
                if marker:
                    reason = line[marker.end():].strip(" :-")
                    assert len(reason) >= 10, f"{module}: '{line.strip()}' does not say what the judgement is"


@pytest.mark.skipif(not ITEMS, reason="no modules in solutions/ yet")
def test_the_tool_prints_a_table_per_module_and_can_run_again() -> None:
    """The script lists every module and item with its kind, and a second run prints exactly the same."""
    run = [sys.executable, str(REPO / "tools" / "policy_items.py")]
    first = subprocess.run(run, capture_output=True, text=True, check=True, cwd=REPO).stdout
    second = subprocess.run(run, capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert first == second
    for module in pi.modules():
        assert f"#### {module}\n" in first
    for item in ITEMS:
        assert f"| `{item.grade_id}` | {pi._points(item.points)} | {item.kind} | {item.advice} |" in first
    assert first.rstrip().splitlines()[-1].startswith("Totals: ")


def test_the_tool_refuses_an_unknown_module() -> None:
    """Asking for a module that does not exist is an error naming the modules there are."""
    result = subprocess.run([sys.executable, str(REPO / "tools" / "policy_items.py"), "99-nothing"],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 2
    assert "no such module" in result.stderr and "99-nothing" in result.stderr
