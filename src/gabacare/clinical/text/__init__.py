"""One text pipeline for everything people type: symptoms, journal notes, medicine names, questions.

See :mod:`gabacare.clinical.text.reading` for the steps; the data is ``knowledge/data/language.toml``
(reading rules), ``lexicon.toml`` (signs) and ``medicines.toml`` (names).
"""

from gabacare.clinical.text.reading import Finding, Reading, read_text
from gabacare.clinical.text.vocabulary import corrector

__all__ = ["Finding", "Reading", "corrector", "read_text"]
