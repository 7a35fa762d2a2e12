"""A table pasted into a text (CSV, tab-separated, Markdown) is read row by row with its headings.

The rows are read beside the lines themselves, so a table can add a finding and never take one away; its
heading line alone (column names) is left out, as every row repeats each heading beside its value.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical import triage
from gabacare.clinical.text.normalise import table_headings, table_rows

_HEADING = st.text(string.ascii_lowercase + "_ ", min_size=1, max_size=12).filter(lambda h: any(c.isalpha() for c in h))
_CELL = st.text(string.ascii_lowercase + string.digits + ": ", min_size=1, max_size=8).filter(str.strip)


@settings(max_examples=200, deadline=None)
@given(
    separator=st.sampled_from([",", "\t", "|", ";"]),
    headings=st.lists(_HEADING, min_size=2, max_size=5),
    data=st.data(),
)
def test_each_row_with_a_number_is_read_with_its_headings(separator: str, headings: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.lists(_CELL, min_size=len(headings), max_size=len(headings))
                              .map(lambda cells: [*cells[:-1], cells[-1] + "7"]), min_size=1, max_size=4))
    heads = [h.strip() for h in headings]
    if any(not any(c.isalpha() for c in h) for h in heads) or any(separator in h for h in heads):
        return
    text = "\n".join([separator.join(headings), *(separator.join(r) for r in rows)])
    read = table_rows(text)
    assert len(read) == len(rows)
    for line, cells in zip(read, rows, strict=True):
        assert line == ", ".join(f"{h}: {c.strip()}" for h, c in zip(heads, cells, strict=True))


@given(st.lists(st.text(string.ascii_lowercase + " ,", min_size=1, max_size=30), min_size=1, max_size=5))
def test_lines_of_words_without_a_number_are_no_table(lines: list[str]) -> None:
    assert table_rows("\n".join(lines)) == []


def test_a_pasted_observation_chart_is_read_as_slow_breathing_and_no_waking() -> None:
    # Line by line, "time,breaths_per_min,rousable" and "01:15,6,no" say nothing; with the headings
    # they say slow breathing and not rousable (label 5.7, respiratory depression). Escaped line breaks,
    # as pasted from a JSON string or a log, are line breaks too.
    for text in ("time,breaths_per_min,rousable\n01:00,7,no\n01:15,6,no",
                 "time,breaths_per_min,rousable\\n01:00,7,no\\n01:15,6,no",
                 "| time | resp rate | rousable |\n|---|---|---|\n| 02:00 | 6 | no |"):
        result = triage([text])
        assert result.most_urgent == "emergency", text
        assert result.results[0].to_json()["effect"] == "respiratory-depression"


def test_a_table_never_takes_away_what_its_lines_say() -> None:
    # A column answered "yes" is read with its heading, as "seizure: yes".
    assert triage(["date,seizure,dose_mg\n2026-12-01,yes,300"]).most_urgent == "emergency"
    assert triage(["day,mood,sleep_hours\nmonday,ok,7"]).most_urgent in (None, "expected")


_SIGNS = ("seizure", "swollen lips", "trouble breathing", "suicidal thoughts", "blistering rash")


@settings(max_examples=100, deadline=None)
@given(separator=st.sampled_from([",", "\t", "|", ";"]), sign=st.sampled_from(_SIGNS), days=st.integers(1, 4),
       answer=st.sampled_from(["no", "yes"]))
def test_a_heading_names_a_column_and_only_its_rows_say_what_happened(separator: str, sign: str, days: int,
                                                                        answer: str) -> None:
    # A symptom diary pasted from a spreadsheet: "date,seizure,dose_mg" with every row "no" reports no
    # seizure (the heading line was read as one, an emergency); a row "yes" still does.
    rows = [separator.join([f"2026-12-0{d}", answer if d == days else "no", "300"]) for d in range(1, days + 1)]
    text = "\n".join([separator.join(["date", sign, "dose_mg"]), *rows])
    assert table_headings(text)
    assert (triage([text]).most_urgent == "emergency") == (answer == "yes")


def test_a_heading_without_a_row_of_numbers_is_read_as_a_line() -> None:
    # Not a table (no row holds a number): the line is read as written, and leans to escalate.
    assert table_headings("date,seizure\nmonday,no") == []
    assert triage(["seizure, rash\nmonday, no"]).most_urgent == "emergency"
