"""Patient topic pages: GabaCare's own plain-language text, each paragraph with its citations.

The text lives in ``knowledge/data/topics/<id>.toml``; numbers are filled in from the knowledge
base when the guide loads (:func:`gabacare.knowledge.guide_data.load_guide`), so a topic that
mentions the maximum daily dose shows ``limits.max_daily_mg`` and cannot disagree with it.
"""

from __future__ import annotations

from gabacare._record import record
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.guide_data import TOPIC_IDS, GuideText, load_guide

__all__ = ["TOPIC_IDS", "TopicPage", "TopicParagraph", "all_topics", "topic"]


@record
class TopicParagraph:
    """One paragraph of a topic and the sources it rests on."""

    text: str
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "citations": list(self.citations)}


@record
class TopicPage:
    """A topic ready to render: ``id``, ``title``, ``summary``, ``paragraphs``, ``citations``, ``notice``."""

    id: str
    title: str
    summary: str
    paragraphs: tuple[TopicParagraph, ...]
    citations: tuple[Citation, ...]
    notice: str

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id, "title": self.title, "summary": self.summary,
            "paragraphs": [p.to_json() for p in self.paragraphs], "citations": list(self.citations),
            "notice": self.notice,
        }


def _page(t: GuideText) -> TopicPage:
    paragraphs = tuple(TopicParagraph(p.text, p.citations) for p in t.paragraphs)
    return TopicPage(t.id, t.title, t.summary, paragraphs, t.citations, load_monograph().notice_text)


def topic(topic_id: str) -> TopicPage:
    """One topic page by id (one of :data:`TOPIC_IDS`).

    Raises
    ------
    KeyError
        Unknown id; the message lists the known ids.

    Examples
    --------
    >>> page = topic("dosing")
    >>> page.title
    'How to take gabapentin: doses and timing'
    """
    return _page(load_guide().topic(topic_id))


def all_topics() -> tuple[TopicPage, ...]:
    """Every topic page, in the reading order of :data:`TOPIC_IDS`."""
    return tuple(_page(t) for t in load_guide().topics)
