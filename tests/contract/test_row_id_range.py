"""Ids no stored row can have (above ``MAX_ROW_ID``, the schema's INTEGER columns) are answered as
unknown by every adapter, never sent to the database: PostgreSQL refuses them even in a comparison, which
used to surface as a storage error (a 503 on the API, exit 1 on the CLI) instead of "not found"."""

from __future__ import annotations

from datetime import datetime

import pytest

from gabacare.accounts.model import NewUser
from gabacare.journal.errors import UnknownEntryError, UnknownPatientError
from gabacare.journal.model import MAX_ROW_ID, EntryData, NewPatient
from gabacare.journal.repository import JournalRepository

from .test_account_repository import Store, store  # noqa: F401 - the adapters' fixtures
from .test_journal_repository import repo  # noqa: F401

REC = datetime(2026, 3, 1, 9, 0)
BEYOND = [MAX_ROW_ID + 1, 2**40, 2**63 - 1, 2**63, 2**70]


@pytest.mark.parametrize("big", BEYOND)
def test_ids_beyond_any_stored_row_are_unknown(repo: JournalRepository, big: int) -> None:  # noqa: F811
    pid = repo.add_patient(NewPatient("Ada", None, None, None), created_at=REC).id
    entry = repo.add_entry(pid, EntryData("note", REC, text="x"), recorded_at=REC)
    for read in (repo.get_patient, repo.list_plans, repo.list_entries):
        with pytest.raises(UnknownPatientError):
            read(big)
    for call in (lambda: repo.get_entry(pid, big), lambda: repo.entry_history(pid, big),
                 lambda: repo.delete_entry(pid, big, recorded_at=REC),
                 lambda: repo.update_entry(pid, big, EntryData("note", REC, text="y"), recorded_at=REC)):
        with pytest.raises(UnknownEntryError):
            call()
    assert repo.get_entry(pid, entry.id) == entry  # nothing else changed


def test_the_largest_id_is_still_looked_up(repo: JournalRepository) -> None:  # noqa: F811
    with pytest.raises(UnknownPatientError):
        repo.get_patient(MAX_ROW_ID)


@pytest.mark.parametrize("big", BEYOND)
def test_account_lookups_beyond_any_stored_row_find_nothing(store: Store, big: int) -> None:  # noqa: F811
    uid = store.accounts.add_user(NewUser("ada@example.org", "Ada", "patient", "$argon2id$hash"), created_at=REC).id
    pid = store.accounts.add_owned_patient(uid, NewPatient("Ada", None, None, None), created_at=REC).id
    assert store.accounts.get_user(big) is None
    assert store.accounts.get_token(big) is None
    assert store.accounts.get_share_link(big) is None
    assert store.accounts.member_role(pid, big) is None and store.accounts.member_role(big, uid) is None
    with pytest.raises(UnknownPatientError):
        store.accounts.patient_owner(big)
