"""What ``course grade`` shows: a progress bar while grading, then a summary table per assignment
and the submissions that could not be graded, with their reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from course.grading.pipeline import GradeReport
from course.grading.state import NOT_GRADABLE, SubmissionState

if TYPE_CHECKING:
    from course.grading.sandbox import Isolation


class RichReporter:
    """A rich progress bar on ``console`` (nothing is drawn when it is not a terminal)."""

    def __init__(self, console: Console, *, warnings: Console | None = None, timings: bool = False) -> None:
        self.console = console
        self.timings = timings
        self.warnings = warnings or console
        self._progress: Progress | None = None
        self._task: int | None = None
        self._failed = 0

    def start(self, *, total: int, skipped: int, workers: int, backend: str,
              isolation: Isolation | None = None) -> None:
        if isolation is not None and not isolation.sandboxed:
            self.warnings.print(
                f"[bold yellow]warning: learners' code runs WITHOUT the sandbox[/] ({isolation.reason}). It gets "
                "the resource limits only: it can read what its user can read and use the network. "
                "See `course doctor`; --require-sandbox refuses to grade like this.", highlight=False,
                soft_wrap=True)
        if skipped:
            self.console.print(f"{skipped} submission(s) unchanged since they were graded: skipped.")
        if not total:
            return
        where = f"{workers} worker(s) on Dask" if backend == "dask" else f"{workers} local worker(s)"
        self.console.print(f"Grading {total} submission(s) with {where} ...")
        self._progress = Progress(
            TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            console=self.console, transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("grading", total=total, failed="")

    def update(self, state: SubmissionState) -> None:
        if self._progress is None or self._task is None:
            return
        if state.status == NOT_GRADABLE:
            self._failed += 1
        self._progress.update(self._task, advance=1,
                              failed=f"[red]{self._failed} not gradable" if self._failed else "")

    def finish(self, report: GradeReport) -> None:
        if self._progress is not None:
            self._progress.stop()
        print_summary(self.console, report)
        if self.timings:
            print_timings(self.console, report)


def print_summary(console: Console, report: GradeReport) -> None:
    rows = report.summary()
    if not rows:
        console.print("Nothing to grade: no submissions found in submitted/.")
        return
    table = Table(title=f"Grading summary ({report.seconds:.1f} s)", title_justify="left")
    table.add_column("assignment", no_wrap=True)
    for name in ("graded", "needs manual\ngrading", "not\ngradable", "late", "skipped\n(unchanged)", "total"):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(r.assignment, str(r.graded), str(r.needs_manual), _red(r.not_gradable), str(r.late),
                      str(r.skipped), str(r.total))
    console.print(table)
    bad = report.not_gradable
    if bad:
        detail = Table(title="Not gradable", title_justify="left")
        detail.add_column("assignment")
        detail.add_column("student")
        detail.add_column("reason", overflow="fold")
        for s in bad:
            detail.add_row(s.assignment, s.student, s.reason)
        console.print(detail)
    if report.status_file:
        console.print(f"Status of every submission: {report.status_file}")


def _red(n: int) -> str:
    return f"[red]{n}[/]" if n else "0"


def print_timings(console: Console, report: GradeReport) -> None:
    """Where the time went: each step's total, median and 95th percentile."""
    rows = report.timings.rows()
    if not rows:
        return
    table = Table(title=f"Where the time went ({report.seconds:.1f} s, {report.workers} worker(s))",
                  title_justify="left")
    for name in ("step", "count", "total s", "median s", "p95 s"):
        table.add_column(name, justify="left" if name == "step" else "right", no_wrap=True)
    table.add_column("what", overflow="fold")
    for step, count, total, median, p95, what in rows:
        table.add_row(step, str(count), f"{total:.2f}", f"{median:.3f}", f"{p95:.3f}", what)
    console.print(table)
