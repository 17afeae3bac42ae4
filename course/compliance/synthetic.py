"""A synthetic workspace of any size for tests, the dashboard preview and the report benchmark.

Real nbgrader tables, filled with bulk inserts (not one ORM call per row) so 20,000 employees x 8
modules take seconds. Every status occurs: not started, collected but not graded, needs manual
grading, failed, passed, expired, overdue; a few submissions are flagged, late or have extra credit.
All people are invented; the random generator is seeded, so the same arguments give the same data.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from course.compliance.roster import import_roster
from course.policy import PolicySet, load_policies
from course.workspace import Workspace


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _names("""
Avery Morgan Riley Jordan Casey Quinn Rowan Sage Emerson Harper Kendall Linden Marlow Noel Oakley
Parker Reese Sawyer Tatum Wren Ash Blair Cameron Dale Ellis Finley Gray Hollis Indigo Jules Kit Lane
Merritt Nico Onyx Perry Remy Shay Toby Vale
""")
LAST = _names("""
Quillfeather Thistlewood Brambleton Copperfield Dunmarrow Fernhollow Glimmerstone Hazelmere
Ivybridge Juniperton Kestrelby Larkspur Mistlecombe Nettlefold Orchardine Pebblecroft Rushwick
Sorrelgate Tansywell Willowmere Ambergate Birchwood Cinderby Dovecote Elderwick Foxglove Gorsemoor
Heathcote Inkwell Jasperly Kettlewell Lindenbrook Marshwood Nightingale Oxbow Primrose Quarrington
Ravensworth Saltmarsh Thornbury
""")
#: department -> (manager mailbox, track weights)
DEPARTMENTS = {
    "Customer Care": ("lead.care", {"customer_facing": 9, "all_staff": 1}),
    "Sales": ("lead.sales", {"customer_facing": 7, "all_staff": 3}),
    "Marketing": ("lead.marketing", {"social_team": 6, "customer_facing": 2, "all_staff": 2}),
    "Warehouse": ("lead.warehouse", {"all_staff": 1}),
    "Finance": ("lead.finance", {"all_staff": 1}),
    "People & HR": ("lead.people", {"all_staff": 1}),
    "IT": ("lead.it", {"all_staff": 1}),
    "Legal": ("lead.legal", {"all_staff": 1}),
    "Logistics": ("lead.logistics", {"all_staff": 1}),
    "Product": ("lead.product", {"all_staff": 3, "social_team": 1}),
}
DOMAIN = "brightwater.example"
AUTO_CELLS, AUTO_POINTS, WRITTEN_POINTS = 6, 2.0, 4.0


@dataclass
class SyntheticCounts:
    employees: int
    modules: int
    submissions: int
    grades: int
    collected: int


def write_roster(path: Path, employees: int, *, as_of: date, seed: int = 7) -> Path:
    """A roster CSV of ``employees`` invented people, start dates over the last 2.5 years."""
    rng = random.Random(f"roster-{seed}")
    departments = list(DEPARTMENTS)
    dept_weights = [30, 12, 6, 18, 6, 4, 8, 2, 10, 4]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["employee_id", "name", "email", "department", "manager_email", "track", "start_date"])
        for i in range(employees):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            dept = rng.choices(departments, dept_weights)[0]
            manager, weights = DEPARTMENTS[dept]
            track = rng.choices(list(weights), list(weights.values()))[0]
            start = as_of - timedelta(days=int(rng.triangular(-10, 900, 120)))
            eid = f"S{100000 + i}"
            out.writerow([eid, f"{first} {last}", f"{first}.{last}.{i}@{DOMAIN}".lower(), dept,
                          f"{manager}@{DOMAIN}", track, start.isoformat()])
    return path


def build_workspace(root: Path | str, *, employees: int, as_of: date, seed: int = 7,
                    policies: PolicySet | None = None, collected: bool = True) -> tuple[Workspace, SyntheticCounts]:
    """Create a workspace in ``root`` with a synthetic roster and a filled gradebook (all modules released)."""
    from nbgrader import api
    from sqlalchemy import create_engine

    policies = policies or load_policies()
    policy = policies.completion
    ws = Workspace.init(root)
    roster = write_roster(ws.root / "synthetic-roster.csv", employees, as_of=as_of, seed=seed)
    import_roster(ws, roster, tracks=policy.track_ids)

    modules = policy.module_ids
    cell_ids: dict[str, tuple[str, list[str], str]] = {}  # module -> (notebook id, auto cell ids, written id)
    assignment_ids: dict[str, str] = {}
    with ws.gradebook() as gb:
        for module in modules:
            assignment_ids[module] = gb.update_or_create_assignment(module).id
            nb = gb.update_or_create_notebook(module, module)
            autos = [gb.update_or_create_grade_cell(f"auto_{k}", module, module, max_score=AUTO_POINTS,
                                                    cell_type="code").id for k in range(1, AUTO_CELLS + 1)]
            written = gb.update_or_create_grade_cell("written_1", module, module, max_score=WRITTEN_POINTS,
                                                     cell_type="markdown").id
            cell_ids[module] = (nb.id, autos, written)

    rng = random.Random(f"gradebook-{seed}")
    with roster.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"{seed:08x}{counter:024x}"

    sa_rows, sn_rows, grade_rows = [], [], []
    collected_stamps: list[tuple[str, str, datetime]] = []
    for row in rows:
        eid = row["employee_id"]
        start = date.fromisoformat(row["start_date"])
        diligence = rng.betavariate(6, 1)  # most people do their training; some never do
        for module in policy.track(row["track"]).modules:
            if start > as_of:
                continue
            if rng.random() > 0.6 + 0.4 * diligence:  # not attempted; a few have a collected, ungraded submission
                if collected and rng.random() < 0.05:
                    day = start + timedelta(days=rng.randint(0, max(0, (as_of - start).days)))
                    when = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(8, 17))
                    collected_stamps.append((eid, module, when))
                continue
            day = start + timedelta(days=int(rng.expovariate(1 / 25)))
            while day + timedelta(days=policy.recertify_after_days) < as_of and rng.random() < 0.6 + 0.4 * diligence:
                day += timedelta(days=policy.recertify_after_days - rng.randint(0, 30))  # recertified in time
            if day > as_of:
                continue
            when = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(8 * 3600, 18 * 3600))
            passing = rng.random() < 0.75 + 0.25 * diligence  # the last attempt; earlier ones are replaced
            right = rng.randint(5, AUTO_CELLS) if passing else rng.randint(1, 4)
            written_score = float(rng.choice([3, 4, 4]) if passing else rng.choice([0, 1, 2]))
            pending = ((as_of - day).days < 14 and rng.random() < 0.4) or rng.random() < 0.01
            sa_id, sn_id = new_id(), new_id()
            nb_id, autos, written = cell_ids[module]
            sa_rows.append({"id": sa_id, "assignment_id": assignment_ids[module], "student_id": eid,
                            "timestamp": when, "extension": None})
            late = 1.0 if rng.random() < 0.01 else 0.0
            sn_rows.append({"id": sn_id, "assignment_id": sa_id, "notebook_id": nb_id,
                            "flagged": rng.random() < 0.005, "late_submission_penalty": late})
            for k, cell in enumerate(autos):
                grade_rows.append({"id": new_id(), "notebook_id": sn_id, "cell_id": cell,
                                   "auto_score": AUTO_POINTS if k < right else 0.0,
                                   "manual_score": None, "extra_credit": None, "needs_manual_grade": False})
            grade_rows.append({"id": new_id(), "notebook_id": sn_id, "cell_id": written, "auto_score": None,
                               "manual_score": None if pending else written_score,
                               "extra_credit": 1.0 if not pending and rng.random() < 0.01 else None,
                               "needs_manual_grade": pending})

    engine = create_engine(ws.db_url, future=True)
    try:
        with engine.begin() as conn:
            for table, rows_ in ((api.SubmittedAssignment.__table__, sa_rows),
                                 (api.SubmittedNotebook.__table__, sn_rows), (api.Grade.__table__, grade_rows)):
                for i in range(0, len(rows_), 50_000):
                    conn.execute(table.insert(), rows_[i:i + 50_000])
    finally:
        engine.dispose()
    for eid, module, when in collected_stamps:
        folder = ws.root / "submitted" / eid / module
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timestamp.txt").write_text(when.replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z"), "utf-8")
    return ws, SyntheticCounts(employees=employees, modules=len(modules), submissions=len(sa_rows),
                               grades=len(grade_rows), collected=len(collected_stamps))
