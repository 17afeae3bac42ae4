"""One real company hub per test module: Unix accounts from a roster, PostgreSQL, proxy, services.

Everything lives in a temporary folder every account can traverse (``/tmp/smw-hub-*``), the Unix
accounts carry a random ``smw-t<hex>-`` prefix, and all of it is removed at the end, accounts and
their processes included.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from course._paths import solutions_dir
from course.hub.accounts import group_exists, remove_unix_account, unix_exists
from course.hub.settings import HubSettings, load_settings
from course.hub.state import proxy_binary
from tests.conftest import IN_CI

HEADER = "employee_id,name,email,department,manager_email,track,start_date,role\n"
#: 3 learners, 1 trainer, 1 compliance officer (synthetic people).
PEOPLE = [
    ("E7001", "Ann Larkfield", "ann", "Marketing", "social_team", "learner"),
    ("E7002", "Ben Mossgrove", "ben", "Customer Care", "customer_facing", "learner"),
    ("E7003", "Cat Pinebrook", "cat", "Finance", "all_staff", "learner"),
    ("E7004", "Tom Reedmoor", "tom", "IT", "all_staff", "trainer"),
    ("E7005", "Cora Ashdown", "cora", "People & HR", "all_staff", "compliance"),
]


def roster_text(people: list[tuple[str, str, str, str, str, str]] = PEOPLE) -> str:
    rows = [f"{eid},{name},{user}@brightwater.example,{dept},lead@brightwater.example,{track},2026-01-05,{role}"
            for eid, name, user, dept, track, role in people]
    return HEADER + "\n".join(rows) + "\n"


def missing(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Hub:
    url: str
    settings: HubSettings
    passwords: dict[str, str]
    state_root: Path
    prefix: str
    sync_token: str
    process: subprocess.Popen
    log: Path
    extra_accounts: list[str] = field(default_factory=list)

    def unix(self, username: str) -> str:
        return self.prefix + username

    def api(self, method: str, path: str, token: str | None = None, **kwargs: object) -> requests.Response:
        headers = {"Authorization": f"token {token or self.sync_token}"}
        return requests.request(method, f"{self.url}hub/api{path}", headers=headers, timeout=60, **kwargs)

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def _restore(path: Path, st: os.stat_result) -> None:
    os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, st.st_mode & 0o7777)


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    """prepare + start the hub for PEOPLE; yields once it answers; tears everything down after."""
    if os.geteuid() != 0:
        missing("the hub tests create Unix accounts and must run as root")
    for tool in ("useradd", "runuser"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing(f"{tool} is missing")
    if not proxy_binary().exists():
        missing("configurable-http-proxy is not installed; `make hub-deps` installs it into var/node")
    from course.hub.postgres import missing_tools
    from course.hub.setup import hub_command, prepare

    if missing_tools():
        missing(f"PostgreSQL is not installed ({', '.join(missing_tools())}); `make system-deps` installs it")
    base = Path(tempfile.mkdtemp(prefix="smw-hub-", dir="/tmp"))
    os.chmod(base, 0o755)
    prefix = f"smw-t{secrets.token_hex(2)}-"
    (base / "roster.csv").write_text(roster_text(), "utf-8")
    port = _free_port()
    settings = load_settings(None, state_dir=str(base / "state"), roster=str(base / "roster.csv"),
                             unix_prefix=prefix, port=port, culler={"enabled": False})
    solutions_stat = solutions_dir().stat()
    usernames = [p[2] for p in PEOPLE]
    process = None
    prepared = None
    log = base / "hub.log"
    try:
        prepared = prepare(settings, modules=["00-start-here"])
        argv, env = hub_command(None)
        env["COURSE_HUB_SETTINGS"] = str(base / "hub.yaml")
        (base / "hub.yaml").write_text(
            f"state_dir: {base / 'state'}\nroster: {base / 'roster.csv'}\nunix_prefix: {prefix}\nport: {port}\n"
            "culler: {enabled: false}\n", "utf-8")
        with log.open("wb") as out:
            process = subprocess.Popen(argv, env=env, cwd=base, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the hub exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            if "JupyterHub is now running" in log.read_text(errors="replace"):
                break
            time.sleep(1)
        else:
            pytest.fail(f"the hub did not start in 300 s:\n{log.read_text(errors='replace')[-3000:]}")
        hub = Hub(url=url, settings=settings.resolve(), passwords=prepared.new_passwords,
                  state_root=settings.resolve().state_dir, prefix=prefix,
                  sync_token=prepared.state.read_secret("roster-sync"), process=process, log=log)
        yield hub
        usernames += hub.extra_accounts
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if prepared is not None:  # servers, the proxy (its own session) and PostgreSQL, as `course hub down`
            from course.hub.down import stop_hub

            proxy_pid = (prepared.state.root / "proxy.pid").read_text().strip() if (
                prepared.state.root / "proxy.pid").exists() else None
            stop_hub(prepared.settings, state=prepared.state)
            if proxy_pid:
                assert not Path(f"/proc/{proxy_pid}").exists() or "configurable-http-proxy" not in Path(
                    f"/proc/{proxy_pid}/cmdline").read_text(errors="replace"), "the proxy was left running"
        for name in [*usernames, "grader"]:
            remove_unix_account(prefix + name)
        _restore(solutions_dir(), solutions_stat)
        shutil.rmtree(base, ignore_errors=True)
        left = [prefix + n for n in usernames if unix_exists(prefix + n) or group_exists(prefix + n)]
        assert not left, f"Unix accounts left behind: {left}"


def _free_port() -> int:
    from course.hub.state import free_port

    return free_port()


def run_as(hub: Hub, username: str, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command as the employee's own Unix account (their uid and groups, no root)."""
    full = {"PATH": "/usr/bin:/bin", "HOME": str(hub.state_root / "home" / hub.unix(username)), **(env or {})}
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return subprocess.run([runuser, "-u", hub.unix(username), "--", *argv], capture_output=True, text=True,
                          env=full, timeout=300, check=False)
