"""``gabacare patient delete --patient ID --confirm NAME [--json]`` (issue 18, the deletion contract), on
SQLite and PostgreSQL: exit 2 with one line and nothing deleted for a wrong name or an unknown id; on
success the JSON counts what went, every row of the patient is gone (the other patient untouched) and
the audit log keeps the record of the deletion, made by the ``cli`` actor."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from .test_cli import run

_TABLES = ("patients", "entries", "plans", "questionnaires", "pickups", "share_links", "calendar_feeds",
           "patient_members")


def _rows(db_url: str, pid: int) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(text(f"SELECT count(*) FROM {t} WHERE "  # the table names are the fixed _TABLES
                                             f"{'id' if t == 'patients' else 'patient_id'} = :p"), {"p": pid}).scalar_one())
                    for t in _TABLES}
    finally:
        engine.dispose()


def _audit(db_url: str, pid: int) -> list[tuple[str, str, str]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT actor_kind, action, resource_kind FROM audit_log WHERE patient_id = :p "
                                     "ORDER BY id"), {"p": pid}).all()
            return [(str(a), str(b), str(c)) for a, b, c in rows]
    finally:
        engine.dispose()


def test_patient_delete_confirms_counts_and_removes_everything(db_url: str) -> None:
    pid = run(db_url, "patient", "add", "Ada  Lovelace")["id"]
    other = run(db_url, "patient", "add", "Bo")["id"]
    for who in (pid, other):
        run(db_url, "plan", "set", "--patient", str(who), "300 mg TID", "--start", "2026-01-01")
        run(db_url, "log", "dose", "--patient", str(who), "--mg", "300", "--prn", "--at", "2026-01-02T10:00")
        run(db_url, "log", "note", "--patient", str(who), "slept badly", "--at", "2026-01-02T11:00")
        run(db_url, "log", "pickup", "--patient", str(who), "--strength", "300", "--count", "90",
            "--at", "2026-01-01T09:00")
    before = _rows(db_url, pid)
    assert before["entries"] == 2 and before["plans"] == 1 and before["pickups"] == 1

    wrong = run(db_url, "patient", "delete", "--patient", str(pid), "--confirm", "Ada", code=2)
    assert "not the patient's name" in wrong and "nothing was deleted" in wrong
    unknown = run(db_url, "patient", "delete", "--patient", "999999", "--confirm", "Ada Lovelace", code=2)
    assert "999999" in unknown
    assert _rows(db_url, pid) == before

    # Spacing and letter case do not count, as on the web page.
    removed = run(db_url, "patient", "delete", "--patient", str(pid), "--confirm", " ada lovelace ")
    assert removed == {"deleted": True, "patient": pid, "entries": 2, "plans": 1, "questionnaires": 0,
                       "share_links": 0, "calendar_feeds_revoked": 0}
    assert sum(_rows(db_url, pid).values()) == 0
    assert _rows(db_url, other)["entries"] == 2 and _rows(db_url, other)["pickups"] == 1
    assert [p["id"] for p in run(db_url, "patient", "list")["patients"]] == [other]
    assert ("cli", "delete", "patient") in _audit(db_url, pid)
    again = run(db_url, "patient", "delete", "--patient", str(pid), "--confirm", "Ada Lovelace", code=2)
    assert str(pid) in again
