"""The ``course`` command: a thin layer over the library. Defaults live in the library functions."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from course.lab import DEFAULT_LEARNER, DEFAULT_WORKSPACE

app = typer.Typer(
    name="course",
    help="Social Media at Work: release modules, grade, report, and check posts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # a docstring's lines flow into paragraphs; `code` is shown as code
)
workspace_app = typer.Typer(help="Trainer workspaces (nbgrader course directories for this course).",
                            no_args_is_help=True)
roster_app = typer.Typer(help="The HR roster of learners.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(roster_app, name="roster")
ledger_app = typer.Typer(help="The workspace's tamper-evident event log.", no_args_is_help=True)
certificate_app = typer.Typer(help="Certificates of completion.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(certificate_app, name="certificate")
from course.hub.cli import hub_app  # noqa: E402 - the company JupyterHub's commands

app.add_typer(hub_app, name="hub")

def _console(*, stderr: bool = False) -> Console:
    """Rich's console; when the output is a file or a CI log (no terminal, no $COLUMNS) it is 120
    columns wide instead of 80, so the summary and score tables keep their names whole."""
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=120 if wide else None)


console = _console()
err = _console(stderr=True)

CourseDir = Annotated[Path, typer.Option("--course-dir", help="The trainer workspace (an nbgrader course directory).")]


def _known_errors() -> tuple[type[Exception], ...]:
    from course.compliance.certificates import CertificateError
    from course.compliance.ledger import LedgerError
    from course.compliance.lrs import LrsError
    from course.compliance.remind import RemindError
    from course.compliance.report import ReportError
    from course.compliance.roster import RosterError
    from course.grading.coursedir import GradingError
    from course.grading.release import ReleaseError
    from course.lab import LabError
    from course.policy import PolicyError
    from course.voice import CheckError
    from course.workspace import WorkspaceError

    return (PolicyError, ReleaseError, RosterError, WorkspaceError, CheckError, LedgerError, ReportError,
            CertificateError, LabError, GradingError, LrsError, RemindError)


@app.command()
def release(
    assignments: Annotated[list[str] | None, typer.Argument(help="Assignments to release (default: all).")] = None,
    course_dir: Annotated[Path | None, typer.Option("--course-dir", help="Release into this trainer workspace "
                                                    "instead of the repository's exercises/.")] = None,
) -> None:
    """Build learners' notebooks from solutions/ with nbgrader, then check that nothing leaked."""
    from course.grading.release import release as do_release

    with console.status("Releasing with nbgrader ..."):
        result = do_release(course_dir=course_dir, assignments=assignments or None)
    for name in result.assignments:
        console.print(f"[green]✔[/] released {name}")
    console.print(f"{len(result.assignments)} assignment(s) released to {result.release_dir}; leak check passed.")


@contextmanager
def _interruptible(what: str) -> Iterator[None]:
    """Ctrl-C during a long command: say what was kept (typer would exit 130 without a word)."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(f"interrupted; {what}", highlight=False)
        raise typer.Exit(130) from None


AnyCourseDir = Annotated[Path, typer.Option("--course-dir", help="The course: a trainer workspace or any nbgrader "
                                            "course directory (one with its own nbgrader_config.py).")]
DbUrl = Annotated[str | None, typer.Option("--db", help="Gradebook SQLAlchemy URL (default: the course's "
                                           "nbgrader setting).", show_default=False)]


@app.command()
def collect(
    course_dir: AnyCourseDir,
    assignment: Annotated[str | None, typer.Argument(help="Only this assignment (default: every one found).",
                                                     show_default=False)] = None,
    zip_file: Annotated[Path | None, typer.Option("--zip", help="A zip exported by an LMS: "
                                                  "`<student>/<assignment>/<files>`.", show_default=False)] = None,
    from_dir: Annotated[Path | None, typer.Option("--from", help="A folder laid out `<student>/<assignment>/<files>`.",
                                                  show_default=False)] = None,
    db: DbUrl = None,
) -> None:
    """Collect submissions into submitted/: from nbgrader's exchange (default), a folder, or an LMS zip."""
    from course.grading.collect import NEW, REJECTED, UNCHANGED, UPDATED
    from course.grading.collect import collect as do_collect

    with _interruptible("every submission collected so far is complete; nothing half-copied was kept"):
        result = do_collect(course_dir, assignment, zip_path=zip_file, from_dir=from_dir, db_url=db)
    for item in result.items:
        if item.status == REJECTED:
            err.print(f"[red]✘[/] {item.student} / {item.assignment}: not collected: {item.reason}", highlight=False)
        elif item.reason:
            err.print(f"[yellow]![/] {item.student} / {item.assignment}: {item.reason}", highlight=False)
    console.print(f"Collected from {result.source} at {result.collected_at:%Y-%m-%d %H:%M:%S} UTC: "
                  f"{result.count(NEW)} new, {result.count(UPDATED)} updated, {result.count(UNCHANGED)} unchanged, "
                  f"{result.count(REJECTED)} rejected.")


@app.command()
def grade(
    course_dir: AnyCourseDir,
    assignments: Annotated[list[str] | None, typer.Argument(help="Assignments to grade (default: all in the "
                                                            "gradebook).", show_default=False)] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Notebooks run at once on this "
                                             "machine (default: one per core).", show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run notebooks on this Dask cluster "
                                                  "(e.g. tcp://10.0.0.5:8786) instead.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Grade again even what is unchanged.")] = False,
    timeout: Annotated[int | None, typer.Option("--timeout", min=1, help="Seconds a cell may run (default: the "
                                                "course's nbgrader Execute.timeout).", show_default=False)] = None,
    db: DbUrl = None,
    require_sandbox: Annotated[bool, typer.Option("--require-sandbox", help="Refuse to grade (exit 2) unless "
                                                  "learners' code runs in the bubblewrap sandbox.")] = False,
    timings: Annotated[bool, typer.Option("--timings", help="Also print where the time went: collect, prepare, "
                                          "execute, record (total, median and 95th percentile).")] = False,
) -> None:
    """Autograde submissions in parallel, only what changed, with the scores nbgrader gives.

    Learners' code runs in a sandbox (bubblewrap) with resource limits; without bubblewrap, with the
    limits only and a warning (see `course doctor`). Shows a progress bar, then a summary per
    assignment; every submission's status is written to grading-status.csv in the course directory.
    Exits 1 when a submission could not be graded.
    """
    from course.grading.pipeline import grade as do_grade
    from course.grading.progress import RichReporter

    # the sandbox is tried once there is something to grade: the reporter warns before the first
    # notebook runs without it, and a required sandbox that is missing stops the run (exit 2)
    mode = "require" if require_sandbox else None
    with _interruptible("every submission graded so far is recorded; run `course grade` again to grade the rest"):
        result = do_grade(course_dir, assignments or None, jobs=jobs, scheduler=scheduler, force=force,
                          timeout=timeout, db_url=db, reporter=RichReporter(console, warnings=err, timings=timings),
                          sandbox=mode)
    raise typer.Exit(1 if result.not_gradable else 0)


@app.command()
def doctor(
    course_dir: Annotated[Path | None, typer.Option("--course-dir", help="Use this course's sandbox settings "
                                                    "(c.SandboxKernelLauncher).", show_default=False)] = None,
) -> None:
    """What is installed, and which isolation level grading runs learners' code with, and why.

    With `--course-dir`, also whether the course's ledger needs `course ledger recover`.
    """
    from course.doctor import diagnose, render
    from course.grading import sandbox

    settings = None
    if course_dir is not None:
        from course.grading.coursedir import open_course

        settings = sandbox.Settings.from_config(open_course(course_dir).config)
    with console.status("Trying the sandbox ..."):
        diagnosis = diagnose(settings, course_dir=course_dir)
    for line in render(diagnosis):
        console.print(line, highlight=False, soft_wrap=True)


@app.command()
def feedback(
    course_dir: AnyCourseDir,
    assignments: Annotated[list[str] | None, typer.Argument(help="Assignments (default: all in the gradebook).",
                                                            show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Write every page again, even unchanged ones.")] = False,
    db: DbUrl = None,
) -> None:
    """Write feedback pages (HTML) per learner: what passed, what did not, the trainer's comments.

    Hidden tests and mark schemes are never shown. Pages go to `feedback/<student>/<assignment>/`.
    """
    from course.grading.feedback import FAILED, UNCHANGED, WRITTEN
    from course.grading.feedback import feedback as do_feedback

    with _interruptible("every page written so far is complete"), console.status("Writing feedback ..."):
        result = do_feedback(course_dir, assignments or None, force=force, db_url=db)
    for item in result.items:
        if item.status == FAILED:
            err.print(f"[red]✘[/] {item.student} / {item.assignment}: {item.reason}", highlight=False)
    console.print(f"Feedback: {result.count(WRITTEN)} written, {result.count(UNCHANGED)} unchanged, "
                  f"{result.count(FAILED)} failed; in {result.course_dir / 'feedback'}")
    raise typer.Exit(1 if result.count(FAILED) else 0)


@workspace_app.command("init")
def workspace_init(
    directory: Annotated[Path, typer.Argument(help="Folder for the workspace (created if missing).")],
    roster: Annotated[Path | None, typer.Option("--roster", help="HR roster CSV to import.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Gradebook SQLAlchemy URL (default: SQLite in the "
                                           "workspace).")] = None,
) -> None:
    """Create a trainer workspace for this course."""
    from course.compliance.roster import import_roster
    from course.workspace import Workspace

    ws = Workspace.init(directory, db_url=db)
    console.print(f"Workspace ready in {ws.root} (gradebook: {ws.db_url})")
    if roster:
        result = import_roster(ws, roster)
        console.print(f"Roster: {result.summary()}.")


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="HR roster CSV (employee_id, name, email, department, "
                                         "manager_email, track, start_date; optional status).")],
    course_dir: CourseDir,
    full: Annotated[bool, typer.Option("--full", help="The file is the whole roster: deactivate everyone "
                                       "active who is not in it.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Go ahead even when more than --max-deactivate of "
                                      "the active staff would be deactivated.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    max_deactivate: Annotated[float | None, typer.Option(
        "--max-deactivate", min=0, max=100, help="Percent of the active staff an import may deactivate "
        "without --yes (default: 20).", show_default=False)] = None,
) -> None:
    """Add, update, deactivate and reactivate learners from an HR file, after showing what will change.

    A partial file (the default) changes only the people it names; a row whose `status` is `leaver`
    (or `left`, `inactive`, `terminated`, ...) deactivates that person. With `--full` the file is the
    whole staff list and everyone missing from it is deactivated too. More than 20% of the active
    staff deactivated at once needs `--yes`. A file with any error imports nothing; each problem is
    listed with its line and column.
    """
    from course.compliance.roster import MAX_DEACTIVATE_PERCENT, DeactivationRefused, apply_plan, plan_import
    from course.workspace import Workspace

    ws = Workspace.open(course_dir)
    limit = MAX_DEACTIVATE_PERCENT if max_deactivate is None else max_deactivate
    plan = plan_import(ws, file, full=full)
    for line in plan.describe():
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if dry_run:
        console.print(f"Dry run: {plan.summary()}; nothing was changed.")
        return
    try:
        result = apply_plan(ws, plan, yes=yes, max_deactivate_percent=limit)
    except DeactivationRefused as exc:
        err.print(f"[bold red]refused:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"Roster: {result.summary()}.")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Workspace folder for the demo.")] = Path("var/demo"),
    learners: Annotated[int, typer.Option("--learners", min=1, max=20, help="How many synthetic learners.")] = 20,
) -> None:
    """Run the whole trainer cycle on synthetic learners: workspace, roster, release, submit, grade."""
    from course.demo import run_demo

    run_demo(directory=directory, learners=learners, console=console)


@app.command()
def check(
    file: Annotated[str | None, typer.Argument(
        help="Posts to check: a text file with one post per line, or a CSV file; - or nothing reads "
             "standard input.", show_default=False)] = None,
    channel: Annotated[str, typer.Option("--channel", help="Where the posts will appear: internal_network, "
                                         "team_chat, email, linkedin, x, facebook or customer_care_reply.")] = ...,
    output: Annotated[str, typer.Option("--format", help="text (for people) or json (for programs).")] = "text",
    column: Annotated[str | None, typer.Option("--column", help="The CSV column holding the posts (default: "
                                               "text, post, message, draft, body or content).")] = None,
    whole: Annotated[bool, typer.Option("--whole", help="Check the whole input as one post (an email, "
                                        "a long update).")] = False,
) -> None:
    """Check posts against the brand-voice guide and for content never to post.

    Exits with status 1 when any post has a blocking finding, 0 otherwise, and 2 on bad input.
    """
    from course.privacy import default_policies
    from course.voice import any_blocking, check_posts, read_posts, render

    if output not in ("text", "json"):
        raise typer.BadParameter(f"use text or json, not {output!r}", param_hint="--format")
    policies = default_policies()
    channel_name = policies.brand_voice.channel(channel).name if channel in policies.brand_voice.channel_ids else ""
    results = check_posts(read_posts(file, column=column, whole=whole), channel, policies=policies)
    typer.echo(render(results, channel_name, fmt=output))  # type: ignore[arg-type]
    raise typer.Exit(1 if any_blocking(results) else 0)


@app.command()
def lab(
    trainer: Annotated[bool, typer.Option("--trainer", help="The trainer's view instead: formgrader on the "
                                          "workspace, to collect, grade and give feedback.")] = False,
    course_dir: Annotated[Path, typer.Option("--course-dir", help="The trainer workspace whose local exchange "
                                             "the lab uses (created for a learner if missing).")] = DEFAULT_WORKSPACE,
    learner: Annotated[str, typer.Option(help="The learner id submissions are made under.")] = DEFAULT_LEARNER,
    port: Annotated[int, typer.Option(help="Port for JupyterLab (on this machine only).")] = 8888,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open a web browser.")] = True,
) -> None:
    """Open JupyterLab as a learner meets the course (Assignments list, Validate), or as a trainer.

    Learners fetch modules from the workspace's exchange into var/lab/learner/home/ and submit them
    back; trainers see formgrader on the workspace. Jupyter's token authentication stays on.
    """
    from course import lab as labs

    for change in labs.ensure_extensions():
        console.print(f"fixed: {change} (enabled for this environment)")
    if trainer:
        server = labs.trainer_lab(workspace=course_dir)
    else:
        server = labs.learner_lab(workspace=course_dir, learner=learner)
        stale = labs.stale_modules(server.workspace)
        if stale:
            try:
                with console.status(f"Releasing {len(stale)} module(s) to the exchange ..."):
                    labs.publish(server.workspace, stale)
            except _known_errors() as exc:
                err.print(f"[yellow]warning:[/] {exc}\nStarting with the modules already in the exchange.",
                          highlight=False, soft_wrap=True)
    console.print(labs.describe(server))
    raise typer.Exit(labs.run(server, port=port, open_browser=browser))


SettingsFile = Annotated[Path | None, typer.Option("--settings", help="Delivery settings (LRS, SMTP) "
                                                   "(default: delivery.yaml in the workspace).",
                                                   show_default=False)]


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-03-31", param_hint="--as-of") from None


@app.command()
def report(
    course_dir: CourseDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for the report files (made owner-only).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status as of this date, YYYY-MM-DD "
                                              "(default: today).", show_default=False)] = None,
    pseudonymise: Annotated[bool, typer.Option("--pseudonymise", help="Replace ids, names and emails with "
                                               "stable pseudonyms, for sharing outside compliance.")] = False,
    formats: Annotated[list[str] | None, typer.Option("--format", help="Only these outputs: csv, xlsx, html, "
                                                      "xapi, pdf (repeat or comma-separate; default: all).",
                                                      show_default=False)] = None,
    lrs: Annotated[str | None, typer.Option("--lrs", help="Also send the xAPI statements to this learning record "
                                            "store (its xAPI address, e.g. https://lrs.example/xAPI/); "
                                            "credentials from $COURSE_LRS_USERNAME and $COURSE_LRS_PASSWORD or "
                                            "the settings file.", show_default=False)] = None,
    settings: SettingsFile = None,
) -> None:
    """Completion status, overdue list, reminders, dashboard, certificates and xAPI for compliance staff.

    With `--lrs URL` the statements then go to the LRS; what cannot be sent waits in the workspace's
    outbox (compliance/outbox/) and goes first next time. Exits 1 when some statements were not delivered.
    """
    from course.compliance.report import FORMATS, build_report

    chosen = [f.strip() for item in (formats or FORMATS) for f in item.split(",") if f.strip()]
    delivery = None
    if lrs is not None:
        from course.compliance.lrs import prepare

        if "xapi" not in chosen:
            raise typer.BadParameter("--lrs sends the xapi output: add --format xapi", param_hint="--lrs")
        delivery = prepare(course_dir, lrs, settings)
    with console.status("Reading the gradebook and writing the report ..."):
        result = build_report(course_dir, out, as_of=_as_of(as_of), pseudonymise=pseudonymise, formats=chosen)
    s = result.summary
    console.print(f"Compliance as of {result.as_of.isoformat()}: {s.active:,} active employees, "
                  f"{s.certified:,} certified ({s.percent_certified:.0f}%), {s.overall['in progress']:,} in progress, "
                  f"{s.overall['overdue']:,} overdue ({len(s.overdue):,} late modules), "
                  f"{s.awaiting_trainer:,} modules awaiting a trainer.")
    for path in result.files:
        console.print(f"  {path}")
    if result.certificates:
        console.print(f"  {result.out / 'certificates'}/ ({len(result.certificates)} new certificate(s))")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"Ledger: {result.events_recorded} event(s) recorded; head {result.ledger_head}")
    dashboard = result.out / "dashboard.html"
    if dashboard in result.files:
        console.print(f"Open the dashboard: {dashboard.as_uri()}")
    if delivery is not None:
        from course.compliance.lrs import read_jsonl, send_statements

        target, auth, lrs_settings = delivery
        with console.status(f"Sending statements to {target} ...") as status:
            sent = send_statements(course_dir, read_jsonl(result.out / "xapi.jsonl"), url=target, auth=auth,
                                   settings=lrs_settings,
                                   progress=lambda done, total: status.update(f"Sent {done:,} of {total:,} ..."))
        for rejected in sent.rejected:
            err.print(f"[red]✘[/] {rejected}", highlight=False, soft_wrap=True)
        if sent.stopped:
            err.print(f"[bold red]stopped:[/] {sent.stopped}", highlight=False, soft_wrap=True)
        console.print(f"LRS: {sent.summary()}.", highlight=False)
        raise typer.Exit(0 if sent.ok else 1)


@app.command()
def remind(
    course_dir: CourseDir,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status as of this date, YYYY-MM-DD "
                                              "(default: today).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing.")] = False,
    settings: SettingsFile = None,
) -> None:
    """Email every employee the reminders `course report` lists, their manager in Cc when overdue.

    One message each (plain text and HTML from the policy folder's email/ templates), by SMTP as the
    settings file says; at most one per employee a day, each recorded in the ledger. Exits 1 when a
    message could not be sent (run it again: nothing is sent twice).
    """
    from course.compliance.remind import remind as do_remind

    with console.status("Sending reminders ...") as status:
        result = do_remind(course_dir, as_of=_as_of(as_of), dry_run=dry_run, settings_file=settings,
                           progress=lambda r: status.update(f"Sent to {r.to} ..."))
    head = f"Reminders as of {result.as_of.isoformat()}"
    already = f"{len(result.already):,} already reminded today (not sent again)"
    if result.dry_run:
        console.print(f"{head} (dry run, nothing sent): {len(result.planned):,} to send, {already}.",
                      highlight=False)
        console.print(f"From: {result.sender}", highlight=False)
        for n, r in enumerate(result.planned, start=1):
            console.print(f"{n}. To: {r.name} <{r.to}>" + (f"\n   Cc: {r.cc}" if r.cc else "")
                          + f"\n   Subject: {r.subject}", highlight=False, markup=False)
            for line in r.preview():
                console.print(f"   | {line}", highlight=False, markup=False)
        return
    for r, reason in result.failed:
        err.print(f"[red]✘[/] {r.name} <{r.to}>: not sent: {reason}", highlight=False, soft_wrap=True)
    if result.stopped:
        err.print(f"[bold red]stopped:[/] {result.stopped}", highlight=False, soft_wrap=True)
    cc = sum(1 for r in result.sent if r.cc)
    console.print(f"{head}: {len(result.sent):,} sent ({cc:,} with the manager in Cc), "
                  f"{result.unsent:,} not sent, {already}.", highlight=False)
    raise typer.Exit(1 if result.unsent else 0)


@app.command()
def items(
    course_dir: AnyCourseDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for items.csv and items.html (made owner-only).")],
    db: DbUrl = None,
) -> None:
    """Item analysis for trainers: per graded item, attempts, difficulty, discrimination, common wrong answers.

    Flags items too easy (p > 0.9), too hard (p < 0.2) or negatively discriminating (r < 0) for review.
    Writes `items.csv` and `items.html`; the page shows learners' answers: keep it from learners.
    """
    import pandas as pd

    from course.compliance.items import write_items

    with console.status("Reading the gradebook and the learners' answers ..."):
        result = write_items(course_dir, out, db_url=db)
    table = result.table
    console.print(f"Item analysis: {len(table)} graded item(s) in {table['assignment'].nunique()} assignment(s), "
                  f"{len(result.flagged)} flagged for review.", highlight=False)
    for row in result.flagged.itertuples(index=False):
        r = "–" if pd.isna(row.discrimination) else f"{row.discrimination:.2f}"
        console.print(f"  {row.assignment} / {row.item}: {row.flags} (p {row.difficulty:.2f}, r {r})",
                      highlight=False, markup=False)
    for path in result.files:
        console.print(f"  {path}", highlight=False)


@ledger_app.command("verify")
def ledger_verify(
    course_dir: CourseDir,
    anchor: Annotated[str | None, typer.Option("--anchor", help="A head (SEQ:HASH) noted earlier, e.g. from a "
                                               "report; fails if history up to it was rewritten.")] = None,
) -> None:
    """Check that no ledger event was edited, deleted, inserted or reordered. Exits 1 when one was."""
    from course.compliance.ledger import Ledger
    from course.workspace import Workspace

    result = Ledger.for_workspace(Workspace.open(course_dir).root).verify(anchor=anchor)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if result.ok:
        console.print(f"[green]✔[/] Ledger intact: {result.count:,} event(s); head {result.head}")
        return
    err.print(f"[bold red]✘ Ledger tampered with or damaged:[/] {len(result.problems)} problem(s)")
    for problem in result.problems:
        err.print(f"  {problem}", highlight=False)
    raise typer.Exit(1)


@ledger_app.command("recover")
def ledger_recover(
    course_dir: CourseDir,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be repaired; change nothing.")] = False,
) -> None:
    """Repair what a crash left in the ledger (a torn last line, a stale head, temporary files).

    Prints what it found, what it repaired and what it could not (signs of tampering need a backup),
    records the repair as a `ledger_recovered` event, then checks the ledger. Safe to run again.
    Exits 1 when the ledger does not verify afterwards.
    """
    from course.compliance.ledger import Ledger
    from course.workspace import Workspace

    ledger = Ledger.for_workspace(Workspace.open(course_dir).root)
    result = ledger.recover(dry_run=dry_run)
    after = result.after
    if not result.found:
        console.print(f"[green]✔[/] Nothing to recover: {after.count:,} event(s); head {after.head}" if after.ok
                      else "Nothing a crash leaves behind was found.", highlight=False)
    for found in result.found:
        console.print(f"  found: {found}", highlight=False, markup=False, soft_wrap=True)
    for repaired in result.repaired:
        console.print(f"  {'would repair' if dry_run else 'repaired'}: {repaired}", highlight=False, markup=False,
                      soft_wrap=True)
    for left in result.unrepaired:
        err.print(f"  could not repair: {left}", highlight=False, markup=False, soft_wrap=True)
    if result.event is not None:
        console.print(f"  recorded: event {result.event.seq} ({result.event.kind})", highlight=False)
    if dry_run:
        console.print("Dry run: nothing was changed.")
    elif after.ok and result.found:
        console.print(f"[green]✔[/] Ledger intact after recovery: {after.count:,} event(s); head {after.head}",
                      highlight=False)
    if not after.ok and not dry_run:
        err.print(f"[bold red]✘ Ledger still does not verify:[/] {len(after.problems)} problem(s); "
                  "`course ledger verify` lists them", highlight=False)
        raise typer.Exit(1)


@certificate_app.command("verify")
def certificate_verify(
    code: Annotated[str, typer.Argument(help="The code printed on the certificate (SMW-XXXXX-...).")],
    course_dir: CourseDir,
) -> None:
    """Check a certificate's code against this workspace's records. Exits 1 when it is not genuine."""
    from course.compliance.certificates import verify_certificate
    from course.workspace import Workspace

    check_result = verify_certificate(Workspace.open(course_dir).root, code)
    if not check_result.valid:
        err.print(f"[bold red]✘ {check_result.code}: not genuine[/] ({check_result.reason})", highlight=False)
        raise typer.Exit(1)
    c = check_result.certificate or {}
    console.print(f"[green]✔ {check_result.code}: genuine[/] ({check_result.reason})", highlight=False)
    console.print(f"  {c['name']} ({c['employee_id']}), {c['track_label']}: certified {c['certified_on']}, "
                  f"valid until {c['valid_until']}; issued {c['issued_on']}, policy {c['policy_version']}")
    for m in c["modules"]:
        console.print(f"  {m['id']}: {m['percent']:.0f}% (pass mark {m['pass_mark']:g}%), passed {m['passed_on']}")
    if date.fromisoformat(c["valid_until"]) < date.today():
        console.print(f"[yellow]note:[/] this certification lapsed on {c['valid_until']}.")


def main() -> None:
    from course._startup import defer_iri_parsers

    defer_iri_parsers()
    # nbgrader runs `alembic` from its own environment by name; make sure that is found first.
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written was kept.")
        sys.exit(130)
    except Exception as exc:
        # The error classes are imported only now: importing them all up front (nbformat, jsonschema, ...)
        # cost every command seconds of start-up.
        if not isinstance(exc, _known_errors()):
            raise
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
