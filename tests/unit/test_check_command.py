"""`course check`: posts from a file, stdin or a CSV column; text or JSON; exit 1 on blocking, 2 on bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from course.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
        stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run `course check ARGS` in this process; return exit status, standard output and error."""
    monkeypatch.setattr(sys, "argv", ["course", "check", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_file_with_one_post_per_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Each non-blank line is a post; a blocking finding makes the exit status 1."""
    posts = tmp_path / "posts.txt"
    posts.write_text("Lovely day at the Leeds store.\n\nRing me on 07700 900123\n", "utf-8")
    status, out, _ = run(monkeypatch, capsys, str(posts), "--channel", "x")
    assert status == 1
    assert "line 1: ✔ passes" in out and "line 3: ✘ does not pass" in out
    assert "sensitive.phone" in out and "0770••••0123" in out and "07700 900123" not in out
    assert "Checked 2 posts for X (formerly Twitter): 1 pass, 1 do not; 1 with blocking findings." in out


def test_stdin_and_json_exit_zero_when_nothing_blocks(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Posts on standard input are checked; JSON output carries spans, score and verdict."""
    status, out, _ = run(monkeypatch, capsys, "--channel", "linkedin", "--format", "json",
                         stdin=b"We will leverage this.\n")
    assert status == 0
    data = json.loads(out)
    [post] = data["posts"]
    assert post["ref"] == "line 1" and post["passes"] is True and post["score"] == 96
    assert post["findings"][0] | {"message": None, "suggestion": None} == {
        "rule_id": "words.jargon_leverage", "severity": "advice", "start": 8, "end": 16,
        "message": None, "suggestion": None, "excerpt": "leverage"}


def test_csv_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With --column, posts are that column's cells, numbered as spreadsheet rows; quoted line breaks stay."""
    sheet = tmp_path / "drafts.csv"
    sheet.write_text('author,draft\nKit,"@sam_k Sorry!\nWe are on it. ^JM"\nNell,Call BW-20418873\n', "utf-8")
    status, out, _ = run(monkeypatch, capsys, str(sheet), "--channel", "customer_care_reply", "--column", "draft",
                         "--format", "json")
    data = json.loads(out)
    assert status == 1 and [p["ref"] for p in data["posts"]] == ["row 2", "row 3"]
    assert data["posts"][0]["passes"] is True
    status, _, err = run(monkeypatch, capsys, str(sheet), "--channel", "x", "--column", "text")
    assert status == 2 and "has no column called 'text'; the columns are: author, draft" in err


def test_whole_input_as_one_post(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--whole checks a multi-line email as one draft."""
    email = tmp_path / "email.txt"
    email.write_text("Hi Jo,\nPlease find attached the notes.\nKit\n", "utf-8")
    status, out, _ = run(monkeypatch, capsys, str(email), "--channel", "email", "--whole")
    assert status == 0 and "the whole input: ✔ passes" in out and "words.formal_kindly" in out


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"ok\n\xff\xfe bad\n", (), "is not UTF-8 text: line 2 has the byte 0xff"),
        (b"\x00\x01\x02binary", (), "looks like a binary file"),
        (b"hello\n", ("--channel", "tiktok"), "there is no channel called 'tiktok'"),
    ],
)
def test_bad_input_is_a_clear_error_with_status_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], content: bytes,
                                                  args: tuple[str, ...], message: str) -> None:
    """Invalid UTF-8, a binary file or an unknown channel is one plain sentence on stderr and status 2."""
    path = tmp_path / "posts.txt"
    path.write_bytes(content)
    status, out, err = run(monkeypatch, capsys, str(path), *(args or ("--channel", "x")))
    assert status == 2 and message in err and out == ""


def test_missing_file(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not there is named in the error."""
    status, _, err = run(monkeypatch, capsys, "no-such-file.txt", "--channel", "x")
    assert status == 2 and "no-such-file.txt: no such file" in err
