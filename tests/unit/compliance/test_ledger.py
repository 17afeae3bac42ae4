"""course.compliance.ledger: appends chain, verify names every kind of tampering, writers never interleave."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from course.compliance.ledger import GENESIS, Ledger, LedgerError, canonical_json


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger.for_workspace(tmp_path)
    for i in range(1, 7):
        led.append("graded", student=f"E{i}", assignment="02-privacy-and-audiences", score=float(i))
    return led


def lines(led: Ledger) -> list[str]:
    return led.events_file.read_text("utf-8").splitlines(keepends=True)


def write_lines(led: Ledger, rows: list[str]) -> None:
    led.events_file.write_text("".join(rows), "utf-8")


def rehash(row: str, **changes: object) -> str:
    """The line with ``changes`` applied and its own hash recomputed, as a careful forger would."""
    obj = json.loads(row)
    obj.update(changes)
    body = {k: v for k, v in obj.items() if k != "hash"}
    obj["hash"] = hashlib.sha256(canonical_json(body).encode()).hexdigest()
    return canonical_json(obj) + "\n"


def kinds(led: Ledger) -> list[str]:
    return [p.kind for p in led.verify().problems]


def test_append_chains_events(ledger: Ledger) -> None:
    """Events get consecutive numbers, each chained to the one before; a clean ledger verifies."""
    events = list(ledger.events())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert all(e.hash == e.expected_hash() for e in events)
    result = ledger.verify()
    assert result.ok and result.count == 6 and not result.problems
    assert result.head == f"6:{events[-1].hash}" == ledger.head()


def test_event_format_is_documented_canonical_json(ledger: Ledger) -> None:
    """Each line is canonical JSON whose hash an auditor can recompute with sha256 alone."""
    first = lines(ledger)[0]
    obj = json.loads(first)
    assert first == canonical_json(obj) + "\n"
    body = canonical_json({k: obj[k] for k in ("data", "kind", "prev_hash", "seq", "time")})
    assert hashlib.sha256(body.encode()).hexdigest() == obj["hash"]
    assert obj["time"].endswith("Z") and datetime.fromisoformat(obj["time"]).tzinfo is not None


def test_files_are_owner_only(ledger: Ledger) -> None:
    """The ledger folder and its files are readable by their owner only."""
    assert stat.S_IMODE(ledger.directory.stat().st_mode) == 0o700
    for f in (ledger.events_file, ledger.head_file):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600


def test_data_is_normalised_and_checked(tmp_path: Path) -> None:
    """Dates and paths are stored as text; data that is not JSON and bad kinds are refused."""
    led = Ledger(tmp_path / "l", clock=lambda: datetime(2026, 3, 1, 9, tzinfo=UTC))
    e = led.append("enrolled", student="E1", start=datetime(2026, 1, 1).date(), tags={"b", "a"})
    assert e.data == {"student": "E1", "start": "2026-01-01", "tags": ["a", "b"]}
    assert e.time == "2026-03-01T09:00:00.000000Z"
    with pytest.raises(LedgerError, match="cannot be recorded"):
        led.append("graded", score=float("nan"))
    with pytest.raises(LedgerError, match="not an identifier"):
        led.append("Graded!")
    assert led.verify().count == 1


def test_edited_content_is_detected(ledger: Ledger) -> None:
    """Changing an event's data without fixing its hash is reported as edited, at that line."""
    rows = lines(ledger)
    rows[2] = rows[2].replace('"score":3.0', '"score":100.0')
    write_lines(ledger, rows)
    result = ledger.verify()
    assert not result.ok
    assert [(p.kind, p.line, p.seq) for p in result.problems] == [("edited", 3, 3)]


def test_edited_and_rehashed_event_is_detected(ledger: Ledger) -> None:
    """Recomputing the edited event's own hash does not help: the next event's link breaks."""
    rows = lines(ledger)
    rows[2] = rehash(rows[2], data={"student": "E3", "assignment": "02-privacy-and-audiences", "score": 100.0})
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("edited", 3)]


def test_edited_last_event_is_detected_through_the_head(ledger: Ledger) -> None:
    """The last event has no successor; the head file catches a rehashed edit of it."""
    rows = lines(ledger)
    rows[-1] = rehash(rows[-1], kind="passed")
    write_lines(ledger, rows)
    assert [(p.kind, p.seq) for p in ledger.verify().problems] == [("edited", 6)]


def test_garbage_line_is_reported(ledger: Ledger) -> None:
    """A line that is not an event at all is reported with its line number."""
    rows = lines(ledger)
    rows[1] = "hello\n"
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert ("edited", 2) in [(p.kind, p.line) for p in problems]
    with pytest.raises(LedgerError, match="line 2"):
        list(ledger.events())


def test_deleted_middle_event_is_detected(ledger: Ledger) -> None:
    """Removing an event from the middle is reported as deleted, naming the missing number."""
    rows = lines(ledger)
    del rows[3]
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted", 5)]
    assert "4" in problems[0].message


def test_deleted_first_event_is_detected(ledger: Ledger) -> None:
    """Removing the first event is reported as deleted."""
    write_lines(ledger, lines(ledger)[1:])
    assert [p.kind for p in ledger.verify().problems] == ["deleted"]


def test_deleted_last_events_are_detected(ledger: Ledger) -> None:
    """Removing events from the end is reported as truncated, thanks to the head file."""
    write_lines(ledger, lines(ledger)[:4])
    problems = ledger.verify().problems
    assert [p.kind for p in problems] == ["truncated"]
    assert "5 to 6" in problems[0].message


def test_deleting_the_head_file_is_detected(ledger: Ledger) -> None:
    """Without its head file the ledger does not verify (truncation would go unnoticed)."""
    ledger.head_file.unlink()
    assert kinds(ledger) == ["anchor"]
    ledger.head_file.write_text("{not json", "utf-8")
    assert kinds(ledger) == ["anchor"]


def test_copied_event_is_detected(ledger: Ledger) -> None:
    """An exact copy of an earlier event, slipped in, is reported as inserted."""
    rows = lines(ledger)
    rows.insert(4, rows[1])
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.line, p.seq) for p in problems] == [("inserted", 5, 2)]


def test_forged_event_with_a_taken_number_is_detected(ledger: Ledger) -> None:
    """A forged event that reuses a number and chains correctly is still reported as inserted."""
    rows = lines(ledger)
    third = json.loads(rows[2])
    forged = rehash(rows[3], data={"student": "E9", "assignment": "x", "score": 9.0}, prev_hash=third["hash"])
    rows.insert(3, forged)
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("inserted", 4)]
    assert problems[0].line == 4


def test_forged_event_numbered_after_the_end_is_detected(ledger: Ledger) -> None:
    """An event numbered past the recorded end but placed among earlier events is inserted."""
    rows = lines(ledger)
    forged = rehash(rows[0], seq=7, prev_hash=json.loads(rows[1])["hash"])
    rows.insert(2, forged)
    write_lines(ledger, rows)
    assert [(p.kind, p.line) for p in ledger.verify().problems] == [("inserted", 3)]


def test_forged_event_appended_without_the_chain_is_detected(ledger: Ledger) -> None:
    """An appended event that does not chain to the recorded last event is inserted."""
    rows = lines(ledger)
    rows.append(rehash(rows[0], seq=7))
    write_lines(ledger, rows)
    assert [(p.kind, p.seq) for p in ledger.verify().problems] == [("inserted", 7)]


def test_reordered_events_are_detected(ledger: Ledger) -> None:
    """Swapping two events is reported as reordered, and nothing else."""
    rows = lines(ledger)
    rows[2], rows[3] = rows[3], rows[2]
    write_lines(ledger, rows)
    problems = ledger.verify().problems
    assert [p.kind for p in problems] == ["reordered"]
    assert problems[0].seq in (3, 4)


def test_torn_last_line_is_reported_and_blocks_appends(ledger: Ledger) -> None:
    """A half-written last line is reported; appending refuses until it is set aside by recover()."""
    with open(ledger.events_file, "ab") as f:
        f.write(b'{"data":{"stud')
    result = ledger.verify()
    assert [(p.kind, p.line) for p in result.problems] == [("torn", 7)]
    with pytest.raises(LedgerError, match="torn"):
        ledger.append("graded", student="E7")
    with pytest.raises(LedgerError, match="torn"):
        list(ledger.events())
    recovered = ledger.recover()
    assert recovered.event is not None and recovered.event.kind == "ledger_recovered" and recovered.event.seq == 7
    assert (ledger.directory / "torn-7.bin").read_bytes() == b'{"data":{"stud'
    assert ledger.verify().ok and recovered.after is not None and recovered.after.ok
    again = ledger.recover()
    assert not again.needed and again.event is None


def test_head_behind_after_interrupted_write_is_only_a_warning(ledger: Ledger) -> None:
    """If a crash happened after the event was saved but before the head, verify warns, and the next append fixes it."""
    events = list(ledger.events())
    ledger.head_file.write_text(json.dumps({"count": 5, "hash": events[4].hash}), "utf-8")
    result = ledger.verify()
    assert result.ok and result.warnings
    ledger.append("graded", student="E7")
    assert ledger.verify().ok and not ledger.verify().warnings


def test_anchor_catches_a_consistent_rewrite(ledger: Ledger) -> None:
    """Rewriting every hash and the head is caught only by an anchor kept elsewhere, and it is."""
    anchor = ledger.verify().head
    rows = lines(ledger)
    prev = GENESIS
    rewritten = []
    for row in rows:
        obj = json.loads(row)
        if obj["seq"] == 2:
            obj["data"]["score"] = 100.0
        new = rehash(canonical_json(obj), prev_hash=prev)
        prev = json.loads(new)["hash"]
        rewritten.append(new)
    write_lines(ledger, rewritten)
    ledger._write_head(6, prev)
    assert ledger.verify().ok  # the documented limit
    result = ledger.verify(anchor=anchor)
    assert not result.ok and [p.kind for p in result.problems] == ["edited"]
    with pytest.raises(LedgerError, match="SEQ:HASH"):
        ledger.verify(anchor="nonsense")


def test_empty_and_missing_ledgers(tmp_path: Path) -> None:
    """A workspace without events verifies; a head that promises events that are gone does not."""
    led = Ledger.for_workspace(tmp_path)
    assert led.verify().ok and led.verify().count == 0 and list(led.events()) == []
    led.append("released", assignment="02-privacy-and-audiences")
    led.events_file.unlink()
    assert kinds(led) == ["truncated"]
    with pytest.raises(LedgerError, match="records 1 event"):
        led.append("released", assignment="x")


def _hammer(directory: str, worker: int) -> None:
    led = Ledger(Path(directory))
    for i in range(25):
        if i % 5 == 0:
            led.append_many([("graded", {"worker": worker, "i": i, "part": p}) for p in range(3)])
        else:
            led.append("graded", worker=worker, i=i)


def test_concurrent_writers_never_break_the_chain(tmp_path: Path) -> None:
    """Several processes appending at once produce one intact chain holding every event."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path / "ledger"), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    result = Ledger(tmp_path / "ledger").verify()
    assert result.ok, result.problems
    assert result.count == 4 * (20 + 5 * 3)


def test_append_many_is_one_batch(tmp_path: Path) -> None:
    """A batch gets consecutive numbers and one timestamp; an invalid item records nothing."""
    led = Ledger(tmp_path / "l")
    with pytest.raises(LedgerError):
        led.append_many([("passed", {"a": 1}), ("bad kind", {})])
    assert list(led.events()) == []
    events = led.append_many([("passed", {"a": 1}), ("certified", {"a": 2})])
    assert [e.seq for e in events] == [1, 2] and events[0].time == events[1].time
    assert led.append_many([]) == []
