"""Benchmark delivery: xAPI statements per second to a real LRS, reminder emails per second to a real SMTP server.

    .venv/bin/python bench/delivery.py [--employees 300] [--statements 1000] [--single 100]

Both servers run on 127.0.0.1 for this run only: Ralph (``ralph-malph``, file-system backend, basic
auth) and aiosmtpd (STARTTLS and AUTH required, a throwaway certificate). A synthetic workspace of
N invented employees gives the statements ``course report`` builds and the reminders ``course remind``
sends.

1. LRS: the same statements, each to an empty store, sent by ``course.compliance.lrs.send_statements``
   in batches of 100 (its default) and one statement per request (how a naive client sends): the
   ratio is measured side by side. Ralph's file backend reads its whole file for every request, so
   the time per statement grows with the store; a database-backed LRS behaves differently.
2. SMTP: every reminder of the workspace, one connection (STARTTLS, login once), the rate limit set
   far above what is reached, so the figure is what the client and server manage.

Times are wall-clock on whatever else the machine is doing: compare the ratios, not the absolutes.
No speed is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from course.compliance.lrs import fetch_statements, send_statements  # noqa: E402
from course.compliance.records import collect  # noqa: E402
from course.compliance.remind import remind  # noqa: E402
from course.compliance.roster import load_roster  # noqa: E402
from course.compliance.settings import LrsSettings  # noqa: E402
from course.compliance.synthetic import build_workspace  # noqa: E402
from course.compliance.views import people  # noqa: E402
from course.compliance.xapi import statements  # noqa: E402
from course.policy import load_policies  # noqa: E402
from tests.compliance.servers import LRS_PASSWORD, LRS_USER, SMTP_PASSWORD, Ralph, SmtpServer  # noqa: E402

AS_OF = date(2026, 11, 20)


def lrs_rate(ralph: Ralph, root: Path, items: list[dict[str, object]], batch: int) -> float:
    """Statements per second into an empty store; checks every one arrived once."""
    (ralph.directory / "data" / "fs_lrs.jsonl").unlink(missing_ok=True)
    shutil.rmtree(root / "compliance", ignore_errors=True)
    auth = (LRS_USER, LRS_PASSWORD)
    started = time.perf_counter()
    result = send_statements(root, items, url=ralph.url, auth=auth, settings=LrsSettings(batch_size=batch))
    elapsed = time.perf_counter() - started
    ids = [s["id"] for s in fetch_statements(ralph.url, auth)]
    if not result.ok or sorted(ids) != sorted(s["id"] for s in items):
        raise SystemExit(f"LRS delivery incomplete (batch {batch}): {result.summary()}; {result.stopped}")
    return len(items) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=300, help="synthetic employees (default 300)")
    parser.add_argument("--statements", type=int, default=1000, help="statements sent in batches (default 1000)")
    parser.add_argument("--single", type=int, default=100, help="of those, sent one per request too (default 100)")
    args = parser.parse_args()
    # nbgrader runs `alembic` from its own environment by name
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp_name:
        tmp = Path(tmp_name)
        ws, _ = build_workspace(tmp / "ws", employees=args.employees, as_of=AS_OF, seed=5)
        records = collect(ws.root, ws.db_url, load_policies(), as_of=AS_OF, entries=load_roster(ws.root))
        built = list(statements(records, people(records)))[:args.statements]
        print(f"Workspace: {args.employees} synthetic employees; {len(built)} xAPI statements")

        ralph = Ralph(tmp / "ralph").start()
        try:
            head = built[:args.single]
            one = lrs_rate(ralph, tmp / "lrs-ws", head, 1)
            hundred_head = lrs_rate(ralph, tmp / "lrs-ws", head, 100)
            hundred = lrs_rate(ralph, tmp / "lrs-ws", built, 100)
        finally:
            ralph.stop()
        print(f"LRS (Ralph, file backend), {len(head)} statements: one per request {one:,.0f}/s, "
              f"batches of 100 {hundred_head:,.0f}/s ({hundred_head / one:.1f}x)")
        print(f"LRS (Ralph, file backend), {len(built)} statements in batches of 100: {hundred:,.0f}/s")

        smtp = SmtpServer.create(tmp).start()
        os.environ["COURSE_SMTP_PASSWORD"] = SMTP_PASSWORD
        try:
            settings = smtp.settings(tmp / "delivery.yaml", messages_per_second=1000)
            stamps: list[float] = []
            started = time.perf_counter()
            result = remind(ws.root, as_of=AS_OF, settings_file=settings, today=AS_OF,
                            progress=lambda _: stamps.append(time.perf_counter()))
            elapsed = time.perf_counter() - started
        finally:
            smtp.stop()
        if result.unsent or len(smtp.mailbox.messages) != len(result.sent) or len(stamps) < 2:
            raise SystemExit(f"SMTP delivery incomplete: {len(result.sent)} sent, {result.unsent} not")
        sending = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        print(f"SMTP (aiosmtpd, STARTTLS + AUTH, one connection): {len(result.sent)} reminders, "
              f"{sending:,.0f} messages/s while sending (each recorded in the ledger); the whole run "
              f"{elapsed:.2f} s with planning from the gradebook and the login")

if __name__ == "__main__":
    main()
