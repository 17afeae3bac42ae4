"""One journey through the real company hub in Chromium: a learner, the trainer, the compliance officer.

The learner signs in on the hub's page, fetches module 00 from the Assignments list, types the
answers, saves, validates and submits. The trainer collects and grades with ``course grade`` (as the
course owner, on the PostgreSQL gradebook), marks the written answer in formgrader (a hub service)
and returns feedback; the learner finds the feedback. The compliance officer signs in, sees the
learner's module status change on the dashboard and checks a certificate code. axe-core checks the
hub's sign-in page and the compliance service's pages. Screenshots: ``var/test-artifacts/hub-journey/``.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Browser, Page, expect

from course.grading import simulate
from tests.browser.axe import assert_no_new_findings, need_axe
from tests.browser.jlab import Lab, shot
from tests.conftest import REPO
from tests.hub.conftest import Hub
from tests.modules import SOLUTIONS

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres, pytest.mark.xdist_group("hub-journey")]

MODULE = "00-start-here"
COURSE = "social-media-at-work"
ARTIFACTS = REPO / "var" / "test-artifacts" / "hub-journey"
VIEWPORT = {"width": 1280, "height": 900}


def sign_in(browser: Browser, hub: Hub, name: str) -> Page:
    """A new browser context signed in through the hub's login form."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub.url}hub/login")
    page.locator("#username_input").fill(name)
    page.locator("#password_input").fill(hub.passwords[name])
    page.locator("#login_submit").click()
    expect(page).not_to_have_url(re.compile(r"/hub/login"), timeout=120_000)
    return page


def as_owner(hub: Hub, *args: str, program: str = "course") -> str:
    """``course ARGS`` as the course owner account (what a trainer runs on the hub machine)."""
    from course.hub.runtime import runtime_for
    from course.hub.state import HubState

    state = HubState.open(hub.settings)
    rt = runtime_for(state.root)
    env = {"PATH": f"{rt.bin_dir}:/usr/bin:/bin", "HOME": str(state.owner_home), "LANG": "C.UTF-8", **rt.env()}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    done = subprocess.run([runuser, "-u", state.course_owner, "--", str(rt.bin_dir / program), *args],
                          cwd=state.workspace, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"course {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_learner_trainer_and_compliance_journey(hub: Hub, chromium: Browser) -> None:
    need_axe()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    workspace = hub.state_root / hub.unix("grader") / "workspace"
    learner_id = "E7001"

    # The sign-in page: keyboard-labelled fields, no serious axe finding beyond the baseline.
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{hub.url}hub/login")
    assert_no_new_findings(page, "hub-sign-in")
    page.context.close()

    # Compliance before: Ann has not submitted module 00.
    cora = sign_in(chromium, hub, "cora")
    expect(cora).to_have_url(re.compile(r"/services/compliance/"))
    assert_no_new_findings(cora, "hub-compliance-index", whole_page_is_ours=True)
    cora.goto(f"{hub.url}services/compliance/dashboard")
    before = cora.locator("body").inner_text()
    assert "Ann Larkfield" in before

    # 1. Ann signs in, her JupyterLab starts, she fetches module 00 from the Assignments list.
    page = sign_in(chromium, hub, "ann")
    ann = Lab(page, f"{hub.url}user/ann", "")
    expect(page).to_have_url(re.compile(r"/user/ann/lab"), timeout=180_000)
    ann.open("journey")
    panel = ann.assignments()
    ann.assignment_row(panel, "released", MODULE).get_by_role("button", name="Fetch").click()
    expect(ann.assignment_row(panel, "fetched", MODULE)).to_be_visible(timeout=60_000)
    shot(page, ARTIFACTS, "01-fetched")
    home = hub.state_root / "home" / hub.unix("ann")
    assert (home / COURSE / MODULE / f"{MODULE}.ipynb").is_file()

    # 2. She types every answer (all right), saves and validates.
    released = simulate.read(home / COURSE / MODULE / f"{MODULE}.ipynb")
    solution = simulate.read(SOLUTIONS / MODULE / f"{MODULE}.ipynb")
    typed = simulate.make_submission(released, solution, "right", rng=random.Random(3))
    ann.open_from_file_browser(COURSE, MODULE, f"{MODULE}.ipynb")
    index = {id(c): i for i, c in enumerate(typed.cells)}
    for cell in simulate.answer_cells(typed).values():
        if cell.cell_type == "markdown":
            ann.write_markdown_answer(index[id(cell)], cell.source)
        else:
            ann.type_into_cell(index[id(cell)], cell.source)
    ann.save()
    dialog = ann.validate()
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    shot(page, ARTIFACTS, "02-validated")
    ann.close_dialog()

    # 3. She submits from the Assignments list.
    panel = ann.assignments()
    ann.assignment_row(panel, "fetched", MODULE).get_by_role("button", name="Submit").click()
    expect(ann.assignment_row(panel, "submitted", MODULE)).to_be_visible(timeout=60_000)
    shot(page, ARTIFACTS, "03-submitted")

    submitted_files = list((hub.state_root / "exchange" / COURSE / "inbound").glob(f"{learner_id}+{MODULE}+*/*"))
    owner_gid = __import__("grp").getgrnam(hub.unix("grader")).gr_gid
    assert submitted_files and all(p.stat().st_gid == owner_gid for p in submitted_files), \
        "every file of the submission is the course owner's group's to read"
    # 4. The trainer collects and autogrades with the course's pipeline, as the course owner.
    collected = as_owner(hub, "collect", MODULE, "--course-dir", str(workspace))
    assert learner_id in collected or "1" in collected, collected
    as_owner(hub, "grade", MODULE, "--course-dir", str(workspace), "--jobs", "1")

    # 5. Tom marks the written answer in formgrader (through the hub) ...
    tom = sign_in(chromium, hub, "tom")
    tom.goto(f"{hub.url}services/formgrader/formgrader/gradebook/{MODULE}/{MODULE}")
    rows = tom.locator("tbody tr")
    expect(rows).to_have_count(1, timeout=60_000)  # names are hidden by default: one submission, Ann's
    tom.get_by_role("button", name="Show All Names").click()
    expect(rows.first).to_contain_text("Larkfield, Ann")
    expect(rows.first).to_contain_text("10 / 10")  # course grade: every auto-graded answer right
    rows.first.locator("a").first.click()
    score = tom.locator("input.score#explain_your_starting_point")  # the written answer's grade cell
    expect(score).to_be_visible(timeout=60_000)
    score.click()
    score.fill("3")
    score.press("Tab")  # formgrader saves on change
    shot(tom, ARTIFACTS, "05-formgrader-marked")
    check = ("-c", "from course.workspace import Workspace\n"
                      "with Workspace.open('.').gradebook() as gb:\n"
                      f"    s = gb.find_submission('{MODULE}', '{learner_id}')\n"
                      "    print(s.score, s.needs_manual_grade)")
    for _ in range(20):
        marked = as_owner(hub, *check, program="python").split()
        if marked == ["13.0", "False"]:
            break
        tom.wait_for_timeout(500)
    assert marked == ["13.0", "False"], f"gradebook after formgrader: {marked}"

    # ... and returns feedback.
    as_owner(hub, "feedback", MODULE, "--course-dir", str(workspace))

    # 6. Ann fetches her feedback in the Assignments list.
    panel = ann.assignments()
    submitted = ann.assignment_row(panel, "submitted", MODULE)
    submitted.get_by_role("button", name=re.compile("Fetch Feedback", re.I)).click()
    expect(submitted.get_by_role("link", name=re.compile("view feedback", re.I))).to_be_visible(timeout=60_000)
    shot(page, ARTIFACTS, "06-feedback")
    feedback = list((home / COURSE / MODULE / "feedback").rglob("*.html"))
    assert feedback, "no feedback file in Ann's home"

    # 7. Compliance after: the dashboard shows Ann's module 00 passed; a certificate code is checked.
    cora.goto(f"{hub.url}services/compliance/dashboard")
    after = cora.locator("body").inner_text()
    assert after != before
    shot(cora, ARTIFACTS, "07-dashboard")
    cora.goto(f"{hub.url}services/compliance/verify?code=SMW-NOT-A-REAL-CODE")
    expect(cora.get_by_role("status")).to_contain_text("not genuine")
    assert_no_new_findings(cora, "hub-compliance-verify", whole_page_is_ours=True)
