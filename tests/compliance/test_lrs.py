"""`course report --lrs` against a real learning record store: Ralph, on 127.0.0.1, file-system backend."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from course.compliance.lrs import LrsError, Outbox, endpoint, fetch_statements, read_jsonl, send_statements
from course.compliance.records import collect
from course.compliance.roster import load_roster
from course.compliance.settings import LrsSettings
from course.compliance.views import people
from course.compliance.xapi import statements
from course.policy import load_policies
from course.workspace import Workspace
from tests.compliance.conftest import AS_OF
from tests.compliance.servers import LRS_PASSWORD, LRS_USER, Ralph
from tests.conftest import IN_CI

pytestmark = pytest.mark.xdist_group("lrs")
AUTH = (LRS_USER, LRS_PASSWORD)
FAST = LrsSettings(batch_size=25, attempts=2, backoff_seconds=0.05, timeout_seconds=10)


@pytest.fixture(scope="module")
def ralph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    """One Ralph for the module (it takes seconds to start under load)."""
    try:
        import ralph  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("ralph-malph is not installed (the LRS tests need it); `make venv` installs it")
        pytest.skip("ralph-malph is not installed; `make venv` installs it")
    server = Ralph(tmp_path_factory.mktemp("ralph")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ralph(ralph_server: Ralph) -> Ralph:
    """The module's Ralph, empty: its file backend reads its file on every request, so removing it empties it."""
    if ralph_server.proc is None:
        ralph_server.start()
    (ralph_server.directory / "data" / "fs_lrs.jsonl").unlink(missing_ok=True)
    return ralph_server


@pytest.fixture(scope="module")
def built(synthetic: tuple[Workspace, object]) -> list[dict[str, Any]]:
    """The first 400 statements `course report` builds for the synthetic workspace (Ralph's file backend
    reads its whole file for every request: fewer keep the tests quick)."""
    ws = synthetic[0]
    records = collect(ws.root, ws.db_url, load_policies(), as_of=AS_OF, entries=load_roster(ws.root))
    return list(statements(records, people(records)))[:400]


def stored(server: Ralph) -> Counter[str]:
    return Counter(s["id"] for s in fetch_statements(server.url, AUTH))


@pytest.mark.slow
def test_everything_arrives_once_and_sending_again_adds_nothing(ralph: Ralph, built: list[dict[str, Any]],
                                                               tmp_path: Path) -> None:
    """Every statement is stored once, as sent; a second run is acknowledged and stores nothing new."""
    assert len(built) > 100
    root = tmp_path / "ws"
    done: list[tuple[int, int]] = []
    result = send_statements(root, built, url=ralph.url, auth=AUTH, settings=FAST,
                             progress=lambda d, t: done.append((d, t)))
    assert result.ok and result.accepted == len(built) and result.rejected == [] and result.stopped is None
    assert result.requests == -(-len(built) // FAST.batch_size) and done[-1] == (len(built), len(built))
    counts = stored(ralph)
    assert set(counts) == {s["id"] for s in built} and set(counts.values()) == {1}
    back = {s["id"]: s for s in fetch_statements(ralph.url, AUTH)}
    for s in built[:20]:
        assert back[s["id"]]["verb"] == s["verb"] and back[s["id"]]["result"] == s["result"]
        assert back[s["id"]]["actor"]["mbox"] == s["actor"]["mbox"]
    assert not Outbox(root).file.exists()

    again = send_statements(root, built, url=ralph.url, auth=AUTH, settings=FAST)
    assert again.ok and again.accepted == len(built)
    assert stored(ralph) == counts


@pytest.mark.slow
def test_the_lrs_stopped_halfway_loses_nothing_and_the_next_run_completes(ralph: Ralph, built: list[dict[str, Any]],
                                                                         tmp_path: Path) -> None:
    """The LRS goes away after three batches: the run stops, the rest waits in the outbox (on disk), and
    the next run sends it first, so every statement ends up in the LRS exactly once."""
    root = tmp_path / "ws"

    def stop_after_three_batches(done: int, total: int) -> None:
        if done == 3 * FAST.batch_size:
            ralph.stop()

    first = send_statements(root, built, url=ralph.url, auth=AUTH, settings=FAST, progress=stop_after_three_batches)
    assert not first.ok and first.accepted == 3 * FAST.batch_size
    assert first.stopped and "could not be reached after 2 tries" in first.stopped
    assert built[3 * FAST.batch_size]["id"] in first.stopped  # names the statement it was sending
    waiting = read_jsonl(Outbox(root).file)
    assert [s["id"] for s in waiting] == [s["id"] for s in built[3 * FAST.batch_size:]]
    assert first.kept == len(waiting) and oct(Outbox(root).file.stat().st_mode)[-3:] == "600"

    ralph.start()
    assert sum(stored(ralph).values()) == 3 * FAST.batch_size
    second = send_statements(root, built, url=ralph.url, auth=AUTH, settings=FAST)
    assert second.ok and second.from_outbox == len(waiting) and second.offered == len(built)
    counts = stored(ralph)
    assert set(counts) == {s["id"] for s in built} and set(counts.values()) == {1}
    assert not Outbox(root).file.exists() and not Outbox(root).acked_file.exists()


@pytest.mark.slow
def test_bad_credentials_and_rejected_statements_are_named(ralph: Ralph, built: list[dict[str, Any]],
                                                           tmp_path: Path) -> None:
    """401: the run stops at once naming the statement, and everything waits. An invalid statement (422)
    and one that conflicts with a stored one under its id (409): each is named; all the others arrive."""
    root = tmp_path / "ws"
    sample = built[:60]
    refused = send_statements(root, sample, url=ralph.url, auth=(LRS_USER, "wrong"), settings=FAST)
    assert not refused.ok and refused.kept == len(sample) and refused.requests == 1
    assert refused.stopped and "refused the credentials (401 Unauthorized)" in refused.stopped
    assert sample[0]["id"] in refused.stopped and "$COURSE_LRS_PASSWORD" in refused.stopped
    assert sum(stored(ralph).values()) == 0

    broken = copy.deepcopy(sample)
    del broken[7]["object"]["id"]  # an activity must have an id
    broken[40]["result"]["score"]["raw"] = -1.0  # a regraded statement: same id, other content
    send_statements(tmp_path / "other", [sample[40]], url=ralph.url, auth=AUTH, settings=FAST)
    result = send_statements(root, broken, url=ralph.url, auth=AUTH, settings=FAST)
    assert sorted(r.statement_id for r in result.rejected) == sorted([sample[7]["id"], sample[40]["id"]])
    why = {r.statement_id: r for r in result.rejected}
    assert why[sample[7]["id"]].status == 422 and why[sample[40]["id"]].status == 409
    text = str(why[sample[7]["id"]])
    assert text.startswith(f"statement {sample[7]['id']} (") and ") rejected by the LRS (422): " in text
    assert "object/id: Field required" in text
    assert "already exist" in str(why[sample[40]["id"]])
    assert result.kept == 2 and {s["id"] for s in read_jsonl(Outbox(root).file)} == set(why)
    counts = stored(ralph)
    assert set(counts) == {s["id"] for s in sample} - {sample[7]["id"]} and set(counts.values()) == {1}


@pytest.mark.slow
def test_course_report_lrs_prints_what_it_delivered(ralph: Ralph, workspace_copy: Workspace, tmp_path: Path) -> None:
    """`course report --lrs URL` takes the credentials from the environment and says what arrived."""
    out = tmp_path / "report"
    env = {"PATH": os.environ["PATH"], "COLUMNS": "200", "HOME": str(tmp_path),
           "COURSE_LRS_USERNAME": LRS_USER, "COURSE_LRS_PASSWORD": LRS_PASSWORD}
    cmd = [sys.executable, "-c", "from course.cli import main; main()", "report", "--course-dir",
           str(workspace_copy.root), "--out", str(out), "--as-of", AS_OF.isoformat(), "--format", "xapi",
           "--lrs", ralph.url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    total = len(read_jsonl(out / "xapi.jsonl"))
    assert f"LRS: {total:,} of {total:,} statement(s) delivered to {endpoint(ralph.url)}." in done.stdout
    assert sum(stored(ralph).values()) == total

    env["COURSE_LRS_PASSWORD"] = "wrong"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1
    assert "refused the credentials (401" in " ".join(done.stderr.split())
    assert f"{total:,} kept in the outbox {workspace_copy.root / 'compliance' / 'outbox' / 'xapi.jsonl'}" in \
        " ".join(done.stdout.split())


def test_addresses_and_plain_http_credentials(tmp_path: Path) -> None:
    """The statements resource is found from the xAPI base; credentials never go over plain HTTP elsewhere."""
    assert endpoint("https://lrs.example/xAPI/") == "https://lrs.example/xAPI/statements"
    assert endpoint("https://lrs.example/xAPI/statements/") == "https://lrs.example/xAPI/statements"
    for bad, message in [("lrs.example/xAPI", "not an http"), ("https://u:p@lrs.example/xAPI", "not in the address")]:
        with pytest.raises(LrsError, match=message):
            endpoint(bad)
    with pytest.raises(LrsError, match="plain HTTP"):
        send_statements(tmp_path, [], url="http://lrs.example/xAPI/", auth=AUTH)


def test_a_run_killed_midway_resends_nothing_it_knew_arrived(tmp_path: Path) -> None:
    """The outbox as a killed run leaves it (acknowledged ids flushed, the last one torn): what was
    acknowledged is not pending; the torn id is, so it is sent again (the LRS keeps it once)."""
    outbox = Outbox(tmp_path)
    items = [{"id": f"00000000-0000-4000-8000-{n:012d}", "verb": {"id": "x"}} for n in range(5)]
    outbox.replace(items)
    outbox.ack([items[0]["id"], items[1]["id"]])
    with open(outbox.acked_file, "a", encoding="utf-8") as f:
        f.write(items[2]["id"][:10])  # torn by the kill
    assert [s["id"] for s in outbox.pending()] == [s["id"] for s in items[2:]]
    outbox.file.write_text(outbox.file.read_text("utf-8") + "{not json\n", "utf-8")
    with pytest.raises(LrsError, match=r"xapi\.jsonl, line 6: not a statement"):
        outbox.pending()
