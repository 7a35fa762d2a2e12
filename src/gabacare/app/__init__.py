"""The application layer: one function per use case, the same for every face.

The CLI (:mod:`gabacare._cli`), the web pages and the JSON API (:mod:`gabacare.web`) only parse what
arrives, call one function here and render what it returns. Each function takes plain inputs as a
face receives them (numbers or their form text, ISO dates or dates, a list or one text with an item
per line or comma), reads and checks them once, calls the pure core (:mod:`gabacare.clinical`,
:mod:`gabacare.pk`, :mod:`gabacare.guide`) and returns the core's result or a small answer value.
Either way ``to_json()`` gives the contract JSON (DESIGN.md, docs/cli-contract.md) and
:func:`gabacare.serialize.jsonable` finishes it, so ``gabacare <command> --json`` and
``/api/v1/<command>`` print the same object, and a refusal is the same one-line
:class:`gabacare.clinical.errors.ClinicalInputError` (an :class:`gabacare.errors.InputError`) on both.

=========================  ========================================  ===================================
use case                   returns                                   faces
=========================  ========================================  ===================================
:func:`crcl`               :class:`CrClAnswer`                       ``crcl``, ``/api/v1/crcl``, kidneys page
:func:`limits`             :class:`LimitsAnswer`                     ``limits``, ``/api/v1/limits``, kidneys page
:func:`titrate`            ``clinical.Plan``                         ``titrate``, ``/api/v1/titrate``, page
:func:`taper`              ``clinical.Plan``                         ``taper``, ``/api/v1/taper``, page
:func:`check`              ``clinical.CheckResult``                  ``check``, ``/api/v1/check``, page
:func:`interactions`       ``clinical.InteractionReport``            ``interactions``, API, page
:func:`symptoms`           ``clinical.TriageReport``                 ``symptoms``, API, page
:func:`missed`             ``clinical.MissedDoseAdvice``             ``missed``, ``/api/v1/missed``, page
:func:`simulate`           :class:`SimulationAnswer`                 ``simulate``, ``/api/v1/simulate``
:func:`simulate_population` :class:`PopulationAnswer`                ``simulate-population``
:func:`compare`            ``guide.Comparison``                      ``compare``, ``/api/v1/compare``, page
:func:`ask`                ``guide.AskResult``                       ``ask``, ``/api/v1/ask``, search page
:func:`log_questionnaire`  ``journal.LoggedQuestionnaire``           ``questionnaire log``, ``POST …/questionnaires``
:func:`list_questionnaires` :class:`QuestionnaireList`               ``questionnaire list``, ``GET …/questionnaires``
:func:`taper_watch`        :class:`TaperWatchAnswer`                 ``taper-watch``, ``GET …/taper-watch``
=========================  ========================================  ===================================

Layering (import-linter, ``pyproject.toml``): this package sits under the faces and above the
services and the core; nothing below it imports it, and the faces do not call the core's use-case
modules themselves. The journal's use cases are not here yet (issue #14).
"""

from typing import TYPE_CHECKING

from gabacare._lazy import lazy_exports

if TYPE_CHECKING:  # at run time each module loads on first use (PEP 562): a command loads only its own
    from gabacare.app.clinical import (
        CrClAnswer,
        LimitsAnswer,
        check,
        crcl,
        interactions,
        limits,
        missed,
        symptoms,
        taper,
        titrate,
    )
    from gabacare.app.guide import ask, compare
    from gabacare.app.pk import PopulationAnswer, SimulationAnswer, simulate, simulate_population
    from gabacare.app.questionnaires import (
        QuestionnaireList,
        TaperWatchAnswer,
        list_questionnaires,
        log_questionnaire,
        taper_watch,
    )

_CLINICAL = ("CrClAnswer", "LimitsAnswer", "check", "crcl", "interactions", "limits", "missed", "symptoms", "taper",
             "titrate")
#: name -> the module that defines it
_LAZY = {name: "gabacare.app.clinical" for name in _CLINICAL} | {
    "ask": "gabacare.app.guide",
    "compare": "gabacare.app.guide",
    "PopulationAnswer": "gabacare.app.pk",
    "SimulationAnswer": "gabacare.app.pk",
    "simulate": "gabacare.app.pk",
    "simulate_population": "gabacare.app.pk",
    "QuestionnaireList": "gabacare.app.questionnaires",
    "TaperWatchAnswer": "gabacare.app.questionnaires",
    "list_questionnaires": "gabacare.app.questionnaires",
    "log_questionnaire": "gabacare.app.questionnaires",
    "taper_watch": "gabacare.app.questionnaires",
}

__all__ = [
    "CrClAnswer",
    "LimitsAnswer",
    "PopulationAnswer",
    "QuestionnaireList",
    "SimulationAnswer",
    "TaperWatchAnswer",
    "ask",
    "check",
    "compare",
    "crcl",
    "interactions",
    "limits",
    "list_questionnaires",
    "log_questionnaire",
    "missed",
    "simulate",
    "simulate_population",
    "symptoms",
    "taper",
    "taper_watch",
    "titrate",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)
