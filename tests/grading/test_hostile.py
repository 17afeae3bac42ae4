"""Hostile and broken submissions graded in one batch beside honest ones, with and without the sandbox.

The corpus (``tests/grading/hostile/``, one entry per attack in ``expectations.yaml``) is built on
module 02 in a trainer workspace and graded by one ``course grade`` run with real kernels, twice:
in the bubblewrap sandbox and with the sandbox off (resource limits only). For every attack the
batch completes and the attacker gets the expected score or a plain "not gradable" reason; the
honest learners' scores do not move; ``source/``, ``release/``, the repository's ``solutions/`` and
every submission (originals, byte for byte) are unchanged; a canary table in the gradebook is
intact; nothing reached the network or the grader's socket. Without the sandbox, the attacks marked
``stopped_only_by_sandbox`` are shown to really get through, so the report's column is measured.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from course.grading import grade
from course.grading.release import release
from course.grading.state import GRADED, NEEDS_MANUAL, NOT_GRADABLE, SubmissionState
from course.workspace import Workspace
from tests.conftest import require
from tests.grading.hostile import corpus as hostile

pytestmark = pytest.mark.slow

#: Short limits so the endless loops cost seconds, not minutes.
CELL_TIMEOUT = 5
NOTEBOOK_TIMEOUT = 90


@dataclass
class Batch:
    """One graded corpus and everything observed around it."""

    mode: str
    corpus: hostile.Corpus
    results: dict[str, SubmissionState]
    before: dict[str, dict[str, str]]
    after: dict[str, dict[str, str]]
    canary: list[str]
    integrity: str
    seconds: float
    isolation: str
    #: A memory cgroup per submission was in force (else only RLIMIT_AS per process).
    memory_cgroup: bool

    def outputs(self, student: str) -> str:
        return hostile.outputs_of(self.corpus.workspace, student)

    def got_through(self, attack: hostile.Attack) -> list[str]:
        """Evidence that the attack reached what it was after (lines it printed on success, or data
        received by the listeners)."""
        evidence = hostile.escaped_lines(self.outputs(attack.student))
        if attack.name == "tries-network":
            evidence += [f"{kind}: {data!r}" for kind, data in self.corpus.listener.received if kind == "tcp"]
        if attack.name == "socket-to-grader":
            evidence += [f"{kind}: {data!r}" for kind, data in self.corpus.listener.received if kind == "grader"]
        return evidence


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """A workspace with module 02 released, in a folder other users may enter (as a trainer's usually
    is), so that without the sandbox only file permissions stand between a kernel and the files."""
    base = Path(tempfile.mkdtemp(prefix="course-hostile-"))
    os.chmod(base, 0o755)
    ws = Workspace.init(base / "template")
    release(course_dir=ws.root, assignments=[hostile.MODULE])
    yield ws.root
    shutil.rmtree(base, ignore_errors=True)


def _grade_corpus(template: Path, mode: str) -> Batch:
    from tests.grading import courses

    ws = courses.clone(template, template.parent / mode)
    listener = hostile.Listener()
    corpus = hostile.build(ws, listener)
    hostile.add_gradebook_canary(ws)
    before = hostile.shared_state(ws)
    started = time.perf_counter()
    report = grade(ws, jobs=2, timeout=CELL_TIMEOUT, notebook_timeout=NOTEBOOK_TIMEOUT, sandbox=mode)
    seconds = time.perf_counter() - started
    time.sleep(1)  # let the listeners record the last connection
    listener.close()
    with sqlite3.connect(ws / "gradebook.db") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return Batch(mode=mode, corpus=corpus, results={r.student: r for r in report.results}, before=before,
                 after=hostile.shared_state(ws), canary=hostile.gradebook_canary(ws), integrity=integrity,
                 seconds=seconds, isolation=report.isolation.level if report.isolation else "",
                 memory_cgroup=bool(report.isolation and report.isolation.memory_cgroup))


@pytest.fixture(scope="module")
def sandboxed(template: Path) -> Batch:
    require("bwrap", "the sandboxed run of the hostile corpus")
    return _grade_corpus(template, "require")


@pytest.fixture(scope="module")
def unsandboxed(template: Path) -> Batch:
    return _grade_corpus(template, "off")


def _outcome_problems(batch: Batch, attack: hostile.Attack) -> list[str]:
    """How the attacker's outcome differs from its expectation (empty when it matches)."""
    got = batch.results.get(attack.student)
    if got is None:
        return [f"{attack.name}: no outcome at all"]
    want = attack.expected(batch.memory_cgroup)
    problems = []
    if want["status"] == "graded":
        if got.status not in {GRADED, NEEDS_MANUAL}:
            problems.append(f"{attack.name}: {got.status} ({got.reason}), expected graded")
        elif got.score != want["score"]:
            problems.append(f"{attack.name}: score {got.score}, expected {want['score']}")
    else:
        if got.status != NOT_GRADABLE:
            problems.append(f"{attack.name}: {got.status} (score {got.score}), expected not gradable")
        elif want["reason"] not in got.reason:
            problems.append(f"{attack.name}: reason {got.reason!r} lacks {want['reason']!r}")
    if "flag" in want and not any(want["flag"] in f for f in got.flags):
        problems.append(f"{attack.name}: no flag with {want['flag']!r} in {got.flags}")
    if "no_flags" in want and got.flags:
        problems.append(f"{attack.name}: flagged {got.flags}, expected no flag")
    return problems


def _shared_problems(batch: Batch) -> list[str]:
    """Everything a batch must leave alone, whatever the attacks did."""
    problems = []
    missing = [s for s in batch.corpus.students if s not in batch.results]
    if missing:
        problems.append(f"submissions without an outcome: {missing}")
    for student, score in batch.corpus.honest.items():
        got = batch.results.get(student)
        if got is None or got.status not in {GRADED, NEEDS_MANUAL} or got.score != score:
            problems.append(f"honest {student}: {got.status if got else None} {got.score if got else None}, "
                            f"expected {score}")
    for part, hashes in batch.before.items():
        if batch.after[part] != hashes:
            now = batch.after[part]
            changed = sorted(k for k in set(hashes) | set(now) if hashes.get(k) != now.get(k))
            problems.append(f"{part} changed: {changed[:10]}")
    if batch.canary != [f"row {i}" for i in range(5)]:
        problems.append(f"gradebook canary table changed: {batch.canary}")
    if batch.integrity != "ok":
        problems.append(f"gradebook integrity: {batch.integrity}")
    return problems


@pytest.mark.sandbox
def test_sandbox_every_attack_gets_its_expected_outcome(sandboxed: Batch) -> None:
    """In the sandbox, each hostile or broken submission is graded as expected or not gradable with
    its reason, and none of them got hold of anything (no secret in its outputs, nothing received)."""
    assert sandboxed.isolation == "bubblewrap sandbox + limits"
    problems = [p for a in sandboxed.corpus.attacks for p in _outcome_problems(sandboxed, a)]
    problems += [f"{a.name} got through: {e}" for a in sandboxed.corpus.attacks for e in sandboxed.got_through(a)
                 if not a.gets_through(True, sandboxed.memory_cgroup)]
    problems += [f"{a.name}: the filter's refusal {line!r} is not in its output" for a in sandboxed.corpus.attacks
                 for line in a.denied_in_sandbox if line not in sandboxed.outputs(a.student)]
    assert problems == []


@pytest.mark.sandbox
def test_sandbox_batch_leaves_everyone_and_everything_else_alone(sandboxed: Batch) -> None:
    """The whole batch completes; honest scores, shared files, originals and the gradebook are intact."""
    assert _shared_problems(sandboxed) == []
    assert sandboxed.corpus.listener.received == []


def test_without_sandbox_the_batch_still_completes_within_the_limits(unsandboxed: Batch) -> None:
    """With the limits only, the batch completes, every outcome is as expected (the reads and network
    attacks only lose their secrecy, not their score), honest learners and shared files are intact:
    the kernel's own uid keeps it from writing what is not its own."""
    assert unsandboxed.isolation == "limits only"
    problems = [p for a in unsandboxed.corpus.attacks for p in _outcome_problems(unsandboxed, a)]
    assert problems + _shared_problems(unsandboxed) == []


def test_without_sandbox_exactly_the_marked_attacks_get_through(unsandboxed: Batch) -> None:
    """The attacks marked stopped_only_by_sandbox really get through without it, and no other does
    (but those marked without_memory_cgroup, where no memory cgroup can be made)."""
    through = {a.name for a in unsandboxed.corpus.attacks if unsandboxed.got_through(a)}
    marked = {a.name for a in unsandboxed.corpus.attacks if a.gets_through(False, unsandboxed.memory_cgroup)}
    assert through == marked


@pytest.mark.sandbox
def test_report_attacks_and_outcomes_with_and_without_the_sandbox(sandboxed: Batch, unsandboxed: Batch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the attack table (outcome with and without bubblewrap, what only the sandbox stops)."""
    rows = [("attack", "with bubblewrap", "limits only", "only the sandbox stops it")]
    for attack in sandboxed.corpus.attacks:
        cells = []
        for batch in (sandboxed, unsandboxed):
            got = batch.results[attack.student]
            text = f"{got.status}" + (f" {got.score:g}" if got.score is not None else "")
            if batch.got_through(attack):
                text += " - GOT THROUGH"
            cells.append(text)
        rows.append((attack.name, *cells, attack.without_sandbox if attack.stopped_only_by_sandbox else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [" | ".join(r[i].ljust(widths[i]) if i < 3 else r[i] for i in range(4)) for r in rows]
    lines.append(f"batch of {len(sandboxed.corpus.students)} submissions: {sandboxed.seconds:.0f} s with "
                 f"bubblewrap, {unsandboxed.seconds:.0f} s with limits only (2 workers)")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(rows) == len(sandboxed.corpus.attacks) + 1
