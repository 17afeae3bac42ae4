"""``dashboard.html``: one self-contained page (inline CSS, inline SVG charts, a little inline JS).

Nothing is fetched: a Content-Security-Policy of ``default-src 'none'`` forbids it, so the file can be
mailed or archived and opens the same everywhere. Charts are SVG drawn here; the employee table is
sorted, filtered and paged by the page's own script from JSON embedded in the page.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from course.compliance.records import ComplianceRecords
from course.compliance.status import Overall, Status
from course.compliance.views import Person, Summary

STATUS_COLOURS = {
    Status.PASSED: "#2e7d32",
    Status.SUBMITTED: "#1565c0",
    Status.NEEDS_MANUAL_GRADING: "#7b1fa2",
    Status.NOT_STARTED: "#9aa5b1",
    Status.FAILED: "#ef6c00",
    Status.EXPIRED: "#c99a06",
    Status.OVERDUE: "#c62828",
}
OVERALL_COLOURS = {Overall.CERTIFIED: "#2e7d32", Overall.IN_PROGRESS: "#f0b429", Overall.OVERDUE: "#c62828"}
STATUS_CODES = {Status.PASSED: "P", Status.SUBMITTED: "S", Status.NEEDS_MANUAL_GRADING: "M",
                Status.NOT_STARTED: "N", Status.FAILED: "F", Status.EXPIRED: "E", Status.OVERDUE: "O"}
TEMPLATES = Path(__file__).resolve().parent / "templates"
INK_LIGHT, INK_DARK = "#ffffff", "#111827"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(background: str) -> str:
    """White or near-black text, whichever reads better on ``background`` (every status colour gets >= 4.5:1)."""
    return max((INK_LIGHT, INK_DARK), key=lambda ink: contrast(ink, background))


def chart_table(chart_id: str, caption: str, columns: list[str], rows: list[list[str]]) -> str:
    """The numbers a chart draws, as a table (first column: row headers), behind a disclosure button."""
    head = "".join(f'<th scope="col" class="{"num" if i else ""}">{escape(c)}</th>' for i, c in enumerate(columns))
    body = "".join("<tr>" + f'<th scope="row">{escape(r[0])}</th>'
                   + "".join(f'<td class="num">{escape(v)}</td>' for v in r[1:]) + "</tr>" for r in rows)
    return (f'<details class="chart-data"><summary>{escape(caption)}: the numbers as a table</summary>'
            f'<table data-chart="{chart_id}"><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></details>")


def chart_tables(summary: Summary, *, limit: int = 20) -> dict[str, str]:
    """A data table for each chart of the dashboard, with the same numbers the chart draws."""
    total = sum(n for _, n in summary.status_items())
    return {
        "departments": chart_table(
            "chart-dept", "Completion by department",
            ["Department", "Certified", "In progress", "Overdue", "Employees", "Certified (%)"],
            [[d.name, f"{d.certified:,}", f"{d.in_progress:,}", f"{d.overdue:,}", f"{d.employees:,}",
              f"{d.percent_certified:.0f}%"] for d in summary.departments[:limit]]),
        "status": chart_table(
            "chart-status", "Status of required modules", ["Status", "Modules", "Share (%)"],
            [[s.value, f"{n:,}", f"{100 * n / total:.1f}%" if total else "0.0%"] for s, n in summary.status_items()]),
        "timeline": chart_table(
            "chart-time", "Completion over time", ["Week", "Employees certified (%)", "Modules passed (%)"],
            [[p[0].isoformat(), f"{p[1]:.1f}%", f"{p[2]:.1f}%"] for p in summary.timeline]),
        "modules": chart_table(
            "chart-modules", "Completion by module",
            ["Module", "Passed", "Awaiting a trainer", "Late", "Required of", "Passed (%)"],
            [[f"{m.id}: {m.title}", f"{m.passed:,}", f"{m.awaiting:,}", f"{m.late:,}", f"{m.required:,}",
              f"{m.percent_passed:.0f}%" if m.required else "–"] for m in summary.modules]),
    }


def _svg_open(width: int, height: int, title_id: str, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-labelledby="{title_id}-t {title_id}-d" {FONT} font-size="12">'
            f'<title id="{title_id}-t">{escape(title)}</title><desc id="{title_id}-d">{escape(desc)}</desc>')


def department_chart(summary: Summary, *, limit: int = 20) -> str:
    """100 % stacked horizontal bars: certified, in progress, overdue, per department."""
    rows = summary.departments[:limit]
    width, label_w, value_w, row_h = 640, 150, 110, 30
    bar_w = width - label_w - value_w
    height = 24 + row_h * max(1, len(rows))
    out = [_svg_open(width, height, "chart-dept", "Completion by department",
                     "For each department, the share of employees certified, in progress and overdue.")]
    x = label_w
    for i, (name, colour) in enumerate((("certified", OVERALL_COLOURS[Overall.CERTIFIED]),
                                        ("in progress", OVERALL_COLOURS[Overall.IN_PROGRESS]),
                                        ("overdue", OVERALL_COLOURS[Overall.OVERDUE]))):
        lx = x + i * 110
        out.append(f'<rect x="{lx}" y="2" width="12" height="12" rx="2" fill="{colour}"/>'
                   f'<text x="{lx + 17}" y="12" fill="#334">{name}</text>')
    for i, d in enumerate(rows):
        y = 24 + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#1f2937">{escape(_clip(d.name, 22))}'
                   f'</text>')
        left = label_w
        for value, colour, name in ((d.certified, OVERALL_COLOURS[Overall.CERTIFIED], "certified"),
                                    (d.in_progress, OVERALL_COLOURS[Overall.IN_PROGRESS], "in progress"),
                                    (d.overdue, OVERALL_COLOURS[Overall.OVERDUE], "overdue")):
            if not d.employees or not value:
                continue
            w = bar_w * value / d.employees
            out.append(f'<rect x="{left:.1f}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}">'
                       f'<title>{escape(d.name)}: {value} {name} of {d.employees}</title></rect>')
            left += w
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}" fill="#1f2937"><tspan font-weight="600">'
                   f'{d.percent_certified:.0f}%</tspan><tspan fill="#5b6472"> of {d.employees:,}</tspan></text>')
    if not rows:
        out.append(f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#5b6472">No active employees</text>')
    out.append("</svg>")
    return "".join(out)


def status_donut(summary: Summary) -> str:
    """A donut of module statuses over every active employee's required modules."""
    items = [(s, n) for s, n in summary.status_items() if n]
    total = sum(n for _, n in items)
    size, r, stroke = 220, 80, 34
    c = size / 2
    circumference = 2 * 3.141592653589793 * r
    out = [_svg_open(size, size, "chart-status", "Status of required modules",
                     "; ".join(f"{s.value}: {n}" for s, n in items) or "no required modules")]
    out.append(f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="#eef1f5" stroke-width="{stroke}"/>')
    offset = 0.0
    for status, n in items:
        length = circumference * n / total
        out.append(f'<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{STATUS_COLOURS[status]}" '
                   f'stroke-width="{stroke}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
                   f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {c} {c})">'
                   f'<title>{status.value}: {n:,} ({100 * n / total:.1f}%)</title></circle>')
        offset += length
    passed = summary.statuses[Status.PASSED]
    share = f"{100 * passed / total:.0f}%" if total else "–"
    out.append(f'<text x="{c}" y="{c - 2}" text-anchor="middle" font-size="28" font-weight="700" fill="#1f2937">'
               f'{share}</text><text x="{c}" y="{c + 20}" text-anchor="middle" fill="#5b6472">modules passed</text>')
    out.append("</svg>")
    return "".join(out)


def timeline_chart(summary: Summary) -> str:
    """Weekly lines over the last year: % employees certified, % required modules passed."""
    points = summary.timeline
    width, height = 640, 250
    left, right, top, bottom = 44, 16, 30, 30
    pw, ph = width - left - right, height - top - bottom
    out = [_svg_open(width, height, "chart-time", "Completion over time",
                     "Weekly share of active employees whose current certification was reached by then, and "
                     "of required modules whose current pass was reached by then.")]
    for k, (name, colour, dash) in enumerate((("employees certified", "#1565c0", ""),
                                              ("modules passed", "#2e7d32", ' stroke-dasharray="6 4"'))):
        lx = left + k * 180
        out.append(f'<line x1="{lx}" y1="12" x2="{lx + 22}" y2="12" stroke="{colour}" stroke-width="3"{dash}/>'
                   f'<text x="{lx + 28}" y="16" fill="#334">{name}</text>')
    for pct in (0, 25, 50, 75, 100):
        y = top + ph * (1 - pct / 100)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e7ed"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6472">{pct}%</text>')
    if len(points) >= 2:
        n = len(points) - 1
        months = [(i, p[0]) for i, p in enumerate(points) if i and p[0].month != points[i - 1][0].month]
        step = 2 if len(months) > 7 else 1
        for j, (i, day) in enumerate(months):
            if j % step == 0:
                out.append(f'<text x="{left + pw * i / n:.1f}" y="{height - 10}" text-anchor="middle" '
                           f'fill="#5b6472">{day.strftime("%b %Y" if day.month == 1 else "%b")}</text>')
        for idx, colour, dash in ((1, "#1565c0", ""), (2, "#2e7d32", ' stroke-dasharray="6 4"')):
            coords = " ".join(f"{left + pw * i / n:.1f},{top + ph * (1 - p[idx] / 100):.1f}"
                              for i, p in enumerate(points))
            out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5" '
                       f'stroke-linejoin="round"{dash}/>')
        last = points[-1]
        out.append(f'<circle cx="{left + pw:.1f}" cy="{top + ph * (1 - last[1] / 100):.1f}" r="4" fill="#1565c0">'
                   f'<title>{last[0].isoformat()}: {last[1]:.1f}% of employees certified</title></circle>')
    out.append("</svg>")
    return "".join(out)


def module_chart(summary: Summary) -> str:
    """Per module: share of the employees who must take it that passed, await a trainer, are late."""
    rows = summary.modules
    width, label_w, value_w, row_h = 640, 190, 70, 28
    bar_w = width - label_w - value_w
    height = 24 + row_h * max(1, len(rows))
    out = [_svg_open(width, height, "chart-modules", "Completion by module",
                     "For each module, the share of employees who must take it that passed, that await a trainer "
                     "and that are late.")]
    for i, (name, colour) in enumerate((("passed", STATUS_COLOURS[Status.PASSED]),
                                        ("awaiting a trainer", STATUS_COLOURS[Status.NEEDS_MANUAL_GRADING]),
                                        ("late", STATUS_COLOURS[Status.OVERDUE]))):
        lx = label_w + i * 130
        out.append(f'<rect x="{lx}" y="2" width="12" height="12" rx="2" fill="{colour}"/>'
                   f'<text x="{lx + 17}" y="12" fill="#334">{name}</text>')
    for i, m in enumerate(rows):
        y = 24 + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#1f2937">'
                   f'{escape(_clip(m.id, 28))}<title>{escape(m.title)}</title></text>')
        out.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="16" fill="#eef1f5"/>')
        left = label_w
        for value, colour, name in ((m.passed, STATUS_COLOURS[Status.PASSED], "passed"),
                                    (m.awaiting, STATUS_COLOURS[Status.NEEDS_MANUAL_GRADING], "awaiting a trainer"),
                                    (m.late, STATUS_COLOURS[Status.OVERDUE], "late")):
            if not m.required or not value:
                continue
            w = bar_w * value / m.required
            out.append(f'<rect x="{left:.1f}" y="{y + 4}" width="{w:.1f}" height="16" fill="{colour}">'
                       f'<title>{escape(m.id)}: {value:,} {name} of {m.required:,}</title></rect>')
            left += w
        label = f"{m.percent_passed:.0f}%" if m.required else "–"
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 15}" font-weight="600" fill="#1f2937">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _table_data(records: ComplianceRecords, persons: dict[str, Person]) -> dict[str, Any]:
    module_ids = [m.id for m in records.policies.completion.modules if m.id in records.released]
    index = {m: i for i, m in enumerate(module_ids)}
    rows = []
    for eid, st in sorted(records.statuses.items()):
        p = persons[eid]
        mods = ["-"] * len(module_ids)
        for m in st.modules:
            mods[index[m.module]] = STATUS_CODES[m.status] + ("!" if m.late else "")
        rows.append([p.employee_id, p.name, p.department, p.manager_email, p.track, st.overall.value,
                     st.certified_until.isoformat() if st.certified_until else "", st.passed_count,
                     len(st.modules), mods, ";".join(st.flags)])
    return {"modules": module_ids, "rows": rows,
            "codes": {code: {"label": s.value, "colour": STATUS_COLOURS[s], "ink": ink_on(STATUS_COLOURS[s])}
                      for s, code in STATUS_CODES.items()}}


def _json_for_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_dashboard(records: ComplianceRecords, persons: dict[str, Person], summary: Summary, *,
                     policy_hash: str, ledger_head: str, pseudonymised: bool, files: list[str],
                     company: str, generated: datetime | None = None, overdue_limit: int = 200,
                     warnings: list[str] | None = None, items_page: str | None = None) -> str:
    """The dashboard page; ``items_page`` is a relative link to ``course items``' page when there is one."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    managers: dict[str, Counter[str]] = {}
    oldest: dict[str, int] = {}
    for r in summary.overdue:
        c = managers.setdefault(r.person.manager_email, Counter())
        c["modules"] += 1
        c[r.person.employee_id] = 1
        oldest[r.person.manager_email] = max(oldest.get(r.person.manager_email, 0), r.days_late)
    by_manager = sorted(((m, len(c) - 1, c["modules"], oldest[m]) for m, c in managers.items()),
                        key=lambda t: (-t[2], t[0]))
    policy = records.policies.completion
    return env.get_template("dashboard.html.j2").render(
        s=summary, policy=policy, policy_hash=policy_hash, ledger_head=ledger_head, pseudonymised=pseudonymised,
        company=company, files=files, generated=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        charts={"departments": department_chart(summary), "status": status_donut(summary),
                "timeline": timeline_chart(summary), "modules": module_chart(summary)},
        tables=chart_tables(summary),
        status_colours={s.value: c for s, c in STATUS_COLOURS.items()},
        status_inks={s.value: ink_on(c) for s, c in STATUS_COLOURS.items()},
        overall_colours={s.value: c for s, c in OVERALL_COLOURS.items()},
        overall_inks={s.value: ink_on(c) for s, c in OVERALL_COLOURS.items()},
        overdue=summary.overdue[:overdue_limit], overdue_total=len(summary.overdue), by_manager=by_manager[:15],
        managers_total=len(by_manager), data_json=_json_for_script(_table_data(records, persons)),
        departments=sorted(d.name for d in summary.departments), tracks=policy.track_ids, warnings=warnings or [],
        items_page=items_page,
    )
