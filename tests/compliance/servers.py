"""Real delivery servers on 127.0.0.1 for the tests and the bench: Ralph (an xAPI LRS) and aiosmtpd.

Both on a free port the OS gives, with their data in a folder the caller owns; nothing else is touched.
"""

from __future__ import annotations

import email
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

LRS_USER, LRS_PASSWORD = "course-reports", "a-long-lrs-password"
SMTP_USER, SMTP_PASSWORD = "mailer", "a-long-test-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Ralph's own LRS app under uvicorn. Its file-system backend (the one that needs no database server)
#: writes each POST with the "create" operation, which refuses an existing file, so every POST after
#: the first answered 500 (ralph-malph 5.1.0); here it appends, which that backend also implements.
_RALPH_MAIN = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


class Ralph:
    """Ralph's LRS (``ralph.api:app`` under uvicorn) with its file-system backend and basic auth."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        import bcrypt

        self.directory = directory
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/xAPI/"
        self.proc: subprocess.Popen[bytes] | None = None
        (directory / "data").mkdir(parents=True, exist_ok=True)
        (directory / "app").mkdir(exist_ok=True)
        users = [{"agent": {"objectType": "Agent", "mbox": "mailto:course-reports@brightwater.example"},
                  "scopes": ["all"], "username": LRS_USER,
                  "hash": bcrypt.hashpw(LRS_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()}]
        (directory / "auth.json").write_text(json.dumps(users), "utf-8")

    def start(self, timeout: float = 60.0) -> Ralph:
        import httpx

        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.directory),
               "RALPH_APP_DIR": str(self.directory / "app"),
               "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_AUTH_FILE": str(self.directory / "auth.json"),
               "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.directory / "data")}
        log = open(self.directory / "ralph.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.proc = subprocess.Popen([sys.executable, "-c", _RALPH_MAIN, str(self.port)],
                                     env=env, stdout=log, stderr=log, cwd=self.directory)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Ralph exited ({self.proc.returncode}): "
                                   f"{(self.directory / 'ralph.log').read_text('utf-8', 'replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/__lbheartbeat__", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Ralph did not answer on port {self.port} within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@dataclass
class Mailbox:
    """What the SMTP server accepted, and a switch to make it refuse messages (a full queue: 451)."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse_after: int | None = None

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return "451 4.3.0 Queue full, try again later"
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 2.0.0 OK"


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1: STARTTLS required, AUTH required, a certificate made with trustme for this run."""

    port: int
    ca_file: Path
    mailbox: Mailbox
    make: Callable[[], Any]  # a new aiosmtpd Controller on the same port (a stopped one cannot restart)
    controller: Any = None

    @classmethod
    def create(cls, directory: Path) -> SmtpServer:
        import trustme
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(tls)
        ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))

        def authenticator(server: object, session: object, envelope: object, mechanism: str,
                          auth_data: object) -> AuthResult:
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
                  and auth_data.password == SMTP_PASSWORD.encode())
            return AuthResult(success=ok, handled=False)

        mailbox = Mailbox()
        port = free_port()
        return cls(port, ca_file, mailbox, lambda: Controller(
            mailbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
            authenticator=authenticator, auth_required=True))

    def start(self) -> SmtpServer:
        self.controller = self.make()
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, path: Path, **extra: object) -> Path:
        """A delivery settings file for this server (the password comes from $COURSE_SMTP_PASSWORD)."""
        lines = ["smtp:", "  host: 127.0.0.1", f"  port: {self.port}", "  starttls: true", f"  username: {SMTP_USER}",
                 "  sender: 'Brightwater Compliance <compliance@brightwater.example>'",
                 "  reply_to: socialdesk@brightwater.example", f"  ca_file: {self.ca_file}",
                 *(f"  {k}: {v}" for k, v in extra.items())]
        path.write_text("\n".join(lines) + "\n", "utf-8")
        return path
