"""An outside list of medicine names, read when GabaCare's own names (``medicines.toml``) know a name not.

GabaCare's own names are curated and cited row by row, and they always win. A brand of another
country, a rare ingredient or an old product that they do not list would otherwise stay "unknown":
an unknown that may hide an opioid. The ``drug-named-entity-recognition`` package (source id
``drug-ner``; MIT licence) ships a dictionary of about 107,000 names (MedlinePlus, DrugBank, MeSH,
NHS and Wikipedia names and brands) each mapped to its ingredient or product (``medicines.toml``
``[names] outside_source`` names the source every reading from it cites). Only its data file is
read (the package's own code is never imported: it fetches structures from the network), with an
unpickler that refuses every class, so the file can hold nothing but dicts, lists and texts.

Kept from it (what :func:`outside_names` returns, variant -> canonical names):

* a name whose canonical entry is a medicine: it has a MedlinePlus, DrugBank or NHS identifier (the
  MeSH-only entries include buffers, fertilisers, reagents and groups such as "analgesics, opioid");
* not a name made only of English words (``english_words.txt``): "generics", "caps", "sits" and
  "fargo" are in the dictionary as medicines or chemicals, and a word of everyday English is never
  read as a medicine from an outside list;
* a single word of at least ``MIN_LETTERS`` letters (four-letter entries such as "dona" and "sits"
  are words or abbreviations far more often than names).

The filtered table is kept as JSON in the cache directory (keyed by the dictionary file's content,
the word list and this code), so a process reads it in ~50 ms, and only when a name is not GabaCare's
own. Every reading from it is shown as a reading to confirm, never used for a dose decision
(:func:`gabacare.clinical.drug_names.read_name`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["MAX_NAME_CHARS", "MIN_LETTERS", "dictionary_file", "outside_names", "unavailable_reason"]

#: The shortest single-word name read from the outside list (letters). Not clinical: a guard against
#: everyday words and abbreviations in a list made for other purposes.
MIN_LETTERS = 5
#: The longest name kept (characters; the dictionary's own longest is 50): a longer run of typed words is
#: no name and never loads the list (a 100,000-character medication text in a CDS request reads nothing).
MAX_NAME_CHARS = 50
_PACKAGE = "drug_named_entity_recognition"
_FILE = "drug_ner_dictionary.pkl.bz2"
_MEDICINE_IDS = ("medline_plus_id", "drugbank_id", "nhs_url")
_state: dict[str, str | None] = {}


def dictionary_file() -> Path:
    """The dictionary inside the installed ``drug-named-entity-recognition`` package."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the drug-named-entity-recognition package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / _FILE
    if not path.is_file():
        raise FileNotFoundError(f"{_FILE} is missing from the drug-named-entity-recognition package")
    return path


def _read_dictionary(path: Path) -> dict[str, Any]:
    import bz2
    import io
    import pickle

    class _PlainData(pickle.Unpickler):
        # Only built-in containers and texts: a class or function in the file is refused, not run.
        def find_class(self, module: str, name: str) -> Any:
            raise pickle.UnpicklingError(f"refused {module}.{name} in the outside names file")

    with path.open("rb") as fh:
        data = _PlainData(io.BytesIO(bz2.decompress(fh.read()))).load()
    if not isinstance(data, dict):
        raise ValueError("the outside names file is not a table")
    return data


def build(path: Path) -> dict[str, list[str]]:
    """The filtered table (module docstring) from the dictionary file at ``path``."""
    from gabacare.knowledge.words import english_words

    data = _read_dictionary(path)
    variants, canonical = data.get("drug_variant_to_canonical"), data.get("drug_canonical_to_data")
    if not isinstance(variants, dict) or not isinstance(canonical, dict):
        raise ValueError("the outside names file has no name table")
    english = english_words()

    def medicine(name: str) -> bool:
        entry = canonical.get(name)
        return isinstance(entry, dict) and any(entry.get(k) for k in _MEDICINE_IDS)

    table: dict[str, list[str]] = {}
    for variant, names in variants.items():
        if not isinstance(variant, str) or not isinstance(names, list):
            continue
        words = variant.lower().split()
        if not words or all(w in english for w in words) or len(" ".join(words)) > MAX_NAME_CHARS:
            continue
        if len(words) == 1 and (len(words[0]) < MIN_LETTERS or not words[0].isalpha()):
            continue
        kept = [n for n in names if isinstance(n, str) and medicine(n)]
        if kept:
            table[" ".join(words)] = kept
    return table


@cache
def outside_names() -> Mapping[str, tuple[str, ...]]:
    """Variant (lower case, single spaces) -> the canonical names it stands for; empty, with the reason
    kept in :func:`unavailable_reason`, when the package or its file cannot be read."""
    from gabacare.knowledge import cache as kb_cache
    from gabacare.knowledge.files import code_file

    try:
        path = dictionary_file()
        english = code_file("words")
        value = kb_cache.derived("outside-names", ("english_words.txt",), (__file__, english, str(path)),
                                 lambda: build(path))
        if not isinstance(value, dict):
            value = build(path)
        table = {k: tuple(v) for k, v in value.items() if isinstance(k, str) and isinstance(v, list)}
    except Exception as exc:  # a missing or damaged outside list leaves GabaCare's own names, and says why
        _state["reason"] = f"outside medicine names unavailable ({type(exc).__name__}); GabaCare's own names only"
        return {}
    _state["reason"] = None
    return table


def unavailable_reason() -> str | None:
    """Why the outside list could not be read, or ``None`` (read, or not needed yet)."""
    return _state.get("reason")
