"""CDS Hooks 2.0 service logic for gabapentin orders: JSON in, a :class:`CdsResponse` out.

No web framework here: the web layer parses the HTTP body, calls one function and sends back the
:class:`CdsResponse` it gets (``status`` and ``body``). Bad input never raises to the caller.

Modules, one job each::

    discovery.py   the three services and the ``GET /cds-services`` document
    hooks.py       one hook call: read the request, the orders and the patient, then the cards in order
    prefetch.py    the prefetch templates; resources from a prefetch, else from the EHR's FHIR server
    medication.py  what a medication resource is (RxNorm codes, then names)
    dosage.py      FHIR Dosage -> the core's daily regimens (bounded); UnreadableOrder, ImplausibleOrder
    facts.py       patient facts: age and Cockcroft-Gault CrCl from the prefetch
    cards.py       one builder per finding, returning typed cards
    models.py      the typed response (pydantic ``Card``, ``Source``, ``Suggestion``…) and ``CdsResponse``
    feedback.py    ``POST /cds-services/{id}/feedback``: validated and stored through a ``FeedbackStore``

The request itself is read by :mod:`gabacare.interop.cds_request`, outbound reads are made by
:mod:`gabacare.interop.fhir_client` and tokens checked by :mod:`gabacare.interop.cds_auth`.

Services (one per hook, :func:`discovery`): ``gabacare-order-select``, ``gabacare-order-sign`` and
``gabacare-patient-view``, each declaring the prefetch templates ``patient``, ``creatinine`` (latest
serum creatinine, LOINC 2160-0 or 14682-9), ``weight`` (LOINC 29463-7) and ``activeMeds``.

For each draft gabapentin order under review (order-select: the ``selections``; order-sign: every
draft), recognised by RxNorm code (knowledge base ``drug.rxnorm_ingredient``, ``forms[].rxnorm``,
``oral_solution.rxnorm``) or by name (gabapentin enacarbil and pregabalin are *other* gabapentinoids),
the service estimates CrCl by Cockcroft-Gault from the prefetch (age at ``now``, sex, weight,
creatinine converted by its unit code) and returns cards for:

=============================  ==========  ======================================================
finding                        indicator   source
=============================  ==========  ======================================================
daily dose above renal band    warning     label 2.3 (suggestion: the band's regimen, ``update``)
daily dose above 3600 mg       critical    label 2.1, 2.2 (suggestion as above)
doses per day above the band   warning     label 2.3 (folded into the dose card when both apply)
fewer doses than the band      info        label 2.3
opioid / benzodiazepine /      warning     fda-dsc-2019, label 5.7, 7, gomes-2017, beers-2023
other sedative co-prescribed   (info for
                               sedatives)
duplicate gabapentinoid        warning     label, beers-2023
abrupt stop, no taper          warning     label 2, 5.5 (suggestion: the core's taper, ``create``)
age at or above the FDA/Beers  info        fda-dsc-2019, beers-2023
risk age
no creatinine / weight         info        label 2.3 ("renal check not done")
unreadable gabapentin order    info        (the checks could not run)
=============================  ==========  ======================================================

The request is read at the door first (:func:`gabacare.interop.cds_request.read_hook_request`): typed
models of the parts read here, and every count and range bounded by the knowledge base's
``[cds_limits]`` before any work (400 naming the field). Orders are read by :func:`order_regimens`,
which bounds doses a day and mg a day again before it builds one item per dose (a draft beyond them
is a 400; an active order read from the EHR is left unread).

Prefetch states: a missing key (or an OperationOutcome) means *not provided*; GabaCare then asks the
EHR's FHIR server through the injected ``fetch`` (the web layer's
:class:`gabacare.interop.fhir_client.FhirClient`: allow-list, public addresses, one deadline, size
limit, the token only to its server) and, failing that, answers **412** with an OperationOutcome
naming the missing keys and why the server was not read. ``null`` (or an empty search) means *no
data*: 200 with an info card.

Handles patient data: nothing here logs; error reasons name fields, never values.
"""

from __future__ import annotations

from gabacare.interop.cds.discovery import SERVICES, discovery
from gabacare.interop.cds.dosage import ImplausibleOrder, UnreadableOrder, order_regimens
from gabacare.interop.cds.feedback import FeedbackStore, InMemoryFeedbackStore, record_feedback
from gabacare.interop.cds.hooks import SummaryProvider, handle_hook
from gabacare.interop.cds.medication import Medication, identify_medication
from gabacare.interop.cds.models import Action, Card, CdsResponse, Coding, Source, Suggestion
from gabacare.interop.cds.prefetch import Fetcher

__all__ = [
    "SERVICES",
    "Action",
    "Card",
    "CdsResponse",
    "Coding",
    "FeedbackStore",
    "Fetcher",
    "ImplausibleOrder",
    "InMemoryFeedbackStore",
    "Medication",
    "Source",
    "Suggestion",
    "SummaryProvider",
    "UnreadableOrder",
    "discovery",
    "handle_hook",
    "identify_medication",
    "order_regimens",
    "record_feedback",
]
