"""Posts from a file or standard input (one per line, a CSV column, or the whole input), and reports on them.

This is the library behind ``course check``: reading and rendering live here, checking stays pure.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from course.policy import PolicySet
from course.voice._findings import MAX_TEXT_CHARS, CheckError, Report

OutputFormat = Literal["text", "json"]
#: Column names tried, in order, when a CSV file is given without ``column``.
DEFAULT_COLUMNS = ("text", "post", "message", "draft", "body", "content")

_SYMBOL = {"blocking": "⛔", "warning": "⚠", "advice": "ℹ"}


class PostsError(CheckError):
    """The posts cannot be read: no such file, not UTF-8 text, a binary file, or no such CSV column."""


@dataclass(frozen=True)
class Post:
    """One post to check, with where it came from: ``line 3`` of a text file or ``row 4`` of a CSV."""

    ref: str
    number: int
    text: str


def read_posts(source: Path | str | None = None, *, column: str | None = None, whole: bool = False,
               stdin: BinaryIO | None = None) -> list[Post]:
    """Read the posts in ``source`` (a path; ``None`` or ``"-"`` for standard input).

    A text file holds one post per line (blank lines are skipped); with ``column``, or for a
    ``.csv`` file, posts are the cells of that CSV column (rows numbered as in a spreadsheet,
    the header being row 1); with ``whole``, the whole input is one post.
    """
    name, data = _read_bytes(source, stdin)
    text = _decode(name, data)
    is_csv = column is not None or (name.lower().endswith(".csv") and not whole)
    if whole:
        return [Post("the whole input", 1, text)]
    if is_csv:
        return _csv_posts(name, text, column)
    return [Post(f"line {i}", i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _read_bytes(source: Path | str | None, stdin: BinaryIO | None) -> tuple[str, bytes]:
    if source is None or str(source) == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin.buffer
        return "standard input", stream.read(4 * MAX_TEXT_CHARS + 1)
    path = Path(source)
    try:
        if path.stat().st_size > 4 * MAX_TEXT_CHARS:
            raise PostsError(f"{path} is {path.stat().st_size:,} bytes; split it into files under "
                             f"{4 * MAX_TEXT_CHARS // 1_000_000} MB")
        return str(path), path.read_bytes()
    except FileNotFoundError:
        raise PostsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PostsError(f"{path} is a folder; give a text or CSV file") from None
    except OSError as exc:
        raise PostsError(f"{path} cannot be read ({exc.strerror})") from None


def _decode(name: str, data: bytes) -> str:
    if b"\0" in data[:8192]:
        raise PostsError(f"{name} looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PostsError(
            f"{name} is not UTF-8 text: line {line} has the byte {data[exc.start]:#04x}, which is not "
            "valid UTF-8. Save the file as UTF-8 (in Excel: CSV UTF-8) and try again"
        ) from None


def _csv_posts(name: str, text: str, column: str | None) -> list[Post]:
    csv.field_size_limit(MAX_TEXT_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        if column is None:
            lowered = [h.strip().lower() for h in header]
            picked = next((c for c in DEFAULT_COLUMNS if c in lowered), None)
            if picked is None and len(header) != 1:
                raise PostsError(f"{name}: say which column holds the posts with --column; "
                                 f"the columns are: {', '.join(header)}")
            index = 0 if picked is None else lowered.index(picked)
        else:
            if column not in header:
                raise PostsError(f"{name} has no column called {column!r}; the columns are: {', '.join(header)}")
            index = header.index(column)
        posts = []
        for row_number, row in enumerate(reader, start=2):
            cell = row[index] if index < len(row) else ""
            if cell.strip():
                posts.append(Post(f"row {row_number}", row_number, cell))
        return posts
    except csv.Error as exc:
        raise PostsError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None


def check_posts(posts: Sequence[Post], channel: str, *, policies: PolicySet | None = None
                ) -> list[tuple[Post, Report]]:
    """Each post with its :class:`Report` for ``channel`` (brand voice and sensitive content)."""
    from course.voice import checker_for

    checker = checker_for(policies)
    checker.channel(channel)  # an unknown channel fails before any post is read
    return [(post, checker.check(post.text, channel)) for post in posts]


def render(results: Sequence[tuple[Post, Report]], channel_name: str, *, fmt: OutputFormat = "text") -> str:
    """The results as plain text for people or as JSON for programs."""
    if fmt == "json":
        return render_json(results)
    return render_text(results, channel_name)


def render_json(results: Sequence[tuple[Post, Report]]) -> str:
    return json.dumps(
        {
            "checked": len(results),
            "passed": sum(r.passes for _, r in results),
            "with_blocking": sum(bool(r.blocking) for _, r in results),
            "posts": [{"ref": p.ref, "number": p.number, **r.to_dict()} for p, r in results],
        },
        ensure_ascii=False,
        indent=2,
    )


def render_text(results: Sequence[tuple[Post, Report]], channel_name: str) -> str:
    lines = []
    for post, report in results:
        verdict = "✔ passes" if report.passes else "✘ does not pass"
        lines.append(f"{post.ref}: {verdict}, score {report.score}/100 (pass mark {report.pass_score})")
        for f in report.findings:
            where = f"at {f.start}" if f.start == f.end else f'"{f.excerpt(report.text, limit=40)}"'
            lines.append(f"  {_SYMBOL[f.severity]} {f.severity:<8} {f.rule_id}  {where}")
            lines.append(f"      {f.message}")
            lines.append(f"      → {f.suggestion}")
    passed = sum(r.passes for _, r in results)
    blocking = sum(bool(r.blocking) for _, r in results)
    noun = "post" if len(results) == 1 else "posts"
    lines.append(
        f"Checked {len(results)} {noun} for {channel_name}: {passed} pass, {len(results) - passed} do not"
        + (f"; {blocking} with blocking findings." if blocking else "; nothing blocking.")
    )
    return "\n".join(lines)


def any_blocking(results: Sequence[tuple[Post, Report]]) -> bool:
    return any(r.blocking for _, r in results)
