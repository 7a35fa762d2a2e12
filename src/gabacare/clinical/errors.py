"""Errors raised by the clinical core.

::

    ClinicalInputError (ValueError)   an input is missing, malformed or implausible; the message is
                                      one sentence a patient or clinician can act on
    └── RegimenParseError            a regimen text could not be read

Faces turn ``ClinicalInputError`` into exit code 2 (CLI) or a 4xx problem response (API).
"""

from __future__ import annotations

__all__ = ["ClinicalInputError", "RegimenParseError"]


class ClinicalInputError(ValueError):
    """Bad or implausible input: refuse with a clear reason rather than guess."""


class RegimenParseError(ClinicalInputError):
    """A regimen text is not one of the forms GabaCare reads."""
