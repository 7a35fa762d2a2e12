"""In-memory journal repository: the fake adapter for tests and demos (same contract as SQL)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from gabacare.journal import settings
from gabacare.journal.errors import UnknownEntryError, UnknownPatientError
from gabacare.journal.model import Entry, EntryData, EntryKind, NewPatient, NewPlan, Patient, StoredPlan
from gabacare.journal.repository import JournalRepository, Progress

__all__ = ["InMemoryJournalRepository"]


class InMemoryJournalRepository(JournalRepository):
    """Dictionaries behind a lock; batches are applied to a copy and swapped in (all or nothing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._patients: dict[int, Patient] = {}
        self._plans: dict[int, StoredPlan] = {}
        self._entries: dict[int, Entry] = {}
        self._history: dict[int, list[Entry]] = {}
        self._next = {"patient": 1, "plan": 1, "entry": 1}

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

    def add_entry(self, patient_id: int, data: EntryData, *, recorded_at: datetime) -> Entry:
        with self._lock:
            self._patient(patient_id)
            entry = Entry(self._new_id("entry"), patient_id, 1, recorded_at, data)
            self._entries[entry.id] = entry
            return entry

    def add_batch(
        self,
        patient_id: int,
        *,
        plans: Sequence[NewPlan] = (),
        entries: Sequence[EntryData] = (),
        recorded_at: datetime,
        progress: Progress | None = None,
    ) -> int:
        with self._lock:
            self._patient(patient_id)
            next_ids = copy.copy(self._next)
            new_plans: dict[int, StoredPlan] = {}
            new_entries: dict[int, Entry] = {}
            for plan in plans:
                pid = next_ids["plan"]
                next_ids["plan"] += 1
                new_plans[pid] = StoredPlan(pid, patient_id, recorded_at, plan)
            for i, data in enumerate(entries, start=1):
                eid = next_ids["entry"]
                next_ids["entry"] += 1
                new_entries[eid] = Entry(eid, patient_id, 1, recorded_at, data)
                if progress is not None and i % settings.IMPORT_CHUNK_ROWS == 0:
                    progress(i)
            # NOTE: nothing above touched shared state, so an exception leaves the store unchanged.
            self._plans.update(new_plans)
            self._entries.update(new_entries)
            self._next = next_ids
            return len(new_entries)

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
                if e.patient_id == patient_id
                and (start is None or e.data.at >= start)
                and (end is None or e.data.at < end)
                and (kinds is None or e.data.kind in kinds)
            ]
            return sorted(found, key=lambda e: (e.data.at, e.id))

    def _entry(self, patient_id: int, entry_id: int) -> Entry:
        self._patient(patient_id)
        entry = self._entries.get(entry_id)
        if entry is None or entry.patient_id != patient_id:
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

    def entry_history(self, patient_id: int, entry_id: int) -> list[Entry]:
        with self._lock:
            current = self._entry(patient_id, entry_id)
            return [*self._history.get(entry_id, []), current]

    def count_entries(self, patient_id: int) -> int:
        with self._lock:
            self._patient(patient_id)
            return sum(1 for e in self._entries.values() if e.patient_id == patient_id)
