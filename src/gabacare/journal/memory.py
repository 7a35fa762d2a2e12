"""The in-memory journal repository: the fakes for tests and demos (same contracts as SQL)."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from gabacare.journal import settings
from gabacare.journal.errors import UnknownEntryError, UnknownPatientError
from gabacare.journal.model import (
    Entry,
    EntryData,
    EntryKind,
    NewPatient,
    NewPlan,
    NewQuestionnaire,
    Patient,
    StoredPlan,
    StoredQuestionnaire,
)
from gabacare.journal.pickups import NewPickUp, StoredPickUp
from gabacare.journal.repository import BatchEntry, BatchPickUp, BatchQuestionnaire, JournalRepository, Progress

__all__ = ["InMemoryJournalRepository"]


class InMemoryJournalRepository(JournalRepository):
    """Dictionaries behind a lock; batches are applied to a copy and swapped in (all or nothing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._patients: dict[int, Patient] = {}
        self._plans: dict[int, StoredPlan] = {}
        self._entries: dict[int, Entry] = {}
        self._history: dict[int, list[Entry]] = {}
        self._questionnaires: dict[int, StoredQuestionnaire] = {}
        self._pickups: dict[int, StoredPickUp] = {}
        self._lead_days: dict[int, int] = {}
        self._next = {"patient": 1, "plan": 1, "entry": 1, "questionnaire": 1, "pickup": 1}

    def _patient(self, patient_id: int) -> Patient:
        try:
            return self._patients[patient_id]
        except KeyError:
            raise UnknownPatientError(patient_id) from None

    def _new_id(self, what: str) -> int:
        value = self._next[what]
        self._next[what] = value + 1
        return value

    def add_patient(self, patient: NewPatient, *, created_at: datetime) -> Patient:
        with self._lock:
            pid = self._new_id("patient")
            stored = Patient(pid, patient.name, patient.birth_date, patient.sex, patient.weight_kg, created_at)
            self._patients[pid] = stored
            return stored

    def get_patient(self, patient_id: int) -> Patient:
        with self._lock:
            return self._patient(patient_id)

    def list_patients(self) -> list[Patient]:
        with self._lock:
            return [self._patients[k] for k in sorted(self._patients)]

    def add_plan(self, patient_id: int, plan: NewPlan, *, created_at: datetime) -> StoredPlan:
        with self._lock:
            self._patient(patient_id)
            stored = StoredPlan(self._new_id("plan"), patient_id, created_at, plan)
            self._plans[stored.id] = stored
            return stored

    def list_plans(self, patient_id: int) -> list[StoredPlan]:
        with self._lock:
            self._patient(patient_id)
            return [p for _, p in sorted(self._plans.items()) if p.patient_id == patient_id]

    def add_entry(self, patient_id: int, data: EntryData, *, recorded_at: datetime, uid: str | None = None) -> Entry:
        with self._lock:
            self._patient(patient_id)
            uid = uid or str(uuid.uuid4())
            if uid in self._uids(patient_id):
                from gabacare.journal.errors import JournalStorageError

                raise JournalStorageError("the journal database refused the operation (IntegrityError)")
            entry = Entry(self._new_id("entry"), patient_id, 1, recorded_at, data, uid=uid)
            self._entries[entry.id] = entry
            return entry

    def _uids(self, patient_id: int) -> set[str]:
        return {e.uid for e in self._entries.values() if e.patient_id == patient_id}

    def add_batch(
        self,
        patient_id: int,
        *,
        plans: Iterable[NewPlan] = (),
        entries: Iterable[BatchEntry] = (),
        recorded_at: datetime,
        progress: Progress | None = None,
        questionnaires: Iterable[BatchQuestionnaire] = (),
        pickups: Iterable[BatchPickUp] = (),
    ) -> int:
        with self._lock:
            self._patient(patient_id)
            next_ids = copy.copy(self._next)
            new_plans: dict[int, StoredPlan] = {}
            new_entries: dict[int, Entry] = {}
            seen = self._uids(patient_id)
            for i, item in enumerate(entries, start=1):
                uid, data = (str(uuid.uuid4()), item) if isinstance(item, EntryData) else item
                uid = uid or str(uuid.uuid4())
                if uid not in seen:
                    seen.add(uid)
                    eid = next_ids["entry"]
                    next_ids["entry"] += 1
                    new_entries[eid] = Entry(eid, patient_id, 1, recorded_at, data, uid=uid)
                if progress is not None and i % settings.IMPORT_CHUNK_ROWS == 0:
                    progress(i)
            for plan in plans:  # after the entries: see JournalRepository.add_batch
                pid = next_ids["plan"]
                next_ids["plan"] += 1
                new_plans[pid] = StoredPlan(pid, patient_id, recorded_at, plan)
            new_qs: dict[int, StoredQuestionnaire] = {}
            seen_q = self._questionnaire_uids(patient_id)
            for q_uid, q in questionnaires:
                q_uid = q_uid or str(uuid.uuid4())
                if q_uid not in seen_q:
                    seen_q.add(q_uid)
                    qid = next_ids["questionnaire"]
                    next_ids["questionnaire"] += 1
                    new_qs[qid] = StoredQuestionnaire(qid, patient_id, q_uid, recorded_at, q)
            new_ups: dict[int, StoredPickUp] = {}
            seen_up = {p.uid for p in self._pickups.values() if p.patient_id == patient_id}
            for p_uid, up in pickups:
                p_uid = p_uid or str(uuid.uuid4())
                if p_uid not in seen_up:
                    seen_up.add(p_uid)
                    uid_id = next_ids["pickup"]
                    next_ids["pickup"] += 1
                    new_ups[uid_id] = StoredPickUp(uid_id, patient_id, p_uid, recorded_at, up)
            # NOTE: nothing above touched shared state, so an exception leaves the store unchanged.
            self._plans.update(new_plans)
            self._entries.update(new_entries)
            self._questionnaires.update(new_qs)
            self._pickups.update(new_ups)
            self._next = next_ids
            return len(new_entries) + len(new_qs) + len(new_ups)

    def _questionnaire_uids(self, patient_id: int) -> set[str]:
        return {q.uid for q in self._questionnaires.values() if q.patient_id == patient_id}

    def add_questionnaire(
        self, patient_id: int, data: NewQuestionnaire, *, recorded_at: datetime, uid: str | None = None,
    ) -> StoredQuestionnaire:
        with self._lock:
            self._patient(patient_id)
            uid = uid or str(uuid.uuid4())
            if uid in self._questionnaire_uids(patient_id):
                from gabacare.journal.errors import JournalStorageError

                raise JournalStorageError("the journal database refused the operation (IntegrityError)")
            stored = StoredQuestionnaire(self._new_id("questionnaire"), patient_id, uid, recorded_at, data)
            self._questionnaires[stored.id] = stored
            return stored

    def list_questionnaires(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None,
    ) -> list[StoredQuestionnaire]:
        with self._lock:
            self._patient(patient_id)
            found = [q for q in self._questionnaires.values() if q.patient_id == patient_id
                     and (start is None or q.at >= start) and (end is None or q.at < end)]
        return sorted(found, key=lambda q: (q.at, q.id))

    def list_entries(
        self,
        patient_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        kinds: Sequence[EntryKind] | None = None,
    ) -> list[Entry]:
        with self._lock:
            self._patient(patient_id)
            found = [
                e for e in self._entries.values()
                if e.patient_id == patient_id and e.deleted_at is None
                and (start is None or e.data.at >= start)
                and (end is None or e.data.at < end)
                and (kinds is None or e.data.kind in kinds)
            ]
            return sorted(found, key=lambda e: (e.data.at, e.id))

    def _entry(self, patient_id: int, entry_id: int, *, deleted: bool = False) -> Entry:
        self._patient(patient_id)
        entry = self._entries.get(entry_id)
        if entry is None or entry.patient_id != patient_id or (entry.deleted_at is not None and not deleted):
            raise UnknownEntryError(entry_id)
        return entry

    def get_entry(self, patient_id: int, entry_id: int) -> Entry:
        with self._lock:
            return self._entry(patient_id, entry_id)

    def update_entry(self, patient_id: int, entry_id: int, data: EntryData, *, recorded_at: datetime) -> Entry:
        with self._lock:
            old = self._entry(patient_id, entry_id)
            new = replace(old, version=old.version + 1, recorded_at=recorded_at, data=data)
            self._history.setdefault(entry_id, []).append(old)
            self._entries[entry_id] = new
            return new

    def delete_entry(self, patient_id: int, entry_id: int, *, recorded_at: datetime) -> Entry:
        with self._lock:
            old = self._entry(patient_id, entry_id)
            new = replace(old, version=old.version + 1, recorded_at=recorded_at, deleted_at=recorded_at)
            self._history.setdefault(entry_id, []).append(old)
            self._entries[entry_id] = new
            return new

    def entry_history(self, patient_id: int, entry_id: int) -> list[Entry]:
        with self._lock:
            current = self._entry(patient_id, entry_id, deleted=True)
            return [*self._history.get(entry_id, []), current]

    def add_pickup(self, patient_id: int, data: NewPickUp, *, recorded_at: datetime, uid: str | None = None) -> StoredPickUp:
        with self._lock:
            self._patient(patient_id)
            uid = uid or str(uuid.uuid4())
            if any(p.uid == uid for p in self._pickups.values() if p.patient_id == patient_id):
                from gabacare.journal.errors import JournalStorageError

                raise JournalStorageError("the journal database refused the operation (IntegrityError)")
            stored = StoredPickUp(self._new_id("pickup"), patient_id, uid, recorded_at, data)
            self._pickups[stored.id] = stored
            return stored

    def list_pickups(self, patient_id: int) -> list[StoredPickUp]:
        with self._lock:
            self._patient(patient_id)
            found = [p for p in self._pickups.values() if p.patient_id == patient_id]
        return sorted(found, key=lambda p: (p.data.picked_up_at, p.id))

    def delete_pickup(self, patient_id: int, pickup_id: int) -> StoredPickUp:
        from gabacare.journal.errors import UnknownPickUpError

        with self._lock:
            self._patient(patient_id)
            found = self._pickups.get(pickup_id)
            if found is None or found.patient_id != patient_id:
                raise UnknownPickUpError(pickup_id)
            del self._pickups[pickup_id]
            return found

    def get_refill_lead_days(self, patient_id: int) -> int | None:
        with self._lock:
            self._patient(patient_id)
            return self._lead_days.get(patient_id)

    def set_refill_lead_days(self, patient_id: int, days: int | None) -> None:
        with self._lock:
            self._patient(patient_id)
            if days is None:
                self._lead_days.pop(patient_id, None)
            else:
                self._lead_days[patient_id] = days

    def count_entries(self, patient_id: int) -> int:
        with self._lock:
            self._patient(patient_id)
            return sum(1 for e in self._entries.values() if e.patient_id == patient_id and e.deleted_at is None)
