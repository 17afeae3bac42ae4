"""``compliance.xlsx``: sheets summary, by department, by employee, overdue (openpyxl, write-only, fast)."""

from __future__ import annotations

import io
from typing import Any

from course.compliance.records import ComplianceRecords
from course.compliance.views import Person, Summary

_FORMULA_START = ("=", "+", "-", "@")


def _header(ws: Any, names: list[str], widths: list[int]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    cells = []
    for name in names:
        c = WriteOnlyCell(ws, value=name)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="1F3B5C")
        c.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(c)
    ws.append(cells)


def _text(ws: Any, value: Any) -> Any:
    """Strings that look like formulas stay text (a name like ``=HYPERLINK(...)`` must not run)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _rows(ws: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        ws.append([_text(ws, v) for v in row])
    if rows:
        from openpyxl.utils import get_column_letter

        ws.auto_filter.ref = f"A1:{get_column_letter(len(rows[0]))}{len(rows) + 1}"


def workbook_bytes(records: ComplianceRecords, persons: dict[str, Person], summary: Summary, *,
                   policy_hash: str, ledger_head: str, pseudonymised: bool) -> bytes:
    from openpyxl import Workbook

    policy = records.policies.completion
    wb = Workbook(write_only=True)

    ws = wb.create_sheet("summary")
    ws.column_dimensions["A"].width = 38
    ws.column_dimensions["B"].width = 70
    title = WriteOnlyCellFactory(ws)
    ws.append([title("Social Media at Work: compliance summary", bold=True, size=14)])
    ws.append([])
    facts: list[tuple[str, Any]] = [
        ("As of", summary.as_of.isoformat()),
        ("Active employees", summary.active),
        ("Certified", summary.certified),
        ("Certified (%)", round(summary.percent_certified, 1)),
        ("In progress", summary.overall.get("in progress", 0)),
        ("Overdue (employees)", summary.overall.get("overdue", 0)),
        ("Late modules", len(summary.overdue)),
        ("Awaiting a trainer (modules)", summary.awaiting_trainer),
        ("Employees with integrity flags", summary.flagged_employees),
        ("Deactivated employees (not counted)", summary.inactive),
        ("Gradebook learners not on the roster", summary.unrostered),
        ("Modules not yet released", ", ".join(summary.unreleased) or "none"),
        ("Completion policy version", policy.version),
        ("Policy files SHA-256", policy_hash),
        ("Ledger head (keep as an anchor)", ledger_head),
        ("Names and emails", "pseudonymised" if pseudonymised else "real (confidential)"),
    ]
    for k, v in facts:
        ws.append([k, v])
    ws.append([])
    ws.append([title("Module status", bold=True)])
    for status, n in summary.status_items():
        ws.append([status.value, n])

    ws = wb.create_sheet("by department")
    _header(ws, ["department", "employees", "certified", "in progress", "overdue", "certified %"],
            [28, 12, 12, 12, 12, 12])
    _rows(ws, [[d.name, d.employees, d.certified, d.in_progress, d.overdue, round(d.percent_certified, 1)]
               for d in sorted(summary.departments, key=lambda d: d.name)])

    ws = wb.create_sheet("by employee")
    module_ids = [m.id for m in summary.modules]
    _header(ws, ["employee_id", "name", "email", "department", "manager_email", "track", "overall status",
                 "certified until", "passed", "required", "integrity flags", *module_ids],
            [12, 24, 34, 18, 32, 16, 14, 14, 8, 9, 14, *([16] * len(module_ids))])
    rows = []
    for eid, st in sorted(records.statuses.items()):
        p = persons[eid]
        by_module = {m.module: m.status.value + (" (late)" if m.late and m.status.value != "overdue" else "")
                     for m in st.modules}
        rows.append([p.employee_id, p.name, p.email, p.department, p.manager_email, p.track, st.overall.value,
                     st.certified_until.isoformat() if st.certified_until else "", st.passed_count,
                     len(st.modules), ";".join(st.flags), *(by_module.get(m, "not required") for m in module_ids)])
    _rows(ws, rows)

    ws = wb.create_sheet("overdue")
    _header(ws, ["employee_id", "name", "email", "department", "manager_email", "module", "module title", "status",
                 "was due", "late since", "days late"], [12, 24, 34, 18, 32, 24, 36, 11, 12, 12, 10])
    _rows(ws, [[r.person.employee_id, r.person.name, r.person.email, r.person.department, r.person.manager_email,
                r.module, r.module_title, r.status, r.action_by.isoformat(), r.late_since.isoformat(), r.days_late]
               for r in summary.overdue])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class WriteOnlyCellFactory:
    """Styled cells for a write-only sheet."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def __call__(self, value: Any, *, bold: bool = False, size: int = 11) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cell = WriteOnlyCell(self.ws, value=value)
        cell.font = Font(bold=bold, size=size)
        return cell
