"""``course lab``: JupyterLab as a learner or a trainer meets the course, on one machine.

Both roles share one local nbgrader exchange: the one of a trainer workspace (``var/demo/`` by
default), so release, fetch, submit and collect work without a JupyterHub. Everything the servers
write lives under ``var/lab/`` (git-ignored); the repository is never written to::

    var/lab/learner/home/       the learner's Jupyter root: what the file browser shows. Fetching a
                                module puts it in social-media-at-work/<module>/ here (nbgrader's
                                own place for it), and Submit takes it from there.
    var/lab/learner/jupyter/    JUPYTER_CONFIG_DIR: which extensions this role gets, and the
                                learner's nbgrader_config.py (exchange, course id, learner id)
    var/lab/learner/{data,runtime,ipython}/   Jupyter's and IPython's own state, kept apart from ~
    var/lab/trainer/...         the same for the trainer, whose Jupyter root is the workspace itself
                                (formgrader needs the course directory inside the server's root)

Learners see the Assignments list (fetch, submit) and the Validate button; trainers see the
formgrader and Validate. Each role's choice is written to its own config directory, so one
environment serves both; nbgrader's extensions themselves are enabled at the environment
(``--sys-prefix``) level, never in the user's home. Jupyter's token authentication stays on.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from course.workspace import COURSE_ID, Workspace

#: Where ``course lab`` keeps the learner's home and each role's Jupyter state.
DEFAULT_LAB_DIR = Path("var/lab")
#: The trainer workspace whose exchange the lab uses (the one ``course demo`` fills).
DEFAULT_WORKSPACE = Path("var/demo")
#: The learner id the learner's submissions are made under in the demo workspace.
DEFAULT_LEARNER = "demo-learner"

#: nbgrader's server extensions (module names) and JupyterLab plugins, with the role that gets each.
SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.assignment_list": {"learner"},
    "nbgrader.server_extensions.validate_assignment": {"learner", "trainer"},
    "nbgrader.server_extensions.formgrader": {"trainer"},
    "nbgrader.server_extensions.course_list": set(),  # for multi-course JupyterHubs; its link is broken (#1829)
}
LAB_PLUGINS = {
    "@jupyter/nbgrader:menu": {"learner", "trainer"},
    "@jupyter/nbgrader:assignment-list": {"learner"},
    "@jupyter/nbgrader:validate-assignment": {"learner", "trainer"},
    "@jupyter/nbgrader:formgrader": {"trainer"},
    # Trainers edit solutions/ in the repository, never the workspace's source/ snapshot.
    "@jupyter/nbgrader:create-assignment": set(),
    # Needs the formgrader plugin, else "Command 'nbgrader:open-formgrader' not registered" (#1935).
    "@jupyter/nbgrader:course-list": set(),
}
#: JupyterLab plugins that reach out to the internet (news, the PyPI extension manager): off for both.
OFFLINE_PLUGINS = ("@jupyterlab/apputils-extension:announcements", "@jupyterlab/extensionmanager-extension")
#: What must be installed for the lab to work at all.
REQUIRED_LABEXTENSIONS = ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager")


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"


class LabError(RuntimeError):
    """The lab cannot be set up; the message says what to do."""


@dataclass(frozen=True)
class LabServer:
    """Everything needed to start one role's Jupyter server: where, with which environment."""

    role: Role
    root_dir: Path
    state_dir: Path
    workspace: Workspace
    learner: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def config_dir(self) -> Path:
        return self.state_dir / "jupyter"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) with Jupyter's and IPython's dirs kept here."""
        env = dict(os.environ if base is None else base)
        bin_dir = str(Path(sys.executable).parent)
        env.update({
            "JUPYTER_CONFIG_DIR": str(self.config_dir),
            "JUPYTER_DATA_DIR": str(self.state_dir / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.state_dir / "runtime"),
            "IPYTHONDIR": str(self.state_dir / "ipython"),
            "JUPYTER_PREFER_ENV_PATH": "1",
            # nbgrader runs `alembic`, and the kernelspec runs `python`, by name: this environment's first.
            "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
        })
        env.update(self.extra_env)
        return env

    def command(self, *, port: int = 8888, token: str | None = None, open_browser: bool = True,
                ip: str = "127.0.0.1") -> list[str]:
        """``jupyter lab`` for this role. ``token=None`` lets Jupyter make one and print the URL with it."""
        argv = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={self.root_dir}",
                f"--ServerApp.ip={ip}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                f"--ServerApp.open_browser={open_browser}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.append("--ServerApp.allow_root=True")  # containers and CI runners often run as root
        if token is not None:
            if not token:
                raise LabError("an empty token would switch Jupyter's authentication off")
            argv.append(f"--IdentityProvider.token={token}")
        return argv

    def popen(self, *, port: int, token: str, env: Mapping[str, str] | None = None,
              **kwargs: object) -> subprocess.Popen:
        """Start the server in the background (for tests and tools); stop it with ``terminate()``."""
        return subprocess.Popen(self.command(port=port, token=token, open_browser=False),
                                cwd=self.root_dir, env=self.env(env), **kwargs)  # type: ignore[call-overload]


def new_token() -> str:
    """A random token for Jupyter's own authentication."""
    return secrets.token_hex(24)


# -- extensions, at the environment's level ---------------------------------------------------------

def _sys_prefix_config() -> Path:
    from jupyter_core.paths import ENV_CONFIG_PATH

    return Path(ENV_CONFIG_PATH[0])


def _sys_prefix_data() -> Path:
    from jupyter_core.paths import ENV_JUPYTER_PATH

    return Path(ENV_JUPYTER_PATH[0])


def extension_problems() -> list[str]:
    """What is missing or switched off in this environment (empty when the lab can start)."""
    from jupyter_server.extension.config import ExtensionConfigManager

    problems = []
    enabled = ExtensionConfigManager(read_config_path=[str(_sys_prefix_config())]).get_jpserver_extensions()
    for module in SERVER_EXTENSIONS:
        if not enabled.get(module):
            problems.append(f"server extension {module} is not enabled")
    labext = _sys_prefix_data() / "labextensions"
    for name in REQUIRED_LABEXTENSIONS:
        if not (labext / name / "package.json").exists():
            problems.append(f"JupyterLab extension {name} is not installed")
    page = _sys_prefix_config() / "labconfig" / "page_config.json"
    disabled = _json(page).get("disabledExtensions", {})
    disabled = {d: True for d in disabled} if isinstance(disabled, list) else disabled
    problems.extend(f"JupyterLab extension {name} is disabled" for name, off in disabled.items()
                    if off and any(name == e or name.startswith(e + ":") for e in REQUIRED_LABEXTENSIONS))
    return problems


def ensure_extensions() -> list[str]:
    """Enable nbgrader's and the widgets' extensions at ``--sys-prefix`` level where needed; idempotent.

    Returns what was changed (empty when all was in place). Roles then choose among the enabled
    extensions in their own config directory.
    """
    problems = extension_problems()
    if not problems:
        return []
    if any("not installed" in p for p in problems):
        raise LabError("; ".join(problems) + ". Reinstall the environment with `make clean venv`.")
    jupyter = [sys.executable, "-m", "jupyter"]
    steps = [[*jupyter, "server", "extension", "enable", "--sys-prefix", "--py", "nbgrader"]]
    steps += [[*jupyter, "labextension", "enable", "--level=sys_prefix", name] for name in REQUIRED_LABEXTENSIONS]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            raise LabError(f"`{' '.join(step[1:])}` failed: {done.stderr.strip()[-500:]}")
    left = extension_problems()
    if left:
        raise LabError("; ".join(left))
    return problems


# -- publishing modules to the workspace's exchange ---------------------------------------------------

def published(workspace: Workspace) -> list[str]:
    """Modules learners can fetch from the workspace's exchange."""
    outbound = workspace.exchange / workspace.course_id / "outbound"
    return sorted(p.name for p in outbound.iterdir() if p.is_dir()) if outbound.is_dir() else []


def stale_modules(workspace: Workspace, assignments: Iterable[str] | None = None) -> list[str]:
    """Modules whose solution notebook is newer than their copy in the exchange (or that have none)."""
    from course._paths import solutions_dir
    from course.grading.release import find_assignments

    names = list(assignments) if assignments else find_assignments(solutions_dir())
    out = []
    for name in names:
        copy = workspace.exchange / workspace.course_id / "outbound" / name
        newest = max((p.stat().st_mtime for p in (solutions_dir() / name).glob("*.ipynb")), default=0.0)
        if not copy.is_dir() or copy.stat().st_mtime < newest:
            out.append(name)
    return out


def publish(workspace: Workspace, assignments: Iterable[str] | None = None) -> list[str]:
    """Release ``assignments`` (default: all) into the workspace and put them in its exchange.

    What ``nbgrader generate_assignment`` and ``nbgrader release_assignment`` do, with the course's
    settings; learners then fetch them from the Assignments list. Returns the modules published.
    """
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from course.grading.release import release
    from course.grading.stock import load_course_config

    names = release(course_dir=workspace.root, assignments=list(assignments) if assignments else None).assignments
    config = load_course_config(workspace.root)
    config.ExchangeReleaseAssignment.force = True
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for name in names:
        result = api.release_assignment(name)
        if not result or not result.get("success"):
            detail = (result or {}).get("error") or (result or {}).get("log") or "no details"
            raise LabError(f"could not put {name} in the exchange {workspace.exchange}: {detail.strip()[-800:]}")
    return names


# -- the two roles -------------------------------------------------------------------------------------

def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8")) if path.exists() else {}
    except ValueError:
        return {}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


#: JupyterLab's command-mode shortcuts (arrows move between cells, M makes a cell Markdown, X cuts it ...)
#: fire whenever focus is in a notebook and not in a text field, so on a widget's drop-down or radio
#: button the arrow keys leave the widget instead of changing the choice, and letters edit cells. Each
#: such shortcut is replaced by one that does not fire while a widget control has the focus.
_COMMAND_MODE_SELECTORS = (".jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus",
                           "[data-jp-kernel-user]:not(.jp-mod-readWrite) :focus:not(:read-write)")
_OUTSIDE_WIDGETS = ":focus:not(.jupyter-widgets *)"
_SHORTCUTS_MARKER = "// Written by `course lab`: keyboard shortcuts that leave widget controls alone."


def widget_safe_shortcuts() -> list[dict]:
    """User shortcut settings that move JupyterLab's command-mode shortcuts off widget controls.

    Read from the shortcut defaults of every JupyterLab plugin installed in this environment; each
    default is disabled and re-added with a selector that excludes focus inside ``.jupyter-widgets``.
    """
    data = _sys_prefix_data()
    schemas = [*sorted((data / "lab" / "schemas").rglob("*.json")),
               *sorted((data / "labextensions").glob("**/schemas/**/*.json"))]
    out: list[dict] = []
    seen: set[tuple] = set()
    for path in schemas:
        schema = _json(path)
        for shortcut in schema.get("jupyter.lab.shortcuts", []) if isinstance(schema, dict) else []:
            selector, keys = shortcut.get("selector", ""), [k for k in shortcut.get("keys", []) if k]
            if selector not in _COMMAND_MODE_SELECTORS or not keys or shortcut.get("disabled"):
                continue
            key = (shortcut["command"], tuple(keys), selector, json.dumps(shortcut.get("args"), sort_keys=True))
            if key in seen:
                continue
            seen.add(key)
            base = {"command": shortcut["command"], "keys": keys}
            if shortcut.get("args") is not None:
                base["args"] = shortcut["args"]
            out.append({**base, "selector": selector, "disabled": True})
            out.append({**base, "selector": selector.replace(":focus", _OUTSIDE_WIDGETS, 1)})
    return out


def _write_shortcuts(config_dir: Path) -> None:
    """The role's keyboard shortcuts, unless someone has since edited them in JupyterLab's settings."""
    path = config_dir / "lab" / "user-settings" / "@jupyterlab" / "shortcuts-extension"
    path = path / "shortcuts.jupyterlab-settings"
    if path.exists() and not path.read_text("utf-8").startswith(_SHORTCUTS_MARKER):
        return
    _write(path, _SHORTCUTS_MARKER + "\n" + json.dumps({"shortcuts": widget_safe_shortcuts()}, indent=2) + "\n")


def _write_role_config(state_dir: Path, role: Role, nbgrader_config: str | None) -> None:
    """The role's server extensions, JupyterLab plugins and (for learners) nbgrader settings."""
    config_dir = state_dir / "jupyter"
    server = {
        "ServerApp": {"jpserver_extensions": {m: role in roles for m, roles in SERVER_EXTENSIONS.items()}},
        # No news feed, update check or PyPI extension manager (they go to the internet), and the
        # plugin choice above cannot be undone from the UI.
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                   "extension_manager": "readonly", "lock_all_plugins": True},
    }
    _write(config_dir / "jupyter_server_config.json", json.dumps(server, indent=2) + "\n")
    disabled = {p: role not in roles for p, roles in LAB_PLUGINS.items()}
    disabled.update(dict.fromkeys(OFFLINE_PLUGINS, True))
    _write(config_dir / "labconfig" / "page_config.json", json.dumps({"disabledExtensions": disabled}, indent=2) + "\n")
    _write_shortcuts(config_dir)
    nb_config = config_dir / "nbgrader_config.py"
    if nbgrader_config is None:
        nb_config.unlink(missing_ok=True)
    else:
        _write(nb_config, nbgrader_config)
    for sub in ("data", "runtime", "ipython"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True)


_LEARNER_NBGRADER = '''"""The learner's nbgrader settings (written by `course lab`): where to fetch and submit."""

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.student_id = {learner!r}
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
c.Exchange.assignment_dir = {home!r}
'''


def learner_lab(*, workspace: Path | str = DEFAULT_WORKSPACE, lab_dir: Path | str = DEFAULT_LAB_DIR,
                learner: str = DEFAULT_LEARNER) -> LabServer:
    """Set up (idempotently) the learner's home and Jupyter config; the workspace is created if missing."""
    if not learner or any(ch in learner for ch in "*+/\\ ") or learner.startswith("."):
        raise LabError(f"learner id {learner!r} may not be empty or contain '*', '+', '/', '\\' or spaces")
    ws = Workspace.init(workspace)
    state = Path(lab_dir).resolve() / Role.LEARNER
    home = state / "home"
    home.mkdir(parents=True, exist_ok=True)
    _write_role_config(state, Role.LEARNER, _LEARNER_NBGRADER.format(
        course_id=ws.course_id, learner=learner, exchange=str(ws.exchange), home=str(home)))
    return LabServer(role=Role.LEARNER, root_dir=home, state_dir=state, workspace=ws, learner=learner)


def trainer_lab(*, workspace: Path | str = DEFAULT_WORKSPACE, lab_dir: Path | str = DEFAULT_LAB_DIR) -> LabServer:
    """Set up the trainer's Jupyter config; its root is the (existing) workspace, as formgrader requires."""
    ws = Workspace.open(workspace)
    state = Path(lab_dir).resolve() / Role.TRAINER
    # Formgrader reads the workspace's own nbgrader_config.py from the server's working directory.
    _write_role_config(state, Role.TRAINER, None)
    return LabServer(role=Role.TRAINER, root_dir=ws.root, state_dir=state, workspace=ws)


def run(server: LabServer, *, port: int = 8888, open_browser: bool = True) -> int:
    """Run the server in the foreground until it stops (Ctrl+C twice); returns its exit status."""
    try:
        return subprocess.call(server.command(port=port, open_browser=open_browser),
                               cwd=server.root_dir, env=server.env())
    except KeyboardInterrupt:
        return 130


def describe(server: LabServer) -> str:
    """One line saying who this server is for and where things are, printed before it starts."""
    if server.role is Role.LEARNER:
        return (f"Learner lab for {server.learner}: files in {server.root_dir}; modules to fetch from "
                f"{server.workspace.exchange} (Assignments tab). Submissions go to the same exchange.")
    return (f"Trainer lab on the workspace {server.workspace.root}: open Nbgrader > Formgrader "
            "to collect, grade and give feedback.")


__all__ = [
    "COURSE_ID",
    "DEFAULT_LAB_DIR",
    "DEFAULT_LEARNER",
    "DEFAULT_WORKSPACE",
    "LabError",
    "LabServer",
    "Role",
    "describe",
    "ensure_extensions",
    "extension_problems",
    "learner_lab",
    "new_token",
    "publish",
    "published",
    "run",
    "stale_modules",
    "trainer_lab",
    "widget_safe_shortcuts",
]
