"""Answering one hook call: the request read at the door, the gabapentin orders under review read,
the patient's data taken from the prefetch or the EHR's FHIR server, then the cards in a fixed order
(per order: dose or stop or unreadable; the renal-not-done note once; the age card; the missing
medication list; co-prescribed medicines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gabacare.clinical.regimen import DailyRegimen
from gabacare.interop.cds.cards import (
    age_card,
    dose_cards,
    interaction_cards,
    journal_summary_card,
    measured_level_card,
    meds_not_checked_card,
    order_ref,
    renal_not_done_card,
    stop_card,
    taper_watch_card,
    unreadable_order_card,
)
from gabacare.interop.cds.discovery import SERVICES
from gabacare.interop.cds.dosage import ImplausibleOrder, UnreadableOrder, order_regimens
from gabacare.interop.cds.facts import RenalFacts, renal_facts
from gabacare.interop.cds.medication import Medication, identify_medication
from gabacare.interop.cds.models import Card, CdsResponse, outcome
from gabacare.interop.cds.prefetch import MISSING, Fetcher, Reads
from gabacare.interop.cds_request import CdsRequestError, HookRequest, cds_limits, is_medication, read_hook_request

__all__ = ["SummaryProvider", "handle_hook"]

#: EHR patient id -> a summary of the linked GabaCare patient's journal, or None when not linked.
SummaryProvider = Callable[[str], Mapping[str, Any] | None]

_STOP_STATUSES = frozenset({"stopped", "cancelled"})
_INACTIVE_STATUSES = frozenset({"stopped", "cancelled", "completed", "entered-in-error"})

#: A medication resource and what it is.
_Order = tuple[dict[str, Any], Medication]


def handle_hook(
    service_id: str,
    request: Any,
    *,
    fetch: Fetcher | None = None,
    now: datetime,
    summary_provider: SummaryProvider | None = None,
) -> CdsResponse:
    """Answer one CDS Hooks call (``POST /cds-services/{service_id}``); never raises for bad input.

    Parameters
    ----------
    service_id: one of :data:`SERVICES` (an unknown id gives 404).
    request: the parsed JSON body.
    fetch: reads a prefetch query from the EHR's ``fhirServer`` when a required prefetch is missing
        (the web layer passes :meth:`gabacare.interop.fhir_client.FhirClient.fetcher`: allow-list,
        one deadline, size limit).
    now: the clock (ages are computed at ``now``; a taper suggestion starts the next day).
    summary_provider: for patient-view, the linked GabaCare patient's journal summary (None: not linked).

    Returns
    -------
    200 ``{"cards": [...]}``; 400 for a malformed or out-of-bounds request
    (:func:`gabacare.interop.cds_request.read_hook_request`, checked before any work); 404 for an
    unknown service; 412 with an OperationOutcome when the patient, creatinine or weight is needed,
    not prefetched and not readable from a FHIR server (the reason says what was missing and why the
    server was not read).
    """
    hook = SERVICES.get(service_id)
    if hook is None:
        return outcome(404, f"unknown CDS service {service_id!r}", "not-found")
    try:
        req = read_hook_request(hook, request)
        if hook == "patient-view":
            return _answer(_patient_view(req.instance, req.patient_id, summary_provider))
        return _order_hook(req, fetch=fetch, now=now)
    except CdsRequestError as exc:
        return outcome(exc.status, exc.reason, exc.code)


def _answer(cards: list[Card]) -> CdsResponse:
    return CdsResponse(200, {"cards": [c.to_json() for c in cards]})


def _patient_view(instance: str, patient_id: str, provider: SummaryProvider | None) -> list[Card]:
    if provider is None:
        return []
    try:
        summary = provider(patient_id)
    except Exception:  # the journal being unavailable must not break the EHR's chart view
        return []
    if not summary:
        return []
    cards = [journal_summary_card(instance, summary)]
    if summary.get("taper_watch"):
        cards.append(taper_watch_card(instance, summary["taper_watch"]))
    if summary.get("measured_level"):
        cards.append(measured_level_card(instance, summary["measured_level"]))
    return cards


def _stopping(mr: Mapping[str, Any]) -> bool:
    return str(mr.get("status", "draft")) in _STOP_STATUSES


def _read_orders(gaba: list[_Order]) -> dict[int, list[DailyRegimen] | UnreadableOrder]:
    """Every gabapentin order under review, read before anything is fetched: an implausible one is a 400."""
    most = cds_limits().max_gabapentin_orders
    if sum(1 for _, med in gaba if med.is_gabapentin) > most:
        raise CdsRequestError(f"the request has more than {most} gabapentin orders to check", code="too-costly")
    readings: dict[int, list[DailyRegimen] | UnreadableOrder] = {}
    for d, med in gaba:
        if med.is_gabapentin:
            try:
                readings[id(d)] = order_regimens(d, med)
            except ImplausibleOrder as exc:
                raise CdsRequestError(f"{order_ref(d)}: {exc}", code="value") from None
            except UnreadableOrder as exc:
                readings[id(d)] = exc
    return readings


def _patient_data(reads: Reads, req: HookRequest, needs_renal: bool) -> dict[str, list[dict[str, Any]]] | CdsResponse:
    """The Patient, creatinine and weight resources, or a 412 naming what is missing and why."""
    values: dict[str, list[dict[str, Any]]] = {}
    missing = []
    for key in ("patient", "creatinine", "weight"):
        got = reads.value(key, req.prefetch, req.patient_id) if needs_renal or key == "patient" else []
        if got is MISSING:
            if needs_renal:
                missing.append(key)
            got = []
        values[key] = got  # type: ignore[assignment]
    if missing:
        return outcome(412, "required prefetch not provided and not read from a FHIR server: " + ", ".join(missing)
                       + reads.why(), "incomplete")
    return values


@dataclass
class _Review:
    """One order hook's gabapentin orders under review and what is known about the patient."""

    instance: str
    gaba: list[_Order]
    readings: dict[int, list[DailyRegimen] | UnreadableOrder]
    active_meds: list[_Order]
    other_drafts: list[_Order]
    renal: RenalFacts
    now: datetime
    renal_note_given: bool = False

    def replaced(self, d: Mapping[str, Any]) -> bool:
        """Another gabapentin order (under review or drafted alongside) that is not a stop."""
        return any(med2.is_gabapentin and not _stopping(d2) for d2, med2 in [*self.gaba, *self.other_drafts]
                   if d2 is not d)

    def prior_regimens(self) -> list[DailyRegimen]:
        """The regimens of the patient's active gabapentin order (for a stop whose own dose is unreadable)."""
        prior = next((r for r, am in self.active_meds if am.is_gabapentin), None)
        if prior is None:
            return []
        try:
            return order_regimens(prior, identify_medication(prior))
        except UnreadableOrder:
            return []

    def order_cards(self, d: dict[str, Any]) -> list[Card]:
        """The cards for one gabapentin order: unreadable, abrupt stop, or its dose checks."""
        reading = self.readings[id(d)]
        stopping = _stopping(d)
        if isinstance(reading, UnreadableOrder) and not stopping:
            return [unreadable_order_card(self.instance, d, reading)]
        regimens = self.prior_regimens() if isinstance(reading, UnreadableOrder) else reading
        if stopping:
            if self.replaced(d):
                return []
            return [stop_card(self.instance, d, regimens[-1] if regimens else None, self.renal.checked_crcl, self.now)]
        cards = dose_cards(self.instance, d, regimens, self.renal)
        if self.renal.crcl is None and not self.renal_note_given:
            self.renal_note_given = True
            cards.append(renal_not_done_card(self.instance, self.renal.why_not))
        return cards


def _order_hook(req: HookRequest, *, fetch: Fetcher | None, now: datetime) -> CdsResponse:
    med_orders = [(d, identify_medication(d)) for d in req.judged if d.get("resourceType") == "MedicationRequest"]
    gaba = [(d, med) for d, med in med_orders if med.gabapentinoid]
    if not gaba:
        return _answer([])
    readings = _read_orders(gaba)
    needs_renal = any(med.is_gabapentin and not _stopping(d) for d, med in gaba)
    reads = Reads(fetch, req.fhir_server, req.fhir_authorization)
    values = _patient_data(reads, req, needs_renal)
    if isinstance(values, CdsResponse):
        return values
    active = reads.value("activeMeds", req.prefetch, req.patient_id)
    renal = renal_facts(values["patient"], values["creatinine"], values["weight"], now)
    active_list = active if isinstance(active, list) else []
    active_meds = [(r, identify_medication(r)) for r in active_list if is_medication(r)
                   and str(r.get("status", "active")) not in _INACTIVE_STATUSES]
    judged_ids = {id(d) for d, _ in gaba}
    other_drafts = [(d, identify_medication(d)) for d in req.drafts if id(d) not in judged_ids
                    and d.get("resourceType") == "MedicationRequest"]
    review = _Review(req.instance, gaba, readings, active_meds, other_drafts, renal, now)
    cards = [c for d, med in gaba if med.is_gabapentin for c in review.order_cards(d)]
    if any(med.is_gabapentin for _, med in gaba) and renal.age_years is not None:
        older = age_card(req.instance, renal.age_years)
        if older is not None:
            cards.append(older)
    if active is MISSING:
        cards.append(meds_not_checked_card(req.instance, reads.why()))
    others = [med for _, med in active_meds] + [med for _, med in other_drafts]
    cards.extend(interaction_cards(req.instance, others, [med for _, med in gaba], renal.age_years))
    return _answer(cards)
