"""Bad input and faults on a real company hub: a roster line the hub cannot accept, a submission over
the size limit, a late submission, the hub restarted during submissions, wrong passwords."""

from __future__ import annotations

import pwd
import subprocess
from pathlib import Path

import pytest

from course.compliance.roster import RosterError
from course.hub.accounts import group_exists, sbin, unix_exists
from course.hub.exchange import MAX_SUBMISSION_KB
from tests.hub.browserless import Person
from tests.hub.conftest import PEOPLE, Hub, roster_text, run_as

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("hub")]

COURSE = "social-media-at-work"
MODULE = "00-start-here"


def _learner_env(hub: Hub, name: str) -> dict[str, str]:
    from course.hub.runtime import runtime_for
    from course.hub.spawner import user_config_dir

    rt = runtime_for(hub.state_root)
    return {"JUPYTER_CONFIG_DIR": str(user_config_dir(hub.state_root, name)), "PATH": f"{rt.bin_dir}:/usr/bin:/bin",
            **rt.env()}


def nbgrader(hub: Hub, name: str, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` as the learner's own account, from their home (as their server runs it)."""
    return run_as(hub, name, "sh", "-c", 'cd "$HOME" && exec nbgrader "$@"', "nbgrader", *args,
                  env=_learner_env(hub, name))


def home(hub: Hub, name: str) -> Path:
    return Path(pwd.getpwnam(hub.unix(name)).pw_dir)


def inbound(hub: Hub) -> Path:
    return hub.state_root / "exchange" / COURSE / "inbound"


def submissions_of(hub: Hub, employee_id: str) -> list[Path]:
    return sorted(inbound(hub).glob(f"{employee_id}+{MODULE}+*"))


def test_a_roster_line_the_hub_cannot_accept_is_named_and_nothing_is_half_made(hub: Hub, tmp_path: Path) -> None:
    """Eve is fine, but Fay's Unix name is taken by a group the hub did not make: the sync names Fay's
    line and makes nothing at all, not even Eve's account (it used to make Eve's, then stop at Fay)."""
    from course.hub.sync import sync_roster

    taken = hub.unix("fay")
    subprocess.run([sbin("groupadd"), taken], check=True, capture_output=True)
    hub.extra_accounts += ["eve", "fay"]
    try:
        people = [*PEOPLE, ("E7007", "Eve Brackenridge", "eve", "Marketing", "social_team", "learner"),
                  ("E7008", "Fay Quillon", "fay", "Finance", "all_staff", "learner")]
        roster = tmp_path / "roster.csv"
        roster.write_text(roster_text(people), "utf-8")
        with pytest.raises(RosterError) as caught:
            sync_roster(hub.settings, roster)
        text = str(caught.value)
        assert "line 8, column 'username'" in text and f"a Unix group {taken} already exists" in text, text
        assert "line 7" not in text, "Eve's line is fine"
        assert not unix_exists(hub.unix("eve")) and not group_exists(hub.unix("eve"))
        assert not (hub.state_root / "home" / hub.unix("eve")).exists()
        for name in ("eve", "fay"):
            assert hub.api("GET", f"/users/{name}").status_code == 404, f"the hub has a user {name}"
    finally:
        subprocess.run([sbin("groupdel"), taken], capture_output=True, check=False)


def test_a_submission_over_the_size_limit_is_refused_with_a_clear_message(hub: Hub) -> None:
    """From the command line and from JupyterLab's Assignments tab: refused, says how big and what to do,
    and nothing reaches the inbox; the same folder, slimmed down, is then accepted."""
    fetched = nbgrader(hub, "ann", "fetch_assignment", MODULE)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    folder = home(hub, "ann") / COURSE / MODULE
    big = folder / "recording.bin"
    made = run_as(hub, "ann", "dd", "if=/dev/zero", f"of={big}", "bs=1000000", f"count={MAX_SUBMISSION_KB // 1000 + 1}")
    assert made.returncode == 0, made.stderr + str(sorted(p.name for p in home(hub, "ann").iterdir()))
    assert big.stat().st_size > MAX_SUBMISSION_KB * 1000
    done = nbgrader(hub, "ann", "submit", MODULE)
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"Your submission of {MODULE} was not sent" in said and f"at most {MAX_SUBMISSION_KB // 1000} MB" in said
    assert "Remove large files" in said and "Traceback" not in said
    ann = Person(hub.url, "ann")
    assert ann.sign_in(hub.passwords["ann"]).status_code == 200
    ann.start_server()
    tab = ann.http.post(f"{hub.url}user/ann/assignments/submit", timeout=120,
                        headers={"X-XSRFToken": ann.http.cookies.get("_xsrf", path="/user/ann/") or ""},
                        data={"course_id": COURSE, "assignment_id": MODULE})
    assert tab.status_code == 200 and tab.json()["success"] is False
    assert f"Your submission of {MODULE} was not sent" in tab.json()["value"]
    assert submissions_of(hub, "E7001") == [], "nothing of an over-size submission is in the inbox"
    big.unlink()
    assert nbgrader(hub, "ann", "submit", MODULE).returncode == 0
    assert len(submissions_of(hub, "E7001")) == 1


def test_wrong_passwords_lock_nothing_open_and_leak_nothing(hub: Hub) -> None:
    """After the allowed failed tries the account is held for a while: even the right password is refused,
    with the very same message as a wrong one or an unknown name; no password appears in the hub's log."""
    tried = [f"wrong-guess-{i}-xyzzy" for i in range(6)]
    pages = []
    for password in tried:
        page = Person(hub.url, "tom").sign_in(password)
        assert page.url.endswith("/hub/login") and "Invalid username or password." in page.text
        pages.append(page)
    held = Person(hub.url, "tom")
    page = held.sign_in(hub.passwords["tom"])
    assert page.url.endswith("/hub/login"), "the right password opens nothing while the account is held"
    assert "Invalid username or password." in page.text
    unknown = Person(hub.url, "zed").sign_in("wrong-guess-zed-xyzzy")
    for text in (page.text, unknown.text):
        lowered = text.lower()
        assert not any(word in lowered for word in ("locked", "blocked", "attempts", "exist", "not found"))
    assert _error_text(page.text) == _error_text(unknown.text) == _error_text(pages[0].text)
    log = hub.log.read_text(errors="replace")
    assert not any(p in log for p in [*tried, hub.passwords["tom"], "wrong-guess-zed-xyzzy"])
    # the REST API takes no password at all: only tokens
    r = held.http.get(f"{hub.url}hub/api/user", auth=("tom", hub.passwords["tom"]), timeout=30)
    assert r.status_code == 403


def _error_text(html: str) -> str:
    import re

    m = re.search(r'<p class="login_error">\s*(.*?)\s*</p>', html, re.S)
    return m.group(1) if m else html


def _owner_python(hub: Hub, code: str, *args: str) -> str:
    from course.hub.setup import run_as_owner
    from course.hub.state import HubState

    return run_as_owner(HubState.open(hub.settings), ["-c", code, *args])


def _course_as_owner(hub: Hub, *args: str) -> str:
    return _owner_python(hub, "import sys; from course.cli import main; sys.argv = ['course', *sys.argv[1:]]; main()",
                         *args)


_SET_DUE = """
import sys
from datetime import UTC, datetime, timedelta
from nbgrader.api import Gradebook
from course.workspace import Workspace
ws = Workspace.open(sys.argv[1])
with Gradebook(ws.db_url, course_id=ws.course_id) as gb:
    gb.update_or_create_assignment(sys.argv[2], duedate=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1))
"""

_READ_LATE = """
import json, sys
from nbgrader.api import Gradebook
from course.workspace import Workspace
ws = Workspace.open(sys.argv[1])
with Gradebook(ws.db_url, course_id=ws.course_id) as gb:
    s = gb.find_submission(sys.argv[2], sys.argv[3])
    print(json.dumps({"late": s.total_seconds_late, "timestamp": str(s.timestamp), "due": str(s.duedate)}))
"""


def test_a_late_submission_is_collected_graded_and_flagged_late(hub: Hub) -> None:
    """The module was due an hour ago; Cat submits now: her work is collected and graded, and the gradebook
    says it came in about an hour late, by the exchange's clock (not a time Cat could write herself)."""
    import json
    from datetime import UTC, datetime

    from course.hub.state import HubState

    workspace = str(HubState.open(hub.settings).workspace)
    _owner_python(hub, _SET_DUE, workspace, MODULE)
    assert nbgrader(hub, "cat", "fetch_assignment", MODULE).returncode == 0
    stamp_file = home(hub, "cat") / COURSE / MODULE / "timestamp.txt"
    run_as(hub, "cat", "sh", "-c", f"echo '2020-01-01 00:00:00.000000 UTC' > '{stamp_file}'")  # a claimed time
    before = datetime.now(UTC)
    done = nbgrader(hub, "cat", "submit", MODULE)
    assert done.returncode == 0, done.stdout + done.stderr
    collected = _course_as_owner(hub, "collect", "--course-dir", workspace, MODULE)
    assert "rejected" in collected and " 0 rejected" in collected, collected
    assert (Path(workspace) / "submitted" / "E7003" / MODULE).is_dir(), "the late submission is not lost"
    from course.hub.setup import SetupError

    try:
        _course_as_owner(hub, "grade", "--course-dir", workspace, MODULE, "--jobs", "1")
    except SetupError as exc:  # exit 1 only if a submission could not be graded
        pytest.fail(f"course grade failed: {exc}")
    row = json.loads(_owner_python(hub, _READ_LATE, workspace, MODULE, "E7003").strip().splitlines()[-1])
    assert row["late"] > 3000, row  # an hour late, give or take the minutes the test took
    assert row["timestamp"] >= before.strftime("%Y-%m-%d %H:%M"), row
    assert not row["timestamp"].startswith("2020"), "the time Cat wrote was not believed"


def test_the_hub_restarted_during_submissions_loses_nothing(hub: Hub) -> None:
    """Ben's and Ann's servers run; the hub is stopped and started again while both submit through their
    JupyterLab: the servers keep running (same process), the hub takes them back, every submission arrives."""
    import os
    import signal
    import threading
    import time

    people = {}
    for name in ("ann", "ben"):
        person = Person(hub.url, name)
        assert not person.sign_in(hub.passwords[name]).url.endswith("/hub/login")
        person.start_server()
        people[name] = person
    assert nbgrader(hub, "ben", "fetch_assignment", MODULE).returncode == 0
    pids = {n: _server_pids(hub, n) for n in people}
    assert all(pids.values()), pids
    ids = {"ann": "E7001", "ben": "E7002"}
    before = {n: len(submissions_of(hub, ids[n])) for n in people}
    results: dict[str, list[object]] = {n: [] for n in people}

    def submit_three(name: str) -> None:
        person = people[name]
        for _ in range(3):
            deadline = time.monotonic() + 240
            while True:  # a learner presses Submit again when the page says it failed
                try:
                    r = person.http.post(f"{hub.url}user/{name}/assignments/submit", timeout=60,
                                         headers={"X-XSRFToken": person.http.cookies.get("_xsrf", path=f"/user/{name}/")
                                                  or ""},
                                         data={"course_id": COURSE, "assignment_id": MODULE})
                    ok = r.status_code == 200 and r.json().get("success") is True
                except (OSError, ValueError) as exc:
                    ok, r = False, exc
                if ok:
                    results[name].append(True)
                    break
                if time.monotonic() > deadline:
                    results[name].append(r)
                    break
                time.sleep(1)
            time.sleep(1.5)  # nbgrader's stamps are to the microsecond; a pause keeps the run realistic

    threads = [threading.Thread(target=submit_three, args=(n,)) for n in people]
    for t in threads:
        t.start()
    time.sleep(1)
    os.kill(hub.process.pid, signal.SIGTERM)  # the hub only: the proxy and the servers run on
    hub.process.wait(60)
    from course.hub.setup import hub_command

    argv, env = hub_command(None)
    env["COURSE_HUB_SETTINGS"] = str(hub.state_root.parent / "hub.yaml")
    log_start = hub.log.stat().st_size
    with hub.log.open("ab") as out:
        hub.process = subprocess.Popen(argv, env=env, cwd=hub.state_root.parent, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while "JupyterHub is now running" not in hub.log.read_text(errors="replace")[log_start:]:
        assert hub.process.poll() is None and time.monotonic() < deadline, hub.log_tail()
        time.sleep(1)
    for t in threads:
        t.join(600)
    assert results == {n: [True, True, True] for n in people}, (results, hub.log_tail())
    for name, pid in pids.items():
        server = hub.api("GET", f"/users/{name}").json()["servers"][""]
        assert server["ready"], f"the restarted hub lost {name}'s server"
        assert _server_pids(hub, name) == pid, f"{name}'s server was restarted"
        assert len(submissions_of(hub, ids[name])) == before[name] + 3, f"{name}: a submission was lost"


def _server_pids(hub: Hub, name: str) -> list[int]:
    done = subprocess.run([sbin("pgrep"), "-u", hub.unix(name), "-f", "jupyterhub.singleuser"],
                          capture_output=True, text=True, check=False)
    return sorted(int(p) for p in done.stdout.split())
