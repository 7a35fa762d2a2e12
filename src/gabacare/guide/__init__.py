"""Patient education: topic pages, alternatives side by side, and questions answered from the sources.

A service layer over the core (knowledge, clinical); no web or terminal imports. Faces call:

- :func:`topic` / :func:`all_topics` for the guide pages,
- :func:`compare` for the alternatives table of an indication group,
- :func:`ask` for a question in a patient's words (search box, ``/api/v1/ask``, ``gabacare ask``).
"""

from gabacare.guide.ask import Answer, AskResult, ask
from gabacare.guide.compare import Comparison, ComparisonRow, compare, comparison_groups
from gabacare.guide.topics import TOPIC_IDS, TopicPage, TopicParagraph, all_topics, topic

__all__ = [
    "TOPIC_IDS",
    "Answer",
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
