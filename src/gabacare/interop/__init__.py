"""Interop: FHIR R4B resources, CDS Hooks 2.0 service logic and iCalendar reminders (no web framework).

Modules::

    codes.py         coding systems and the RxNorm table for other medicines
    fhir.py          plans as one MedicationRequest; R4B validation (fhir.resources imported lazily)
    journal_fhir.py  a patient's journal as a Bundle; reading Bundles back (all or nothing)
    cds/             CDS Hooks: discovery, hook handling (medication, dosage, patient facts, cards), feedback
    cds_request.py   typed, bounded reading of a hook request (drafts, dosages, prefetch) before any work
    fhir_client.py   the outbound FHIR reads: allow-listed servers, public addresses, one deadline, size cap
    cds_auth.py      JWT bearer verification for CDS clients (PyJWT imported lazily)
    cds_devkeys.py   a local key pair and token for trying the JWT check on one's own machine
    ical.py          dose reminders as iCalendar (icalendar imported lazily)
"""

from __future__ import annotations

from gabacare.interop.cds import CdsResponse, InMemoryFeedbackStore, discovery, handle_hook, record_feedback
from gabacare.interop.cds_auth import CdsAuthError, verify_cds_jwt
from gabacare.interop.fhir import FhirResourceError, plan_medication_request, validate_resource
from gabacare.interop.ical import plan_calendar, reminders_ics
from gabacare.interop.journal_fhir import BundleImportError, export_bundle, import_bundle, journal_bundle, read_bundle

__all__ = [
    "BundleImportError",
    "CdsAuthError",
    "CdsResponse",
    "FhirResourceError",
    "InMemoryFeedbackStore",
    "discovery",
    "export_bundle",
    "handle_hook",
    "import_bundle",
    "journal_bundle",
    "plan_calendar",
    "plan_medication_request",
    "read_bundle",
    "record_feedback",
    "reminders_ics",
    "validate_resource",
    "verify_cds_jwt",
]
