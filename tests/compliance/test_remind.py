"""`course remind` against a real SMTP server (aiosmtpd with STARTTLS and AUTH, a throwaway certificate)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from course.compliance.ledger import Ledger
from course.compliance.remind import EVENT, RemindError, plan, remind
from course.compliance.settings import SettingsError, load_settings
from course.policy import load_policies
from course.workspace import Workspace
from tests.compliance.conftest import AS_OF
from tests.compliance.servers import SMTP_PASSWORD, SmtpServer
from tests.conftest import REPO

pytestmark = pytest.mark.xdist_group("smtp")


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """One aiosmtpd for the module: STARTTLS and AUTH required, a throwaway certificate."""
    pytest.importorskip("aiosmtpd")
    server = SmtpServer.create(tmp_path_factory.mktemp("smtp")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    smtp_server.mailbox.messages.clear()
    smtp_server.mailbox.refuse_after = None
    monkeypatch.setenv("COURSE_SMTP_PASSWORD", SMTP_PASSWORD)
    return smtp_server


def sent_events(ws: Workspace) -> list[dict[str, object]]:
    return [e.data for e in Ledger.for_workspace(ws.root).events() if e.kind == EVENT]


@pytest.mark.slow
def test_one_message_per_employee_with_both_parts_and_the_manager_in_cc(workspace_copy: Workspace, server: SmtpServer,
                                                                        tmp_path: Path) -> None:
    """Each employee with something to do gets one multipart/alternative message; late ones Cc the manager;
    each is in the ledger; a second run the same day sends nothing; sending keeps to the rate limit."""
    settings = server.settings(tmp_path / "delivery.yaml", messages_per_second=100)
    todo, _ = plan(workspace_copy.root, as_of=AS_OF, today=AS_OF)
    assert len(todo) > 10 and any(r.cc for r in todo) and any(not r.cc for r in todo)
    started = time.monotonic()
    result = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=AS_OF)
    elapsed = time.monotonic() - started
    assert result.stopped is None and not result.failed and len(result.sent) == len(todo)
    assert elapsed >= (len(todo) - 1) / 100  # never faster than messages_per_second

    arrived = server.mailbox.messages
    assert len(arrived) == len(todo)
    by_to = {msg["To"].addresses[0].addr_spec: (rcpt, msg) for _, rcpt, msg in arrived}
    assert len(by_to) == len(todo)  # one message per employee
    for r in todo:
        rcpt, msg = by_to[r.to]
        assert msg["From"] == "Brightwater Compliance <compliance@brightwater.example>"
        assert msg["Reply-To"] == "socialdesk@brightwater.example"
        assert msg["Subject"] == r.subject and "Brightwater Supplies" in r.subject
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert text.startswith(f"Hello {r.name.split()[0]},") and f"Hello {r.name.split()[0]}," in html
        assert "<table" in html and "<td" in html
        if r.cc:
            assert msg["Cc"] == r.cc and set(rcpt) == {r.to, r.cc} and "as soon as you can (it was due by" in text
            assert msg["Subject"].startswith("Overdue")
        else:
            assert msg["Cc"] is None and rcpt == [r.to]
    events = sent_events(workspace_copy)
    assert sorted(e["employee_id"] for e in events) == sorted(r.employee_id for r in todo)
    assert {e["sent_on"] for e in events} == {AS_OF.isoformat()}
    assert Ledger.for_workspace(workspace_copy.root).verify().ok

    again = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=AS_OF)
    assert again.planned == [] and len(again.already) == len(todo) and len(server.mailbox.messages) == len(todo)


@pytest.mark.slow
def test_a_bad_login_sends_nothing(workspace_copy: Workspace, server: SmtpServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused password stops the run before any message goes out, and says so."""
    settings = server.settings(tmp_path / "delivery.yaml")
    monkeypatch.setenv("COURSE_SMTP_PASSWORD", "wrong")
    with pytest.raises(RemindError, match=r"refused the login for mailer \(535 .*nothing was sent"):
        remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=AS_OF)
    assert server.mailbox.messages == [] and sent_events(workspace_copy) == []


@pytest.mark.slow
def test_a_failure_midway_then_a_rerun_sends_each_reminder_once(workspace_copy: Workspace, server: SmtpServer,
                                                                tmp_path: Path) -> None:
    """The server refuses messages after the third (451): those are reported; a re-run sends only them.
    Then the server goes away mid-run: the run stops, and the next run sends the rest, once."""
    settings = server.settings(tmp_path / "delivery.yaml", messages_per_second=1000)
    todo, _ = plan(workspace_copy.root, as_of=AS_OF, today=AS_OF)
    server.mailbox.refuse_after = 3
    first = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=AS_OF)
    assert len(first.sent) == 3 and len(first.failed) == len(todo) - 3
    assert all("451" in reason for _, reason in first.failed)
    server.mailbox.refuse_after = None
    second = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=AS_OF)
    assert len(second.already) == 3 and len(second.sent) == len(todo) - 3
    tos = [msg["To"].addresses[0].addr_spec for _, _, msg in server.mailbox.messages]
    assert sorted(tos) == sorted(r.to for r in todo)  # every reminder exactly once

    # the next day: the server is stopped after the fifth message
    next_day = AS_OF.replace(day=AS_OF.day + 1)
    server.mailbox.messages.clear()

    def stop_after_five(_: object) -> None:
        if len(server.mailbox.messages) == 5:
            server.stop()

    third = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=next_day, progress=stop_after_five)
    assert len(third.sent) == 5 and third.stopped and "run `course remind` again" in third.stopped
    server.start()
    fourth = remind(workspace_copy.root, as_of=AS_OF, settings_file=settings, today=next_day)
    assert len(fourth.already) == 5 and fourth.stopped is None and len(fourth.sent) == len(todo) - 5
    tos = [msg["To"].addresses[0].addr_spec for _, _, msg in server.mailbox.messages]
    assert sorted(tos) == sorted(r.to for r in todo)
    assert Ledger.for_workspace(workspace_copy.root).verify().ok


@pytest.mark.slow
def test_dry_run_shows_what_would_be_sent_and_sends_nothing(workspace_copy: Workspace, server: SmtpServer,
                                                            tmp_path: Path) -> None:
    """`course remind --dry-run` prints To, Cc, Subject and the first lines of each message."""
    settings = server.settings(tmp_path / "delivery.yaml")
    todo, _ = plan(workspace_copy.root, as_of=AS_OF)
    done = subprocess.run([sys.executable, "-c", "from course.cli import main; main()", "remind", "--course-dir",
                           str(workspace_copy.root), "--as-of", AS_OF.isoformat(), "--dry-run", "--settings",
                           str(settings)], capture_output=True, text=True, timeout=300,
                          env={"PATH": os.environ["PATH"], "COLUMNS": "200", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{len(todo)} to send" in out and "dry run, nothing sent" in out
    assert "From: Brightwater Compliance <compliance@brightwater.example>" in out
    late = next(r for r in todo if r.cc)
    assert f"To: {late.name} <{late.to}>\n   Cc: {late.cc}\n   Subject: {late.subject}\n" in out
    assert f"   | Hello {late.name.split()[0]}," in out
    assert server.mailbox.messages == [] and sent_events(workspace_copy) == []


@pytest.mark.slow
def test_a_company_s_own_templates_are_used_and_a_broken_one_is_named(workspace_copy: Workspace,
                                                                       tmp_path: Path) -> None:
    """Templates come from the policy folder: replaced ones are used; one with a typo gets an error naming it."""
    policies_dir = tmp_path / "policies"
    shutil.copytree(REPO / "data" / "policies", policies_dir)
    (policies_dir / "email" / "reminder_subject.txt.j2").write_text("Training for {{ employee.name }}\n", "utf-8")
    todo, _ = plan(workspace_copy.root, as_of=AS_OF, policies=load_policies(policies_dir))
    assert todo and all(r.subject == f"Training for {r.name}" for r in todo)

    (policies_dir / "email" / "reminder.txt.j2").write_text("Hello {{ employee.nmae }}\n", "utf-8")
    with pytest.raises(RemindError, match=r"email/reminder\.txt\.j2: .*nmae"):
        plan(workspace_copy.root, as_of=AS_OF, policies=load_policies(policies_dir))
    (policies_dir / "email" / "reminder.html.j2").unlink()
    with pytest.raises(RemindError, match=r"reminder\.html\.j2 not found"):
        plan(workspace_copy.root, as_of=AS_OF, policies=load_policies(policies_dir))


def test_harbourline_templates_render_in_its_own_voice() -> None:
    """The second sample company's templates render, escape HTML, and sound like Harbourline."""
    from datetime import date

    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = REPO / "data" / "examples" / "harbourline" / "policies" / "email"
    env = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                      autoescape=lambda name: bool(name and name.endswith(".html.j2")))
    context = {"employee": {"employee_id": "H-1", "name": "Rowan <b>Oxbow</b>", "first_name": "Rowan <b>",
                            "email": "rowan.oxbow@harbourline.example", "department": "Depot"},
               "modules": [{"id": "01-value-not-noise", "title": "Value, not noise", "status": "overdue",
                            "action": "complete", "by": date(2026, 11, 1), "days_left": -5, "late": True}],
               "overdue": True, "manager_email": "lead.depot@harbourline.example", "company": "Harbourline Logistics",
               "contact": "the Digital Conduct Team", "as_of": date(2026, 11, 6)}
    text = env.get_template("reminder.txt.j2").render(context)
    html = env.get_template("reminder.html.j2").render(context)
    assert text.startswith("Hi Rowan <b>,")
    assert "* Value, not noise - finish it this week please (it was due 1 November)\n" in text
    assert "Hi Rowan &lt;b&gt;," in html and "Hi Rowan <b>" not in html  # values are escaped in HTML
    assert "line manager" in text and "Harbourline Logistics Digital Conduct Team" in text
    assert "Action needed" in env.get_template("reminder_subject.txt.j2").render(context)


def test_settings_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    """A typo, a missing key, both TLS modes, or a password in a file others can read: each is named."""
    path = tmp_path / "delivery.yaml"
    cases = {
        "smtp:\n  host: mail.example\n  sender: a@b.example\n  prot: 25\n": "key 'smtp.prot': unknown key",
        "smtp:\n  host: mail.example\n": "key 'smtp.sender': this key is required",
        "smtp:\n  host: mail.example\n  sender: a@b.example\n  ssl: true\n  starttls: true\n": "not both",
        "lrs:\n  batch_size: 0\n": "key 'lrs.batch_size'",
    }
    for text, expected in cases.items():
        path.write_text(text, "utf-8")
        with pytest.raises(SettingsError, match=expected) as info:
            load_settings(path)
        assert str(path) in str(info.value)
    path.write_text("smtp:\n  host: mail.example\n  sender: a@b.example\n  password: hunter2\n", "utf-8")
    path.chmod(0o644)
    with pytest.raises(SettingsError, match=r"key 'smtp.password'.*chmod 600"):
        load_settings(path)
    path.chmod(0o600)
    assert load_settings(path).smtp.password.get_secret_value() == "hunter2"  # type: ignore[union-attr]
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "missing.yaml")
