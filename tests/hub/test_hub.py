"""The company hub, for real: proxy, hub, PostgreSQL, formgrader and compliance services, and one
JupyterLab per employee running as their own Unix account; roles and isolation over HTTP and on disk."""

from __future__ import annotations

import json
import pwd
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course.hub.config import SERVICE_SCOPES, SYNC
from tests.hub.browserless import Person
from tests.hub.conftest import Hub, run_as

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("hub")]

LEARNERS = ("ann", "ben", "cat")


@pytest.fixture(scope="module")
def people(hub: Hub) -> dict[str, Person]:
    """Everyone signed in; the three learners' servers started (at once, as on a Monday morning)."""
    out = {}
    for name in (*LEARNERS, "tom", "cora"):
        person = Person(hub.url, name)
        landed = person.sign_in(hub.passwords[name])
        assert landed.status_code == 200, f"{name} could not sign in: {landed.status_code}\n{hub.log_tail()}"
        out[name] = person
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda n: out[n].start_server(), LEARNERS))
    return out


def _learner_env(hub: Hub, name: str) -> dict[str, str]:
    from course.hub.runtime import runtime_for
    from course.hub.spawner import user_config_dir

    rt = runtime_for(hub.state_root)
    return {"JUPYTER_CONFIG_DIR": str(user_config_dir(hub.state_root, name)), "PATH": f"{rt.bin_dir}:/usr/bin:/bin",
            **rt.env()}


def _nbgrader(hub: Hub, name: str, *args: str) -> str:
    done = run_as(hub, name, "nbgrader", *args, env=_learner_env(hub, name))
    assert done.returncode == 0, f"nbgrader {' '.join(args)} as {name}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def test_each_learner_gets_a_server_running_as_their_own_unix_account(hub: Hub, people: dict[str, Person]) -> None:
    """A file a learner saves through their JupyterLab belongs to their own Unix account, in their own home."""
    for name in LEARNERS:
        person = people[name]
        xsrf = person.http.cookies.get("_xsrf", path=f"/user/{name}/") or ""
        saved = person.http.put(f"{hub.url}user/{name}/api/contents/hello.txt", timeout=60,
                                headers={"X-XSRFToken": xsrf},
                                json={"type": "file", "format": "text", "content": f"hello from {name}"})
        assert saved.status_code in (200, 201), saved.text
        path = Path(pwd.getpwnam(hub.unix(name)).pw_dir) / "hello.txt"
        assert path.read_text("utf-8") == f"hello from {name}"
        assert path.stat().st_uid == pwd.getpwnam(hub.unix(name)).pw_uid
        assert path.parent.stat().st_mode & 0o077 == 0, "homes are owner-only"


def test_learners_see_the_released_module_in_the_assignments_tab(hub: Hub, people: dict[str, Person]) -> None:
    listed = people["ann"].get("user/ann/assignments?course_id=social-media-at-work")
    assert listed.status_code == 200, listed.text
    value = listed.json()["value"]
    assert [a["assignment_id"] for a in value] == ["00-start-here"]


def test_learner_reaches_only_their_own_server(hub: Hub, people: dict[str, Person]) -> None:
    """Ann gets nothing from Ben's server, formgrader or the compliance service."""
    ann = people["ann"]
    for path in ("user/ben/api/contents", "user/ben/lab", "services/formgrader/formgrader/api/assignments",
                 "services/compliance/", "services/compliance/dashboard"):
        r = ann.get(path)
        assert r.status_code in (403, 404), f"ann got {r.status_code} for {path}"
        assert "hello from ben" not in r.text and "00-start-here" not in r.text


def test_compliance_reaches_no_server_and_no_formgrader(hub: Hub, people: dict[str, Person]) -> None:
    cora = people["cora"]
    for path in ("user/ann/api/contents", "user/ann/lab", "services/formgrader/formgrader/api/assignments"):
        r = cora.get(path)
        assert r.status_code in (403, 404), f"cora got {r.status_code} for {path}"
    spawn = cora.get("hub/spawn")
    assert spawn.status_code >= 400 or "user/cora/lab" not in spawn.url
    assert hub.api("GET", "/users/cora").json()["servers"] == {}


def test_compliance_officer_reads_the_dashboard_and_checks_a_certificate(hub: Hub, people: dict[str, Person]) -> None:
    cora = people["cora"]
    index = cora.get("services/compliance/")
    assert index.status_code == 200, hub.log_tail()
    assert "Course compliance" in index.text and "Verify a certificate" in index.text
    dashboard = cora.get("services/compliance/dashboard")
    assert dashboard.status_code == 200 and "<html" in dashboard.text.lower()
    check = cora.get("services/compliance/verify", params={"code": "SMW-NOT-A-REAL-CODE"})
    assert check.status_code == 200 and "not genuine" in check.text
    assert cora.http.post(f"{hub.url}services/compliance/verify", timeout=30).status_code in (403, 405)


def test_trainer_uses_formgrader_as_a_hub_service(hub: Hub, people: dict[str, Person]) -> None:
    """nbgrader 0.9.6's formgrader answers the trainer through the hub, on the PostgreSQL gradebook."""
    tom = people["tom"]
    listed = tom.get("services/formgrader/formgrader/api/assignments")
    assert listed.status_code == 200, hub.log_tail()
    assert "00-start-here" in [a["name"] for a in listed.json()]
    page = tom.get("services/formgrader/formgrader/manage_assignments")
    assert page.status_code == 200 and "Manage Assignments" in page.text


def test_filesystem_isolation_between_learners(hub: Hub, people: dict[str, Person]) -> None:
    """As Ann's own uid: Ben's home, Ben's submission, the inbox listing, the gradebook and the course's
    source notebooks are all out of reach."""
    _nbgrader(hub, "ben", "fetch_assignment", "00-start-here")
    _nbgrader(hub, "ben", "submit", "00-start-here")
    inbound = hub.state_root / "exchange" / "social-media-at-work" / "inbound"
    submissions = [p for p in inbound.iterdir() if p.name.startswith("E7002+00-start-here+")]
    assert len(submissions) == 1
    submission = submissions[0]
    assert submission.stat().st_uid == pwd.getpwnam(hub.unix("ben")).pw_uid
    notebook = next(submission.glob("*.ipynb"))
    assert notebook.stat().st_mode & 0o007 == 0, "a submission is not readable by others"
    ben_home = Path(pwd.getpwnam(hub.unix("ben")).pw_dir)
    workspace = hub.state_root / hub.unix("grader") / "workspace"
    from course._paths import solutions_dir

    for target in (ben_home / "hello.txt", submission / notebook.name, workspace / "nbgrader_config.py",
                   workspace / "source" / "00-start-here" / "00-start-here.ipynb",
                   solutions_dir() / "00-start-here" / "00-start-here.ipynb"):
        assert run_as(hub, "ann", "cat", str(target)).returncode != 0, f"ann could read {target}"
    listing = run_as(hub, "ann", "ls", str(inbound))
    assert listing.returncode != 0 and "E7002" not in listing.stdout
    # The gradebook: PostgreSQL wants a password that only the course owner's files hold.
    port = json.loads((hub.state_root / "state.json").read_text())["ports"]["postgres"]
    from course.hub.postgres import pg_bin

    psql = run_as(hub, "ann", pg_bin("psql") or "psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                  "-w", "-c", "select 1", "gradebook")
    assert psql.returncode != 0 and "password" in psql.stderr.lower()
    # And Ann cannot put anything into Ben's submission either.
    assert run_as(hub, "ann", "touch", str(submission / "planted.txt")).returncode != 0


def test_the_sync_token_carries_only_the_scopes_it_needs(hub: Hub, people: dict[str, Person]) -> None:
    me = hub.api("GET", "/user")
    assert me.status_code == 200
    assert me.json()["kind"] == "service" and me.json()["name"] == SYNC
    granted = {s.split("!")[0] for s in me.json()["scopes"]}
    assert set(SERVICE_SCOPES[SYNC]) <= granted
    assert not granted & {"admin-ui", "access:servers", "access:services", "proxy", "shutdown", "admin:server_state",
                          "read:metrics"}
    # It manages accounts, but cannot use anyone's server or the proxy.
    assert hub.api("GET", "/proxy").status_code == 403
    r = people["ann"].http.get(f"{hub.url}user/ann/api/contents", headers={"Authorization": f"token {hub.sync_token}"},
                               cookies={}, timeout=30)
    assert r.status_code in (403, 401) or "hello.txt" not in r.text


def test_a_wrong_password_is_refused_without_detail(hub: Hub) -> None:
    """Wrong password, unknown name: the same message, no session."""
    answers = []
    for name, password in (("ann", "not-her-password-1"), ("nobody-here", "whatever-password-1")):
        person = Person(hub.url, name)
        page = person.sign_in(password)
        assert page.status_code == 200 and page.url.endswith("/hub/login")
        assert "jupyterhub-session-id" not in person.http.cookies and "jupyterhub-hub-login" not in person.http.cookies
        assert "Invalid username or password." in page.text
        answers.append(page.text.replace(name, "NAME"))
    assert "not been authorized" not in answers[0] and "exist" not in answers[0].lower()


def test_roster_sync_adds_changes_and_deactivates_through_the_hub_api(hub: Hub, people: dict[str, Person],
                                                                      tmp_path: Path) -> None:
    """Cat leaves (server stopped, sign-in refused, record and files kept), Ben becomes a trainer, Dan
    joins and can sign in; a second sync changes nothing. Runs last: it changes who is on the hub."""
    from course.hub.sync import sync_roster
    from tests.hub.conftest import PEOPLE, roster_text

    assert hub.api("GET", "/users/cat").json()["servers"], "cat's server runs before the sync"
    people_now = [p for p in PEOPLE if p[2] != "cat"]
    people_now = [(*p[:5], "trainer") if p[2] == "ben" else p for p in people_now]
    people_now.append(("E7006", "Dan Holloway", "dan", "Marketing", "social_team", "learner"))
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text(people_now), "utf-8")
    hub.extra_accounts.append("dan")
    done = sync_roster(hub.settings, roster)
    r = done.result
    assert (r.added, r.changed, r.deactivated, r.servers_stopped) == (["dan"], ["ben"], ["cat"], ["cat"])
    cat = hub.api("GET", "/users/cat").json()
    assert cat["servers"] == {} and "deactivated" in cat["groups"] and "learners" not in cat["groups"]
    assert (Path(pwd.getpwnam(hub.unix("cat")).pw_dir) / "hello.txt").exists(), "a leaver's files are kept"
    refused = Person(hub.url, "cat").sign_in(hub.passwords["cat"])
    assert refused.url.endswith("/hub/login") and "Invalid username or password." in refused.text
    assert "trainers" in hub.api("GET", "/users/ben").json()["groups"]
    assert people["ben"].get("services/formgrader/formgrader/api/assignments").status_code == 200
    dan = Person(hub.url, "dan")
    assert not dan.sign_in(done.new_passwords["dan"]).url.endswith("/hub/login")
    assert set(hub.api("GET", "/users/dan").json()["groups"]) == {"learners", "track-social_team"}
    again = sync_roster(hub.settings, roster).result
    assert (again.added, again.changed, again.deactivated) == ([], [], []) and len(again.unchanged) == 5
