"""Send the report's xAPI statements to a learning record store (any xAPI 1.0.3 LRS), losing none.

``course report --lrs URL`` builds ``xapi.jsonl`` as always, then sends its statements with
:func:`send_statements`:

* in batches (``POST …/statements`` with a JSON list, ``X-Experience-API-Version: 1.0.3``, HTTP
  basic authentication);
* statement ids are stable (:mod:`course.compliance.xapi`), and an LRS stores an id once: posting a
  statement it already has with the same content is accepted and records nothing new (xAPI 1.0.3,
  Communication 2.1.2), so sending again never duplicates a record;
* a request that fails for a passing reason (no connection, a time-out, 408, 429, 5xx) is tried
  again after ``backoff_seconds``, doubling each time (or the LRS's ``Retry-After``), up to
  ``attempts`` tries; then the run stops and what is unsent waits in the outbox;
* a batch the LRS rejects (400, or 422 as some LRSs say; 409 for a different statement under the
  same id; 413) is split until the statement it rejects is found and named; the others are sent;
  the rejected one stays in the outbox;
* refused credentials (401, 403) stop the run at once, naming the statement that was being sent.

The outbox is ``DIR/compliance/outbox/xapi.jsonl`` (owner-only, rewritten atomically), and beside it
``xapi.acked``, the ids the LRS acknowledged during a run (appended and flushed after every batch),
so a run killed halfway resends nothing it knows arrived. The next run sends the outbox first.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from course.compliance._files import private_dir, write_private
from course.compliance.settings import LrsSettings, credentials, load_settings, settings_path

OUTBOX_DIR = "compliance/outbox"
XAPI_VERSION = "1.0.3"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_SPLIT_STATUS = frozenset({400, 409, 413, 422})  # 422: what Ralph answers for an invalid statement
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LrsError(RuntimeError):
    """The LRS cannot be used as given (a bad URL, credentials over plain HTTP)."""


def endpoint(url: str) -> str:
    """The statements resource of the LRS at ``url`` (its xAPI base, or the resource itself)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LrsError(f"--lrs {url!r} is not an http(s) address like https://lrs.example/xAPI/")
    if parts.username or parts.password:
        raise LrsError("put the LRS's credentials in the environment ($COURSE_LRS_USERNAME, $COURSE_LRS_PASSWORD) "
                       "or the settings file, not in the address")
    base = url.split("?", 1)[0].rstrip("/")
    return base if base.endswith("/statements") else base + "/statements"


def prepare(course_dir: Path | str, url: str, settings_file: Path | str | None = None
            ) -> tuple[str, tuple[str, str] | None, LrsSettings]:
    """``(statements endpoint, credentials, settings)`` for ``--lrs URL``, checked before any work is done."""
    target = endpoint(url)
    path = settings_path(course_dir, settings_file)
    settings = load_settings(path, required=settings_file is not None).lrs
    return target, credentials(settings, "lrs", path), settings


def describe(statement: dict[str, Any]) -> str:
    """``ID (VERB MODULE by WHO)``: how a statement is named in messages."""
    verb = str((statement.get("verb") or {}).get("id", "?")).rsplit("/", 1)[-1]
    module = str((statement.get("object") or {}).get("id", "?")).rstrip("/").rsplit("/", 1)[-1]
    actor = statement.get("actor") or {}
    who = str(actor.get("mbox", "")).removeprefix("mailto:") or str((actor.get("account") or {}).get("name", "?"))
    return f"{statement.get('id', '(no id)')} ({verb} {module} by {who})"


@dataclass(frozen=True)
class Rejected:
    statement_id: str
    statement: str  # as :func:`describe` names it
    status: int
    reason: str

    def __str__(self) -> str:
        return f"statement {self.statement} rejected by the LRS ({self.status}): {self.reason}"


@dataclass
class DeliveryResult:
    endpoint: str
    outbox: Path
    offered: int = 0  # statements this run tried to deliver (the outbox's first)
    from_outbox: int = 0  # of which were waiting from an earlier run
    accepted: int = 0  # acknowledged by the LRS (new, or already stored there)
    requests: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped before the end
    kept: int = 0  # left in the outbox for the next run

    @property
    def ok(self) -> bool:
        return self.kept == 0

    def summary(self) -> str:
        waiting = f" ({self.from_outbox:,} from the outbox)" if self.from_outbox else ""
        text = f"{self.accepted:,} of {self.offered:,} statement(s){waiting} delivered to {self.endpoint}"
        if self.kept:
            text += f"; {self.kept:,} kept in the outbox {self.outbox} for the next run"
        return text


class Outbox:
    """Statements not yet acknowledged by an LRS, in the order they go out."""

    def __init__(self, root: Path | str) -> None:
        self.directory = Path(root) / OUTBOX_DIR
        self.file = self.directory / "xapi.jsonl"
        self.acked_file = self.directory / "xapi.acked"

    def pending(self) -> list[dict[str, Any]]:
        if not self.file.exists():
            return []
        acked = self._acked()
        out = []
        for number, line in enumerate(self.file.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                statement = json.loads(line)
            except ValueError as exc:
                raise LrsError(f"{self.file}, line {number}: not a statement ({exc}); move the file aside and "
                               "run again (the report rebuilds every statement)") from None
            if statement.get("id") not in acked:
                out.append(statement)
        return out

    def _acked(self) -> set[str]:
        if not self.acked_file.exists():
            return set()
        lines = self.acked_file.read_text("utf-8").split("\n")
        return {x for x in lines[:-1] if x}  # the last piece is empty or torn

    def replace(self, statements: list[dict[str, Any]]) -> None:
        """Make ``statements`` the whole outbox (atomically), forgetting acknowledgements."""
        if statements:
            private_dir(self.directory)
            write_private(self.file, "".join(_line(s) for s in statements))
        else:
            self.file.unlink(missing_ok=True)
        self.acked_file.unlink(missing_ok=True)

    def ack(self, ids: Iterable[str]) -> None:
        text = "".join(f"{i}\n" for i in ids)
        fd = os.open(self.acked_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)


def _line(statement: dict[str, Any]) -> str:
    return json.dumps(statement, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class _Stop(Exception):
    pass


def send_statements(root: Path | str, statements: Iterable[dict[str, Any]], *, url: str,
                    auth: tuple[str, str] | None, settings: LrsSettings | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    transport: httpx.BaseTransport | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryResult:
    """Deliver the outbox of the workspace in ``root``, then ``statements`` (see the module docstring).

    ``progress(done, total)`` is called after every request that settled some statements.
    """
    settings = settings or LrsSettings()
    target = endpoint(url)
    host = urlsplit(target).hostname or ""
    if auth is not None and urlsplit(target).scheme == "http" and host not in _LOOPBACK:
        raise LrsError(f"{target} is plain HTTP: the LRS password would cross the network readable; use https")
    outbox = Outbox(root)
    result = DeliveryResult(endpoint=target, outbox=outbox.file)
    queue: dict[str, dict[str, Any]] = {}
    for s in outbox.pending():
        queue[s["id"]] = s
    result.from_outbox = len(queue)
    for s in statements:
        queue[s["id"]] = s  # a newer build of the same statement replaces the waiting one
    todo = list(queue.values())
    result.offered = len(todo)
    outbox.replace(todo)  # from here on nothing is lost, whatever happens to this process
    settled: set[str] = set()
    done = 0
    headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
    try:
        with httpx.Client(auth=auth, headers=headers, timeout=settings.timeout_seconds, transport=transport,
                          follow_redirects=False) as client:
            for start in range(0, len(todo), settings.batch_size):
                batch = todo[start:start + settings.batch_size]
                try:
                    for ids in _deliver(client, target, batch, settings, result, sleep):
                        outbox.ack(ids)
                        settled.update(ids)
                        result.accepted += len(ids)
                finally:
                    done = start + len(batch)
                    if progress is not None and result.stopped is None:
                        progress(done, len(todo))
    except _Stop:
        pass
    finally:
        left = [s for s in todo if s["id"] not in settled]
        outbox.replace(left)
        result.kept = len(left)
    return result


def _deliver(client: httpx.Client, target: str, batch: list[dict[str, Any]], settings: LrsSettings,
             result: DeliveryResult, sleep: Callable[[float], None]) -> Iterator[list[str]]:
    """Send ``batch``, yielding the ids the LRS acknowledged; split it around statements it rejects."""
    response = _post(client, target, batch, settings, result, sleep)
    if response.status_code in (200, 204):
        yield [s["id"] for s in batch]
        return
    if response.status_code in (401, 403):
        what = "refused the credentials" if response.status_code == 401 else "does not let these credentials write"
        result.stopped = (f"the LRS at {target} {what} ({response.status_code} {response.reason_phrase}) when sent "
                          f"statement {describe(batch[0])}; check $COURSE_LRS_USERNAME and $COURSE_LRS_PASSWORD "
                          "(or the settings file)")
        raise _Stop
    if response.status_code in _SPLIT_STATUS:
        if len(batch) == 1:
            result.rejected.append(Rejected(batch[0]["id"], describe(batch[0]), response.status_code,
                                            _reason(response)))
            return
        middle = len(batch) // 2
        yield from _deliver(client, target, batch[:middle], settings, result, sleep)
        yield from _deliver(client, target, batch[middle:], settings, result, sleep)
        return
    result.stopped = (f"the LRS at {target} answered {response.status_code} {response.reason_phrase} to a batch "
                      f"starting with statement {describe(batch[0])}: {_reason(response)}")
    raise _Stop


def _post(client: httpx.Client, target: str, batch: list[dict[str, Any]], settings: LrsSettings,
          result: DeliveryResult, sleep: Callable[[float], None]) -> httpx.Response:
    body = ("[" + ",".join(_line(s).rstrip("\n") for s in batch) + "]").encode("utf-8")
    wait = settings.backoff_seconds
    for attempt in range(1, settings.attempts + 1):
        problem: str
        try:
            result.requests += 1
            response = client.post(target, content=body)
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if response.status_code not in _RETRY_STATUS:
                return response
            problem = f"{response.status_code} {response.reason_phrase}"
            with contextlib.suppress(ValueError):
                wait = max(wait, min(float(response.headers.get("Retry-After", "")), 60.0))
        if attempt == settings.attempts:
            result.stopped = (f"the LRS at {target} could not be reached after {attempt} tries ({problem}) while "
                              f"sending statement {describe(batch[0])} and {len(batch) - 1} more")
            raise _Stop
        sleep(wait)
        wait *= 2
    raise AssertionError("unreachable")


def _reason(response: httpx.Response) -> str:
    try:
        detail: Any = response.json()
    except ValueError:
        detail = response.text
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]
    if isinstance(detail, list):  # FastAPI / pydantic errors
        detail = "; ".join(
            f"{'/'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg', d)}" if isinstance(d, dict) else str(d)
            for d in detail[:3])
    text = " ".join(str(detail).split())
    return text[:300] + ("…" if len(text) > 300 else "") or "(no reason given)"


def fetch_statements(url: str, auth: tuple[str, str] | None, *, page: int = 100,
                     transport: httpx.BaseTransport | None = None) -> list[dict[str, Any]]:
    """Every statement the LRS returns for ``GET …/statements``, following ``more`` links."""
    target = endpoint(url)
    out: list[dict[str, Any]] = []
    with httpx.Client(auth=auth, headers={"X-Experience-API-Version": XAPI_VERSION}, timeout=60,
                      transport=transport) as client:
        next_url: str | None = f"{target}?limit={page}"
        while next_url:
            response = client.get(next_url)
            response.raise_for_status()
            body = response.json()
            out.extend(body.get("statements", []))
            more = body.get("more") or None
            next_url = urljoin(target, more) if more else None
    return out
