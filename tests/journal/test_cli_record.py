"""The honest-record contract on the command line (issue 18): ``log dose --slot/--prn``, ``log edit``,
``log delete``, adherence ``prn_doses`` and an idempotent ``import``; SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from .test_cli import run


def test_slot_prn_edit_delete_and_idempotent_import(db_url: str, tmp_path: Path) -> None:
    pid = str(run(db_url, "patient", "add", "Ada")["id"])
    other = str(run(db_url, "patient", "add", "Bo")["id"])
    run(db_url, "plan", "set", "--patient", pid, "300 mg TID", "--start", "2026-01-01")
    late = run(db_url, "log", "dose", "--patient", pid, "--mg", "300", "--slot", "2026-01-02T07:00",
               "--at", "2026-01-02T08:44")
    assert (late["slot"], late["at"], late["prn"], late["version"]) == ("2026-01-02T07:00:00", "2026-01-02T08:44:00",
                                                                       False, 1)
    skipped = run(db_url, "log", "dose", "--patient", pid, "--mg", "300", "--status", "skipped",
                  "--slot", "2026-01-02T14:00", "--at", "2026-01-02T08:44")
    assert skipped["at"] == skipped["slot"] == "2026-01-02T14:00:00"
    prn = run(db_url, "log", "dose", "--patient", pid, "--mg", "100", "--prn", "--at", "2026-01-02T10:00")
    assert (prn["prn"], prn["slot"]) == (True, None)
    assert "slot" in run(db_url, "log", "dose", "--patient", pid, "--mg", "300", "--slot", "2026-01-02T09:00",
                         "--at", "2026-01-02T09:00", code=2)

    adh = run(db_url, "adherence", "--patient", pid, "--from", "2026-01-02", "--to", "2026-01-02")
    assert (adh["scheduled"], adh["taken"], adh["on_time"], adh["extra"], adh["prn_doses"]) == (3, 1, 0, 0, 1)

    edited = run(db_url, "log", "edit", "--patient", pid, str(late["id"]), "--at", "2026-01-02T07:20")
    assert (edited["version"], edited["slot"], edited["at"]) == (2, "2026-01-02T07:00:00", "2026-01-02T07:20:00")
    assert run(db_url, "adherence", "--patient", pid, "--from", "2026-01-02", "--to", "2026-01-02")["on_time"] == 1
    assert "at most" in run(db_url, "log", "edit", "--patient", pid, str(late["id"]), "--mg", "1e12", code=2)

    message = run(db_url, "log", "delete", "--patient", other, str(late["id"]), code=2)
    assert f"unknown entry id {late['id']}" in message
    gone = run(db_url, "log", "delete", "--patient", pid, str(prn["id"]))
    assert (gone["version"], gone["deleted"]) == (2, True)
    history = run(db_url, "log", "history", "--patient", pid, str(prn["id"]))
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert run(db_url, "adherence", "--patient", pid, "--from", "2026-01-02", "--to", "2026-01-02")["prn_doses"] == 0

    out = tmp_path / "export.json"
    run(db_url, "export", "--patient", pid, "--format", "json", "--out", str(out))
    again = run(db_url, "import", str(out), "--patient", pid)
    assert (again["added"], again["already_present"], again["imported"]) == (0, 3, {"entries": 0, "plans": 0})
    copy = run(db_url, "import", str(out), "--patient", other)
    assert (copy["added"], copy["already_present"], copy["imported"]) == (3, 0, {"entries": 2, "plans": 1})
