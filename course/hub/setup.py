"""Prepare everything the hub needs on this machine, then run it (``course hub up``, ``make hub``).

:func:`prepare` is idempotent and checks before it creates: the settings, the roster (every bad line
reported, nothing created), root, the proxy, PostgreSQL. Then it makes the Unix accounts, the course
workspace with its PostgreSQL gradebook and released modules, the exchange, each user's Jupyter
config and the secrets; new accounts get a random password, returned once and stored only as a
bcrypt hash.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from course.hub.accounts import (
    Account,
    AccountError,
    ensure_unix_account,
    hub_comment,
    read_accounts,
    sbin,
    unix_conflicts,
)
from course.hub.config import SYNC
from course.hub.exchange import MAX_SUBMISSION_KB, ensure_exchange
from course.hub.postgres import Postgres, missing_tools
from course.hub.runtime import ensure_runtime, runtime_for
from course.hub.settings import HubSettings
from course.hub.spawner import user_config_dir
from course.hub.state import HubState

_NBGRADER_LEARNER = '''"""nbgrader settings for {username} (written by course.hub; read-only to them)."""

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.student_id = {student_id!r}
c.Exchange.root = {exchange!r}
c.Exchange.path_includes_course = True
c.Exchange.assignment_dir = {home!r}
c.CourseDirectory.groupshared = True  # the exchange's root is root's, not world-writable
c.ExchangeFactory.submit = "course.hub.exchange.PrivateSubmit"
c.CourseDirectory.max_dir_size = {max_kb}  # kB: a bigger submission is refused with a clear message
c.CourseDirectory.max_file_size = {max_kb}  # the same, so no file is ever dropped silently
'''

_WORKSPACE_MARK = "# -- course.hub: the hub's shared exchange (re-added by `course hub up`) --"


def mark_migrated(config_dir: Path) -> None:
    """Tell jupyter_core that there is no IPython 3 config to migrate into ``config_dir``.

    Without the marker every Jupyter application that starts with a ``~/.ipython`` folder (the course
    owner's, after a kernel ran) tries to write ``migrated`` into its config folder. The hub's config
    folders are root-owned and read-only to the account, so formgrader's ``initialize`` failed with
    PermissionError and JupyterLab answered 404 for every formgrader page. A root-owned marker makes
    ``JupyterApp.migrate_config`` return at once (it opens the marker for update, fails, and gives up).
    """
    marker = config_dir / "migrated"
    if not marker.exists():
        marker.write_text("course.hub: nothing to migrate\n", "utf-8")
    os.chmod(marker, 0o644)


class SetupError(RuntimeError):
    """The hub cannot be prepared; the message says what to do."""


@dataclass
class Prepared:
    settings: HubSettings
    state: HubState
    accounts: list[Account]
    postgres: Postgres | None
    #: sign-in name -> password, for accounts created in this run only (shown once, never stored)
    new_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.settings.ip}:{self.settings.port}/"


def _check_tools(settings: HubSettings, state: HubState) -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("the hub runs each employee's server as their own Unix account, so it must run as root")
    for tool in ("useradd", "usermod", "runuser"):
        if sbin(tool) == tool:
            problems.append(f"`{tool}` is missing (package passwd / util-linux)")
    if not state.proxy_command.exists():
        problems.append(f"configurable-http-proxy is missing ({state.proxy_command}); `make hub` installs it with npm")
    if settings.gradebook == "postgres" and missing_tools():
        problems.append(f"PostgreSQL is missing ({', '.join(missing_tools())}); `make system-deps` installs it")
    if shutil.which("jupyterhub-singleuser", path=str(Path(sys.executable).parent)) is None:
        problems.append("jupyterhub-singleuser is not in this environment; run `make venv`")
    if problems:
        raise SetupError("cannot prepare the hub:\n" + "\n".join(f"  - {p}" for p in problems))


def _chown_tree(path: Path, owner: str) -> None:
    subprocess.run(["chown", "-R", f"{owner}:{owner}", str(path)], check=True, capture_output=True)


def write_user_config(state: HubState, account: Account, course_id: str) -> Path:
    """The root-owned Jupyter config of one employee: learner extensions and their nbgrader settings."""
    from course.lab import Role as LabRole
    from course.lab import _write_role_config

    home = state.homes / account.unix_name(state.prefix)
    config_dir = user_config_dir(state.root, account.username)
    _write_role_config(config_dir.parent, LabRole.LEARNER, _NBGRADER_LEARNER.format(
        username=account.username, course_id=course_id, student_id=account.employee_id,
        exchange=str(state.exchange), home=str(home), max_kb=MAX_SUBMISSION_KB))
    mark_migrated(config_dir)
    return config_dir


def ensure_accounts(state: HubState, accounts: Iterable[Account], *, course_id: str) -> dict[str, str]:
    """Unix accounts, Jupyter config and (for new ones) a password; returns the new passwords."""
    seed = json.loads(state.native_seed.read_text("utf-8")) if state.native_seed.exists() else {}
    new: dict[str, str] = {}
    state.homes.mkdir(parents=True, exist_ok=True)
    os.chmod(state.homes, 0o755)
    for account in accounts:
        ensure_unix_account(account.unix_name(state.prefix), home_root=state.homes,
                            comment=hub_comment(account.employee_id))
        write_user_config(state, account, course_id)
        if account.username not in seed:
            password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
            seed[account.username] = {"hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(),
                                      "email": account.email, "employee_id": account.employee_id}
            new[account.username] = password
    state.secrets.mkdir(parents=True, exist_ok=True)
    tmp = state.native_seed.with_name(".native-accounts.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(seed, fh, indent=1)
    os.replace(tmp, state.native_seed)
    return new


def _workspace(state: HubState, db_url: str, roster: Path, modules: list[str] | None) -> None:
    """The course workspace (owner-only), its exchange, and the modules released into it."""
    from course.compliance.roster import import_roster
    from course.workspace import Workspace

    ws = Workspace.init(state.workspace, db_url=db_url)
    with ws.config_file.open("a", encoding="utf-8") as fh:
        fh.write(f"\n{_WORKSPACE_MARK}\nc.Exchange.root = {str(state.exchange)!r}\n"
                 "c.CourseDirectory.groupshared = True  # the exchange's root is root's, not world-writable\n")
    os.chmod(ws.root / "exchange", 0o700)  # the workspace's own local exchange is not used by the hub
    import_roster(ws, roster)
    _chown_tree(state.owner_home, state.course_owner)
    os.chmod(ws.root, 0o700)
    course = ensure_exchange(state.exchange, ws.course_id, owner=state.course_owner)
    have = {p.name for p in (course / "outbound").iterdir()}
    todo = [m for m in (modules if modules is not None else _all_modules()) if m not in have]
    if todo:  # released by the course owner itself, as a trainer would from formgrader
        run_as_owner(state, ["-c", "import sys; from course.lab import publish; from course.workspace import "
                             "Workspace; publish(Workspace.open(sys.argv[1]), sys.argv[2:])", str(ws.root), *todo])
    ensure_exchange(state.exchange, ws.course_id, owner=state.course_owner)


def run_as_owner(state: HubState, args: list[str]) -> str:
    """Run this environment's Python as the course owner (in the workspace); returns its output."""
    rt = runtime_for(state.root)
    env = {"PATH": f"{rt.bin_dir}:/usr/bin:/bin", "HOME": str(state.owner_home), "LANG": "C.UTF-8", **rt.env()}
    done = subprocess.run([sbin("runuser"), "-u", state.course_owner, "--", str(rt.python), *args], cwd=state.workspace,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SetupError(f"as {state.course_owner}: {done.stderr.strip()[-1500:]}")
    return done.stdout


def _all_modules() -> list[str]:
    from course._paths import solutions_dir
    from course.grading.release import find_assignments

    return find_assignments(solutions_dir())


def prepare(settings: HubSettings, *, modules: list[str] | None = None) -> Prepared:
    """Make this machine ready for the hub (see the module docstring); safe to run again."""
    from course.workspace import COURSE_ID

    settings = settings.resolve()
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` by name
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    accounts = read_accounts(settings.roster, prefix=settings.unix_prefix)  # all lines checked first
    state = HubState.open(settings)
    _check_tools(settings, state)
    unix_conflicts(settings.roster, accounts, prefix=state.prefix, home_root=state.homes)
    state.root.mkdir(parents=True, exist_ok=True)
    os.chmod(state.root, 0o755)
    state.save()
    for name in ("proxy", SYNC):
        state.ensure_secret(name)
    try:
        owner_home = Path(ensure_unix_account(state.course_owner, home_root=state.root,
                                              comment=hub_comment("course owner")).pw_dir)
        if owner_home != state.owner_home:
            raise SetupError(f"the account {state.course_owner} exists with home {owner_home}, not "
                             f"{state.owner_home}; remove it (userdel) or choose another unix_prefix")
        trainer_dir = state.config_dir("trainer")
        from course.lab import Role as LabRole
        from course.lab import _write_role_config

        _write_role_config(trainer_dir, LabRole.TRAINER, None)
        mark_migrated(trainer_dir / "jupyter")
        new = ensure_accounts(state, accounts, course_id=COURSE_ID)
    except AccountError as exc:
        raise SetupError(str(exc)) from None
    pg = None
    db_url = settings.gradebook
    if settings.gradebook == "postgres":
        pg = Postgres(data=state.owner_home / "postgres", port=state.port("postgres"),
                      password=state.ensure_secret("postgres"), account=state.course_owner)
        state.save()
        pg.start()
        db_url = pg.url
    ensure_runtime(state.root)
    _protect_sources(state)
    _workspace(state, db_url, settings.roster, modules)
    return Prepared(settings=settings, state=state, accounts=accounts, postgres=pg, new_passwords=new)


def _protect_sources(state: HubState) -> None:
    """The checkout's solutions (answers and hidden tests): root's and the course owner's, nobody else's."""
    from course._paths import solutions_dir

    if solutions_dir().is_dir():
        shutil.chown(solutions_dir(), "root", state.course_owner)
        os.chmod(solutions_dir(), 0o750)


def hub_command(settings_file: Path | None) -> tuple[list[str], dict[str, str]]:
    """``jupyterhub`` with the deployment's config file, and its environment."""
    from course._paths import repo_root

    config = repo_root() / "deploy" / "hub" / "jupyterhub_config.py"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    if settings_file is not None:
        env["COURSE_HUB_SETTINGS"] = str(Path(settings_file).resolve())
    return [sys.executable, "-m", "course.hub.app", "-f", str(config)], env


def banner(prepared: Prepared) -> str:
    """What ``make hub`` prints: where to go, and the accounts made in this run with their passwords."""
    from course.hub.config import COMPLIANCE, FORMGRADER

    url = prepared.url
    pg = prepared.postgres
    gradebook = f"PostgreSQL on 127.0.0.1:{pg.port}" if pg else prepared.settings.gradebook.split("@")[-1]
    lines = [f"Company JupyterHub: {url}",
             f"  trainers' formgrader:  {url}services/{FORMGRADER}/formgrader",
             f"  compliance service:    {url}services/{COMPLIANCE}/",
             f"  gradebook:             {gradebook}",
             f"  state:                 {prepared.state.root}"]
    if prepared.new_passwords:
        lines.append("Accounts created now (passwords shown this once; stored only as hashes):")
        width = max(len(n) for n in prepared.new_passwords)
        by_name = {a.username: a for a in prepared.accounts}
        for name, password in prepared.new_passwords.items():
            a = by_name.get(name)
            role = a.role.value if a else ""
            lines.append(f"  {name:<{width}}  {password}  {role}")
    else:
        lines.append(f"{len(prepared.accounts)} accounts already exist; their passwords were shown when they "
                     "were made.")
    return "\n".join(lines)
