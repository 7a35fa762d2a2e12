"""Patient education: topic pages, alternatives side by side, and questions answered from the sources.

A service layer over the core (knowledge, clinical); no web or terminal imports. Faces call:

- :func:`topic` / :func:`all_topics` for the guide pages,
- :func:`compare` for the alternatives table of an indication group,
- :func:`ask` for a question in a patient's words (search box, ``/api/v1/ask``, ``gabacare ask``).

The names below are imported on first use (PEP 562): ``gabacare ask`` does not import the topic pages'
and the comparison's modules.
"""

from typing import TYPE_CHECKING

from gabacare._lazy import keep_functions_over_submodules, lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from gabacare.guide.ask import Answer, AskResult, ask
    from gabacare.guide.compare import Comparison, ComparisonRow, compare, comparison_groups
    from gabacare.guide.plain import AskCitation
    from gabacare.guide.topics import TOPIC_IDS, TopicPage, TopicParagraph, all_topics, topic

__all__ = [
    "TOPIC_IDS",
    "Answer",
    "AskCitation",
    "AskResult",
    "Comparison",
    "ComparisonRow",
    "TopicPage",
    "TopicParagraph",
    "all_topics",
    "ask",
    "compare",
    "comparison_groups",
    "topic",
]

_LAZY = {
    **dict.fromkeys(("Answer", "AskResult", "ask"), "gabacare.guide.ask"),
    **dict.fromkeys(("Comparison", "ComparisonRow", "compare", "comparison_groups"), "gabacare.guide.compare"),
    "AskCitation": "gabacare.guide.plain",
    **dict.fromkeys(("TOPIC_IDS", "TopicPage", "TopicParagraph", "all_topics", "topic"), "gabacare.guide.topics"),
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)

#: Exported functions named like their own modules: ``gabacare.guide.ask`` is the function, as before.
_SHADOWED = frozenset({"ask", "compare"})


keep_functions_over_submodules(__name__, _SHADOWED)
