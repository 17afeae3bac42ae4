"""``course doctor``: what is installed, and which isolation level grading runs learners' code with, and why.

Everything is found by looking (versions of the installed packages, the system programs on ``PATH``)
and by trying (a real sandbox is started, see :func:`course.grading.sandbox.isolation`), never
assumed from configuration.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from course.grading import sandbox

PACKAGES = ("nbgrader", "jupyterlab", "notebook", "ipywidgets", "ipykernel", "jupyter_client")


@dataclass(frozen=True)
class Item:
    """One thing checked: its name, what was found (empty when missing) and a note."""

    name: str
    found: str
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.found)


@dataclass(frozen=True)
class Diagnosis:
    items: list[Item] = field(default_factory=list)
    isolation: sandbox.Isolation | None = None
    user_namespaces: str = ""
    ledger: list[str] = field(default_factory=list)  # with a course: its ledger, see ledger_check

    @property
    def sandboxed(self) -> bool:
        return self.isolation is not None and self.isolation.sandboxed


def _version_of(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def _program(name: str, candidates: list[str], version_args: tuple[str, ...] = ("--version",),
             note: str = "") -> Item:
    for candidate in candidates:
        path = shutil.which(candidate) or next(iter(sorted(glob.glob(candidate))), None)
        if path:
            version = _version_of([path, *version_args])
            return Item(name, f"{version or 'installed'} ({path})")
    return Item(name, "", note)


def user_namespaces() -> str:
    """Whether this kernel lets users create namespaces (what bubblewrap needs when not root)."""
    facts = []
    for path in ("/proc/sys/user/max_user_namespaces", "/proc/sys/kernel/unprivileged_userns_clone",
                 "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"):
        try:
            facts.append(f"{Path(path).name}={Path(path).read_text().strip()}")
        except OSError:
            continue
    return ", ".join(facts) or "unknown (no /proc/sys/user)"


def ledger_check(course_dir: Path) -> list[str]:
    """The course's ledger: intact, in need of `course ledger recover` (and why), or damaged."""
    from course.compliance.ledger import Ledger

    ledger = Ledger.for_workspace(Path(course_dir))
    if not ledger.events_file.exists():
        return [f"Ledger: no events yet ({ledger.directory})"]
    check = ledger.recover(dry_run=True)
    if check.needed:
        return ([f"Ledger: NEEDS RECOVERY ({ledger.directory})"] + [f"  found: {f}" for f in check.found]
                + [f"  run `course ledger recover --course-dir {course_dir}`"])
    if check.after is not None and not check.after.ok:
        return ([f"Ledger: DAMAGED, not repairable by recovery ({ledger.directory})"]
                + [f"  {p}" for p in check.after.problems[:5]] + ["  run `course ledger verify` for the full list"])
    head = check.after.head if check.after else ""
    return [f"Ledger: intact, {check.after.count if check.after else 0:,} event(s); head {head}"]


def diagnose(settings: sandbox.Settings | None = None, *, course_dir: Path | None = None) -> Diagnosis:
    """Look at this machine and try the sandbox with ``settings`` (default: the defaults); with
    ``course_dir``, check its ledger too."""
    items = [Item("python", f"{sys.version.split()[0]} ({sys.executable})")]
    for package in PACKAGES:
        try:
            items.append(Item(package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            items.append(Item(package, "", "not installed; run `make venv`"))
    items.append(_program("chromium", ["chromium", "chromium-browser", "google-chrome"],
                          note="needed by the browser tests only; `make system-deps` installs it"))
    items.append(_program("bwrap", ["bwrap"], note="bubblewrap sandboxes learners' code; `make system-deps` "
                                                   "installs it"))
    items.append(_program("PostgreSQL", ["initdb", "/usr/lib/postgresql/*/bin/initdb"],
                          note="needed only for a PostgreSQL gradebook and its tests"))
    return Diagnosis(items=items, isolation=sandbox.isolation(settings or sandbox.Settings()),
                     user_namespaces=user_namespaces(),
                     ledger=ledger_check(course_dir) if course_dir is not None else [])


def render(diagnosis: Diagnosis) -> list[str]:
    """The diagnosis as lines for people."""
    width = max(len(i.name) for i in diagnosis.items)
    lines = ["Installed:"]
    for item in diagnosis.items:
        found = item.found or "MISSING"
        lines.append(f"  {item.name:<{width}}  {found}" + (f"  ({item.note})" if item.note and not item.ok else ""))
    level = diagnosis.isolation
    if level is not None:
        lines += [
            "",
            f"Grading isolation: {level.level}",
            f"  why: {level.reason}",
            f"  kernels run as: {level.user}",
            f"  processes: {level.processes}",
            ("  kernels start: warm, each a fork of a fork server that did the heavy imports, in namespaces and "
             "a root of its own" if level.warm else f"  kernels start: fresh processes ({level.warm_reason})"),
            f"  system calls: {level.syscalls}",
            f"  memory: {level.memory}",
            *(f"  {detail}" for detail in level.details),
            f"  user namespaces: {diagnosis.user_namespaces}",
        ]
        if not level.sandboxed:
            lines.append("  `course grade` warns on every run; `course grade --require-sandbox` refuses to grade.")
    if diagnosis.ledger:
        lines += ["", *diagnosis.ledger]
    return lines
