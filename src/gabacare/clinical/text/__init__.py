"""One text pipeline for everything people type: symptoms, journal notes, medicine names, questions.

See :mod:`gabacare.clinical.text.reading` for the steps; the data is ``knowledge/data/language.toml``
(reading rules), ``lexicon.toml`` (signs) and ``medicines.toml`` (names).

>>> [f.id for f in read_text("my lips are swelling").findings]
['face-swelling']
>>> corrector().correct("dizy")
'dizzy'
"""

from gabacare.clinical.text.reading import Finding, Reading, read_text
from gabacare.clinical.text.vocabulary import corrector

__all__ = ["Finding", "Reading", "corrector", "read_text"]
