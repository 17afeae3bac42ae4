"""course.cases: the case library and activity log load with clear errors; search and chart behave."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from course.cases import (
    CASE_COLUMNS,
    LOG_ACTIONS,
    DataFileError,
    bar_chart,
    load_activity_log,
    load_cases,
    search_cases,
    tags_of,
)

REPO = Path(__file__).resolve().parents[2]


def test_shipped_data_loads_and_stays_small() -> None:
    """The shipped case library and log load, with dates as dates, and are small enough to commit."""
    cases, log = load_cases(), load_activity_log()
    assert 40 <= len(cases) <= 60 and tuple(cases.columns) == CASE_COLUMNS
    assert pd.api.types.is_datetime64_any_dtype(cases["date"]) and cases["date"].is_monotonic_increasing
    assert len(log) >= 2000 and set(log["action"]) == set(LOG_ACTIONS)
    assert pd.api.types.is_integer_dtype(log["engagement"])
    size = (REPO / "data" / "cases.csv").stat().st_size + (REPO / "data" / "activity_log.csv").stat().st_size
    assert size < 500_000


def test_shipped_data_holds_no_real_looking_names_or_emails() -> None:
    """Staff appear by pseudonym only, and no email address is in either file."""
    log = load_activity_log()
    assert log["employee"].str.fullmatch(r"E\d{4}").all()
    for name in ("cases.csv", "activity_log.csv"):
        assert "@" not in (REPO / "data" / name).read_text("utf-8")


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("case_id,date\nC001,2026-01-01\n", "utf-8")
    with pytest.raises(DataFileError, match=r"missing column.*department") as info:
        load_cases(path)
    assert info.value.file == path


def test_bad_dates_duplicates_and_actions_are_reported(tmp_path: Path) -> None:
    header = ",".join(CASE_COLUMNS)
    row = "C001,2026-01-01,HR,email,none,s,a,o,l,t"
    path = tmp_path / "cases.csv"
    path.write_text(f"{header}\n{row}\n{row}\n", "utf-8")
    with pytest.raises(DataFileError, match="'C001' appears more than once"):
        load_cases(path)
    path.write_text(f"{header}\n{row.replace('2026-01-01', '1st Jan')}\n", "utf-8")
    with pytest.raises(DataFileError, match="dates like"):
        load_cases(path)
    log = tmp_path / "log.csv"
    log.write_text("employee,department,date,platform,action,engagement\nE1000,HR,2026-01-01,x,retweet,0\n", "utf-8")
    with pytest.raises(DataFileError, match="unknown action 'retweet'"):
        load_activity_log(log)
    log.write_text("employee,department,date,platform,action,engagement\nE1000,HR,2026-01-01,x,post,-1\n", "utf-8")
    with pytest.raises(DataFileError, match="whole numbers"):
        load_activity_log(log)
    with pytest.raises(DataFileError, match="file not found"):
        load_activity_log(tmp_path / "nope.csv")


def test_search_by_tag_is_exact_and_filters_combine() -> None:
    """A tag matches whole tags only; tag, channel and keyword (any case) narrow the result together."""
    cases = load_cases()
    spam = search_cases(cases, tag="spam")
    assert len(spam) == sum("spam" in t.split(";") for t in cases["tags"])
    assert search_cases(cases, tag="spa").empty
    both = search_cases(cases, tag="spam", channel="public_post", keyword="BLOG")
    assert len(both) >= 1 and both["lesson"].str.len().gt(0).all()
    assert set(both["case_id"]) <= set(spam["case_id"])
    assert len(search_cases(cases)) == len(cases)
    assert len(search_cases(cases, keyword="   ")) == len(cases)


def test_tags_are_sorted_and_unique() -> None:
    tags = tags_of(load_cases())
    assert tags == sorted(set(tags)) and "spam" in tags and "" not in tags


def test_bar_chart_is_labelled() -> None:
    """The chart has a title, both axis labels, one bar per group with its value, the largest on top."""
    counts = pd.Series({"HR": 3, "IT": 7, "Stores": 5})
    fig = bar_chart(counts, title="People per department", xlabel="People", ylabel="Department")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "People per department"
    assert ax.get_xlabel() == "People" and ax.get_ylabel() == "Department"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["HR", "Stores", "IT"]  # bottom to top: largest at the top
    assert [t.get_text() for t in ax.texts] == ["3", "5", "7"]


def test_bar_chart_shows_with_alt_text_and_a_data_table() -> None:
    """In a notebook the chart is an <img> whose alt text names every bar and its value, with a
    caption and the same numbers as a table (JupyterLab's own PNG output has no alt text)."""
    counts = pd.Series({"HR": 3, "IT": 7, "Stores": 5})
    fig = bar_chart(counts, title="People per department", xlabel="People", ylabel="Department")
    assert fig.alt_text == ("Bar chart: People per department. People, per department, largest first: "
                            "IT 7; Stores 5; HR 3.")
    page = fig._repr_html_()
    assert page.startswith("<figure") and "<img src='data:image/png;base64," in page
    assert f"alt='{fig.alt_text}'" in page and "<figcaption>People per department</figcaption>" in page
    assert "<th scope='row'" in page and ">IT</th><td" in page and ">7</td>" in page
