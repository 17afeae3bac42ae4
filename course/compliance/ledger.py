"""An append-only, hash-chained event log in the workspace: what happened, in order, provably unedited.

Files (owner-only: the folder is 0o700, the files 0o600)::

    DIR/ledger/events.jsonl   one event per line, oldest first
    DIR/ledger/head.json      the anchor: count and hash of the last event, rewritten after each append
    DIR/ledger/.lock          taken with ``fcntl.flock`` by every writer

Each line is the canonical JSON (keys sorted, no spaces, UTF-8) of one event::

    {"data":{...},"hash":"…","kind":"graded","prev_hash":"…","seq":7,"time":"2026-03-01T09:00:00.000000Z"}

``hash`` is the SHA-256 (hex) of the canonical JSON of the event *without* its ``hash`` key, and
``prev_hash`` is the previous event's ``hash`` (64 zeros for event 1). An auditor can recompute the
chain with ten lines of any language.

What :meth:`Ledger.verify` detects, and what it cannot:

* a changed event whose hash was left alone (``edited``), and one whose hash was recomputed to
  match (``edited``: the next event's ``prev_hash`` no longer matches), a line that is not an
  event (``edited``);
* events removed from the middle or start (``deleted``), a copied or forged extra event
  (``inserted``), events moved (``reordered``);
* events removed from the end (``truncated``), detected through ``head.json``; a missing or damaged
  head file is itself a problem (``anchor``);
* a torn last line left by a crash while writing (``torn``): reported, never silently accepted,
  and no event is appended after it until :meth:`Ledger.recover` has set it aside.

Someone with write access to both files can rewrite history consistently: recompute every hash
after their change and rewrite ``head.json``. The chain cannot stop that; what stops it is an
anchor kept elsewhere. ``course ledger verify`` and every report print the head (``SEQ:HASH``);
an auditor who keeps that string checks it later with ``verify(anchor="SEQ:HASH")``, which fails
if event SEQ no longer has that hash. Deleting both files leaves an empty ledger that verifies;
it too is caught only by an anchor kept elsewhere.

Appends are serialised with an exclusive ``flock`` (safe for several processes on one machine;
not over NFS), written with one ``write`` and ``fsync``\\ ed before ``head.json`` is replaced
atomically. A crash between the two leaves the head one append behind: reported as a warning,
not a problem, and repaired by the next append.

Kinds in use: ``enrolled``, ``released``, ``collected``, ``submitted``, ``graded``, ``passed``,
``failed``, ``certified``, ``expired``, ``roster_changed``, ``report_generated``,
``ledger_recovered``. Any lower-case identifier is accepted as a kind.

Data that ``course report`` reads from other writers' events (other keys are kept, not read):

* ``released``: ``assignment``; optional ``released_on`` (YYYY-MM-DD, default: the event's date).
  Due dates in days count from a module's release at the earliest.
* ``graded``: ``employee_id`` (or ``student``), ``assignment``, ``score``, ``max_score``, optional
  ``late_penalty`` (``score`` is then before it), ``needs_manual_grading`` (or ``needs_manual_grade``),
  ``integrity_flags`` (a list, or one string joined with ``"; "``; also read as ``flags``), and the
  submission time as ``submitted_at`` or through ``sha256`` from the ``submitted`` event with the same
  ``sha256``. A regrade is a new ``graded`` event for the same submission; the newest one counts. The
  gradebook's current record always wins over events.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
KINDS = frozenset({
    "enrolled", "released", "collected", "submitted", "graded", "passed", "failed", "certified",
    "expired", "roster_changed", "report_generated", "ledger_recovered",
})
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = ("data", "hash", "kind", "prev_hash", "seq", "time")


class LedgerError(RuntimeError):
    """The ledger cannot be read or appended to (damaged file, torn last line, bad event data)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def canonical_json(value: Any) -> str:
    """Keys sorted, no whitespace, UTF-8 kept, no NaN: the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=_jsonable)


def _str_keys(value: Any) -> bool:
    """Whether every dict key in ``value`` (at any depth) is a string."""
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _str_keys(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_str_keys(v) for v in value)
    return True


def event_hash(seq: int, time: str, kind: str, data: Mapping[str, Any], prev_hash: str) -> str:
    body = {"data": data, "kind": kind, "prev_hash": prev_hash, "seq": seq, "time": time}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    seq: int
    time: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        return event_hash(self.seq, self.time, self.kind, self.data, self.prev_hash)

    def line(self) -> str:
        return canonical_json({"data": self.data, "hash": self.hash, "kind": self.kind,
                               "prev_hash": self.prev_hash, "seq": self.seq, "time": self.time})


@dataclass(frozen=True)
class LedgerProblem:
    """One sign of tampering or damage. ``line`` is the 1-based line in events.jsonl, where known."""

    kind: str  # edited | deleted | inserted | reordered | truncated | torn | anchor
    message: str
    line: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"line {self.line}" if self.line else "",
                                      f"event {self.seq}" if self.seq else "") if x)
        return f"{self.kind}: {where + ': ' if where else ''}{self.message}"


@dataclass
class VerifyResult:
    ok: bool
    count: int
    head: str  # "SEQ:HASH" of the last event, "0:" + GENESIS when empty
    problems: list[LedgerProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Recovery:
    """What :meth:`Ledger.recover` found, what it repaired (or would, in a dry run), what it could not.

    ``found`` and ``repaired`` are parallel where a finding was repaired; ``unrepaired`` says what is
    left and why; ``event`` is the ``ledger_recovered`` event recorded; ``after`` the check afterwards.
    """

    found: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepaired: list[str] = field(default_factory=list)
    event: Event | None = None
    after: VerifyResult | None = None

    @property
    def needed(self) -> bool:
        """Whether there was anything to repair (what ``course doctor`` reports)."""
        return bool(self.repaired)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fmt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_event(text: str) -> Event:
    """An event from one line; ``ValueError`` saying what is wrong with it."""
    obj = json.loads(text)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if sorted(obj) != list(_FIELDS):
        raise ValueError(f"expected the keys {list(_FIELDS)}, found {sorted(obj)}")
    seq, kind, data = obj["seq"], obj["kind"], obj["data"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ValueError(f"seq must be a positive integer, found {seq!r}")
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise ValueError(f"kind {kind!r} is not an identifier")
    if not isinstance(data, dict):
        raise ValueError("data must be a JSON object")
    for key in ("hash", "prev_hash"):
        if not isinstance(obj[key], str) or not _HEX64_RE.match(obj[key]):
            raise ValueError(f"{key} is not a SHA-256 hex digest")
    if not isinstance(obj["time"], str):
        raise ValueError("time must be a string")
    return Event(seq=seq, time=obj["time"], kind=kind, data=data, prev_hash=obj["prev_hash"], hash=obj["hash"])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ledger:
    """The event log of one workspace. Cheap to create; files are touched only when used."""

    def __init__(self, directory: Path | str, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.directory = Path(directory)
        self.events_file = self.directory / "events.jsonl"
        self.head_file = self.directory / "head.json"
        self.lock_file = self.directory / ".lock"
        self.clock = clock

    @classmethod
    def for_workspace(cls, root: Path | str, **kwargs: Any) -> Ledger:
        """The ledger of the workspace in ``root`` (a path, or anything with a ``root`` path)."""
        if not isinstance(root, str | os.PathLike):
            root = root.root  # a course.workspace.Workspace
        return cls(Path(root) / "ledger", **kwargs)

    def __repr__(self) -> str:
        return f"Ledger({str(self.directory)!r})"

    # -- writing -------------------------------------------------------------------------------------

    def append(self, kind: str, /, **data: Any) -> Event:
        """Record one event and return it (with its ``seq`` and ``hash``)."""
        return self.append_many([(kind, data)])[0]

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Event]:
        """Record several events under one lock and one ``fsync``: all of them, in order, or none."""
        prepared: list[tuple[str, str, dict[str, Any]]] = []  # kind, canonical JSON of data, data
        for kind, data in items:
            if not isinstance(kind, str) or not _KIND_RE.match(kind):
                raise LedgerError(f"event kind {kind!r} is not an identifier (lower-case letters, digits, _)")
            try:
                text = canonical_json(dict(data))
                plain = json.loads(text)
                if not _str_keys(data):  # non-string keys sort differently once they are strings
                    text = canonical_json(plain)
            except (TypeError, ValueError) as exc:
                raise LedgerError(f"data of a {kind!r} event cannot be recorded: {exc}") from None
            prepared.append((json.dumps(kind), text, plain))
        if not prepared:
            return []
        with self._locked():
            return self._append_prepared(prepared)

    def _append_locked(self, items: list[tuple[str, Mapping[str, Any]]]) -> list[Event]:
        """:meth:`append_many` for a caller that holds the lock already."""
        prepared = [(json.dumps(kind), canonical_json(dict(data)), json.loads(canonical_json(dict(data))))
                    for kind, data in items]
        return self._append_prepared(prepared)

    def _append_prepared(self, prepared: list[tuple[str, str, dict[str, Any]]]) -> list[Event]:
        seq, prev = self._tail()
        now = _fmt_time(self.clock())
        events, lines = [], []
        for kind_json, text, data in prepared:
            seq += 1
            # canonical_json of the event, spelt out: keys in sorted order, no spaces
            tail = f'"kind":{kind_json},"prev_hash":"{prev}","seq":{seq},"time":"{now}"}}'
            h = hashlib.sha256(f'{{"data":{text},{tail}'.encode()).hexdigest()
            lines.append(f'{{"data":{text},"hash":"{h}",{tail}\n')
            events.append(Event(seq=seq, time=now, kind=json.loads(kind_json), data=data, prev_hash=prev, hash=h))
            prev = h
        payload = "".join(lines).encode("utf-8")
        fd = os.open(self.events_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(fd, payload)
            while written < len(payload):
                written += os.write(fd, payload[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        self._write_head(seq, prev)
        return events

    def recover(self, *, dry_run: bool = False) -> Recovery:
        """Repair what a crash can leave behind, record the repair as a ``ledger_recovered`` event, and
        say what was found, what was repaired and what could not be (see :class:`Recovery`).

        Repaired: a torn last line (set aside whole into ``torn-LINE.bin``, then cut off), leftover
        temporary files of an interrupted write, a ``head.json`` behind the log or missing, and a torn
        line set aside by an earlier recovery that was itself interrupted before recording it. Not
        repaired: signs of tampering (edited, deleted, inserted, reordered or truncated events, a
        damaged head file): those need a backup, and are reported. Every step is atomic (a file is
        written whole to a temporary name, ``fsync``\\ ed and renamed), so recovery can itself be
        interrupted and run again; run on a ledger with nothing to repair, it changes nothing.
        ``dry_run`` only reports what it would do (as ``course doctor`` does).
        """
        result = Recovery()
        if not self.directory.exists():
            result.after = self.verify()
            return result
        with self._locked():
            self._recover_locked(result, dry_run)
        result.after = self.verify()
        return result

    def _recover_locked(self, result: Recovery, dry_run: bool) -> None:
        would = "would " if dry_run else ""
        # 1. temporary files of a write that was killed (no writer is running: we hold the lock)
        leftovers = sorted(self.directory.glob(".*.tmp"))
        if leftovers:
            result.found.append(f"{len(leftovers)} temporary file(s) left by an interrupted write "
                                f"({', '.join(p.name for p in leftovers[:3])}{', …' if len(leftovers) > 3 else ''})")
            if not dry_run:
                for path in leftovers:
                    path.unlink(missing_ok=True)
                _fsync_dir(self.directory)
            result.repaired.append(f"{would}remove them")
        # 2. a torn last line: set aside whole (atomically) before the file is cut
        raw = self.events_file.read_bytes() if self.events_file.exists() else b""
        set_aside: list[dict[str, Any]] = []
        if raw and not raw.endswith(b"\n"):
            cut = raw.rfind(b"\n") + 1
            torn, line = raw[cut:], raw[:cut].count(b"\n") + 1
            digest = hashlib.sha256(torn).hexdigest()
            aside = self.directory / f"torn-{line}.bin"
            if aside.exists() and aside.read_bytes() != torn:
                aside = self.directory / f"torn-{line}-{digest[:12]}.bin"
            result.found.append(f"a torn last line (line {line}: {len(torn):,} bytes without a newline, "
                                "an interrupted write that was never acknowledged)")
            if not dry_run:
                _write_private(aside, torn)
                with open(self.events_file, "r+b") as f:
                    f.truncate(cut)
                    f.flush()
                    os.fsync(f.fileno())
            result.repaired.append(f"{would}set it aside in {aside.name} and cut it off the log")
            set_aside.append({"file": aside.name, "bytes": len(torn), "sha256": digest})
        # 3. a torn line set aside by a recovery that was interrupted before it recorded that
        recorded = self._recorded_asides()
        for aside in sorted(self.directory.glob("torn-*.bin")):
            if aside.name not in recorded and all(a["file"] != aside.name for a in set_aside):
                blob = aside.read_bytes()
                result.found.append(f"{aside.name}, set aside by an interrupted recovery, is not recorded yet")
                result.repaired.append(f"{would}record it")
                set_aside.append({"file": aside.name, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()})
        # 4. the head, and everything a crash cannot explain
        check = _verify(self, None)
        problems = [p for p in check.problems if p.kind != "torn" or not set_aside]  # a dry run leaves it
        head_fixed = False
        for warning in check.warnings:
            if "behind the log" in warning:
                result.found.append(warning.split(" (")[0])
                result.repaired.append(f"{would}bring {self.head_file.name} up to the last event")
                head_fixed = True
        for problem in problems:
            if problem.kind == "anchor" and not self.head_file.exists() and len(problems) == 1:
                result.found.append(f"{self.head_file.name} is missing (a crash before the first head was written)")
                result.repaired.append(f"{would}rebuild it from the log; events cut from its end earlier cannot be "
                                       "detected, so compare the head with an anchor kept elsewhere")
                head_fixed = True
            else:
                result.found.append(str(problem))
                result.unrepaired.append(f"{problem}: not something a crash does; restore "
                                         f"{self.events_file.name} and {self.head_file.name} from a backup, or "
                                         "keep the ledger as it is and report it")
        if dry_run or not (set_aside or head_fixed or leftovers):
            return
        data: dict[str, Any] = {"repaired": [f"{f} ({r})" for f, r in zip(result.found, result.repaired,
                                                                      strict=False)]}
        if set_aside:
            data["set_aside"] = set_aside
        try:
            result.event = self._append_locked([("ledger_recovered", data)])[0]
        except LedgerError as exc:
            result.unrepaired.append(f"the recovery could not be recorded: {exc}")

    def _recorded_asides(self) -> set[str]:
        """Names of the files that ``ledger_recovered`` events say were set aside."""
        names: set[str] = set()
        if not self.events_file.exists():
            return names
        with open(self.events_file, "rb") as f:
            for blob in f:
                if b'"ledger_recovered"' not in blob:
                    continue
                try:
                    event = _parse_event(blob.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    continue
                aside = event.data.get("set_aside")
                for item in aside if isinstance(aside, list) else [aside]:
                    if isinstance(item, dict) and isinstance(item.get("file"), str):
                        names.add(item["file"])
                    elif isinstance(item, str):  # the format of the first recoveries
                        names.add(item)
        return names

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        new = not self.directory.exists()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if new:
            os.chmod(self.directory, 0o700)
            _fsync_dir(self.directory.parent)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _tail(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last event in the file; refuses to build on a torn or damaged tail."""
        if not self.events_file.exists() or self.events_file.stat().st_size == 0:
            if self.head_file.exists():
                head = self._read_head()
                if head and head[0] > 0:
                    raise LedgerError(f"{self.events_file} is missing or empty but {self.head_file} records "
                                      f"{head[0]} event(s); run `course ledger verify`")
            return 0, GENESIS
        with open(self.events_file, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(size - 1)
            if f.read(1) != b"\n":
                raise LedgerError(f"{self.events_file} ends with a torn line (an interrupted write); run "
                                  "`course ledger recover` to set it aside")
            back = min(size, 65536)
            while True:
                f.seek(size - back)
                chunk = f.read(back)
                start = chunk.rfind(b"\n", 0, len(chunk) - 1)
                if start >= 0 or back == size:
                    break
                back = min(size, back * 2)
        last = chunk[start + 1:].decode("utf-8", errors="replace")
        try:
            event = _parse_event(last)
        except ValueError as exc:
            raise LedgerError(f"the last event in {self.events_file} is damaged ({exc}); "
                              "run `course ledger verify`") from None
        return event.seq, event.hash

    def _write_head(self, count: int, last_hash: str) -> None:
        text = canonical_json({"count": count, "hash": last_hash, "updated": _fmt_time(self.clock())}) + "\n"
        _write_private(self.head_file, text.encode("utf-8"))

    def _read_head(self) -> tuple[int, str] | None:
        try:
            obj = json.loads(self.head_file.read_text("utf-8"))
            count, h = obj["count"], obj["hash"]
            if isinstance(count, int) and count >= 0 and isinstance(h, str) and (_HEX64_RE.match(h)):
                return count, h
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    # -- reading -------------------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Every event in file order. Raises :class:`LedgerError` naming the line of a damaged one."""
        if not self.events_file.exists():
            return
        with open(self.events_file, encoding="utf-8", newline="\n") as f:
            for number, text in enumerate(f, start=1):
                if not text.endswith("\n"):
                    raise LedgerError(f"{self.events_file}, line {number}: torn last line (an interrupted "
                                      "write); run `course ledger verify`")
                try:
                    yield _parse_event(text)
                except ValueError as exc:
                    raise LedgerError(f"{self.events_file}, line {number}: not a ledger event ({exc})") from None

    def head(self) -> str:
        """``SEQ:HASH`` of the last event: the string to keep elsewhere as an anchor."""
        seq, h = (0, GENESIS)
        for event in self.events():
            seq, h = event.seq, event.hash
        return f"{seq}:{h}"

    def verify(self, *, anchor: str | None = None) -> VerifyResult:
        """Check the whole chain and the head; ``anchor`` is a ``SEQ:HASH`` kept from an earlier check."""
        return _verify(self, anchor)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, replace, fsync the folder), mode 0o600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of ``values`` (patience sorting)."""
    import bisect

    tails: list[int] = []  # values
    tail_index: list[int] = []
    parent = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_index.append(i)
        else:
            tails[k] = v
            tail_index[k] = i
        parent[i] = tail_index[k - 1] if k else -1
    out: set[int] = set()
    i = tail_index[-1] if tail_index else -1
    while i >= 0:
        out.add(i)
        i = parent[i]
    return out


def _verify(ledger: Ledger, anchor: str | None) -> VerifyResult:
    problems: list[LedgerProblem] = []
    warnings: list[str] = []
    raw = ledger.events_file.read_bytes() if ledger.events_file.exists() else b""
    lines = raw.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline
    parsed: list[tuple[int, Event]] = []  # (line number, event)
    for number, blob in enumerate(lines, start=1):
        try:
            parsed.append((number, _parse_event(blob.decode("utf-8"))))
        except (UnicodeDecodeError, ValueError) as exc:
            problems.append(LedgerProblem("edited", f"not a ledger event ({exc})", line=number))
    if torn:
        problems.append(LedgerProblem("torn", f"the last line is incomplete ({len(torn)} bytes without a newline: "
                                      "an interrupted write or a cut file); `course ledger recover` sets it aside",
                                      line=len(lines) + 1))

    # 1. content changed without recomputing the hash
    for number, e in parsed:
        if e.expected_hash() != e.hash:
            problems.append(LedgerProblem("edited", "its content does not match its hash", line=number, seq=e.seq))

    # 2. duplicates: an exact copy, or a second event claiming a number already taken
    referenced = {e.prev_hash for _, e in parsed}
    kept: list[tuple[int, Event]] = []
    by_seq: dict[int, tuple[int, Event]] = {}
    for number, e in parsed:
        first = by_seq.get(e.seq)
        if first is None:
            by_seq[e.seq] = (number, e)
            kept.append((number, e))
            continue
        if first[1].hash == e.hash:
            problems.append(LedgerProblem("inserted", f"a copy of the event on line {first[0]}", line=number,
                                          seq=e.seq))
            continue
        # two different events with one number: the one the chain continues from is the original
        first_linked, this_linked = first[1].hash in referenced, e.hash in referenced
        if this_linked and not first_linked:
            problems.append(LedgerProblem("inserted", f"a second event numbered {e.seq} (the chain continues "
                                          f"from line {number})", line=first[0], seq=e.seq))
            kept[kept.index(first)] = (number, e)
            by_seq[e.seq] = (number, e)
        else:
            problems.append(LedgerProblem("inserted", f"a second event numbered {e.seq} (the first is on line "
                                          f"{first[0]})", line=number, seq=e.seq))

    # 3. order: events off the longest run in increasing order were moved, or slipped in
    head = ledger._read_head()
    in_order = _longest_increasing([e.seq for _, e in kept])
    chain = []
    for i, (number, e) in enumerate(kept):
        if i in in_order:
            chain.append((number, e))
        elif head is not None and e.seq > head[0]:
            problems.append(LedgerProblem("inserted", "an event numbered after the last recorded one, placed "
                                          "among earlier events", line=number, seq=e.seq))
        else:
            problems.append(LedgerProblem("reordered", "is out of order in the file", line=number, seq=e.seq))
            chain.append((number, e))
    chain.sort(key=lambda item: item[1].seq)

    # 4. gaps and links, in sequence order
    prev_seq, prev_hash, prev_line = 0, GENESIS, 0
    for number, e in chain:
        if e.seq > prev_seq + 1:
            missing = (f"event {prev_seq + 1} is" if e.seq == prev_seq + 2
                       else f"events {prev_seq + 1} to {e.seq - 1} are")
            problems.append(LedgerProblem("deleted", f"{missing} missing before this one", line=number, seq=e.seq))
        elif e.prev_hash != prev_hash:
            if head is not None and prev_seq == head[0] and prev_hash == head[1]:
                problems.append(LedgerProblem("inserted", f"does not continue the chain from event {prev_seq}, "
                                              f"the last one {ledger.head_file.name} recorded", line=number,
                                              seq=e.seq))
            elif prev_seq == 0:
                problems.append(LedgerProblem("edited", "the first event does not start the chain", line=number,
                                              seq=e.seq))
            else:
                problems.append(LedgerProblem(
                    "edited", f"event {prev_seq} (line {prev_line}) was changed after this event was "
                    "recorded: its hash differs from this event's prev_hash", line=prev_line, seq=prev_seq))
        prev_seq, prev_hash, prev_line = e.seq, e.hash, number

    # 5. the tail, against the head file
    last_seq, last_hash = prev_seq, prev_hash
    if head is None:
        if ledger.head_file.exists():
            problems.append(LedgerProblem("anchor", f"{ledger.head_file.name} is damaged; events removed from the "
                                          "end could not be detected"))
        elif parsed or torn:
            problems.append(LedgerProblem("anchor", f"{ledger.head_file.name} is missing; events removed from the "
                                          "end could not be detected"))
    else:
        count, head_hash = head
        recorded = {e.seq: e for _, e in chain}
        if count > last_seq:
            missing = f"event {count} was" if count == last_seq + 1 else f"events {last_seq + 1} to {count} were"
            problems.append(LedgerProblem("truncated", f"{missing} removed from the end "
                                          f"({ledger.head_file.name} records {count})"))
        elif count in recorded and recorded[count].hash != head_hash:
            problems.append(LedgerProblem("edited", f"event {count} differs from the one {ledger.head_file.name} "
                                          "recorded", seq=count))
        elif count == 0 and head_hash != GENESIS:
            problems.append(LedgerProblem("anchor", f"{ledger.head_file.name} is inconsistent"))
        if last_seq > count and not problems:
            warnings.append(f"{ledger.head_file.name} is {last_seq - count} event(s) behind the log (a write was "
                            "interrupted after the event was saved); the next append updates it")

    if anchor is not None:
        try:
            a_seq_text, a_hash = anchor.strip().split(":", 1)
            a_seq = int(a_seq_text)
        except ValueError:
            raise LedgerError(f"anchor {anchor!r} is not of the form SEQ:HASH") from None
        found = next((e for _, e in chain if e.seq == a_seq), None)
        if a_seq == 0:
            pass
        elif found is None:
            problems.append(LedgerProblem("truncated", f"the anchor's event {a_seq} is no longer in the ledger",
                                          seq=a_seq))
        elif found.hash != a_hash.strip().lower():
            problems.append(LedgerProblem("edited", "this event, or one before it, differs from when the anchor "
                                          "was taken (the history was rewritten)", seq=a_seq))

    problems.sort(key=lambda p: (p.line or 10**12, p.seq or 0))
    return VerifyResult(ok=not problems, count=len(chain), head=f"{last_seq}:{last_hash}", problems=problems,
                        warnings=warnings)
