"""``course collect``: bring learners' submissions into ``submitted/<student>/<assignment>/``.

Three sources: nbgrader's exchange (the default; the latest submission of each learner, as
``nbgrader collect`` picks it), a folder laid out ``<student>/<assignment>/<files>``, or a zip an LMS
exported with the same layout (optionally inside one top folder; with ASSIGNMENT given, also
``<student>/<files>``).

The learner's files are copied byte for byte. The submission time in ``timestamp.txt`` comes from
the collector: the collection time for a folder or zip, the exchange's record for the exchange
(never later than the collection). A ``timestamp.txt`` the learner sent is not trusted: it is kept
only in the collection log (``.course/collections.jsonl``). An unchanged submission is left alone
(its first collection time stands); a changed one replaces the old, which is archived under
``.course/archive/``. Each submission is staged and moved into place with renames, so a failure
never leaves half a submission; a bad one is reported with its reason and the rest go on.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import stat
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from nbgrader import utils

from course.grading.coursedir import Course, GradingError, exclusive, open_course
from course.grading.record import publish

NEW, UPDATED, UNCHANGED, REJECTED = "new", "updated", "unchanged", "rejected"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's own (Exchange.timestamp_format)
_STUDENT_RE = re.compile(r"^[^/\\\x00\s.][^/\\\x00]{0,127}$")


class CollectError(GradingError):
    """The source cannot be read at all (missing zip, not a zip, no exchange)."""


@dataclass
class Collected:
    student: str
    assignment: str
    status: str  # NEW, UPDATED, UNCHANGED or REJECTED
    reason: str = ""
    files: int = 0
    timestamp: str = ""
    sha256: str = ""


@dataclass
class CollectReport:
    source: str
    collected_at: datetime
    items: list[Collected] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


@dataclass
class _Candidate:
    student: str
    assignment: str
    files: dict[str, bytes]  # relative POSIX path -> bytes
    timestamp: datetime
    claimed_timestamp: str = ""
    problem: str = ""


def collect(
    course_dir: Path | str,
    assignment: str | None = None,
    *,
    zip_path: Path | str | None = None,
    from_dir: Path | str | None = None,
    db_url: str | None = None,
    now: datetime | None = None,
) -> CollectReport:
    """Collect submissions of ``assignment`` (default: every assignment found) into ``course_dir``."""
    if zip_path and from_dir:
        raise CollectError("give either a zip (--zip) or a folder (--from), not both")
    course = open_course(course_dir, db_url=db_url)
    collected_at = (now or datetime.now(UTC)).astimezone(UTC)
    with exclusive(course, "collect"):
        known = _known_assignments(course)
        if zip_path:
            source = f"zip {Path(zip_path)}"
            candidates = _from_zip(course, Path(zip_path), assignment, known, collected_at)
        elif from_dir:
            source = f"folder {Path(from_dir)}"
            candidates = _from_folder(course, Path(from_dir), assignment, known, collected_at)
        else:
            source, candidates = _from_exchange(course, assignment, collected_at)
        report = CollectReport(source=source, collected_at=collected_at)
        staging = course.state_dir / "collect-staging" / uuid.uuid4().hex
        try:
            for cand in candidates:
                report.items.append(_store(course, cand, staging, source, collected_at))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _known_assignments(course: Course) -> set[str]:
    names: set[str] = set()
    for step in (course.coursedir.release_directory, course.coursedir.source_directory):
        folder = Path(course.coursedir.format_path(step, ".", "."))
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    url = course.db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return names  # collecting never creates a gradebook
    try:
        with course.gradebook() as gb:
            names.update(a.name for a in gb.assignments)
    except Exception:  # an unreachable gradebook: the folders are enough to recognise assignments
        pass
    return names


def _ignored(rel: PurePosixPath, ignore: list[str]) -> bool:
    import fnmatch

    return any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in ignore)


# -- sources --------------------------------------------------------------------------------------

def _from_folder(course: Course, root: Path, assignment: str | None, known: set[str],
                 collected_at: datetime) -> list[_Candidate]:
    if not root.is_dir():
        raise CollectError(f"folder not found: {root}")
    entries: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[rel] = None  # never followed
        elif path.is_file():
            entries[rel] = path  # type: ignore[assignment] - read lazily below
    return _group(course, entries, assignment, known, collected_at, reader=lambda p: Path(p).read_bytes())


def _from_zip(course: Course, path: Path, assignment: str | None, known: set[str],
              collected_at: datetime) -> list[_Candidate]:
    if not path.is_file():
        raise CollectError(f"zip file not found: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CollectError(f"{path} is not a zip file ({exc})") from exc
    with archive:
        entries: dict[str, object] = {}
        limit = course.coursedir.max_file_size * 1000
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            is_link = stat.S_ISLNK(info.external_attr >> 16)
            entries[name] = None if is_link or info.file_size > limit else info
        return _group(course, entries, assignment, known, collected_at,
                      reader=lambda info: archive.read(info))  # type: ignore[arg-type]


def _from_exchange(course: Course, assignment: str | None, collected_at: datetime) -> tuple[str, list[_Candidate]]:
    from nbgrader.exchange.default.exchange import Exchange

    exchange = Exchange(coursedir=course.coursedir, config=course.config)
    if not course.course_id:
        raise CollectError("this course has no course id (CourseDirectory.course_id), so it has no exchange")
    inbound = Path(exchange.root) / course.course_id / "inbound"
    if not inbound.is_dir():
        raise CollectError(f"no exchange inbox at {inbound}: nothing has been submitted through nbgrader's exchange")
    latest: dict[tuple[str, str], tuple[datetime, Path]] = {}
    pattern = f"*+{glob.escape(assignment)}+*" if assignment else "*+*+*"
    for folder in inbound.glob(pattern):
        parts = folder.name.rsplit("+", 3)
        if len(parts) < 3 or not folder.is_dir():
            continue
        student, name, stamp = parts[0], parts[1], parts[2]
        try:
            when = utils.parse_utc(stamp)
        except (ValueError, OverflowError):
            continue
        if (student, name) not in latest or when > latest[(student, name)][0]:
            latest[(student, name)] = (when, folder)
    out = []
    for (student, name), (when, folder) in sorted(latest.items()):
        files = {}
        problem = ""
        for path in sorted(folder.rglob("*")):
            rel = PurePosixPath(path.relative_to(folder).as_posix())
            if path.is_symlink():
                problem = problem or f"contains a symbolic link ({rel})"
            elif path.is_file() and not _ignored(rel, course.coursedir.ignore):
                files[str(rel)] = path.read_bytes()
        claimed = files.pop("timestamp.txt", b"").decode("utf-8", errors="replace").strip()
        stamp = min(when.replace(tzinfo=UTC) if when.tzinfo is None else when, collected_at)
        out.append(_Candidate(student, name, files, stamp, claimed_timestamp=claimed, problem=problem))
    return f"exchange {inbound}", out


def _group(course: Course, entries: dict[str, object], assignment: str | None, known: set[str],
           collected_at: datetime, *, reader: Callable[[Any], bytes]) -> list[_Candidate]:
    """Map archive/folder entries to submissions: ``[top/]student/assignment/file`` or, with an
    assignment given, ``[top/]student/file``."""
    unsafe = [n for n in entries if PurePosixPath(n).is_absolute() or ".." in PurePosixPath(n).parts]
    paths = {n: v for n, v in entries.items() if n not in unsafe}
    if unsafe:
        raise CollectError(f"refusing unsafe file names (absolute or with '..'): {', '.join(sorted(unsafe)[:5])}")
    best: list[_Candidate] = []
    tops = {PurePosixPath(n).parts[0] for n in paths if len(PurePosixPath(n).parts) > 1}
    layouts = [0, 1] if len(tops) == 1 else [0]
    for strip in layouts:
        groups: dict[tuple[str, str], dict[str, object]] = {}
        for name, value in paths.items():
            parts = PurePosixPath(name).parts[strip:]
            if len(parts) >= 3 and (parts[1] in known or parts[1] == assignment) and \
                    (assignment is None or parts[1] == assignment):
                student, name_, rel = parts[0], parts[1], PurePosixPath(*parts[2:])
            elif len(parts) >= 2 and assignment is not None:
                student, name_, rel = parts[0], assignment, PurePosixPath(*parts[1:])
                if len(parts) >= 3 and parts[1] in known and parts[1] != assignment:
                    continue  # another assignment's folder
            else:
                continue
            if _ignored(rel, course.coursedir.ignore):
                continue
            groups.setdefault((student, name_), {})[str(rel)] = value
        candidates = []
        for (student, name_), files in sorted(groups.items()):
            problem = ""
            if not _STUDENT_RE.match(student):
                problem = f"not a usable student id: {student!r}"
            data: dict[str, bytes] = {}
            for rel, value in sorted(files.items()):
                if value is None:
                    problem = problem or f"{rel} is a symbolic link or larger than the course's size limit"
                    continue
                data[rel] = reader(value)
            claimed = data.pop("timestamp.txt", b"").decode("utf-8", errors="replace").strip()
            total = sum(len(b) for b in data.values())
            if total > course.coursedir.max_dir_size * 1000:
                problem = problem or f"the submission is larger than the course's limit ({total} bytes)"
            candidates.append(_Candidate(student, name_, data, collected_at, claimed, problem))
        if len(candidates) > len(best):
            best = candidates
    if not best and paths:
        hint = "" if assignment else " (or name the assignment to collect <student>/<files>)"
        raise CollectError(f"no submissions found: expected <student>/<assignment>/<files>{hint}; "
                           f"known assignments: {', '.join(sorted(known)) or 'none'}")
    return best


# -- storing ----------------------------------------------------------------------------------------

def _sha(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel]
        digest.update(len(rel.encode()).to_bytes(4, "big") + rel.encode() + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _existing(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != "timestamp.txt":
            out[rel] = path.read_bytes()
    return out


def _store(course: Course, cand: _Candidate, staging: Path, source: str, collected_at: datetime) -> Collected:
    item = Collected(cand.student, cand.assignment, REJECTED, files=len(cand.files), sha256=_sha(cand.files))
    if cand.problem:
        item.reason = cand.problem
        _log(course, cand, item, source, collected_at)
        return item
    if not any(rel.endswith(".ipynb") for rel in cand.files):
        item.reason = "no notebook in the submission"
    final = course.path(course.coursedir.submitted_directory, cand.student, cand.assignment)
    if final.is_dir() and _sha(_existing(final)) == item.sha256:
        item.status = UNCHANGED
        stamp = course.coursedir.get_existing_timestamp(str(final))
        item.timestamp = stamp.isoformat() if stamp else ""
        _log(course, cand, item, source, collected_at)
        return item
    target = staging / cand.student / cand.assignment
    for rel, data in cand.files.items():
        path = target.joinpath(*PurePosixPath(rel).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    target.mkdir(parents=True, exist_ok=True)
    (target / "timestamp.txt").write_text(cand.timestamp.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
    item.timestamp = cand.timestamp.isoformat()
    item.status = UPDATED if final.exists() else NEW
    if final.exists():
        archive = course.state_dir / "archive" / cand.assignment / cand.student
        archive.mkdir(parents=True, exist_ok=True)
        stamp = course.coursedir.get_existing_timestamp(str(final))
        label = (stamp or datetime.fromtimestamp(final.stat().st_mtime, UTC)).strftime("%Y%m%dT%H%M%S%f")
        shutil.copytree(final, archive / label, dirs_exist_ok=True)
    publish(target, final, trash=course.state_dir / "trash")
    _log(course, cand, item, source, collected_at)
    return item


def _log(course: Course, cand: _Candidate, item: Collected, source: str, collected_at: datetime) -> None:
    """One line per submission seen, appended to ``.course/collections.jsonl`` (an audit trail)."""
    entry = {**asdict(item), "source": source, "collected_at": collected_at.isoformat(),
             "claimed_timestamp": cand.claimed_timestamp}
    path = course.state_dir / "collections.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
