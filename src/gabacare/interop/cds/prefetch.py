"""The prefetch templates the services declare, and reading patient data from a prefetch or, when it
was not provided, from the EHR's FHIR server through the injected :data:`Fetcher`.

States of one prefetch key: absent (or an OperationOutcome, or too many entries) is *not provided*
(:data:`MISSING`): GabaCare asks the FHIR server once per call and remembers why that failed;
``null`` or an empty search is *no data* (an empty list).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from gabacare.interop.cds_request import cds_limits, has_lone_surrogate
from gabacare.interop.codes import LOINC_BODY_WEIGHT, LOINC_CREATININE_MASS, LOINC_CREATININE_MOLES
from gabacare.interop.fhir_client import FhirFetchError

__all__ = ["MISSING", "PREFETCH", "Fetcher", "Reads", "resources"]

#: (FHIR server base URL, relative query, fhirAuthorization or None) -> the JSON answer, or None.
Fetcher = Callable[[str, str, Mapping[str, Any] | None], Any]

#: The prefetch templates every service declares (CDS Hooks 2.0 §Prefetch template).
PREFETCH: Final = {
    "patient": "Patient/{{context.patientId}}",
    "creatinine": f"Observation?patient={{{{context.patientId}}}}&code=http://loinc.org|{LOINC_CREATININE_MASS},"
                  f"http://loinc.org|{LOINC_CREATININE_MOLES}&_sort=-date&_count=1",
    "weight": f"Observation?patient={{{{context.patientId}}}}&code=http://loinc.org|{LOINC_BODY_WEIGHT}"
              "&_sort=-date&_count=1",
    "activeMeds": "MedicationRequest?patient={{context.patientId}}&status=active",
}

MISSING: Final = object()  # prefetch key absent, or an OperationOutcome: "not provided"


def _bundle_resources(value: Mapping[str, Any]) -> list[dict[str, Any]] | object:
    out: list[dict[str, Any]] = []
    entries = value.get("entry")
    if isinstance(entries, list) and len(entries) > cds_limits().max_bundle_entries:
        return MISSING
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        search = entry.get("search")
        if isinstance(search, Mapping) and search.get("mode") == "outcome":
            continue
        res = entry.get("resource") if "resource" in entry else entry  # bare resources: repaired
        if isinstance(res, Mapping) and isinstance(res.get("resourceType"), str):
            if res.get("resourceType") == "OperationOutcome":
                continue
            out.append(dict(res))
    return out


def resources(value: Any) -> list[dict[str, Any]] | object:
    """Resources in a prefetch value or a FHIR search answer: a list (possibly empty = no data) or
    :data:`MISSING` (not provided, not usable, or more entries than ``cds_limits.max_bundle_entries``)."""
    if isinstance(value, Mapping) and "resource" in value and "resourceType" not in value:
        value = value.get("resource")  # pre-1.0 {"response", "resource"} wrapper (one level only)
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return MISSING
    rtype = value.get("resourceType")
    if rtype == "OperationOutcome":
        return MISSING
    if rtype == "Bundle":
        return _bundle_resources(value)
    if isinstance(rtype, str):
        return [dict(value)]
    return MISSING


@dataclass
class Reads:
    """What one hook call read from the EHR's FHIR server, and why not when it did not."""

    fetch: Fetcher | None
    server: str | None
    auth: Mapping[str, Any] | None
    failure: str | None = None

    def value(self, key: str, prefetch: Mapping[str, Any], patient_id: str) -> list[dict[str, Any]] | object:
        """The resources for prefetch ``key``: from the prefetch, else from the FHIR server, else :data:`MISSING`."""
        found = resources(prefetch[key]) if key in prefetch else MISSING
        if found is not MISSING:
            return found
        if self.failure is not None:  # the server failed once in this call: not asked again
            return MISSING
        if self.fetch is None:
            self.failure = "this service reads no FHIR server"
            return MISSING
        if self.server is None:
            self.failure = "the request names no fhirServer"
            return MISSING
        return self._fetched(self.fetch, self.server, PREFETCH[key].replace("{{context.patientId}}", quote(patient_id, safe="")))

    def _fetched(self, fetch: Fetcher, server: str, query: str) -> list[dict[str, Any]] | object:
        try:
            answer = fetch(server, query, self.auth)
        except FhirFetchError as exc:
            self.failure = exc.reason
            return MISSING
        except Exception:  # any failure of the EHR's server means "not available"
            self.failure = "the fhirServer could not be read"
            return MISSING
        if answer is None or has_lone_surrogate(answer):
            self.failure = "the fhirServer's answer could not be used"
            return MISSING
        found = resources(answer)
        if found is MISSING:
            self.failure = "the fhirServer's answer could not be used"
        return found

    def why(self) -> str:
        """`` (reason)`` when the server was not read, for a message; else empty."""
        return f" ({self.failure})" if self.failure else ""
