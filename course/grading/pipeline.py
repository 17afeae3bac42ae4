"""``course grade``: grade submissions in parallel, only what changed, with nbgrader's own scores.

For each submission in ``submitted/``: a content key (its files + the assignment's version + the
grading settings) decides whether there is anything to do; then prepare (coordinator) -> execute
(worker pool or Dask) -> record (coordinator, serial) -> one state row. The coordinator prepares the
next submissions while workers run notebooks, and keeps only a few jobs in flight, so memory stays
flat for thousands of submissions and an interruption costs at most those few.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import queue
import shutil
import time
import uuid
import warnings
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import SAWarning

from course.grading import verdicts
from course.grading.backends import Backend, make_backend
from course.grading.coursedir import (
    Course,
    GradingError,
    exclusive,
    one_transaction,
    open_course,
    shared_engines,
    working_directory,
)
from course.grading.execute import DEFAULT_LAUNCHER, DEFAULT_NOTEBOOK_TIMEOUT, ExecuteJob, ExecuteResult
from course.grading.prepare import (
    AutogradeSession,
    PreparedSubmission,
    assignment_version,
    content_sha256,
    find_submissions,
)
from course.grading.record import Recorded, Recorder
from course.grading.state import (
    EXECUTE,
    GRADED,
    NEEDS_MANUAL,
    NOT_GRADABLE,
    PREPARE,
    SKIPPED,
    GradingState,
    SubmissionState,
    write_status_file,
)

if TYPE_CHECKING:
    from course.compliance.ledger import Ledger
    from course.grading.sandbox import Isolation


class Reporter(Protocol):
    """Receives progress; the CLI shows a progress bar with it. Every method may be a no-op."""

    def start(self, *, total: int, skipped: int, workers: int, backend: str,
              isolation: Isolation | None = None) -> None: ...

    def update(self, state: SubmissionState) -> None: ...

    def finish(self, report: GradeReport) -> None: ...


@dataclass
class AssignmentSummary:
    assignment: str
    graded: int = 0
    needs_manual: int = 0
    not_gradable: int = 0
    late: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.graded + self.needs_manual + self.not_gradable + self.skipped


#: The measured steps of ``course grade``, in order (see :class:`Timings`).
STEPS = ("collect", "prepare", "execute", "re-run", "queue", "record", "idle")
_STEP_HELP = {
    "collect": "find and hash the submissions, decide what to grade (once per run)",
    "prepare": "per submission, on this machine: check it, restore protected cells",
    "execute": "per notebook, in a worker: the kernel and its cells, the clean re-run included",
    "re-run": "per notebook, in a worker: the clean re-run that decides the scores (part of execute)",
    "queue": "per notebook: sent to a worker until its result came back, less its execution",
    "record": "per submission, on this machine: scores and comments into the gradebook, the ledger",
    "idle": "this machine waiting for the next result from the workers",
}


@dataclass
class Timings:
    """Where the time of a run went: seconds per step, one sample per submission (prepare, record),
    per notebook (execute, re-run, queue), per wait for a result (idle) or per run (collect)."""

    samples: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})

    def add(self, step: str, seconds: float) -> None:
        self.samples[step].append(max(0.0, seconds))

    def rows(self) -> list[tuple[str, int, float, float, float, str]]:
        """(step, samples, total s, median s, 95th percentile s, what it is) for each step that ran."""
        import statistics

        out = []
        for step in STEPS:
            values = sorted(self.samples[step])
            if not values:
                continue
            p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
            out.append((step, len(values), sum(values), statistics.median(values), p95, _STEP_HELP[step]))
        return out


@dataclass
class GradeReport:
    """What one ``course grade`` run did."""

    course_dir: Path
    results: list[SubmissionState] = field(default_factory=list)  # this run's, skipped ones included
    seconds: float = 0.0
    workers: int = 0
    backend: str = ""
    status_file: Path | None = None
    #: The isolation level kernels ran with (:class:`course.grading.sandbox.Isolation`); None when
    #: nothing ran or kernels were started by another launcher.
    isolation: Isolation | None = None
    #: Where the time went (collect, prepare, execute, record ...).
    timings: Timings = field(default_factory=Timings)

    def summary(self) -> list[AssignmentSummary]:
        by: dict[str, AssignmentSummary] = {}
        for r in self.results:
            s = by.setdefault(r.assignment, AssignmentSummary(r.assignment))
            if r.status == GRADED:
                s.graded += 1
            elif r.status == NEEDS_MANUAL:
                s.needs_manual += 1
            elif r.status == NOT_GRADABLE:
                s.not_gradable += 1
            elif r.status == SKIPPED:
                s.skipped += 1
            if r.status in {GRADED, NEEDS_MANUAL} and r.late:
                s.late += 1
        return [by[k] for k in sorted(by)]

    @property
    def not_gradable(self) -> list[SubmissionState]:
        return [r for r in self.results if r.status == NOT_GRADABLE]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass
class _Todo:
    assignment: str
    student: str
    key: str
    sha: str
    #: Why the folder is refused before anything reads it (a link or special file in it).
    refuse: str = ""


def grade(
    course_dir: Path | str,
    assignments: Sequence[str] | None = None,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    timeout: int | None = None,
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT,
    db_url: str | None = None,
    students: Iterable[str] | None = None,
    reporter: Reporter | None = None,
    launcher: str = DEFAULT_LAUNCHER,
    prestart: bool = True,
    sandbox: str | None = None,
) -> GradeReport:
    """Autograde the submissions of ``assignments`` (default: every assignment in the gradebook that
    has submissions) in the nbgrader course at ``course_dir``.

    ``jobs`` notebooks run at a time on this machine (default: one per core), or on the Dask cluster
    at ``scheduler``. ``timeout`` overrides the per-cell limit (nbgrader's ``Execute.timeout``);
    ``notebook_timeout`` limits a whole notebook. Unchanged submissions that were already graded are
    skipped unless ``force``. Bad submissions get the status "not gradable" with a reason; they never
    stop the batch.

    Kernels run sandboxed (:mod:`course.grading.sandbox`): ``sandbox`` is "auto" (bubblewrap where it
    works, limits only elsewhere), "require" (refuse to grade without it) or "off"; None takes the
    course's ``c.SandboxKernelLauncher.sandbox`` (default "auto"). ``report.isolation`` says what was
    in force.
    """
    started = time.perf_counter()
    course = open_course(course_dir, db_url=db_url)
    report = GradeReport(course_dir=course.root)
    with exclusive(course, "grade"), working_directory(course.root), shared_engines(), warnings.catch_warnings():
        # nbgrader's own bookkeeping triggers SQLAlchemy autoflush warnings that say nothing to a trainer
        warnings.filterwarnings("ignore", category=SAWarning)
        staging_root = course.state_dir / "staging" / uuid.uuid4().hex / "autograded"
        _clean_leftovers(course)
        try:
            session = AutogradeSession(course, staging_root, cell_timeout=timeout,
                                       notebook_timeout=notebook_timeout, launcher=launcher, prestart=prestart)
            with GradingState(course.state_dir) as state:
                planning = time.perf_counter()
                todo, skipped = _plan(course, session, state, assignments, students=students, force=force)
                report.timings.add("collect", time.perf_counter() - planning)
                report.results.extend(skipped)
                if todo:
                    report.isolation = _confine(session, launcher, sandbox)
                backend = make_backend(jobs=jobs, scheduler=scheduler) if todo else None
                report.workers = backend.workers if backend else 0
                report.backend = backend.name if backend else ""
                if reporter:
                    reporter.start(total=len(todo), skipped=len(skipped), workers=report.workers,
                                   backend=report.backend, isolation=report.isolation)
                if backend is not None:
                    _run(session, backend, state, todo, report, reporter)
                report.status_file = write_status_file(course.root, state.all())
        finally:
            shutil.rmtree(staging_root.parent, ignore_errors=True)
            with contextlib.suppress(OSError):
                staging_root.parent.parent.rmdir()  # .course/staging, when no other run left anything
    report.seconds = time.perf_counter() - started
    if reporter:
        reporter.finish(report)
    return report


def _sandbox_settings(course: Course, mode: str | None) -> Any:
    from course.grading import sandbox as sb

    settings = sb.Settings.from_config(course.config)
    return replace(settings, sandbox=mode) if mode is not None else settings


def _confine(session: AutogradeSession, launcher: str, mode: str | None) -> Isolation | None:
    """Try the sandbox once, here, and hand the settings that work to every job (workers do not try
    again). Raises :class:`GradingError` when the sandbox is required but does not work here."""
    from course.grading import sandbox

    if launcher != DEFAULT_LAUNCHER:
        return None
    try:
        settings, level = sandbox.resolve(_sandbox_settings(session.course, mode))
    except sandbox.SandboxUnavailable as exc:
        raise GradingError(f"{exc}; nothing was graded (see `course doctor`)") from exc
    except ValueError as exc:
        raise GradingError(str(exc)) from exc
    session.worker_config[sandbox.SECTION] = settings.as_config()
    return level


def unsafe_entries(folder: Path) -> list[str]:
    """Links and special files in a submission folder (and the folder itself), which are never read:
    a link could make the grader read or copy the gradebook, a solution or another learner's work."""
    out: list[str] = []
    for path in (folder.parent, folder):
        if path.is_symlink():
            out.append(f"{path.name} -> {os.readlink(path)}")
    if out or not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                out.append(f"{rel} -> {os.readlink(path)}")
            elif not (path.is_dir() or path.is_file()):
                out.append(f"{rel} (not a regular file)")
    return sorted(out)


def _listing_sha256(folder: Path) -> str:
    """A key for a refused folder from names and link targets only (nothing is read through a link)."""
    return hashlib.sha256("\n".join(unsafe_entries(folder)).encode()).hexdigest()


def _clean_leftovers(course: Course) -> None:
    """Staging folders of a run that was killed (we hold the lock, so no other run is using them)."""
    for name in ("staging", "trash"):
        folder = course.state_dir / name
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)


def _known_assignments(gb: Any) -> list[str]:
    return sorted(a.name for a in gb.assignments)


def _plan(course: Course, session: AutogradeSession, state: GradingState, assignments: Sequence[str] | None,
          *, students: Iterable[str] | None, force: bool) -> tuple[list[_Todo], list[SubmissionState]]:
    with course.gradebook() as gb:  # one connection for the whole plan
        return _plan_with(course, session, state, assignments, gb, students=students, force=force)


def _plan_with(course: Course, session: AutogradeSession, state: GradingState, assignments: Sequence[str] | None,
               gb: Any, *, students: Iterable[str] | None, force: bool) -> tuple[list[_Todo], list[SubmissionState]]:
    known = _known_assignments(gb)
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            hint = f"; the gradebook has: {', '.join(known)}" if known else "; the gradebook has no assignments yet"
            raise GradingError(f"not in the gradebook of {course.root}: {', '.join(unknown)} (release it first "
                               f"with `nbgrader generate_assignment` or `course release`){hint}")
        names = list(dict.fromkeys(assignments))
    else:
        names = known
    wanted = set(students) if students is not None else None
    todo: list[_Todo] = []
    skipped: list[SubmissionState] = []
    for assignment in names:
        found = [s for s in find_submissions(session, assignment) if wanted is None or s in wanted]
        hidden = [s for s in _hidden_submissions(session, assignment) if wanted is None or s in wanted]
        if not found and not hidden:
            continue
        version = assignment_version(session, assignment, gb)
        recorded = _gradebook_submissions(gb, assignment)
        for student in [*found, *hidden]:
            folder = session.submitted(student, assignment)
            unsafe = unsafe_entries(folder)
            sha = _listing_sha256(folder) if unsafe else content_sha256(folder, session.coursedir.ignore)
            extension = recorded.get(student, (False, None))[1]
            key = hashlib.sha256(f"{sha}:{version}:{extension}".encode()).hexdigest()
            last = state.get(assignment, student)
            if not force and last is not None and last.key == key and _still_valid(course, last, recorded):
                skipped.append(_as_skipped(last))
                continue
            refuse = ("links and special files are not graded (they could point at the gradebook, a solution or "
                      f"another learner's work): {'; '.join(unsafe[:5])}") if unsafe else ""
            if student in hidden:
                refuse = (f"the student id {student!r} starts with a dot, so nbgrader and formgrader never list "
                          "this folder; rename the folder under submitted/ (the student id) and grade again")
            todo.append(_Todo(assignment, student, key, sha, refuse=refuse))
    return todo, skipped


def _hidden_submissions(session: AutogradeSession, assignment: str) -> list[str]:
    """Submissions in folders whose name starts with a dot: nbgrader's own search skips them, and
    a submission must never be skipped without a word."""
    cd = session.coursedir
    if cd.directory_structure != "{nbgrader_step}/{student_id}/{assignment_id}":
        return []
    root = Path(cd.format_path(cd.submitted_directory, ".", assignment)).parent
    try:
        names = sorted(p.name for p in root.iterdir() if p.name.startswith(".") and (p / assignment).is_dir())
    except OSError:
        return []
    return [n for n in names if n not in {".", ".."}]


def _gradebook_submissions(gb: Any, assignment: str) -> dict[str, tuple[bool, object]]:
    """Students with a submission of ``assignment`` in the gradebook, with their extension."""
    from nbgrader.api import Assignment, SubmittedAssignment

    rows = (gb.db.query(SubmittedAssignment.student_id, SubmittedAssignment.extension)
            .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
            .filter(Assignment.name == assignment).all())
    return {student: (True, extension) for student, extension in rows}


def _still_valid(course: Course, last: SubmissionState, recorded: dict[str, tuple[bool, object]]) -> bool:
    """An unchanged submission needs nothing when its last outcome is still there to see."""
    if last.status in {GRADED, NEEDS_MANUAL}:
        autograded = course.path(course.coursedir.autograded_directory, last.student, last.assignment)
        return last.student in recorded and autograded.is_dir()
    # the same bytes fail preparation the same way; execution failures may be passing trouble
    return last.status == NOT_GRADABLE and last.failed_at == PREPARE


def _as_skipped(last: SubmissionState) -> SubmissionState:
    out = SubmissionState(**{**last.__dict__})
    out.status = SKIPPED
    out.reason = f"unchanged since graded ({last.status})"
    return out


def _utc(moment: datetime | None) -> str:
    """nbgrader's timestamps are naive UTC; say so."""
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _run(session: AutogradeSession, backend: Backend, state: GradingState, todo: list[_Todo],
         report: GradeReport, reporter: Reporter | None) -> None:
    recorder = Recorder(session)
    done: queue.Queue[ExecuteResult] = queue.Queue()
    pending = deque(todo)
    open_subs: dict[str, tuple[_Todo, PreparedSubmission, dict[str, ExecuteResult], float]] = {}
    in_flight = 0
    limit = max(2, backend.workers * 2)

    ledger = _ledger(session.course)
    planner = verdicts.Planner(session)

    timings = report.timings
    sent: dict[str, float] = {}

    def finish(item: _Todo, prepared: PreparedSubmission, results: list[ExecuteResult], began: float) -> None:
        recording = time.perf_counter()
        with one_transaction(session.course.db_url):  # the submission's scores land whole or not at all
            recorded = recorder.record(prepared, results)
        row = _state_row(item, prepared, recorded, time.perf_counter() - began)
        if ledger is not None:
            _log_events(ledger, row, state.get(item.assignment, item.student))
        state.put(row)
        timings.add("record", time.perf_counter() - recording)
        report.results.append(row)
        if reporter:
            reporter.update(row)

    try:
        while pending or open_subs:
            while pending and in_flight < limit:
                item = pending.popleft()
                began = time.perf_counter()
                if item.refuse:
                    finish(item, PreparedSubmission(student=item.student, assignment=item.assignment, key=item.key,
                                                    content_sha256=item.sha, staging=session.staged(
                                                        item.student, item.assignment), failure=item.refuse), [],
                           began)
                    continue
                with one_transaction(session.course.db_url):
                    prepared = session.prepare(item.student, item.assignment, key=item.key,
                                               content_sha256=item.sha)
                timings.add("prepare", time.perf_counter() - began)
                if not prepared.notebooks:
                    finish(item, prepared, [], began)
                    continue
                sub_key = f"{item.assignment}/{item.student}"
                open_subs[sub_key] = (item, prepared, {}, began)
                for plan in prepared.notebooks:
                    job = plan.job
                    if job.prestart and len(pending) < backend.workers:
                        job = replace(job, prestart=False)  # no next job will use a pre-started kernel
                    job = planner.job(prepared, plan, job)  # + the clean re-run that decides the scores
                    if rerun_is_redundant(job):
                        job = replace(job, rerun=None, rerun_files=())  # the very same run again
                    sent[job.key] = time.perf_counter()
                    backend.submit(job, done.put)
                    in_flight += 1
            if not open_subs:
                continue
            waiting = time.perf_counter()
            result = done.get()
            now = time.perf_counter()
            timings.add("idle", now - waiting)
            in_flight -= 1
            timings.add("execute", result.seconds)
            if result.rerun_seconds:
                timings.add("re-run", result.rerun_seconds)
            if result.key in sent:
                timings.add("queue", now - sent.pop(result.key) - result.seconds)
            if result.lost:
                raise GradingError(f"grading stopped: {result.reason}; what was recorded is kept, "
                                   "run the command again to grade the rest")
            sub_key = result.key.rsplit("/", 1)[0]
            if sub_key not in open_subs:
                continue
            item, prepared, results, began = open_subs[sub_key]
            results[result.key] = result
            if len(results) == len(prepared.notebooks):
                del open_subs[sub_key]
                ordered = [results[p.job.key] for p in prepared.notebooks]
                finish(item, prepared, ordered, began)
    except BaseException:
        backend.terminate()
        raise
    backend.close()


def _ledger(course: Course) -> Ledger | None:
    """The workspace's ledger; plain nbgrader course directories have none."""
    from course.workspace import MARKER

    if not (course.root / MARKER).exists():
        return None
    from course.compliance.ledger import Ledger

    return Ledger.for_workspace(course.root)


def _log_events(ledger: Ledger, row: SubmissionState, last: SubmissionState | None) -> None:
    """``submitted`` when these bytes are new, ``graded`` whenever scores were recorded (a regrade adds
    events, it never rewrites them). A ledger that cannot be written stops the run before the state
    row is stored, so the next run records the submission and its events again."""
    from course.compliance.ledger import LedgerError

    events = []
    if last is None or last.content_sha256 != row.content_sha256:
        events.append(("submitted", {"employee_id": row.student, "assignment": row.assignment,
                                     "sha256": row.content_sha256, "submitted_at": row.submitted_at}))
    if row.status in {GRADED, NEEDS_MANUAL}:
        events.append(("graded", {"employee_id": row.student, "assignment": row.assignment, "score": row.score,
                                  "max_score": row.max_score, "late_penalty": row.late_penalty,
                                  "sha256": row.content_sha256, "needs_manual_grading": row.status == NEEDS_MANUAL,
                                  "integrity_flags": row.flags}))
    try:
        ledger.append_many(events)
    except LedgerError as exc:
        raise GradingError(f"cannot write the ledger ({exc}); grading stopped, run `course ledger verify`") from exc


def _bindings(source: str) -> dict[str, tuple[str, str]] | None:
    """What ``source`` does when it only binds plain literals to names (comments, a bare ``...`` or
    string allowed): name -> (type, repr of the value); None when it does anything else."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and (
                node.value.value is Ellipsis or isinstance(node.value.value, str)):
            continue
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            return None
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            return None
        out[node.targets[0].id] = (type(value).__name__, repr(sorted(value, key=repr)) if isinstance(
            value, set | frozenset) else repr(value))
    return out


def _skipped(cell: Any, job: ExecuteJob) -> bool:
    """Whether nbclient skips ``cell`` (its skip tag, "skip-execution" unless configured otherwise)."""
    return verdicts.skip_tag(job.config) in (cell.get("metadata", {}).get("tags") or [])


def rerun_is_redundant(job: ExecuteJob) -> bool:
    """Whether the job's clean re-run would execute exactly what the learner's notebook executes:
    every code cell the same source, or both binding the same plain values to the same names, next
    to the same files (the collector's ``timestamp.txt`` aside). Then the learner's own run, also in a
    fresh kernel that ran nothing before, already is the clean run, and running it twice only costs
    time. Any other code or any extra file of the learner's keeps the re-run."""
    import nbformat

    if job.rerun is None:
        return False
    files = {path: data for path, data in job.files if path != "timestamp.txt"}
    if files != dict(job.rerun_files or ()):
        return False
    cells = [c for c in nbformat.reads(job.notebook.decode("utf-8"), as_version=4).cells if c.cell_type == "code"]
    if any(_skipped(c, job) for c in cells):
        return False  # the learner's run skips a cell the clean re-run executes (a tagged test cell)
    mine = [c.source for c in cells]
    clean = [c.source for c in nbformat.reads(job.rerun.decode("utf-8"), as_version=4).cells if c.cell_type == "code"]
    if len(mine) != len(clean):
        return False
    for a, b in zip(mine, clean, strict=True):
        if a == b:
            continue
        ours, theirs = _bindings(a), _bindings(b)
        if ours is None or theirs is None or ours != theirs:
            return False
    return True


def _state_row(item: _Todo, prepared: PreparedSubmission, recorded: Recorded, seconds: float) -> SubmissionState:
    status = (NEEDS_MANUAL if recorded.needs_manual_grade else GRADED) if recorded.ok else NOT_GRADABLE
    return SubmissionState(
        assignment=item.assignment,
        student=item.student,
        status=status,
        reason=recorded.reason,
        failed_at=(recorded.failed_at or EXECUTE) if not recorded.ok else "",
        key=item.key,
        content_sha256=item.sha,
        score=recorded.score,
        max_score=recorded.max_score,
        late_penalty=recorded.late_penalty,
        seconds_late=recorded.seconds_late,
        flags=recorded.flags,
        submitted_at=_utc(prepared.timestamp),
        graded_at=_now(),
        seconds=round(seconds, 3),
    )
