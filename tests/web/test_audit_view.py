"""The audit page's rows (web/audit_view.py): "you", local time, one line per visit, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from gabacare.accounts.model import AuditEntry
from gabacare.web.audit_view import FOLD_WITHIN, audit_rows

T0 = datetime(2026, 12, 5, 9, 0, 0)  # stored naive, meaning UTC


def entry(i: int, seconds: float, action: str = "read", kind: str = "entry", actor: int = 7,
          actor_kind: str = "user", resource: int | None = None) -> AuditEntry:
    return AuditEntry(at=T0 + timedelta(seconds=seconds), actor_kind=actor_kind, actor_id=actor,  # type: ignore[arg-type]
                      action=action, patient_id=1, resource_kind=kind, resource_id=resource, id=i)  # type: ignore[arg-type]


def test_the_viewer_is_you_and_others_keep_their_number() -> None:
    rows = audit_rows([entry(1, 0, actor=7), entry(2, 600, actor=8)], viewer_id=7, zone=UTC)
    assert [r.who for r in rows] == ["account #8", "you"]


def test_times_are_shown_in_the_given_zone() -> None:
    (row,) = audit_rows([entry(1, 0)], viewer_id=7, zone=timezone(timedelta(hours=2)))
    assert row.last.hour == 11 and row.last.utcoffset() == timedelta(hours=2)


def test_one_visit_of_reads_is_one_row_that_counts_them() -> None:
    visit = [entry(1, 0, kind="entry"), entry(2, 1, kind="chart"), entry(3, 2, kind="chart"), entry(4, 3, kind="plan")]
    (row,) = audit_rows(visit, viewer_id=7, zone=UTC)
    assert row.count == 4 and row.action == "read" and row.what == "entry, chart, plan"
    assert row.first == T0.replace(tzinfo=UTC) and row.last == (T0 + timedelta(seconds=3)).replace(tzinfo=UTC)


def test_changes_and_gaps_are_never_folded() -> None:
    rows = audit_rows([entry(1, 0), entry(2, 1, action="create", resource=5), entry(3, 2), entry(4, 2),
                       entry(5, 2 + FOLD_WITHIN.total_seconds() + 1)], viewer_id=7, zone=UTC)
    assert [(r.action, r.count) for r in rows] == [("read", 1), ("read", 2), ("create", 1), ("read", 1)]
    assert rows[2].what == "entry #5"


@given(st.lists(st.tuples(st.floats(0, 30), st.sampled_from(["read", "update", "export"]), st.sampled_from([7, 8])),
                max_size=40))
def test_no_record_is_lost(steps: list[tuple[float, str, int]]) -> None:
    t = 0.0
    entries = []
    for i, (gap, action, actor) in enumerate(steps):
        t += gap
        entries.append(entry(i, t, action=action, actor=actor))
    rows = audit_rows(entries, viewer_id=7, zone=UTC)
    assert sum(r.count for r in rows) == len(entries)
    assert [r.last for r in rows] == sorted((r.last for r in rows), reverse=True)
