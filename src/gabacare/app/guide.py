"""Patient-guide use cases: ``compare`` (alternatives side by side) and ``ask`` (a question in one's own words).

The pure services are in :mod:`gabacare.guide` (imported inside the functions: ``ask`` loads its search
index on first use); this module reads the faces' inputs the same way for every face.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gabacare.app._inputs import items
from gabacare.clinical.errors import ClinicalInputError

if TYPE_CHECKING:
    from gabacare.guide import AskResult, Comparison

__all__ = ["ask", "compare"]


def compare(indication: str, drugs: str | Sequence[str] | None = None) -> Comparison:
    """Gabapentin and its alternatives for an indication group, with guideline ranks and citations.

    ``indication`` is a group (``spasticity``, ``neuropathic-pain``, ``anxiety``) or an indication that
    resolves to one; a blank one is refused with the list of groups. Blank drug names are dropped.

    Examples
    --------
    >>> [o.drug for o in compare("phn", ["Lyrica", " "]).options]
    ['gabapentin', 'pregabalin']
    >>> compare(" ")
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: give an indication: one of spasticity, neuropathic-pain, anxiety
    """
    from gabacare.guide import compare as _compare
    from gabacare.guide import comparison_groups

    if not indication.strip():
        raise ClinicalInputError(f"give an indication: one of {', '.join(comparison_groups())}")
    return _compare(indication.strip(), items(drugs))


def ask(question: str | Sequence[str]) -> AskResult:
    """Answer a question from the cited guide, symptoms and interactions first.

    ``question`` is one text, or its words as the command line splits them (joined with spaces).
    """
    from gabacare.guide import ask as _ask

    return _ask(question if isinstance(question, str) else " ".join(question))
