"""Benchmark ``course grade`` against stock ``nbgrader autograde`` on the same submissions.

    .venv/bin/python bench/grading.py [--per-module 10] [--jobs N] [--plain] [--keep DIR] [--strict]

1. Builds a trainer workspace in a temporary folder, releases every module in ``solutions/`` and
   writes ``--per-module`` synthetic submissions per module (``course.grading.simulate`` with fixed
   seeds: right, wrong, blank and partly right answers, one in eight with a deleted test cell).
2. Copies it twice. In one copy, stock ``nbgrader autograde MODULE`` runs for each module, as a
   trainer types it; in the other ``course grade`` runs once for all of them. Both are subprocesses,
   so start-up counts for both; the machine's load average is printed before and after each.
3. Runs ``course grade`` again on the unchanged batch, three times (everything is skipped), and
   takes the median: mostly fixed start-up (Python imports, the sandbox probe), not per submission.
4. Asserts that every grade (auto score, manual score, needs-manual-grade), comment, late penalty
   and total in the two gradebooks is identical, then prints the times, the throughput ratio and the
   re-run's share of the full run. With ``--strict`` it exits 1 below 3x or above 5%.

``course grade`` here is the command as shipped: kernels in the sandbox (bubblewrap where it works,
limits always) and, for submissions that earn points, the clean re-run of the tests on the
learner's plain answers (``course.grading.verdicts``), which stock nbgrader does not do. The
``--plain`` variant also times ``course grade`` with kernels started as stock nbgrader starts them,
to show what the sandbox costs.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from course.grading import simulate  # noqa: E402
from course.grading.release import find_assignments, release  # noqa: E402
from course.workspace import Workspace  # noqa: E402

BIN = Path(sys.executable).parent
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"  # nbgrader runs `alembic` by name
FILLS = ("right", "wrong", "blank", "partial")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run(cmd: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall and CPU seconds of ``cmd`` (a command a trainer would type)."""
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start, _cpu() - cpu


def build(root: Path, per_module: int) -> tuple[list[str], int]:
    """A workspace with every module released and ``per_module`` submissions of each."""
    ws = Workspace.init(root)
    modules = find_assignments(REPO / "solutions")
    release(course_dir=ws.root, assignments=modules)
    count = 0
    for m, module in enumerate(modules):
        released = simulate.read(ws.root / "release" / module / f"{module}.ipynb")
        solution = simulate.read(REPO / "solutions" / module / f"{module}.ipynb")
        answers = list(simulate.answer_cells(released))
        tests = [g for g, c in ((c.metadata.get("nbgrader", {}).get("grade_id"), c) for c in released.cells)
                 if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.get("nbgrader", {}).get("solution")]
        for i in range(per_module):
            rng = random.Random(1000 * m + i)
            kind = FILLS[i % len(FILLS)]
            fills = {g: rng.choice(["right", "wrong", "blank"]) for g in answers} if kind == "partial" else kind
            nb = simulate.make_submission(released, solution, fills, rng=rng)
            if i % 8 == 7 and tests:  # a learner who deleted a test cell (nbgrader puts it back)
                gid = rng.choice(tests)
                nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
            folder = ws.root / "submitted" / f"learner{i:03d}" / module
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{module}.ipynb")
            (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC", "utf-8")
            count += 1
    return modules, count


def clone(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    for name in ("nbgrader_config.py", "course-workspace.json"):
        path = dst / name
        path.write_text(path.read_text("utf-8").replace(str(src), str(dst)), "utf-8")
    return dst


def scores(db: Path) -> dict[tuple, tuple]:
    """Every grade, comment, late penalty and total of a gradebook, keyed by what they belong to."""
    from nbgrader.api import Comment, Grade, Gradebook, SubmittedNotebook

    out: dict[tuple, tuple] = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for g in gb.db.query(Grade).all():
            n = g.notebook
            out[("grade", n.assignment.assignment.name, n.assignment.student_id, g.cell.name)] = (
                g.auto_score, g.manual_score, g.needs_manual_grade)
        for c in gb.db.query(Comment).all():
            n = c.notebook
            out[("comment", n.assignment.assignment.name, n.assignment.student_id, c.cell.name)] = (
                c.auto_comment, c.manual_comment)
        for n in gb.db.query(SubmittedNotebook).all():
            out[("penalty", n.assignment.assignment.name, n.assignment.student_id)] = (n.late_submission_penalty,)
        for a in gb.assignments:
            for s in gb.assignment_submissions(a.name):
                out[("total", a.name, s.student_id)] = (s.score, s.max_score)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-module", type=int, default=10, help="submissions per module (default 10)")
    parser.add_argument("--jobs", type=int, default=None, help="course grade --jobs (default: one per core)")
    parser.add_argument("--plain", action="store_true", help="also time course grade without the sandbox")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--strict", action="store_true", help="exit 1 below 3x or when a re-run costs over 5%%")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-grading-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        modules, count = build(base / "template", args.per_module)
        print(f"{count} submissions across {len(modules)} module(s) ({', '.join(modules)}); "
              f"built in {time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores")
        stock, ours = clone(base / "template", base / "stock"), clone(base / "template", base / "ours")

        print(f"stock nbgrader autograde (one run per module) ... load {_load()}", flush=True)
        stock_wall = stock_cpu = 0.0
        for module in modules:
            wall, cpu = run([str(BIN / "nbgrader"), "autograde", module], stock, ok=(0, 1))
            stock_wall, stock_cpu = stock_wall + wall, stock_cpu + cpu
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        print(f"course grade (all modules in one run) ... load {_load()}", flush=True)
        ours_wall, ours_cpu = run([str(BIN / "course"), "grade", "--course-dir", str(ours), *jobs], ours)
        print(f"course grade again, nothing changed (3 times) ... load {_load()}", flush=True)
        reruns = sorted(run([str(BIN / "course"), "grade", "--course-dir", str(ours), *jobs], ours)[0]
                        for _ in range(3))
        rerun_wall = reruns[1]
        plain_wall = None
        if args.plain:
            plain = clone(base / "template", base / "plain")
            code = ("import sys; from course.grading import grade; "
                    "grade(sys.argv[1], jobs=int(sys.argv[2]) if sys.argv[2] != '0' else None, "
                    "launcher='course.grading.execute:LocalKernelLauncher')")
            plain_wall, _ = run([sys.executable, "-c", code, str(plain), str(args.jobs or 0)], plain)

        theirs, mine = scores(stock / "gradebook.db"), scores(ours / "gradebook.db")
        differ = [k for k in set(theirs) | set(mine) if theirs.get(k) != mine.get(k)]
        totals = sum(1 for k in mine if k[0] == "total")
        assert totals == count, f"course grade recorded {totals} submissions, expected {count}"
        assert not differ, f"{len(differ)} differences, e.g. {sorted(differ, key=str)[:5]}"

        ratio, share = stock_wall / ours_wall, rerun_wall / ours_wall
        print()
        print(f"  submissions                       {count:>8}   ({len(modules)} modules, per-cell scores identical: "
              f"{sum(1 for k in mine if k[0] == 'grade')} grades, {totals} totals)")
        print(f"  stock nbgrader autograde          {stock_wall:8.1f} s   ({stock_wall / count:.2f} s per submission, "
              f"CPU {stock_cpu:.0f} s)")
        print(f"  course grade                      {ours_wall:8.1f} s   ({ours_wall / count:.2f} s per submission, "
              f"CPU {ours_cpu:.0f} s)")
        print(f"  throughput ratio                  {ratio:8.2f} x")
        print(f"  course grade, unchanged re-run    {rerun_wall:8.1f} s   ({100 * share:.1f}% of the full run; "
              f"runs: {', '.join(f'{r:.1f}' for r in reruns)} s)")
        if plain_wall is not None:
            print(f"  course grade, kernels unsandboxed {plain_wall:8.1f} s   ({stock_wall / plain_wall:.2f} x)")
        print(f"  load average at the end           {_load()}")
        if args.strict and (ratio < 3 or share > 0.05):
            print("below the bar: 3x throughput and a re-run under 5% of a full run")
            return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
