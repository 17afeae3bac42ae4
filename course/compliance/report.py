"""``course report``: every compliance output for a workspace as of a date, and the ledger events it implies.

Writes into ``OUT`` (made owner-only; every file 0o600, written whole or not at all):

* ``status.csv``: one row per active employee and required module;
* ``reminders.csv``: who to remind about what, by when, with their manager;
* ``compliance.xlsx``: sheets summary, by department, by employee, overdue;
* ``dashboard.html``: one self-contained page with charts and a sortable, filterable table;
* ``xapi.jsonl``: xAPI statements for a learning record store;
* ``certificates/``: a PDF per newly certified employee.

Files are built in a private staging folder and moved into place only when all of them are ready.

When the report is as of today it also records in the ledger what it found new: ``passed``,
``failed`` and ``expired`` modules, ``certified`` employees (with the certificate and its code, only
when certificates are written) and always one ``report_generated`` event with the SHA-256 of each
file. A report as of another date is a view: it records only ``report_generated`` and issues no
certificates. ``pseudonymise`` replaces ids, names and emails (also managers') with stable
pseudonyms and issues no certificates (they are personal documents).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from course.compliance._files import private_dir, workspace_key, write_private
from course.compliance.ledger import Ledger
from course.compliance.records import ComplianceRecords, collect, transition_key
from course.compliance.roster import load_roster
from course.compliance.status import Overall, Status
from course.compliance.views import (
    REMINDER_COLUMNS,
    STATUS_COLUMNS,
    Person,
    Pseudonymiser,
    Summary,
    people,
    reminder_rows,
    status_rows,
    summarise,
)
from course.policy import PolicySet, load_policies
from course.workspace import Workspace

FORMATS = ("csv", "xlsx", "html", "xapi", "pdf")
_CSV_INJECTION = ("=", "+", "-", "@", "\t", "\r")


class ReportError(RuntimeError):
    """The report cannot be made (no roster, unknown format, output folder not usable)."""


@dataclass
class ReportResult:
    out: Path
    as_of: date
    files: list[Path]
    summary: Summary
    certificates: list[Path] = field(default_factory=list)
    events_recorded: int = 0
    ledger_head: str = ""
    notes: list[str] = field(default_factory=list)


def _csv_text(columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> str:
    """CSV (UTF-8 with BOM so Excel reads it right); text that would start a formula gets a leading '."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(_CSV_INJECTION) else v for v in row])
    return buf.getvalue()


def build_report(course_dir: Path | str, out: Path | str, *, as_of: date | None = None, pseudonymise: bool = False,
                 formats: Iterable[str] = FORMATS, policies: PolicySet | None = None,
                 today: date | None = None) -> ReportResult:
    """Make the report for the workspace in ``course_dir`` into ``out`` (see the module docstring)."""
    started = datetime.now(UTC)
    today = today or started.date()
    as_of = as_of or today
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ReportError(f"unknown report format(s) {unknown or wanted}; choose from {', '.join(FORMATS)}")
    ws = Workspace.open(course_dir)
    policies = policies or load_policies()
    policy = policies.completion
    policy_hash = policies.version_hash()
    ledger = Ledger.for_workspace(ws.root)
    entries = load_roster(ws.root)
    if not entries:
        raise ReportError(f"{ws.root} has no roster yet; import one with `course roster import FILE.csv "
                          f"--course-dir {course_dir}`")
    out = Path(out).resolve()
    reserved = [ws.root / d for d in ("source", "release", "submitted", "autograded", "feedback", "exchange",
                                      "ledger", "compliance")]
    if out == ws.root or any(out == d or d in out.parents for d in reserved):
        raise ReportError(f"{out} is part of the workspace's own data; choose another --out folder")
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} exists and is not a folder")
    records = collect(ws.root, ws.db_url, policies, as_of=as_of, entries=entries)

    pseudonymiser = Pseudonymiser(workspace_key(ws.root, "pseudonym")) if pseudonymise else None
    persons = people(records, pseudonymiser)
    summary = summarise(records, persons)
    live = as_of == today
    issue = live and "pdf" in wanted and not pseudonymise
    notes: list[str] = []
    if not live:
        notes.append(f"as of {as_of.isoformat()}, not today: a view only; no events recorded, no certificates")
    elif "pdf" in wanted and pseudonymise:
        notes.append("pseudonymised: no certificates issued (they are personal documents)")
    check = ledger.verify()
    head_before = check.head
    if not check.ok:
        notes.append(f"the workspace's ledger does not verify ({len(check.problems)} problem(s)); run "
                     "`course ledger verify` before relying on this report")

    private_dir(out)
    staging = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    os.chmod(staging, 0o700)
    try:
        names: list[str] = []
        certificates: list[tuple[str, dict[str, Any], bytes]] = []

        def stage(name: str, data: bytes | str) -> None:
            write_private(staging / name, data, durable=False)

        if "csv" in wanted:
            stage("status.csv", _csv_text(STATUS_COLUMNS, status_rows(records, persons)))
            stage("reminders.csv", _csv_text(REMINDER_COLUMNS, reminder_rows(records, persons)))
            names += ["status.csv", "reminders.csv"]
        if "xlsx" in wanted:
            from course.compliance.xlsx import workbook_bytes

            stage("compliance.xlsx", workbook_bytes(
                records, persons, summary, policy_hash=policy_hash, ledger_head=head_before,
                pseudonymised=pseudonymise))
            names.append("compliance.xlsx")
        if "xapi" in wanted:
            from course.compliance.xapi import statements, to_jsonl

            stage("xapi.jsonl", to_jsonl(statements(records, persons, pseudonymised=pseudonymise)))
            names.append("xapi.jsonl")
        if issue:
            certificates = _certificates(ws, records, policies, policy_hash, today)
            if certificates:
                private_dir(staging / "certificates")
                for filename, _, pdf in certificates:
                    stage(f"certificates/{filename}", pdf)
        if "html" in wanted:
            from course.compliance.dashboard import render_dashboard

            shown = [*names, "dashboard.html"] + (["certificates/"] if certificates else [])
            html = render_dashboard(records, persons, summary, policy_hash=policy_hash, ledger_head=head_before,
                                    pseudonymised=pseudonymise, files=shown, company=policies.privacy.company,
                                    generated=started, warnings=[] if check.ok else notes[-1:],
                                    items_page="items.html" if (out / "items.html").exists() else None)
            stage("dashboard.html", html)
            names.append("dashboard.html")
        # everything is ready: flush it to disk once, then move it into place
        os.sync()
        files = []
        for name in names:
            os.replace(staging / name, out / name)
            files.append(out / name)
        cert_paths = []
        if certificates:
            private_dir(out / "certificates")
            for filename, _, _ in certificates:
                os.replace(staging / "certificates" / filename, out / "certificates" / filename)
                cert_paths.append(out / "certificates" / filename)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    events = _transitions(records, persons_real=people(records)) if live else []
    for _, data, _ in certificates:
        events.append(("certified", data))
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    digests.update({f"certificates/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in cert_paths})
    events.append(("report_generated", {
        "as_of": as_of.isoformat(), "formats": wanted, "pseudonymised": pseudonymise, "files": digests,
        "policy_hash": policy_hash, "policy_version": policy.version, "ledger_head_before": head_before,
        "counts": {"active": summary.active, "certified": summary.certified,
                   "overdue": summary.overall[Overall.OVERDUE], "late_modules": len(summary.overdue),
                   "certificates_issued": len(cert_paths)},
    }))
    recorded = ledger.append_many(events)
    return ReportResult(out=out, as_of=as_of, files=files, summary=summary, certificates=cert_paths,
                        events_recorded=len(recorded), ledger_head=f"{recorded[-1].seq}:{recorded[-1].hash}",
                        notes=notes)


def _transitions(records: ComplianceRecords, *, persons_real: dict[str, Person]) -> list[tuple[str, dict[str, Any]]]:
    """``passed``, ``failed`` and ``expired`` events not yet in the ledger."""
    out: list[tuple[str, dict[str, Any]]] = []
    seen = records.recorded

    def add(kind: str, data: dict[str, Any]) -> None:
        key = transition_key(kind, data)
        if key not in seen:
            seen.add(key)  # type: ignore[arg-type]
            out.append((kind, data))

    for eid, st in sorted(records.statuses.items()):
        for m in st.modules:
            passed = m.passed_attempt
            if passed is not None and passed.submitted_at is not None:
                add("passed", {"employee_id": eid, "module": m.module, "submitted_at": _stamp(passed.submitted_at),
                               "score": passed.score, "max_score": passed.max_score,
                               "percent": round(passed.percent or 0.0, 4), "pass_mark": m.pass_mark})
            latest = m.attempt
            if (latest is not None and latest.final and latest.submitted_at is not None
                    and not latest.passes(m.pass_mark)):
                add("failed", {"employee_id": eid, "module": m.module, "submitted_at": _stamp(latest.submitted_at),
                               "score": latest.score, "max_score": latest.max_score,
                               "percent": round(latest.percent or 0.0, 4), "pass_mark": m.pass_mark})
            if m.status is Status.EXPIRED and m.valid_until is not None:
                add("expired", {"employee_id": eid, "module": m.module, "passed_on": _iso(m.passed_on),
                                "valid_until": m.valid_until.isoformat()})
    return out


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds") + "Z"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _certificates(ws: Workspace, records: ComplianceRecords, policies: PolicySet, policy_hash: str,
                  today: date) -> list[tuple[str, dict[str, Any], bytes]]:
    """``(file name, certified event data, PDF)`` for each employee certified and not yet recorded as such."""
    from course.compliance.certificates import certificate_code, certificate_key, render_pdf

    policy = policies.completion
    titles = {m.id: m.title for m in policy.modules}
    key = certificate_key(ws.root)
    company = policies.privacy.company
    hint = f"Check it: course certificate verify CODE --course-dir {ws.root}"
    out = []
    for eid, st in sorted(records.statuses.items()):
        if st.overall is not Overall.CERTIFIED or st.certified_on is None or st.certified_until is None:
            continue
        if ("certified", eid, st.certified_on.isoformat()) in records.recorded:
            continue
        e = records.entries[eid].employee
        certificate = {
            "certificate_id": f"{eid}-{st.certified_on.isoformat()}",
            "employee_id": eid, "name": e.name, "track": e.track, "track_label": policy.track(e.track).label,
            "modules": [{"id": m.module, "title": titles[m.module], "score": m.score, "max_score": m.max_score,
                         "percent": round(m.percent or 0.0, 2), "pass_mark": m.pass_mark,
                         "passed_on": _iso(m.passed_on)} for m in st.modules],
            "certified_on": st.certified_on.isoformat(), "valid_until": st.certified_until.isoformat(),
            "issued_on": today.isoformat(), "policy_version": policy.version, "policy_hash": policy_hash,
        }
        code = certificate_code(key, certificate)
        pdf = render_pdf(certificate, code, company=company, verify_hint=hint)
        data = {"employee_id": eid, "certified_on": certificate["certified_on"],
                "valid_until": certificate["valid_until"], "code": code, "certificate": certificate}
        out.append((f"{eid}-{st.certified_on.isoformat()}.pdf", data, pdf))
    return out
