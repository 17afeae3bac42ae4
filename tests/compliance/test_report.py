"""course report end to end on a synthetic workspace: files, permissions, ledger events, certificates, xAPI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from course.compliance.certificates import CertificateError, verify_certificate
from course.compliance.ledger import Ledger
from course.compliance.report import FORMATS, ReportError, ReportResult, build_report
from course.compliance.roster import load_roster
from course.compliance.status import Status
from course.compliance.views import REMINDER_COLUMNS, STATUS_COLUMNS
from course.compliance.xapi import validate_statement
from course.workspace import Workspace
from tests.compliance.conftest import AS_OF

Reported = tuple[Workspace, ReportResult]


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_text("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def report(workspace_copy: Workspace, tmp_path: Path) -> Reported:
    return workspace_copy, build_report(workspace_copy.root, tmp_path / "out", as_of=AS_OF, today=AS_OF)


def test_every_file_is_written_owner_only(report: Reported) -> None:
    """All outputs exist, the folders are 0o700 and every file 0o600; no staging folder is left."""
    _, result = report
    names = sorted(p.name for p in result.out.iterdir())
    assert names == ["certificates", "compliance.xlsx", "dashboard.html", "reminders.csv", "status.csv", "xapi.jsonl"]
    assert stat.S_IMODE(result.out.stat().st_mode) == 0o700
    assert stat.S_IMODE((result.out / "certificates").stat().st_mode) == 0o700
    for path in [*result.files, *result.certificates]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_status_csv_has_a_row_per_required_module(report: Reported) -> None:
    """status.csv lists every active employee's required modules with a known status and dates."""
    ws, result = report
    rows = read_csv(result.out / "status.csv")
    assert list(rows[0]) == list(STATUS_COLUMNS)
    roster = load_roster(ws.root)
    from course.policy import load_policies

    policy = load_policies().completion
    expected = sum(len(policy.track(e.employee.track).modules) for e in roster.values() if e.active)
    assert len(rows) == expected
    statuses = {r["status"] for r in rows}
    assert statuses <= {s.value for s in Status}
    assert {"passed", "overdue", "expired", "needs manual grading", "submitted", "not started"} <= statuses
    for r in rows:
        if r["status"] == "passed":
            assert float(r["percent"]) >= float(r["pass_mark_percent"]) and r["valid_until"] >= AS_OF.isoformat()
        if r["status"] == "overdue":
            assert r["deadline"] < AS_OF.isoformat() and r["late"] == "yes"


def test_reminders_name_managers_and_deadlines(report: Reported) -> None:
    """reminders.csv lists who must act, on what, by when, with the manager told when late."""
    _, result = report
    rows = read_csv(result.out / "reminders.csv")
    assert list(rows[0]) == list(REMINDER_COLUMNS)
    assert {r["action"] for r in rows} <= {"complete", "retake", "recertify"}
    assert all(r["manager_email"].endswith("@brightwater.example") for r in rows)
    late = [r for r in rows if r["late"] == "yes"]
    assert late and all(r["tell_manager"] == "yes" and int(r["days_left"]) < 0 for r in late)
    assert not any(r["status"] in ("submitted", "needs manual grading", "passed") for r in rows)


def test_workbook_sheets(report: Reported) -> None:
    """compliance.xlsx has the four sheets, and its overdue sheet matches the summary."""
    _, result = report
    wb = load_workbook(result.out / "compliance.xlsx", read_only=True)
    assert wb.sheetnames == ["summary", "by department", "by employee", "overdue"]
    overdue = list(wb["overdue"].iter_rows(values_only=True))
    assert len(overdue) - 1 == len(result.summary.overdue)
    employees = list(wb["by employee"].iter_rows(values_only=True))
    assert len(employees) - 1 == result.summary.active
    summary = {row[0]: row[1] for row in wb["summary"].iter_rows(values_only=True) if len(row) > 1 and row[0]}
    assert summary["Active employees"] == result.summary.active
    assert summary["Ledger head (keep as an anchor)"].count(":") == 1


def test_ledger_records_what_is_new_and_only_once(report: Reported, tmp_path: Path) -> None:
    """The first report records passes, failures, expiries and certificates; a second one adds only its own event."""
    ws, result = report
    ledger = Ledger.for_workspace(ws.root)
    kinds = [e.kind for e in ledger.events()]
    assert kinds.count("certified") == len(result.certificates) > 0
    assert kinds.count("passed") > 0 and kinds.count("expired") > 0
    assert kinds[-1] == "report_generated"
    generated = [e for e in ledger.events() if e.kind == "report_generated"][-1]
    for path in result.files:
        assert generated.data["files"][path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    before = len(kinds)
    again = build_report(ws.root, tmp_path / "again", as_of=AS_OF, today=AS_OF)
    assert again.events_recorded == 1 and again.certificates == []
    assert len(list(ledger.events())) == before + 1
    assert ledger.verify().ok


def test_a_past_as_of_is_a_view(workspace_copy: Workspace, tmp_path: Path) -> None:
    """A report as of another day records only report_generated and issues no certificates."""
    earlier = AS_OF - timedelta(days=90)
    result = build_report(workspace_copy.root, tmp_path / "past", as_of=earlier, today=AS_OF)
    assert result.certificates == [] and result.events_recorded == 1 and result.notes
    assert result.summary.as_of == earlier
    later = build_report(workspace_copy.root, tmp_path / "now", as_of=AS_OF, today=AS_OF, formats=["csv"])
    assert later.summary.certified >= result.summary.certified


def test_certificates_verify_and_forgeries_do_not(report: Reported) -> None:
    """Each certificate's code verifies; a made-up code, another workspace and an altered record do not."""
    ws, result = report
    certified = [e for e in Ledger.for_workspace(ws.root).events() if e.kind == "certified"]
    first = certified[0].data
    pdf = (result.out / "certificates" / f"{first['employee_id']}-{first['certified_on']}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and first["code"].encode() in pdf
    assert first["certificate"]["name"].encode("latin-1") in pdf
    good = verify_certificate(ws.root, first["code"])
    assert good.valid and good.certificate == first["certificate"]
    assert verify_certificate(ws.root, first["code"].lower().replace("-", " ")).valid  # as typed by a person
    forged = first["code"][:-1] + ("A" if first["code"][-1] != "A" else "B")
    assert not verify_certificate(ws.root, forged).valid
    with pytest.raises(CertificateError):
        verify_certificate(ws.root, "SMW-1234")
    # an altered record: the employee's name changed in the ledger line, hash chain repaired or not
    events = ws.root / "ledger" / "events.jsonl"
    text = events.read_text("utf-8")
    name = first["certificate"]["name"]
    events.write_text(text.replace(json.dumps(name), json.dumps(name + " Jr"), 1), "utf-8")
    altered = verify_certificate(ws.root, first["code"])
    assert not altered.valid and "altered" in altered.reason


def test_code_from_another_workspace_is_unknown(report: Reported, tmp_path: Path) -> None:
    """A genuine code checked against a different workspace is not accepted there."""
    ws, _ = report
    code = next(e.data["code"] for e in Ledger.for_workspace(ws.root).events() if e.kind == "certified")
    other = Workspace.init(tmp_path / "other")
    assert not verify_certificate(other.root, code).valid


def test_xapi_statements_are_valid(report: Reported) -> None:
    """Every xAPI statement passes the xAPI 1.0.3 statement schema; all four verbs occur; ids are unique."""
    _, result = report
    statements = [json.loads(line) for line in (result.out / "xapi.jsonl").read_text("utf-8").splitlines()]
    assert statements
    for s in statements:
        assert validate_statement(s) == [], s
    verbs = {s["verb"]["display"]["en-US"] for s in statements}
    assert verbs == {"completed", "passed", "failed", "scored"}
    assert len({s["id"] for s in statements}) == len(statements)
    passed = [s for s in statements if s["verb"]["display"]["en-US"] == "passed"]
    assert all(s["result"]["success"] and s["result"]["completion"] for s in passed)
    scored = [s for s in statements if s["verb"]["display"]["en-US"] == "scored"]
    assert all(s["result"]["completion"] is False and "success" not in s["result"] for s in scored)


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda s: s.pop("verb"), "'verb' is a required property"),
    (lambda s: s["actor"].update(mbox="ada@x.example"), "actor"),
    (lambda s: s["actor"].update(account={"homePage": "https://x.example/", "name": "a"}), "actor"),
    (lambda s: s["result"]["score"].update(scaled=1.5), "scaled"),
    (lambda s: s["result"]["score"].update(raw=99), "raw: must lie between min and max"),
    (lambda s: s["verb"].update(id="passed"), "verb/id"),
    (lambda s: s.update(timestamp="20 Nov 2026"), "timestamp"),
    (lambda s: s["object"]["definition"].update(name={"not a language tag!": "x"}), "object"),
    (lambda s: s.update(id="1234"), "id"),
    (lambda s: s["context"].update(extensions={"pass-mark": 75}), "context"),
    (lambda s: s.update(version="2.0"), "version"),
])
def test_schema_rejects_invalid_statements(report: Reported, mutate: Callable[[dict], object], needle: str) -> None:
    """The validator is not a rubber stamp: each kind of broken statement is rejected with a reason."""
    _, result = report
    statement = json.loads((result.out / "xapi.jsonl").read_text("utf-8").splitlines()[0])
    mutate(statement)
    problems = validate_statement(statement)
    assert problems and any(needle in p for p in problems), problems


def test_pseudonymised_report_leaks_no_names(workspace_copy: Workspace, tmp_path: Path) -> None:
    """With pseudonymise no real id, name or email appears in any file; pseudonyms are stable; no certificates."""
    one = build_report(workspace_copy.root, tmp_path / "p1", as_of=AS_OF, today=AS_OF, pseudonymise=True)
    two = build_report(workspace_copy.root, tmp_path / "p2", as_of=AS_OF, today=AS_OF, pseudonymise=True,
                       formats=["csv"])
    assert one.certificates == [] and not (one.out / "certificates").exists()
    blobs = {p.name: p.read_bytes() for p in one.files}
    xlsx_text = b"".join(_xlsx_strings(one.out / "compliance.xlsx"))
    roster = load_roster(workspace_copy.root)
    for entry in list(roster.values())[:40]:
        e = entry.employee
        for secret in (e.employee_id, e.name, e.email, e.manager_email):
            needle = secret.encode("utf-8")
            assert not any(needle in b for b in blobs.values()), (secret, [n for n, b in blobs.items() if needle in b])
            assert needle not in xlsx_text
    assert (one.out / "status.csv").read_bytes() == (two.out / "status.csv").read_bytes()
    rows = read_csv(one.out / "status.csv")
    assert all(r["email"].endswith("@pseudonym.invalid") and r["employee_id"].startswith("P-") for r in rows)
    statements = [json.loads(x) for x in (one.out / "xapi.jsonl").read_text("utf-8").splitlines()]
    assert all("account" in s["actor"] and "mbox" not in s["actor"] for s in statements)
    assert all(validate_statement(s) == [] for s in statements[:200])


def _xlsx_strings(path: Path) -> list[bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return [z.read(n) for n in z.namelist() if n.endswith(".xml")]


def test_formats_and_bad_input(workspace_copy: Workspace, tmp_path: Path) -> None:
    """Only the asked-for files are written; bad requests fail with a clear error and write nothing."""
    result = build_report(workspace_copy.root, tmp_path / "csv", as_of=AS_OF, today=AS_OF, formats=["csv"])
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["reminders.csv", "status.csv"]
    assert result.certificates == []
    with pytest.raises(ReportError, match="unknown report format"):
        build_report(workspace_copy.root, tmp_path / "x", formats=["pdf", "docx"])
    with pytest.raises(ReportError, match="part of the workspace"):
        build_report(workspace_copy.root, workspace_copy.root / "ledger")
    empty = Workspace.init(tmp_path / "empty")
    with pytest.raises(ReportError, match="no roster yet"):
        build_report(empty.root, tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    assert set(FORMATS) == {"csv", "xlsx", "html", "xapi", "pdf"}


def test_report_reads_a_resubmission_as_pending(workspace_copy: Workspace, tmp_path: Path) -> None:
    """A newer submission collected into submitted/ but not graded yet shows as submitted."""
    rows = read_csv(build_report(workspace_copy.root, tmp_path / "a", as_of=AS_OF, today=AS_OF,
                                 formats=["csv"]).out / "status.csv")
    failed = next(r for r in rows if r["status"] in ("failed", "overdue", "expired") and r["last_attempt_at"])
    folder = workspace_copy.root / "submitted" / failed["employee_id"] / failed["module"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text(f"{AS_OF.isoformat()} 08:00:00.000000 UTC", "utf-8")
    rows = read_csv(build_report(workspace_copy.root, tmp_path / "b", as_of=AS_OF, today=AS_OF,
                                 formats=["csv"]).out / "status.csv")
    again = next(r for r in rows if (r["employee_id"], r["module"]) == (failed["employee_id"], failed["module"]))
    assert again["status"] == "submitted"


def test_a_tampered_ledger_is_flagged_in_the_report(workspace_copy: Workspace, tmp_path: Path) -> None:
    """When the ledger does not verify, the report says so in its notes and on the dashboard."""
    events = workspace_copy.root / "ledger" / "events.jsonl"
    rows = events.read_text("utf-8").splitlines(keepends=True)
    events.write_text("".join(rows[:3] + rows[4:]), "utf-8")
    result = build_report(workspace_copy.root, tmp_path / "t", as_of=AS_OF, today=AS_OF, formats=["html"])
    assert any("does not verify" in n for n in result.notes)
    assert 'role="alert"' in (result.out / "dashboard.html").read_text("utf-8")
