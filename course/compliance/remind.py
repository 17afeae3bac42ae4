"""``course remind``: email the reminders that ``course report`` lists, once a day at most per person.

One message per employee (every module they must act on), their manager in Cc when a module is
overdue, in plain text and HTML (``multipart/alternative``) rendered from the company's templates in
the policy folder, ``email/`` (see :data:`TEMPLATES`), so a company rewrites them in its own voice.

Sending is careful in this order: log in first (a refused login stops the run before any message
goes out), then one message at a time at most ``messages_per_second``, each recorded in the ledger
as a ``reminder_sent`` event as soon as the server accepted it. Before sending, the ledger is read:
an employee who already got a reminder today gets none, so a run that failed halfway is simply run
again. A message the server refuses (a bad address, a full mailbox) is reported and the rest go on;
a lost connection stops the run.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, getaddresses
from pathlib import Path
from typing import Any

from course.compliance.ledger import Ledger
from course.compliance.records import collect
from course.compliance.roster import load_roster
from course.compliance.settings import SettingsError, SmtpSettings, credentials, load_settings, settings_path
from course.compliance.views import people, reminder_rows
from course.policy import PolicySet, load_policies
from course.workspace import Workspace

TEMPLATE_DIR = "email"
TEMPLATES = {"subject": "reminder_subject.txt.j2", "text": "reminder.txt.j2", "html": "reminder.html.j2"}
EVENT = "reminder_sent"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RemindError(RuntimeError):
    """Reminders cannot be sent (no roster, a broken template, the SMTP server refused the login)."""


@dataclass
class Reminder:
    employee_id: str
    name: str
    to: str
    cc: str | None
    modules: list[str]
    subject: str
    text: str
    html: str

    def message(self, *, sender: str, reply_to: str | None, message_id: str | None = None) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = formataddr((self.name, self.to))
        if self.cc:
            msg["Cc"] = self.cc
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Subject"] = self.subject
        if message_id:
            msg["Message-ID"] = message_id
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        return msg

    def preview(self, lines: int = 4) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()][:lines]


@dataclass
class RemindResult:
    as_of: date
    sent_on: date
    dry_run: bool
    planned: list[Reminder] = field(default_factory=list)  # what this run sends (or would send)
    already: list[Reminder] = field(default_factory=list)  # reminded today already: not sent again
    sent: list[Reminder] = field(default_factory=list)
    failed: list[tuple[Reminder, str]] = field(default_factory=list)
    stopped: str | None = None
    sender: str = ""

    @property
    def unsent(self) -> int:
        return len(self.planned) - len(self.sent)


def _templates(policies: PolicySet) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

    folder = policies.directory / TEMPLATE_DIR
    missing = [name for name in TEMPLATES.values() if not (folder / name).is_file()]
    if missing:
        raise RemindError(f"{folder}: reminder template(s) {', '.join(missing)} not found (copy them from the "
                          "course's data/policies/email/ and reword them)")
    env = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=lambda name: bool(name and name.endswith(".html.j2")))
    out = {}
    for part, name in TEMPLATES.items():
        try:
            out[part] = env.get_template(name)
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            raise RemindError(f"{folder / name}{f', line {line}' if line else ''}: {exc}") from None
    return out


def _render(templates: dict[str, Any], part: str, folder: Path, context: dict[str, Any]) -> str:
    from jinja2 import TemplateError

    try:
        return templates[part].render(context)
    except TemplateError as exc:
        raise RemindError(f"{folder / TEMPLATES[part]}: {exc}") from None


def plan(course_dir: Path | str, *, as_of: date | None = None, policies: PolicySet | None = None,
         today: date | None = None) -> tuple[list[Reminder], list[Reminder]]:
    """``(to send, reminded today already)``: one reminder per employee who has something to do."""
    today = today or datetime.now(UTC).date()
    as_of = as_of or today
    ws = Workspace.open(course_dir)
    policies = policies or load_policies()
    entries = load_roster(ws.root)
    if not entries:
        raise RemindError(f"{ws.root} has no roster yet; import one with `course roster import FILE.csv "
                          f"--course-dir {course_dir}`")
    templates = _templates(policies)
    folder = policies.directory / TEMPLATE_DIR
    records = collect(ws.root, ws.db_url, policies, as_of=as_of, entries=entries)
    persons = people(records)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for row in reminder_rows(records, persons):
        rows.setdefault(row[0], []).append(row)
    reminded = reminded_on(Ledger.for_workspace(ws.root), today)
    company, contact = policies.privacy.company, policies.privacy.contact
    todo, already = [], []
    for eid in sorted(rows):
        person = persons[eid]
        modules = [{"id": r[5], "title": r[6], "status": r[7], "action": r[8], "by": date.fromisoformat(r[9]),
                    "days_left": r[10], "late": r[11] == "yes"} for r in rows[eid]]
        overdue = any(m["late"] for m in modules)
        context = {"employee": {"employee_id": eid, "name": person.name, "first_name": person.name.split(" ")[0],
                                "email": person.email, "department": person.department},
                   "modules": modules, "overdue": overdue, "manager_email": person.manager_email,
                   "company": company, "contact": contact, "as_of": as_of}
        subject = " ".join(_render(templates, "subject", folder, context).split())
        reminder = Reminder(eid, person.name, person.email, person.manager_email if overdue else None,
                            [m["id"] for m in modules], subject, _render(templates, "text", folder, context),
                            _render(templates, "html", folder, context))
        (already if eid in reminded else todo).append(reminder)
    return todo, already


def reminded_on(ledger: Ledger, day: date) -> set[str]:
    """Employees the ledger records a reminder for on ``day``."""
    stamp = day.isoformat()
    return {str(e.data.get("employee_id")) for e in ledger.events()
            if e.kind == EVENT and e.data.get("sent_on") == stamp}


def _connect(s: SmtpSettings, auth: tuple[str, str] | None) -> smtplib.SMTP:
    """A logged-in SMTP connection; :class:`RemindError` (nothing sent) when that is not possible."""
    where = f"{s.host}:{s.effective_port}"
    if auth is not None and not (s.ssl or s.starttls) and s.host not in _LOOPBACK:
        raise RemindError(f"smtp: logging in to {where} without TLS would send the password readable; set "
                          "starttls: true (port 587) or ssl: true (port 465)")
    context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
    smtp: smtplib.SMTP | None = None
    try:
        if s.ssl:
            smtp = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout_seconds)
        smtp.ehlo()
        if s.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        if auth is not None:
            smtp.login(*auth)
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        problem = f"refused the login for {auth[0] if auth else '?'} ({exc.smtp_code} {_text(exc.smtp_error)})"
    except smtplib.SMTPNotSupportedError as exc:
        problem = f"does not support what the settings ask for ({exc})"
    except ssl.SSLError as exc:
        problem = (f"failed the TLS handshake ({exc.reason or exc}); if it uses a private certificate authority, "
                   "set smtp.ca_file")
    except (smtplib.SMTPException, OSError) as exc:
        problem = f"cannot be reached ({type(exc).__name__}: {exc})"
    if smtp is not None:
        _close(smtp)
    raise RemindError(f"the SMTP server at {where} {problem}; nothing was sent")


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _message_id(reminder: Reminder, sent_on: date, sender: str) -> str:
    import hashlib

    domain = (getaddresses([sender])[0][1].rpartition("@")[2] or "localhost")
    digest = hashlib.sha256(f"{reminder.employee_id}|{sent_on}|{','.join(reminder.modules)}".encode()).hexdigest()
    return f"<reminder.{sent_on.isoformat()}.{digest[:20]}@{domain}>"


def remind(course_dir: Path | str, *, as_of: date | None = None, dry_run: bool = False,
           settings_file: Path | str | None = None, policies: PolicySet | None = None, today: date | None = None,
           progress: Callable[[Reminder], None] | None = None,
           sleep: Callable[[float], None] = time.sleep) -> RemindResult:
    """Send (or with ``dry_run`` only plan) today's reminders; see the module docstring."""
    today = today or datetime.now(UTC).date()
    ws = Workspace.open(course_dir)
    path = settings_path(ws.root, settings_file)
    settings = load_settings(path, required=not dry_run)
    todo, already = plan(ws.root, as_of=as_of, policies=policies, today=today)
    result = RemindResult(as_of=as_of or today, sent_on=today, dry_run=dry_run, planned=todo, already=already)
    smtp_settings = settings.smtp
    if smtp_settings is None:
        if not dry_run:
            raise SettingsError(path, "smtp", "this key is required to send reminders (host, port, sender, ...)")
        result.sender = "(smtp.sender from the settings file)"
        return result
    result.sender = smtp_settings.sender
    _check_address(path, smtp_settings.sender, "smtp.sender")
    if dry_run or not todo:
        return result
    auth = credentials(smtp_settings, "smtp", path)
    smtp = _connect(smtp_settings, auth)  # logged in before anything is sent
    ledger = Ledger.for_workspace(ws.root)
    interval = 1.0 / smtp_settings.messages_per_second
    last = 0.0
    try:
        for reminder in todo:
            wait = last + interval - time.monotonic()
            if last and wait > 0:
                sleep(wait)
            last = time.monotonic()
            message_id = _message_id(reminder, today, smtp_settings.sender)
            msg = reminder.message(sender=smtp_settings.sender, reply_to=smtp_settings.reply_to,
                                   message_id=message_id)
            try:
                smtp.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                refused = "; ".join(f"{addr}: {code} {_text(text)}" for addr, (code, text) in exc.recipients.items())
                result.failed.append((reminder, f"recipient refused ({refused})"))
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                result.failed.append((reminder, f"{exc.smtp_code} {_text(exc.smtp_error)}"))
                continue
            except (smtplib.SMTPException, OSError) as exc:
                result.stopped = (f"the connection to the SMTP server was lost ({type(exc).__name__}: {exc}) while "
                                  f"sending to {reminder.to}; run `course remind` again to send the rest (what was "
                                  "sent is recorded and is not sent again today)")
                break
            ledger.append(EVENT, employee_id=reminder.employee_id, to=reminder.to, cc=reminder.cc,
                          modules=reminder.modules, subject=reminder.subject, sent_on=today.isoformat(),
                          as_of=result.as_of.isoformat(), message_id=message_id)
            result.sent.append(reminder)
            if progress is not None:
                progress(reminder)
    finally:
        _close(smtp)
    return result


def _check_address(path: Path, value: str, key: str) -> None:
    name, addr = getaddresses([value])[0]
    try:
        Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError):
        addr = ""
    if "@" not in addr:
        raise SettingsError(path, key, f"expected an email address like 'Compliance <compliance@example.com>' "
                            f"(found {value!r})")
