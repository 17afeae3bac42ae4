"""Module 06 (cases and numbers): the team's case library and the staff activity log as DataFrames.

``load_cases()`` reads ``data/cases.csv``: past situations, what was done, the outcome and the lesson.
``load_activity_log()`` reads ``data/activity_log.csv``: one row per post, comment, like or share by a
member of staff (a pseudonym, never a name). Both are synthetic. ``search_cases`` filters the library
by tag, channel and keyword; ``bar_chart`` draws a readable, labelled chart of a count per group.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from course._paths import data_dir

CASE_COLUMNS = ("case_id", "date", "department", "channel", "platform", "situation", "action", "outcome",
                "lesson", "tags")
LOG_COLUMNS = ("employee", "department", "date", "platform", "action", "engagement")
LOG_ACTIONS = ("post", "comment", "like", "share")
TAG_SEPARATOR = ";"


class DataFileError(ValueError):
    """A data file is missing or does not have the columns or values the course expects."""

    def __init__(self, file: Path, problem: str) -> None:
        self.file = file
        super().__init__(f"{file}: {problem}")


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, keep_default_na=False)
    except FileNotFoundError:
        raise DataFileError(path, "file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(path, f"is not a readable CSV file ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(path, f"missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return frame[list(columns)]


def _dates(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    except (ValueError, TypeError) as exc:
        raise DataFileError(path, f"column date must hold dates like 2026-01-31 ({exc})") from None
    return frame


def load_cases(path: Path | str | None = None) -> pd.DataFrame:
    """The case library, oldest case first, with ``date`` as dates and ``tags`` as ``"a;b;c"`` text."""
    path = Path(path) if path is not None else data_dir() / "cases.csv"
    frame = _dates(_read(path, CASE_COLUMNS), path)
    if frame["case_id"].duplicated().any():
        first = frame.loc[frame["case_id"].duplicated(), "case_id"].iloc[0]
        raise DataFileError(path, f"case_id {first!r} appears more than once")
    return frame.sort_values(["date", "case_id"], ignore_index=True)


def load_activity_log(path: Path | str | None = None) -> pd.DataFrame:
    """The activity log: one row per action by a member of staff, with ``date`` as dates."""
    path = Path(path) if path is not None else data_dir() / "activity_log.csv"
    frame = _dates(_read(path, LOG_COLUMNS), path)
    unknown = sorted(set(frame["action"]) - set(LOG_ACTIONS))
    if unknown:
        raise DataFileError(path, f"unknown action {unknown[0]!r}; expected one of {', '.join(LOG_ACTIONS)}")
    if not pd.api.types.is_integer_dtype(frame["engagement"]) or (frame["engagement"] < 0).any():
        raise DataFileError(path, "column engagement must hold whole numbers, 0 or more")
    return frame


def tags_of(cases: pd.DataFrame) -> list[str]:
    """Every tag used in the library, in alphabetical order."""
    return sorted({t for tags in cases["tags"] for t in _split(tags)})


def _split(tags: str) -> list[str]:
    return [t.strip() for t in str(tags).split(TAG_SEPARATOR) if t.strip()]


def search_cases(cases: pd.DataFrame, *, tag: str | None = None, channel: str | None = None,
                 keyword: str | None = None) -> pd.DataFrame:
    """The cases with ``tag`` among their tags, on ``channel``, and mentioning ``keyword`` (any case).

    A filter left as ``None`` or empty is not applied. The keyword is looked for in the situation,
    what was done, the outcome and the lesson.
    """
    keep = pd.Series(True, index=cases.index)
    if tag:
        keep &= cases["tags"].map(lambda tags: tag in _split(tags))
    if channel:
        keep &= cases["channel"] == channel
    if keyword and keyword.strip():
        word = keyword.strip().lower()
        text = cases["situation"] + " " + cases["action"] + " " + cases["outcome"] + " " + cases["lesson"]
        keep &= text.str.lower().str.contains(word, regex=False)
    return cases[keep]


def bar_chart(counts: pd.Series, *, title: str, xlabel: str, ylabel: str):  # -> matplotlib Figure
    """A horizontal bar chart of ``counts`` (one bar per label, the largest at the top), each bar labelled
    with its value, with a title and both axes labelled. Returns the matplotlib figure, which a notebook
    shows with alt text naming every bar's value and the numbers as a table."""
    import matplotlib.pyplot as plt

    ordered = counts.sort_values()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(ordered) + 1.5))
    bars = ax.barh([str(i) for i in ordered.index], ordered.to_numpy(), color="#2b6cb0")
    ax.bar_label(bars, padding=3, fontsize=11)
    ax.set_title(title, fontsize=14, loc="left")
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    ax.tick_params(labelsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's result, not a second time by the inline backend
    from course.widgets.charts import described

    return described(fig, counts, title=title, xlabel=xlabel, ylabel=ylabel)  # with alt text and a data table
