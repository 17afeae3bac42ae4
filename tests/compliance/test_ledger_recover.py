"""Recovery: a writer killed with SIGKILL while it appends loses nothing it acknowledged, and
`course ledger recover` leaves a ledger that verifies; recovery itself is crash-safe and idempotent."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course.compliance.ledger import Ledger
from course.doctor import Diagnosis, Item, ledger_check, render
from course.workspace import Workspace
from tests.conftest import REPO

# Appends events of varied size (some of several MB, so a kill can land inside one write) and prints
# each event's SEQ:HASH once append() has returned: that is the acknowledgement.
WRITER = textwrap.dedent("""
    import sys
    from course.compliance.ledger import Ledger
    ledger = Ledger(sys.argv[1])
    sizes = [10, 300, 20, 50, 3_000_000, 1_000, 40]
    i = 0
    while True:
        if i % 7 == 3:
            events = ledger.append_many([("graded", {"n": i, "k": k, "pad": "x" * sizes[(i + k) % 7]})
                                         for k in range(3)])
        else:
            events = [ledger.append("graded", n=i, pad="y" * sizes[i % 7])]
        for e in events:
            print(f"{e.seq}:{e.hash}", flush=True)
        i += 1
""")


def kill_while_writing(directory: Path, acknowledged: int, delay: float) -> list[str]:
    """Start the writer, SIGKILL it ``delay`` s after ``acknowledged`` events were acknowledged; every id it printed."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], stdout=subprocess.PIPE, text=True,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    ids: list[str] = []
    while len(ids) < acknowledged:
        line = proc.stdout.readline()
        assert line, f"the writer stopped early (exit {proc.poll()})"
        ids.append(line.strip())
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()  # printed before it died: acknowledged too
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return ids + [line for line in rest.splitlines() if line.strip()]


@pytest.mark.slow
def test_sigkill_while_writing_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Eight writers killed mid-stream: after each recovery the ledger verifies and holds every acknowledged id."""
    ledger = Ledger(tmp_path / "ledger")
    acknowledged: list[str] = []
    seen: list[str] = []
    rng = random.Random(14)
    for _ in range(8):
        acknowledged += kill_while_writing(ledger.directory, rng.randint(3, 15), rng.uniform(0, 0.03))
        result = ledger.recover()
        seen += [f.split(" (")[0] for f in result.found]
        assert result.after is not None and result.after.ok, result.after
        assert not result.unrepaired, result.unrepaired
        present = {f"{e.seq}:{e.hash}" for e in ledger.events()}
        missing = [i for i in acknowledged if i not in present]
        assert not missing, f"acknowledged events lost: {missing}"
        assert not ledger.recover().needed  # idempotent: a second run finds nothing
    print(f"states found after the kills: {seen or ['none (killed between appends)']}")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger")
    for n in range(5):
        ledger.append("graded", n=n)
    return ledger


def test_each_crash_state_is_found_and_repaired(ledger: Ledger) -> None:
    """A torn line, a head one append behind, and a temporary file from a killed write: all repaired at once."""
    events = list(ledger.events())
    ledger.head_file.write_text(json.dumps({"count": 4, "hash": events[3].hash}), "utf-8")
    (ledger.directory / ".head.json.4242.tmp").write_bytes(b'{"count":')
    with open(ledger.events_file, "ab") as f:
        f.write(b'{"data":{"n":5,"pad":"xx')
    assert ledger_check(ledger.directory.parent)[0].startswith("Ledger: NEEDS RECOVERY")
    shown = render(Diagnosis(items=[Item("python", "3.11")], ledger=ledger_check(ledger.directory.parent)))
    assert f"  run `course ledger recover --course-dir {ledger.directory.parent}`" in shown  # course doctor
    dry = ledger.recover(dry_run=True)
    assert len(dry.found) == 2 and dry.event is None and not dry.after.ok  # a dry run changes nothing
    result = ledger.recover()
    found = " | ".join(result.found)
    assert "temporary file(s) left by an interrupted write (.head.json.4242.tmp)" in found
    assert "a torn last line (line 6: 24 bytes without a newline" in found
    assert "head.json is 1 event(s) behind the log" in found
    assert result.repaired[1] == "set it aside in torn-6.bin and cut it off the log"
    assert result.event is not None and result.event.seq == 6 and result.event.kind == "ledger_recovered"
    assert result.event.data["set_aside"][0]["file"] == "torn-6.bin"
    assert (ledger.directory / "torn-6.bin").read_bytes() == b'{"data":{"n":5,"pad":"xx'
    assert result.after.ok and not result.after.warnings and not list(ledger.directory.glob(".*.tmp"))
    assert ledger_check(ledger.directory.parent)[0].startswith("Ledger: intact, 6 event(s)")
    again = ledger.recover()
    assert (again.found, again.event) == ([], None)


def test_a_recovery_killed_before_it_recorded_itself_is_finished_next_time(ledger: Ledger) -> None:
    """Set aside and cut, but killed before the ledger_recovered event: the next run records it, once."""
    (ledger.directory / "torn-6.bin").write_bytes(b'{"data":')  # what the killed recovery left
    result = ledger.recover()
    assert result.found == ["torn-6.bin, set aside by an interrupted recovery, is not recorded yet"]
    assert result.event is not None and result.event.data["set_aside"][0]["file"] == "torn-6.bin"
    assert not ledger.recover().needed


def test_head_missing_is_rebuilt_but_tampering_is_only_reported(ledger: Ledger) -> None:
    """A head never written (killed before it) is rebuilt; an edited event cannot be repaired and is named."""
    ledger.head_file.unlink()
    result = ledger.recover()
    assert result.found == ["head.json is missing (a crash before the first head was written)"]
    assert result.after.ok
    rows = ledger.events_file.read_text("utf-8").splitlines(keepends=True)
    rows[1] = rows[1].replace('"n":1', '"n":9')
    ledger.events_file.write_text("".join(rows), "utf-8")
    result = ledger.recover()
    assert not result.needed and result.event is None
    assert result.unrepaired and result.unrepaired[0].startswith("edited: line 2, event 2")
    assert ledger_check(ledger.directory.parent)[0].startswith("Ledger: DAMAGED")


@pytest.mark.slow
def test_the_command_prints_found_repaired_and_the_check(tmp_path: Path) -> None:
    """`course ledger recover` prints what it found and repaired and ends verified; run again, nothing to do."""
    ws = Workspace.init(tmp_path / "ws")
    ledger = Ledger.for_workspace(ws.root)
    ledger.append("graded", n=1)
    with open(ledger.events_file, "ab") as f:
        f.write(b'{"data":{"n":2')
    run = [sys.executable, "-c", "from course.cli import main; main()", "ledger", "recover", "--course-dir",
           str(ws.root)]
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "COLUMNS": "200", "HOME": str(REPO / "var")}
    done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "found: a torn last line (line 2: 14 bytes without a newline" in done.stdout
    assert "repaired: set it aside in torn-2.bin and cut it off the log" in done.stdout
    assert "recorded: event 2 (ledger_recovered)" in done.stdout
    assert "✔ Ledger intact after recovery: 2 event(s); head 2:" in done.stdout
    done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "✔ Nothing to recover: 2 event(s)" in done.stdout
