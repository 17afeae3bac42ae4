"""The compliance service: a hub-managed web service for compliance officers, read-only.

Signed in through the hub (HubOAuth; only holders of ``access:services!service=compliance``, i.e.
the ``compliance`` group, get in). It serves what ``course report`` makes from the course
workspace, rebuilt when the ledger has new events and at least once a minute: the dashboard, the
CSV and XLSX spreadsheets, the certificates, and a form to verify a certificate's code. It offers no
way to change anything (GET only) and no notebooks. Run by the hub as the course owner account::

    python -m course.hub.compliance_service     # env: COURSE_HUB_WORKSPACE, COURSE_HUB_REPORTS
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

SERVICE = "compliance"
REFRESH_SECONDS = 60
_CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".xlsx": "application/vnd.openxmlformats-officedocument."
                  "spreadsheetml.sheet", ".pdf": "application/pdf", ".html": "text/html; charset=utf-8",
                  ".json": "application/json"}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Social Media at Work</title>
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5;
color:#1a1a1a}} a{{color:#0b57d0}} a:focus,input:focus,button:focus{{outline:3px solid #0b57d0;outline-offset:2px}}
.ok{{color:#0a6b2d}} .bad{{color:#a50e0e}} input,button{{font-size:1rem;padding:.4rem}}</style></head>
<body><header><p><a href="{base}">Compliance</a> · signed in as {user}</p></header>
<main><h1>{title}</h1>{body}</main></body></html>"""


class Reports:
    """``course report`` output for the workspace, rebuilt when the ledger has new events (grading,
    collecting and certifying append to it) and at least once a minute."""

    def __init__(self, workspace: Path, out: Path) -> None:
        self.workspace, self.out = workspace, out
        self._lock = threading.Lock()
        self._built = 0.0
        self._ledger_seen = -1.0

    def _ledger_stamp(self) -> float:
        folder = self.workspace / "ledger"
        try:
            return max((p.stat().st_mtime for p in folder.iterdir()), default=0.0)
        except OSError:
            return 0.0

    def fresh(self) -> Path:
        from course.compliance.report import build_report

        with self._lock:
            stamp = self._ledger_stamp()
            if (time.monotonic() - self._built > REFRESH_SECONDS or stamp != self._ledger_seen
                    or not (self.out / "dashboard.html").exists()):
                build_report(self.workspace, self.out)
                self._built, self._ledger_seen = time.monotonic(), stamp
        return self.out

    def invalidate(self) -> None:
        self._built = 0.0


class Base(HubOAuthenticated, web.RequestHandler):
    hub_scopes: ClassVar[set[str]] = {f"access:services!service={SERVICE}"}  # never "anyone signed in"

    @property
    def reports(self) -> Reports:
        return self.settings["reports"]

    def page(self, title: str, body: str) -> None:
        user = self.current_user or {}
        self.set_header("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "frame-ancestors 'none'")
        self.finish(_PAGE.format(title=html.escape(title), body=body, base=self.settings["base"],
                                 user=html.escape(str(user.get("name", "")))))


class Index(Base):
    @web.authenticated
    async def get(self) -> None:
        out = await ioloop.IOLoop.current().run_in_executor(None, self.reports.fresh)
        base = self.settings["base"]
        files = sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".xlsx", ".json") and p.is_file())
        certs = sorted((out / "certificates").glob("*.pdf")) if (out / "certificates").is_dir() else []
        items = "".join(f'<li><a href="{base}files/{html.escape(n)}">{html.escape(n)}</a></li>' for n in files)
        cert_items = "".join(f'<li><a href="{base}certificates/{html.escape(p.name)}">{html.escape(p.stem)}</a></li>'
                             for p in certs) or "<li>No certificates yet.</li>"
        self.page("Course compliance", f"""
<p><a href="{base}dashboard">Open the dashboard</a> (status of every employee and module).</p>
<h2>Spreadsheets</h2><ul>{items}</ul>
<h2>Certificates</h2><ul>{cert_items}</ul>
<h2>Verify a certificate</h2>
<form action="{base}verify" method="get"><label for="code">Code printed on the certificate</label><br>
<input id="code" name="code" size="32" required> <button type="submit">Verify</button></form>""")


class Dashboard(Base):
    @web.authenticated
    async def get(self) -> None:
        out = await ioloop.IOLoop.current().run_in_executor(None, self.reports.fresh)
        self.set_header("Content-Type", _CONTENT_TYPES[".html"])
        self.finish((out / "dashboard.html").read_bytes())


class File(Base):
    folder = ""

    def initialize(self, folder: str = "") -> None:
        self.folder = folder

    @web.authenticated
    async def get(self, name: str) -> None:
        out = await ioloop.IOLoop.current().run_in_executor(None, self.reports.fresh)
        root = (out / self.folder).resolve()
        path = (root / name).resolve()
        if path.parent != root or not path.is_file() or path.suffix not in _CONTENT_TYPES or name.startswith("."):
            raise web.HTTPError(404)
        self.set_header("Content-Type", _CONTENT_TYPES[path.suffix])
        self.set_header("Content-Disposition", f'attachment; filename="{path.name}"')
        self.finish(path.read_bytes())


class Verify(Base):
    @web.authenticated
    def get(self) -> None:
        from course.compliance.certificates import CertificateError, verify_certificate

        code = self.get_argument("code", "").strip()[:80]
        if not code:
            raise web.HTTPError(400, "give the code printed on the certificate")
        try:
            check = verify_certificate(self.settings["workspace"], code)
        except CertificateError as exc:
            message = html.escape(str(exc))
            self.page("Certificate check", f'<p class="bad" role="status">✘ This is not genuine: {message}</p>')
            return
        if check.valid and check.certificate:
            c = check.certificate
            body = (f'<p class="ok" role="status">✔ {html.escape(check.code)} is genuine.</p>'
                    f"<p>{html.escape(c['name'])} ({html.escape(c['employee_id'])}), {html.escape(c['track_label'])}: "
                    f"certified {html.escape(c['certified_on'])}, valid until {html.escape(c['valid_until'])}.</p>")
        else:
            body = (f'<p class="bad" role="status">✘ {html.escape(check.code)} is not genuine '
                    f"({html.escape(check.reason)}).</p>")
        self.page("Certificate check", body)


def make_app(workspace: Path, reports: Path, prefix: str) -> web.Application:
    prefix = prefix.rstrip("/") + "/"
    handlers: list[Any] = [
        (prefix, Index),
        (url_path_join(prefix, "dashboard"), Dashboard),
        (url_path_join(prefix, r"files/([^/]+)"), File, {"folder": ""}),
        (url_path_join(prefix, r"certificates/([^/]+)"), File, {"folder": "certificates"}),
        (url_path_join(prefix, "verify"), Verify),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
    ]
    reports.mkdir(mode=0o700, parents=True, exist_ok=True)
    return web.Application(handlers, cookie_secret=os.urandom(32), base=prefix, workspace=workspace,
                           reports=Reports(workspace, reports), xsrf_cookies=False)


def main() -> None:
    workspace = Path(os.environ["COURSE_HUB_WORKSPACE"])
    reports = Path(os.environ.get("COURSE_HUB_REPORTS") or workspace.parent / "reports")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE}/")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    app = make_app(workspace, reports, prefix)
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
