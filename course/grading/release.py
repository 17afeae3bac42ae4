"""``course release``: build the learners' notebooks from the solutions with nbgrader, then prove
that no solution, hidden test or mark scheme reached them.

With no course directory, ``solutions/`` is released into the repository's ``exercises/`` (what is
committed and what ``make lab`` opens). With a trainer workspace, the solutions are copied to its
``source/`` and released into its ``release/`` with the gradebook recording each assignment, as
``nbgrader generate_assignment`` would.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from course._paths import data_dir, exercises_dir, repo_root, solutions_dir
from course.grading.nbconfig import configure

ASSIGNMENT_RE = re.compile(r"^\d\d-[a-z0-9-]+$")

#: Markers nbgrader removes on release; any of them in a learner's file means something leaked.
LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)
_REGIONS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
            ("BEGIN MARK SCHEME", "END MARK SCHEME"))


class ReleaseError(RuntimeError):
    """nbgrader could not release an assignment; the message says which and why."""


class LeakError(ReleaseError):
    """Answer-bearing text was found where learners can read it."""

    def __init__(self, leaks: list[Leak]) -> None:
        self.leaks = leaks
        lines = "\n".join(f"  {leak}" for leak in leaks[:20])
        more = f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""
        super().__init__(f"{len(leaks)} answer leak(s) found:\n{lines}{more}")


@dataclass(frozen=True)
class Leak:
    path: Path
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass
class ReleaseResult:
    release_dir: Path
    assignments: list[str] = field(default_factory=list)
    notebooks: list[Path] = field(default_factory=list)


def find_assignments(source: Path) -> list[str]:
    """Assignment folders (``NN-slug``) in ``source`` that hold a notebook, in order."""
    if not source.is_dir():
        raise ReleaseError(f"source folder not found: {source}")
    return sorted(
        p.name for p in source.iterdir() if p.is_dir() and ASSIGNMENT_RE.match(p.name) and any(p.glob("*.ipynb"))
    )


def _generate(root: Path, source_rel: str, release_dir: Path, assignment: str, db_url: str | None) -> None:
    c = Config()
    configure(c, source_directory=source_rel, release_directory=str(release_dir))
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.assignment_id = assignment
    c.BaseConverter.force = True
    if db_url is None:
        c.SaveCells.enabled = False
        c.GenerateAssignment.no_database = True
    else:
        c.CourseDirectory.db_url = db_url
        # nbgrader files the assignment under the course id; PostgreSQL enforces that the course exists.
        from course.workspace import Workspace

        c.CourseDirectory.course_id = Workspace.open(root).course_id
    coursedir = CourseDirectory(config=c)
    converter = GenerateAssignment(coursedir=coursedir, config=c)
    converter.log.setLevel(logging.WARNING)
    try:
        converter.start()
    except Exception as exc:  # nbgrader raises NbGraderException, RuntimeError, ValueError ...
        raise ReleaseError(f"nbgrader could not release {assignment}: {exc}") from exc


def release(
    *,
    course_dir: Path | str | None = None,
    assignments: Iterable[str] | None = None,
    release_dir: Path | str | None = None,
    check: bool = True,
) -> ReleaseResult:
    """Release ``assignments`` (default: all) and run the leak check.

    ``course_dir=None`` releases the course's ``solutions/`` into ``release_dir`` (default: the
    repository's ``exercises/``). Each assignment is built in a temporary folder and moved into
    place only when nbgrader and the leak check succeed, so a failure never leaves half a release.
    """
    if course_dir is None:
        root, source = repo_root(), solutions_dir()
        target = Path(release_dir) if release_dir else exercises_dir()
        db_url = None
    else:
        root = Path(course_dir).resolve()
        source = root / "source"
        target = Path(release_dir) if release_dir else root / "release"
        db_url = None  # nbgrader reads the workspace's own db_url from its config
        _sync_sources(solutions_dir(), source, assignments)
        db_url = _workspace_db_url(root)
    names = list(assignments) if assignments else find_assignments(source)
    unknown = [a for a in names if not (source / a).is_dir()]
    if unknown:
        raise ReleaseError(f"no such assignment in {source}: {', '.join(unknown)}")
    result = ReleaseResult(release_dir=target)
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
            staging = Path(tmp) / "release"
            _generate(root, str(source.relative_to(root)) if source.is_relative_to(root) else str(source),
                      staging, name, db_url)
            built = staging / name
            if check:
                leaks = check_no_leaks(source / name, built)
                if leaks:
                    raise LeakError(leaks)
            final = target / name
            backup = target / f".{name}.old"
            if backup.exists():
                shutil.rmtree(backup)
            if final.exists():
                final.rename(backup)
            shutil.move(str(built), str(final))
            if backup.exists():
                shutil.rmtree(backup)
        result.assignments.append(name)
        result.notebooks.extend(sorted(final.glob("*.ipynb")))
        if course_dir is not None:
            _log_release(root, name, sorted(final.glob("*.ipynb")))
    return result


def _log_release(root: Path, assignment: str, notebooks: list[Path]) -> None:
    """A ``released`` event in the workspace's ledger: compliance dates due dates from the first one."""
    from course.compliance.ledger import Ledger

    Ledger.for_workspace(root).append(
        "released", assignment=assignment,
        notebooks={p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in notebooks},
    )


def _workspace_db_url(root: Path) -> str:
    from course.workspace import Workspace

    return Workspace.open(root).db_url


def _sync_sources(solutions: Path, source: Path, assignments: Iterable[str] | None) -> None:
    """Copy the course's solution folders into a workspace's ``source/`` (a snapshot per release)."""
    names = list(assignments) if assignments else find_assignments(solutions)
    source.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = solutions / name
        if not src.is_dir():
            continue
        dst = source / name
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


# -- leak check ---------------------------------------------------------------------------------

def _region_lines(source: str) -> list[str]:
    """Lines inside solution, hidden-test and mark-scheme regions that are worth searching for."""
    out: list[str] = []
    inside = None
    for line in source.splitlines():
        if inside is None:
            for begin, end in _REGIONS:
                if begin in line:
                    inside = end
                    break
            continue
        if inside in line:
            inside = None
            continue
        text = line.strip()
        if len(text) >= 12 and not text.startswith("#"):
            out.append(text)
    return out


def _notebook_text(path: Path) -> str:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return path.read_text(encoding="utf-8", errors="replace")
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(str(output))
    parts.append(str(nb.metadata))
    return "\n".join(parts)


def answer_lines(solution_folder: Path) -> dict[Path, list[str]]:
    """Per solution notebook, the answer-bearing lines that must not reach learners."""
    found: dict[Path, list[str]] = {}
    for nb_path in sorted(solution_folder.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        lines: list[str] = []
        for cell in nb.cells:
            lines.extend(_region_lines(cell.source))
        found[nb_path] = lines
    return found


def check_no_leaks(solution_folder: Path, released_folder: Path, *, also: Iterable[Path] = ()) -> list[Leak]:
    """Every place in ``released_folder`` (and the files in ``also``) that holds answer-bearing text.

    Looks for nbgrader's region markers in every file, and for each line of a solution, hidden test
    or mark scheme of the matching solution notebook.
    """
    leaks: list[Leak] = []
    secrets = list(dict.fromkeys(line for lines in answer_lines(solution_folder).values() for line in lines))
    files: list[Path] = []
    for base in [Path(released_folder), *map(Path, also)]:
        if base.is_dir():
            files.extend(p for p in sorted(base.rglob("*")) if p.is_file())
        elif base.is_file():
            files.append(base)
    for path in files:
        text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text("utf-8", errors="replace")
        for marker in LEAK_MARKERS:
            if marker in text:
                leaks.append(Leak(path, f"contains the marker {marker!r}"))
        for secret in secrets:
            if secret in text:
                leaks.append(Leak(path, f"contains solution or hidden-test text {secret!r}"))
    return leaks


def check_course_for_leaks() -> list[Leak]:
    """The leak check over the whole committed course: ``exercises/`` and ``data/`` against ``solutions/``."""
    leaks: list[Leak] = []
    for name in find_assignments(solutions_dir()):
        released = exercises_dir() / name
        leaks.extend(check_no_leaks(solutions_dir() / name, released, also=[data_dir()]))
    return leaks
