"""``course collect`` from a folder, an LMS zip and nbgrader's exchange: the learner's bytes kept, the
collector's time recorded, bad input reported per submission, nothing half-written."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from course.grading.collect import NEW, REJECTED, UNCHANGED, UPDATED, CollectError, collect

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """An nbgrader course directory with two released assignments and no gradebook."""
    root = tmp_path / "course"
    for name in ("ps1", "ps2"):
        (root / "release" / name).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "unit"\n'
                                             f'c.Exchange.root = "{tmp_path / "exchange"}"\n', "utf-8")
    return root


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for rel, data in files.items():
            z.writestr(rel, data)
    return path


def test_folder_submissions_are_copied_byte_for_byte_with_the_collection_time(course: Path, tmp_path: Path) -> None:
    """Every file of <student>/<assignment>/ arrives unchanged; timestamp.txt holds the collection time."""
    odd = b'{"cells": [],\r\n "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  \xe2\x9c\x93'
    src = _tree(tmp_path / "in", {"alice/ps1/ps1.ipynb": NB, "alice/ps1/data/notes.txt": b"x\x00y",
                                  "bob/ps1/ps1.ipynb": odd})
    report = collect(course, from_dir=src, now=NOW)
    assert sorted((i.student, i.assignment, i.status) for i in report.items) == [
        ("alice", "ps1", NEW), ("bob", "ps1", NEW)]
    assert (course / "submitted/bob/ps1/ps1.ipynb").read_bytes() == odd
    assert (course / "submitted/alice/ps1/data/notes.txt").read_bytes() == b"x\x00y"
    assert (course / "submitted/alice/ps1/timestamp.txt").read_text() == "2026-11-20 09:30:00.000000 UTC"
    log = [json.loads(line) for line in (course / ".course/collections.jsonl").read_text().splitlines()]
    assert {e["student"] for e in log} == {"alice", "bob"} and all(e["collected_at"] == NOW.isoformat() for e in log)


def test_an_unchanged_submission_keeps_its_first_collection_time(course: Path, tmp_path: Path) -> None:
    """Collecting the same bytes again changes nothing, not even the timestamp."""
    src = _tree(tmp_path / "in", {"alice/ps1/ps1.ipynb": NB})
    collect(course, from_dir=src, now=NOW)
    again = collect(course, from_dir=src, now=LATER)
    assert [i.status for i in again.items] == [UNCHANGED]
    assert (course / "submitted/alice/ps1/timestamp.txt").read_text().startswith("2026-11-20 09:30")


def test_a_changed_submission_replaces_the_old_one_which_is_archived(course: Path, tmp_path: Path) -> None:
    """A resubmission is collected with the new time; the previous one is kept under .course/archive."""
    src = _tree(tmp_path / "in", {"alice/ps1/ps1.ipynb": NB, "alice/ps1/old.txt": b"old"})
    collect(course, from_dir=src, now=NOW)
    (src / "alice/ps1/old.txt").unlink()
    (src / "alice/ps1/ps1.ipynb").write_bytes(NB.replace(b"[]", b"[ ]"))
    report = collect(course, from_dir=src, now=LATER)
    assert [i.status for i in report.items] == [UPDATED]
    final = course / "submitted/alice/ps1"
    assert sorted(p.name for p in final.iterdir()) == ["ps1.ipynb", "timestamp.txt"]
    assert (final / "timestamp.txt").read_text().startswith("2026-11-21 08:00")
    archived = list((course / ".course/archive/ps1/alice").iterdir())
    assert len(archived) == 1 and (archived[0] / "old.txt").read_bytes() == b"old"


def test_a_learners_own_timestamp_file_is_not_trusted(course: Path, tmp_path: Path) -> None:
    """A timestamp.txt in the learner's files is replaced by the collector's and kept only in the log."""
    src = _tree(tmp_path / "in", {"alice/ps1/ps1.ipynb": NB, "alice/ps1/timestamp.txt": b"2020-01-01 00:00:00"})
    collect(course, from_dir=src, now=NOW)
    assert (course / "submitted/alice/ps1/timestamp.txt").read_text().startswith("2026-11-20")
    entry = json.loads((course / ".course/collections.jsonl").read_text().splitlines()[0])
    assert entry["claimed_timestamp"] == "2020-01-01 00:00:00"


def test_an_lms_zip_inside_one_top_folder_is_collected(course: Path, tmp_path: Path) -> None:
    """The zip's single top folder is recognised as a wrapper, not as a student."""
    z = _zip(tmp_path / "export.zip", {"export/alice/ps1/ps1.ipynb": NB, "export/bob/ps2/ps2.ipynb": NB})
    report = collect(course, zip_path=z, now=NOW)
    assert sorted((i.student, i.assignment) for i in report.items) == [("alice", "ps1"), ("bob", "ps2")]
    assert (course / "submitted/bob/ps2/ps2.ipynb").read_bytes() == NB


def test_with_an_assignment_named_files_directly_under_the_student_are_collected(course: Path,
                                                                                 tmp_path: Path) -> None:
    """``<student>/<files>`` is accepted when the assignment is given; other assignments are ignored."""
    z = _zip(tmp_path / "ps1.zip", {"alice/ps1.ipynb": NB, "bob/ps1.ipynb": NB, "carol/ps2/ps2.ipynb": NB})
    report = collect(course, "ps1", zip_path=z, now=NOW)
    assert sorted((i.student, i.assignment, i.status) for i in report.items) == [
        ("alice", "ps1", NEW), ("bob", "ps1", NEW)]


def test_a_zip_with_unsafe_names_is_refused_and_nothing_is_written(course: Path, tmp_path: Path) -> None:
    """Entries that would escape the course folder stop the collection before anything is written."""
    z = _zip(tmp_path / "evil.zip", {"alice/ps1/ps1.ipynb": NB, "../../etc/ps1/x.ipynb": NB})
    with pytest.raises(CollectError, match="unsafe file names"):
        collect(course, zip_path=z, now=NOW)
    assert not (course / "submitted").exists()


def test_a_symbolic_link_rejects_only_that_submission(course: Path, tmp_path: Path) -> None:
    """A submission holding a symlink is rejected with the reason; the others are collected."""
    src = _tree(tmp_path / "in", {"alice/ps1/ps1.ipynb": NB, "bob/ps1/ps1.ipynb": NB})
    os.symlink("/etc/passwd", src / "bob/ps1/passwd")
    report = collect(course, from_dir=src, now=NOW)
    by = {i.student: i for i in report.items}
    assert by["alice"].status == NEW
    assert by["bob"].status == REJECTED and "symbolic link" in by["bob"].reason
    assert not (course / "submitted/bob").exists()


def test_missing_or_broken_sources_are_clear_errors(course: Path, tmp_path: Path) -> None:
    """A missing zip, a file that is not a zip, and a zip without the layout each say what is wrong."""
    with pytest.raises(CollectError, match="zip file not found"):
        collect(course, zip_path=tmp_path / "nope.zip")
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    with pytest.raises(CollectError, match="is not a zip file"):
        collect(course, zip_path=tmp_path / "fake.zip")
    with pytest.raises(CollectError, match="no submissions found"):
        collect(course, zip_path=_zip(tmp_path / "flat.zip", {"alice.ipynb": NB, "bob.ipynb": NB}))
    with pytest.raises(CollectError, match="either a zip"):
        collect(course, zip_path=tmp_path / "x.zip", from_dir=tmp_path)


def test_the_exchange_gives_each_learners_latest_submission(course: Path, tmp_path: Path) -> None:
    """From nbgrader's exchange inbox the newest submission per learner is taken, with its time."""
    inbound = tmp_path / "exchange/unit/inbound"
    _tree(inbound, {
        "alice+ps1+2026-11-19 10:00:00.000000 UTC+aaa/ps1.ipynb": NB,
        "alice+ps1+2026-11-19 11:00:00.000000 UTC+bbb/ps1.ipynb": NB.replace(b"[]", b"[ ]"),
        "alice+ps1+2026-11-19 11:00:00.000000 UTC+bbb/timestamp.txt": b"2026-11-19 11:00:00.000000 UTC",
        "bob+ps1+2026-11-19 12:00:00.000000 UTC+ccc/ps1.ipynb": NB,
    })
    report = collect(course, "ps1", now=NOW)
    assert sorted((i.student, i.status) for i in report.items) == [("alice", NEW), ("bob", NEW)]
    assert (course / "submitted/alice/ps1/ps1.ipynb").read_bytes() == NB.replace(b"[]", b"[ ]")
    assert (course / "submitted/alice/ps1/timestamp.txt").read_text().startswith("2026-11-19 11:00:00")


def test_a_course_without_an_exchange_inbox_is_a_clear_error(course: Path) -> None:
    """Collecting from an exchange that has no inbox for the course says where it looked."""
    with pytest.raises(CollectError, match=r"no exchange inbox at .*unit/inbound"):
        collect(course, "ps1", now=NOW)
