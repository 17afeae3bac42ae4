"""The gradebook's PostgreSQL server for the hub: Debian's binaries, run as the course owner account.

Data and socket live in the owner's private folder; the server listens on 127.0.0.1 only and every
connection needs the password (SCRAM), which only root and the course owner can read, so a learner
on the same machine cannot reach the gradebook.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from course.hub.accounts import sbin


class PostgresError(RuntimeError):
    """PostgreSQL is missing or would not start; the message says why."""


def pg_bin(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True)
    return candidates[0] if candidates else None


def missing_tools() -> list[str]:
    return [t for t in ("initdb", "pg_ctl", "createdb") if pg_bin(t) is None]


@dataclass
class Postgres:
    data: Path
    port: int
    password: str
    account: str
    database: str = "gradebook"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = [sbin("runuser"), "-u", self.account, "--"] if os.geteuid() == 0 else []
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PGPASSWORD": self.password, "LANG": "C.UTF-8"}
        done = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, env=env,
                              cwd=self.data.parent, check=False)
        if check and done.returncode:
            raise PostgresError(f"`{Path(cmd[0]).name} {' '.join(cmd[1:3])}` failed: "
                                f"{(done.stderr or done.stdout).strip()[-800:]}")
        return done

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> None:
        """Initialise (first time) and start the server; idempotent."""
        missing = missing_tools()
        if missing:
            raise PostgresError(f"PostgreSQL is not installed ({', '.join(missing)} not found); "
                                "`make system-deps` installs it")
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.data.parent / ".pg-password"
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(self.password + "\n")
            shutil.chown(pwfile, self.account)
            try:
                self._run(pg_bin("initdb") or "initdb", "-D", str(self.data), "-A", "scram-sha-256", "-U",
                          "postgres", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync")
            finally:
                pwfile.unlink(missing_ok=True)
        if not self.running():
            options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c full_page_writes=off -c unix_socket_permissions=0700")
            self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-o", options, "-l",
                      str(self.data / "server.log"), "-w", "-t", "60", "start")
        exists = self._run(pg_bin("psql") or "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                           "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{self.database}'", "postgres")
        if exists.stdout.strip() != "1":
            self._run(pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      self.database)

    def stop(self) -> None:
        if self.running():
            self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop",
                      check=False)
