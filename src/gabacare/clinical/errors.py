"""Errors raised by the clinical core.

::

    ClinicalInputError (InputError)   an input is missing, malformed or implausible; the message is
                                      one sentence a patient or clinician can act on
    └── RegimenParseError            a regimen text could not be read

Both sit in GabaCare's one error tree (:mod:`gabacare.errors`, under ``InputError``, itself a
``ValueError``): faces turn them into exit code 2 (CLI) or a 4xx problem response (API).
"""

from __future__ import annotations

from gabacare.errors import InputError

__all__ = ["ClinicalInputError", "RegimenParseError"]


class ClinicalInputError(InputError):
    """Bad or implausible input: refuse with a clear reason rather than guess."""


class RegimenParseError(ClinicalInputError):
    """A regimen text is not one of the forms GabaCare reads."""
