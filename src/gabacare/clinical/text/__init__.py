"""One text pipeline for everything people type: symptoms, journal notes, medicine names, questions.

See :mod:`gabacare.clinical.text.reading` for the steps; the data is ``knowledge/data/language.toml``
(reading rules), ``lexicon.toml`` (signs) and ``medicines.toml`` (names).

The names below are resolved on first use (PEP 562), so importing one step's module (the semantic
net's file list for ``ask``'s cache key, the normaliser for a medicine name) does not compile the
lexicon and the backstop as well.

>>> from gabacare.clinical.text import corrector, read_text
>>> [f.id for f in read_text("my lips are swelling").findings]
['face-swelling']
>>> corrector().correct("dizy")
'dizzy'
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: this package's steps are imported on hot paths)
if TYPE_CHECKING:
    from gabacare.clinical.text.reading import Finding, Reading, read_text
    from gabacare.clinical.text.vocabulary import corrector

__all__ = ["Finding", "Reading", "corrector", "read_text"]

_FROM = {"Finding": "reading", "Reading": "reading", "read_text": "reading", "corrector": "vocabulary"}


def __getattr__(name: str) -> object:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
