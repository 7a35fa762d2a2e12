"""Coding systems and codes GabaCare reads and writes in FHIR resources and CDS cards.

Gabapentin's own RxNorm codes (ingredient, capsule/tablet/solution products) live in the knowledge
base (``drug.rxnorm_ingredient``, ``forms[].rxnorm``, ``oral_solution.rxnorm``). The table below maps
the *other* products and ingredients an EHR sends in orders to the ingredient names the knowledge
base's interaction classes use. Provenance: each code was
confirmed in at least one public RxNorm list (the CDS Hooks sandbox product list, a 2025 VSAC eCQM
value-set expansion, public terminology tables), checked 2026-01. Re-check against RxNav per release.
A code not in the table falls back to the coding's ``display`` or the concept's ``text``; a product that
still resolves to nothing is *unknown*, never "no interaction".
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "GABACARE_SYSTEM",
    "LOINC",
    "LOINC_BODY_WEIGHT",
    "LOINC_CREATININE_MASS",
    "LOINC_CREATININE_MOLES",
    "LOINC_PAIN_0_10",
    "OBSERVATION_CATEGORY",
    "RXNORM",
    "RXNORM_BRANDED_GABAPENTIN",
    "RXNORM_OTHER",
    "SNOMED",
    "SNOMED_DRUG_NOT_TAKEN",
    "SNOMED_ORAL_ROUTE",
    "UCUM",
]

RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
#: GabaCare's own CodeSystem for journal items without a standard code. Never change this URL.
GABACARE_SYSTEM: Final = "https://gabacare.example/fhir/CodeSystem/journal"

LOINC_CREATININE_MASS: Final = "2160-0"  # Creatinine [Mass/volume] in Serum or Plasma, mg/dL
LOINC_CREATININE_MOLES: Final = "14682-9"  # Creatinine [Moles/volume] in Serum or Plasma, umol/L
LOINC_BODY_WEIGHT: Final = "29463-7"
LOINC_PAIN_0_10: Final = "72514-3"  # Pain severity 0-10 verbal numeric rating [Score] - Reported
SNOMED_ORAL_ROUTE: Final = "26643006"
SNOMED_DRUG_NOT_TAKEN: Final = "266710000"  # Drugs not taken/completed

#: RxCUI -> ingredient names (as the knowledge base's interaction classes spell them).
RXNORM_OTHER: Final = MappingProxyType({
    # gabapentinoids other than immediate-release gabapentin (duplicates, not gabapentin)
    "187832": ("pregabalin",),
    "1482820": ("gabapentin enacarbil",),  # gabapentin enacarbil 300 MG Extended Release Oral Tablet
    "1101338": ("gabapentin enacarbil",),  # gabapentin enacarbil 600 MG Extended Release Oral Tablet
    # opioids (ingredients) and one common product
    "7804": ("oxycodone",),
    "5489": ("hydrocodone",),
    "7052": ("morphine",),
    "10689": ("tramadol",),
    "1049621": ("oxycodone",),  # Oxycodone Hydrochloride 5 MG Oral Tablet
    # benzodiazepines (ingredients)
    "596": ("alprazolam",),
    "6470": ("lorazepam",),
    "3322": ("diazepam",),
    "2598": ("clonazepam",),
})

#: Branded immediate-release gabapentin products: Neurontin SBD RxCUI -> the generic SCD RxCUI the
#: knowledge base lists (``forms[].rxnorm``), which gives the strength. Gralise (once-daily,
#: 1115012/1115013) is gabapentin but not interchangeable, so it is recognised by name only.
RXNORM_BRANDED_GABAPENTIN: Final = MappingProxyType({
    "105028": "310430", "105029": "310431", "105030": "310432",
    "261280": "310433", "261281": "310434",
})
