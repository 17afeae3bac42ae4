"""Browser tests: real Jupyter servers on loopback, set up by ``course.lab`` exactly as ``make lab`` and
``make formgrader`` set them up, driven by Debian's Chromium through Playwright.

One trainer workspace (with its local nbgrader exchange), one learner server and one trainer server
serve the whole session. HOME and every Jupyter/IPython directory point into a temporary folder, so
nothing from the real home leaks in and nothing is written to it. Screenshots are kept under
``var/test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from course.lab import LabServer, learner_lab, new_token, publish, trainer_lab
from course.workspace import Workspace
from tests.browser.jlab import Lab
from tests.conftest import IN_CI, REPO
from tests.modules import MODULES

ARTIFACTS = REPO / "var" / "test-artifacts" / "browser"
LEARNER = "e2e-learner"
JOURNEY_MODULE = "02-privacy-and-audiences"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}


def need(condition: bool, message: str) -> None:
    """Skip locally, fail under CI=true, when something the browser tests need is not there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class RunningLab:
    """A Jupyter server started for the tests, and how to reach it."""

    server: LabServer
    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str, *, token: bool = True) -> tuple[int, bytes]:
        """GET ``path`` on the server (with the token unless told otherwise): status and body."""
        request = urllib.request.Request(f"{self.url}{path}")
        if token:
            request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def shut_down_kernels(self) -> None:
        """End every kernel session on the server (cleanup between tests, so kernels do not pile up)."""
        for session in json.loads(self.get("/api/sessions")[1] or b"[]"):
            request = urllib.request.Request(f"{self.url}/api/sessions/{session['id']}", method="DELETE")
            request.add_header("Authorization", f"token {self.token}")
            with contextlib.suppress(urllib.error.HTTPError), urllib.request.urlopen(request, timeout=30):
                pass

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text("utf-8", errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _isolated_env(root: Path) -> dict[str, str]:
    """This process's environment with HOME, XDG dirs and any Jupyter path overrides kept in ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "IPYTHON"))}
    home = root / "home"
    for sub in ("", ".config", ".cache", ".local/share"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local/share"))
    return env


def _start(server: LabServer, env: dict[str, str], log: Path) -> RunningLab:
    port, token = _free_port(), new_token()
    with log.open("w") as out:
        process = server.popen(port=port, token=token, env=env, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    lab = RunningLab(server=server, url=f"http://127.0.0.1:{port}", token=token, process=process, log=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {server.role} server stopped (status {process.returncode}):\n{lab.log_tail()}")
        try:
            if lab.get("/api/status")[0] == 200:
                return lab
        except OSError:
            pass
        time.sleep(0.5)
    _stop(lab)
    raise RuntimeError(f"the {server.role} server did not answer within 90s:\n{lab.log_tail()}")


def _stop(lab: RunningLab) -> None:
    """Stop the server we started (SIGTERM lets it shut its kernels down), then its process group if needed."""
    if lab.process.poll() is None:
        lab.process.terminate()
        try:
            lab.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.process.pid, signal.SIGKILL)
            lab.process.wait(timeout=10)


# -- session: workspace, servers, browser -----------------------------------------------------------

@pytest.fixture(scope="session")
def browser_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="session")
def session_env(browser_root: Path) -> dict[str, str]:
    return _isolated_env(browser_root)


@pytest.fixture(scope="session")
def course_workspace(browser_root: Path) -> Workspace:
    """A trainer workspace with every module released and put in its local exchange."""
    need(bool(MODULES), "no modules in solutions/ yet")
    workspace = Workspace.init(browser_root / "workspace")
    publish(workspace, MODULES)
    return workspace


@pytest.fixture(scope="session")
def learner_server(course_workspace: Workspace, browser_root: Path,
                   session_env: dict[str, str]) -> Iterator[RunningLab]:
    """The learner's JupyterLab, as `make lab` starts it, on the test workspace's exchange."""
    server = learner_lab(workspace=course_workspace.root, lab_dir=browser_root / "lab", learner=LEARNER)
    lab = _start(server, session_env, browser_root / "learner-server.log")
    yield lab
    _stop(lab)


@pytest.fixture(scope="session")
def trainer_server(course_workspace: Workspace, browser_root: Path,
                   session_env: dict[str, str]) -> Iterator[RunningLab]:
    """The trainer's JupyterLab with formgrader, as `make formgrader` starts it, rooted at the workspace."""
    server = trainer_lab(workspace=course_workspace.root, lab_dir=browser_root / "lab")
    lab = _start(server, session_env, browser_root / "trainer-server.log")
    yield lab
    _stop(lab)


@pytest.fixture(scope="session")
def browser(chromium: object) -> object:
    """The session's headless Chromium (tests/conftest.py), shared with the other browser tests."""
    return chromium


# -- per test: a fresh tab and a folder for its screenshots -----------------------------------------

@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """``var/test-artifacts/browser/<test>/``, emptied first."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(browser, artifacts: Path) -> Iterator[object]:
    """A new browser tab (its own cookies); its console messages are kept next to the screenshots."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    tab.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    yield tab
    (artifacts / "console.log").write_text("\n".join(console) + "\n", encoding="utf-8")
    context.close()


@pytest.fixture
def learner(page, learner_server: RunningLab) -> Lab:
    return Lab(page, learner_server.url, learner_server.token)


@pytest.fixture
def trainer(page, trainer_server: RunningLab) -> Lab:
    return Lab(page, trainer_server.url, trainer_server.token)
