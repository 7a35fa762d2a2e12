"""Properties: any valid journal survives export -> import -> export byte for byte, in both formats;
the CSV cell protection is undone exactly; the streaming JSON reader gives the same rows and line
numbers however the file is cut into reads."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.journal import transfer
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import EntryData
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)
moments = st.integers(min_value=0, max_value=360 * 24 * 3600).map(lambda s: datetime(2025, 6, 1) + timedelta(seconds=s))
# Text as people type or paste it: any printable Unicode, line breaks of every kind inside, CSV's own
# special characters and the starts a spreadsheet reads as a formula.
specials = st.sampled_from([",", '"', "'", "\n", "\r", "\r\n", "\t", ";", "=", "+", "-", "@", "''=", "✓", "痛"])
texts = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6) | specials,
                 min_size=1, max_size=8).map("".join).map(str.strip).filter(bool)
entries = st.one_of(
    st.builds(lambda at, mg, status: EntryData("dose", at, mg=mg, status=status), moments,
              st.floats(min_value=0.001, max_value=3600, allow_nan=False), st.sampled_from(["taken", "late", "skipped"])),
    st.builds(lambda at, v, name: EntryData("symptom", at, name=name, value=v), moments,
              st.floats(min_value=0, max_value=10, allow_nan=False), st.sampled_from(["pain", "sleep", "my_scale"])),
    st.builds(lambda at, n: EntryData("symptom", at, name="spasm_count", value=float(n)), moments,
              st.integers(min_value=0, max_value=500)),
    st.builds(lambda at, t, k: EntryData(k, at, text=t), moments, texts, st.sampled_from(["note", "trigger"])),
    st.builds(lambda at, v, unit: EntryData("lab", at, name="vitamin_d", value=v, unit=unit), moments,
              st.floats(min_value=0.01, max_value=500, allow_nan=False), st.sampled_from(["mg/L", "-1 odd unit"])),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile (tests/conftest.py)
@given(st.lists(entries, max_size=15), st.sampled_from(["csv", "json"]))
def test_round_trip(items: list[EntryData], fmt: str) -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    a = j.add_patient("A").id
    for item in items:
        j.repo.add_entry(a, j._prepare(item), recorded_at=NOW)
    first = j.export(a, fmt)  # type: ignore[arg-type]
    b = j.add_patient("B").id
    j.import_text(b, first, fmt)  # type: ignore[arg-type]
    assert j.export(b, fmt) == first  # type: ignore[arg-type]
    assert [e.data for e in j.entries(b)] == [e.data for e in j.entries(a)]


@given(st.text())
def test_cell_protection_is_undone_exactly(cell: str) -> None:
    written = transfer.protect_cell(cell)
    assert transfer.unprotect_cell(written) == cell
    assert written[:1] not in ("=", "+", "-", "@", "\t", "\r")  # nothing a spreadsheet would evaluate


@settings(deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(transfer.COLUMNS), st.none() | st.integers(-5, 5) | texts,
                                max_size=4), max_size=12),
       st.integers(min_value=1, max_value=40), st.booleans())
def test_the_json_reader_does_not_depend_on_how_the_file_is_cut(rows: list[dict[str, object]], read_size: int,
                                                                pretty: bool) -> None:
    text = json.dumps({"format": transfer.FORMAT_NAME, "version": transfer.FORMAT_VERSION, "rows": rows},
                      indent=2 if pretty else None)
    expected_lines = [_line_of(text, i) for i in range(len(rows))]

    class Trickle(io.StringIO):
        def read(self, size: int | None = -1) -> str:
            return super().read(min(read_size, size if size is not None and size >= 0 else read_size))

    got = list(transfer.iter_rows(Trickle(text), "json"))
    assert [r.fields for r in got] == rows
    assert [r.line for r in got] == expected_lines


def _line_of(text: str, index: int) -> int:
    """The line where the ``index``-th element of the ``rows`` array starts (a slow, obvious reference)."""
    decoder = json.JSONDecoder()
    pos = text.index("[", text.index('"rows"')) + 1
    for i in range(index + 1):
        while text[pos] in " \t\r\n,":
            pos += 1
        if i == index:
            return text.count("\n", 0, pos) + 1
        _, pos = decoder.raw_decode(text, pos)
    raise AssertionError("unreachable")
