"""Course directories for the grading tests, built once per session with real nbgrader, then copied.

* ``quickstart``: the course ``nbgrader quickstart`` makes (its own config, nothing of ours), with a
  due date and the "zero" late penalty so lateness shows in scores;
* ``module_workspace``: a trainer workspace of this course with two of its modules released;
* ``postgres``: a throwaway PostgreSQL server (Debian's binaries, run as an unprivileged user when
  the tests run as root), yielding a function that makes a fresh database and returns its URL.

Submissions are written by each test (``tests.grading.courses``); the original course is never
changed, every test works on a copy.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.workspace import Workspace
from tests.conftest import IN_CI
from tests.grading import courses
from tests.modules import MODULES

#: Two modules are enough to show the same scores on real course notebooks and keep the suite short.
GRADED_MODULES = MODULES[:2]
DUE = "2026-11-20 12:00:00 UTC"


@pytest.fixture(scope="session")
def quickstart_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = courses.make_quickstart(tmp_path_factory.mktemp("quickstart"))
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", courses.QUICKSTART_COURSE) as gb:
        gb.update_or_create_assignment(courses.QUICKSTART_ASSIGNMENT, duedate=DUE)
    return root


@pytest.fixture
def quickstart(quickstart_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the quickstart course, no submissions yet."""
    return courses.clone(quickstart_template, tmp_path / "quickstart")


@pytest.fixture(scope="session")
def module_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GRADED_MODULES:
        pytest.skip("no modules in solutions/ yet")
    from course.grading.release import release

    ws = Workspace.init(tmp_path_factory.mktemp("modules") / "ws")
    release(course_dir=ws.root, assignments=GRADED_MODULES)
    return ws.root


@pytest.fixture
def module_workspace(module_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a workspace with two modules released, no submissions yet."""
    return courses.clone(module_template, tmp_path / "ws")


# -- a throwaway PostgreSQL server ------------------------------------------------------------------

def _pg_bin(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True)
    return candidates[0] if candidates else None


def _skip_or_fail(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres() -> Iterator:
    """Start PostgreSQL on a free port on 127.0.0.1 (data and socket in a temporary folder); yield
    ``new_database(name) -> SQLAlchemy URL``; stop the server and remove everything at the end."""
    tools = {t: _pg_bin(t) for t in ("initdb", "pg_ctl", "createdb")}
    missing = [t for t, path in tools.items() if path is None]
    if missing:
        _skip_or_fail(f"PostgreSQL is not installed ({', '.join(missing)} not found on PATH or in "
                      "/usr/lib/postgresql/*/bin); `make test` installs it where it can")
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="course-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            _skip_or_fail("running as root and `runuser` is missing, so PostgreSQL cannot be started "
                          "as an unprivileged user")
        shutil.chown(base, "nobody")
        os.chmod(base, 0o700)
        prefix = [runuser, "-u", "nobody", "--"]
    data, sockets, port = base / "data", base / "sock", _free_port()
    subprocess.run([*prefix, "mkdir", str(sockets)], check=True)

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, cwd=base)

    done = run(tools["initdb"], "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        _skip_or_fail(f"initdb failed: {done.stderr.strip()[-500:]}")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    started = run(tools["pg_ctl"], "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w",
                  "-t", "60", "start")
    if started.returncode != 0:
        log = (base / "server.log").read_text(errors="replace")[-800:] if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr.strip()} {log}")
    counter = iter(range(1, 10_000))

    def new_database(label: str = "grading") -> str:
        name = f"{label}_{next(counter)}"
        made = run(tools["createdb"], "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name)
        assert made.returncode == 0, made.stderr
        return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        run(tools["pg_ctl"], "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop")
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
