"""Benchmark ``course report`` against ``nbgrader export`` on the same synthetic gradebook.

    .venv/bin/python bench/report.py [--employees 20000] [--export-timeout 1800] [--keep DIR] [--strict]

1. Builds a synthetic workspace (``course.compliance.synthetic``) in a temporary folder: a roster of
   N invented employees and a real nbgrader gradebook (SQLite) with all 8 modules, filled by bulk
   inserts; every status occurs.
2. Runs, each as the command a trainer types (a subprocess, so start-up counts for both), in one run:
   ``nbgrader export --to grades.csv`` (the stock CSV plugin), ``course report --format csv``, and
   the full ``course report`` (CSV, XLSX, dashboard, xAPI, certificates). The workspace's ledger is
   reset before each ``course report`` so both do a first run's work: every pass, expiry and
   certificate is new and recorded.
3. Checks that both tools saw the same gradebook (every score ``course report`` shows for a
   submission equals ``nbgrader export``'s), prints times, sizes and ratios. With ``--strict`` it
   exits 1 when ``course report`` (CSV) is under 30x or the full report under 10x faster.

``nbgrader export`` does not scale linearly: for each learner and assignment it runs several
queries, and the one summing a submission's grades scans the whole ``grade`` table (its only index
starts with ``cell_id``), so the time per row grows with the gradebook. At 20,000 x 8 it runs for
hours. It is therefore stopped after ``--export-timeout`` seconds; the script then prints how many
rows it had written, the ratios as lower bounds (``>=``, its real time can only be longer), and a
projection of its full time at the pace it had reached, labelled as such.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from course.compliance.synthetic import build_workspace  # noqa: E402

BIN = Path(sys.executable).parent
# nbgrader runs `alembic` by name when it creates a gradebook: the venv's must be found first.
os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], cwd: Path, timeout: float | None = None) -> tuple[float, float, bool]:
    """Wall time and CPU time of ``cmd``, and whether it finished (False: stopped after ``timeout`` s)."""
    start, cpu = time.perf_counter(), _cpu()
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, _cpu() - cpu, False
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, _cpu() - cpu, True


def duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return f"{total / 1e6:.1f} MB"


def compare(grades: Path, status: Path) -> tuple[int, int]:
    """(submissions compared, mismatches) between nbgrader's grades.csv and our status.csv."""
    with grades.open(newline="", encoding="utf-8") as fh:
        theirs = {(r["student_id"], r["assignment"]): (float(r["score"]), r["timestamp"])
                  for r in csv.DictReader(fh) if r["timestamp"]}
    compared = mismatches = 0
    with status.open(newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            key = (r["employee_id"], r["module"])
            if key not in theirs or not r["last_attempt_at"] or r["status"] == "submitted" or r["score"] == "":
                continue
            if r["status"] == "passed" or r["last_attempt_at"].startswith(theirs[key][1][:10]):
                compared += 1
                mismatches += abs(float(r["score"]) - theirs[key][0]) > 1e-9
    return compared, mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--export-timeout", type=float, default=1800.0,
                        help="stop nbgrader export after this many seconds (default 1800)")
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target ratio is missed")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    if args.keep and base.exists():
        shutil.rmtree(base)
    today = datetime.now(UTC).date()
    try:
        t0 = time.perf_counter()
        ws, counts = build_workspace(base / "ws", employees=args.employees, as_of=today)
        print(f"synthetic gradebook: {counts.employees:,} employees x {counts.modules} modules, "
              f"{counts.submissions:,} submissions, {counts.grades:,} grades, {counts.collected:,} ungraded "
              f"({time.perf_counter() - t0:.0f} s to build); nbgrader export writes "
              f"{counts.employees * counts.modules:,} rows", flush=True)

        grades = base / "grades.csv"
        rows_total = counts.employees * counts.modules
        print(f"running nbgrader export (the stock CSV plugin), stopped after {args.export_timeout:.0f} s ...",
              flush=True)
        t_export, cpu_export, finished = run([str(BIN / "nbgrader"), "export", "--to", str(grades)], cwd=ws.root,
                                 timeout=args.export_timeout)
        rows_done = max(0, sum(1 for _ in grades.open("rb")) - 1) if grades.exists() else 0
        if finished:
            print(f"  nbgrader export          {t_export:9.1f} s  (CPU {cpu_export:8.1f} s)   grades.csv "
                  f"{size(grades)}, {rows_done:,} rows", flush=True)
        else:
            pace = (f"; at that pace all {rows_total:,} would take >= {duration(t_export * rows_total / rows_done)} "
                    "(a projection)") if rows_done else ""
            print(f"  nbgrader export        > {t_export:9.1f} s  (CPU {cpu_export:8.1f} s)   stopped unfinished: "
                  f"{rows_done:,} of {rows_total:,} rows written{pace}", flush=True)

        ledger = ws.root / "ledger"
        saved = base / "ledger-after-import"
        shutil.copytree(ledger, saved)
        times, cpus = {}, {}
        for label, extra in (("csv", ["--format", "csv"]), ("full", [])):
            shutil.rmtree(ledger)
            shutil.copytree(saved, ledger)
            out = base / f"report-{label}"
            cmd = [str(BIN / "course"), "report", "--course-dir", str(ws.root), "--out", str(out), *extra]
            times[label], cpus[label], _ = run(cmd, cwd=base)
            pdfs = len(list((out / "certificates").glob("*.pdf"))) if (out / "certificates").is_dir() else 0
            name = f"course report ({label})"
            print(f"  {name:22} {times[label]:9.1f} s  (CPU {cpus[label]:8.1f} s)   {size(out)} in "
                  f"{len(list(out.iterdir()))} entries" + (f", {pdfs:,} certificates" if pdfs else ""), flush=True)

        compared, mismatches = compare(grades, base / "report-csv" / "status.csv") if rows_done else (0, 0)
        print(f"same numbers: {compared:,} submission scores compared with nbgrader export's rows, "
              f"{mismatches} different")
        csv_ratio, full_ratio = t_export / times["csv"], t_export / times["full"]
        bound = "  " if finished else ">="
        print(f"ratio nbgrader export / course report (CSV):  {bound}{csv_ratio:7.1f}x wall-clock, "
              f"{bound}{cpu_export / cpus['csv']:7.1f}x CPU   (target >= 30x)")
        print(f"ratio nbgrader export / course report (full): {bound}{full_ratio:7.1f}x wall-clock, "
              f"{bound}{cpu_export / cpus['full']:7.1f}x CPU   (target >= 10x)")
        if mismatches or (args.strict and (csv_ratio < 30 or full_ratio < 10)):
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
