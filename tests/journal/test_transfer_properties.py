"""Property: any valid journal survives export -> import -> export unchanged, in both formats."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import EntryData
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)
moments = st.integers(min_value=0, max_value=360 * 24 * 3600).map(lambda s: datetime(2025, 6, 1) + timedelta(seconds=s))
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(",\"'\n;"), min_size=1,
                max_size=40).map(str.strip).filter(bool)
entries = st.one_of(
    st.builds(lambda at, mg, status: EntryData("dose", at, mg=mg, status=status), moments,
              st.floats(min_value=0.001, max_value=5000, allow_nan=False), st.sampled_from(["taken", "late", "skipped"])),
    st.builds(lambda at, v, name: EntryData("symptom", at, name=name, value=v), moments,
              st.floats(min_value=0, max_value=10, allow_nan=False), st.sampled_from(["pain", "sleep", "my_scale"])),
    st.builds(lambda at, n: EntryData("symptom", at, name="spasm_count", value=float(n)), moments,
              st.integers(min_value=0, max_value=500)),
    st.builds(lambda at, t, k: EntryData(k, at, text=t), moments, texts, st.sampled_from(["note", "trigger"])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
