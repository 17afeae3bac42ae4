"""One journey through the real company hub in Chromium: a learner, the trainer, the compliance officer.

The learner signs in on the hub's page, fetches module 00 from the Assignments list, types the
answers, saves, validates and submits. The trainer collects and grades with ``course grade`` (as the
course owner, on the PostgreSQL gradebook), marks the written answer in formgrader (a hub service)
and returns feedback; the learner finds the feedback. The compliance officer signs in, sees the
learner's module status change on the dashboard and checks a certificate code. axe-core checks the
hub's sign-in page and the compliance service's pages. Screenshots: ``var/test-artifacts/hub-journey/``.
"""

from __future__ import annotations

import pwd
import random
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from course.compliance.ledger import Ledger
from course.grading import simulate
from tests.browser.axe import assert_no_new_findings, need_axe
from tests.browser.jlab import Lab, shot
from tests.conftest import REPO
from tests.hub.conftest import Hub
from tests.modules import SOLUTIONS

pytestmark = [pytest.mark.skip(reason="work in progress: on a loaded machine the formgrader mark was not yet in "
                                      "the gradebook when checked; the steps after it were not yet seen green"),
              pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres, pytest.mark.xdist_group("hub-journey")]

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


def dashboard_row(page: Page, employee_id: str) -> Locator:
    """The dashboard's row of one employee (the people table, filled in by the page's script)."""
    return page.locator("#people tbody tr").filter(has=page.locator("small", has_text=re.compile(f"^{employee_id}$")))


def dashboard_chip(page: Page, hub: Hub, employee_id: str, module: str) -> Locator:
    """Open the compliance dashboard afresh; the status chip of ``module`` in that employee's row."""
    page.goto(f"{hub.url}services/compliance/dashboard")
    row = dashboard_row(page, employee_id)
    expect(row).to_have_count(1)
    return row.locator(f'.chip[title^="{module}:"]')


def dashboard_overall(page: Page, employee_id: str) -> Locator:
    return dashboard_row(page, employee_id).locator(".pill")


def verify_code(page: Page, hub: Hub, code: str) -> Locator:
    """Type a code into the compliance service's Verify form, as an officer does; the answer shown."""
    page.goto(f"{hub.url}services/compliance/")
    page.get_by_label("Code printed on the certificate").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/services/compliance/verify\?code="))
    return page.get_by_role("status")


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

    # Compliance before: Ann's module 00 is "not started" on the dashboard, her overall status in progress.
    cora = sign_in(chromium, hub, "cora")
    expect(cora).to_have_url(re.compile(r"/services/compliance/"))
    assert_no_new_findings(cora, "hub-compliance-index", whole_page_is_ours=True)
    expect(dashboard_chip(cora, hub, learner_id, MODULE)).to_have_attribute("title", f"{MODULE}: not started")
    expect(dashboard_overall(cora, learner_id)).to_have_text("in progress")
    expect(dashboard_chip(cora, hub, "E7002", MODULE)).to_have_attribute("title", f"{MODULE}: not started")

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
    ann.type_answers(typed)
    ann.save()
    dialog = ann.validate()
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    shot(page, ARTIFACTS, "02-validated")
    ann.close_dialog()

    # 3. She submits from the Assignments list.
    ann.submit(MODULE, timeout_ms=60_000)
    shot(page, ARTIFACTS, "03-submitted")

    submitted_files = list((hub.state_root / "exchange" / COURSE / "inbound").glob(f"{learner_id}+{MODULE}+*/*"))
    owner_gid = __import__("grp").getgrnam(hub.unix("grader")).gr_gid
    assert submitted_files and all(p.stat().st_gid == owner_gid for p in submitted_files), \
        "every file of the submission is the course owner's group's to read"
    # 4. The trainer collects and autogrades with the course's pipeline, as the course owner.
    collected = as_owner(hub, "collect", MODULE, "--course-dir", str(workspace))
    assert (workspace / "submitted" / learner_id / MODULE / f"{MODULE}.ipynb").is_file(), collected
    as_owner(hub, "grade", MODULE, "--course-dir", str(workspace), "--jobs", "1")
    # the dashboard follows: auto-graded, the written answer still to mark
    expect(dashboard_chip(cora, hub, learner_id, MODULE)).to_have_attribute("title", f"{MODULE}: needs manual grading")

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
    with tom.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT",
                             timeout=60_000) as saved:
        score.press("Tab")  # formgrader saves on change
    assert saved.value.ok, saved.value.status
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

    # ... and returns feedback: the course's feedback pages (`course feedback`), released to the
    # learners from formgrader's Manage Assignments page.
    as_owner(hub, "feedback", MODULE, "--course-dir", str(workspace))
    assert (workspace / "feedback" / learner_id / MODULE / f"{MODULE}.html").is_file()
    tom.goto(f"{hub.url}services/formgrader/formgrader/manage_assignments")
    row = tom.locator("tbody tr").filter(has=tom.get_by_role("link", name=MODULE, exact=True))
    expect(row).to_have_count(1, timeout=60_000)
    row.locator("td.release-feedback a").click()
    expect(tom.locator("#success-modal")).to_contain_text(f"Successfully released feedback of '{MODULE}'",
                                                          timeout=60_000)
    shot(tom, ARTIFACTS, "05-feedback-released")

    # 6. Ann sees that feedback is waiting, fetches it in the Assignments list and opens it.
    panel = ann.assignments()
    submitted = ann.assignment_row(panel, "submitted", MODULE)
    expect(submitted).to_contain_text("feedback available to fetch", timeout=30_000)
    submitted.get_by_role("button", name=re.compile("Fetch Feedback", re.I)).click()
    view = submitted.get_by_text("(view feedback)")
    expect(view).to_be_visible(timeout=60_000)
    shot(page, ARTIFACTS, "06-feedback")
    feedback = list((home / COURSE / MODULE / "feedback").rglob(f"{MODULE}.html"))
    assert len(feedback) == 1, f"feedback in Ann's home: {feedback}"
    assert feedback[0].stat().st_uid == pwd.getpwnam(hub.unix("ann")).pw_uid
    shutil.copy(feedback[0], ARTIFACTS / "06-feedback.html")
    view.click()  # the file browser goes to her feedback folder
    expect(ann.file_browser_item(f"{MODULE}.html")).to_be_visible(timeout=30_000)

    # 7. Compliance after: Ann's module 00 cell now says passed, and with it (the hub released only
    # module 00) she is certified; Ben's cell has not moved.
    expect(dashboard_chip(cora, hub, learner_id, MODULE)).to_have_attribute("title", f"{MODULE}: passed")
    expect(dashboard_overall(cora, learner_id)).to_have_text("certified")
    expect(dashboard_chip(cora, hub, "E7002", MODULE)).to_have_attribute("title", f"{MODULE}: not started")
    shot(cora, ARTIFACTS, "07-dashboard")

    # 8. The certificate the service issued for Ann: its code, read from the PDF the officer downloads,
    # is the one in the ledger's `certified` event; the form says genuine; one letter changed, not genuine.
    cora.goto(f"{hub.url}services/compliance/")
    link = cora.get_by_role("link", name=re.compile(f"^{learner_id}-"))
    expect(link).to_have_count(1)
    pdf = cora.request.get(f"{hub.url}services/compliance/{link.get_attribute('href').split('/compliance/', 1)[1]}")
    assert pdf.ok and pdf.body().startswith(b"%PDF"), pdf.status
    codes = set(re.findall(rb"SMW-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}", pdf.body()))
    assert len(codes) == 1, codes
    code = codes.pop().decode()
    issued = [e.data for e in Ledger.for_workspace(workspace).events() if e.kind == "certified"]
    assert [(d["employee_id"], d["code"]) for d in issued] == [(learner_id, code)]
    expect(verify_code(cora, hub, code)).to_contain_text(f"{code} is genuine")
    expect(cora.locator("main")).to_contain_text(f"Ann Larkfield ({learner_id})")
    assert_no_new_findings(cora, "hub-compliance-verify", whole_page_is_ours=True)
    last = code[-1]
    tampered = code[:-1] + ("A" if last != "A" else "B")
    expect(verify_code(cora, hub, tampered)).to_contain_text(f"{tampered} is not genuine")
    expect(verify_code(cora, hub, "SMW-NOT-A-REAL-CODE")).to_contain_text("not genuine")
