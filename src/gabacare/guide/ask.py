"""Questions in patients' words, answered from GabaCare's cited topic pages.

Pipeline (each step is data-driven; the vocabulary is ``knowledge/data/synonyms.toml``)::

    question -> words (digits dropped) -> spelling slips corrected against the index vocabulary and
    the knowledge base's medicine names -> patient phrases replaced by the topics' words ("booze" ->
    alcohol, "come off" -> stop) -> stop words dropped -> SQLite FTS5 (porter stemming, bm25 with
    column weights) over the topic pages                                       -> keyword score
    question -> static sentence embedding, compared with each topic's example questions, title,
    summary and search terms (:func:`gabacare.clinical.text.semantic.semantic_net`) -> meaning score
    combined score -> topics above the calibrated cut-offs -> the best paragraph of each.

Hybrid retrieval: the keyword score (bm25, squashed to 0..1) and the meaning score (highest cosine
to the topic's texts, with the direction all short questions share taken out) are mixed with the
weights of ``[search]``. The embeddings score close wordings well and paraphrases poorly, which is
why each topic lists 15-30 example questions in patients' words (``examples`` in its topic file).
If the embeddings cannot load, ranking falls back to the keywords alone and the JSON says
``"retrieval": "keywords only"``.

Beside the answers, the clauses of the question that describe something happening now are passed
to the symptom triage (:func:`gabacare.clinical.triage.triage`; included only when it recognises
something, and an emergency is flagged first). Clauses that are general questions ("can it cause
swollen lips?", "will stopping cause seizures?") are not triaged: the cue phrases are
``[general_questions]`` of ``synonyms.toml``, and when in doubt a clause is triaged. Every medicine
or alcohol word is passed to the interaction engine
(:func:`gabacare.clinical.interactions.check_interactions`). When nothing matches well the answer
list is empty and the message points to the pharmacist or prescriber and lists the guide's topics:
GabaCare never makes up an answer. The keyword index is built once per process (in memory, a few
milliseconds); the topics' texts are embedded and projected once per version of the knowledge base
and the code, and kept compiled in the user's cache directory (:mod:`gabacare.guide._compiled`:
about 0.1 s of CPU the first time, a millisecond to read afterwards; the same arrays bit for bit).
With them the cache keeps the tokenizer's ids of common words (:mod:`gabacare.guide._tokens`): a
later process embeds a question from those and the mapped weights, with the net's own arithmetic,
without loading the tokenizer or building the net (:func:`_load_semantic`). The symptom triage is
imported only when a clause is triaged. What the answers read of the guide, the monograph and the
topic model comes as plain values compiled from the validated models (:mod:`gabacare.guide.plain`):
a warm process does not import pydantic unless a medicine is named (the interaction engine reads the
validated monograph) or a clause is triaged.
"""

from __future__ import annotations

import math
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from operator import mul
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.clinical.drug_names import known_names, plural_key
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import InteractionReport, check_interactions, normalise_name, resolve_ingredients
from gabacare.clinical.text.normalise import fold_accents
from gabacare.guide._compiled import PlainArray
from gabacare.guide.plain import AskCues, AskData, AskTopicModel, ask_data
from gabacare.knowledge.words import is_english_word

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from gabacare.clinical.triage import TriageReport
    from gabacare.guide import _tokens
    from gabacare.guide.plain import AskCitation

__all__ = ["Answer", "AskResult", "ask", "clauses", "interpret", "is_general_question"]

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_MAX_NGRAM = 3
# Clause boundaries for the "happening now" test: sentence ends, commas, semicolons, dashes, new lines.
_CLAUSE = re.compile(r"[.!?;,:\n]+|\s[-–—]+\s")

# An age in a question: "I'm 75", "she is 82", "aged 80", "over 65", "my 90 year old dad", "88yo".
_AGE = re.compile(r"\b(?:i'?m|i am|is|was|aged?|she'?s|he'?s|turned|turning|over|in (?:my|his|her|their) )\s*(\d{2,3})'?s?\b"
                  r"|\b(\d{2,3})\s*-?\s*(?:years?|yrs?|yo|y/o)\b")
_MAX_AGE = 120

HYBRID = "hybrid"
KEYWORDS_ONLY = "keywords only"


@record
class Answer:
    """One answering topic (contract keys: topic, title, text, citations, score; higher score is better)."""

    topic: str
    title: str
    summary: str
    text: str
    snippet: str
    citations: tuple[AskCitation, ...]
    score: float
    keyword_score: float = 0.0
    semantic_score: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "topic": self.topic, "title": self.title, "summary": self.summary, "text": self.text,
            "snippet": self.snippet, "citations": list(self.citations), "score": round(self.score, 3),
            "keyword_score": round(self.keyword_score, 3),
            "semantic_score": None if self.semantic_score is None else round(self.semantic_score, 3),
        }


@record
class Interpretation:
    """How a question was read: corrected words, search terms and medicine names found."""

    words: tuple[str, ...]
    corrections: tuple[tuple[str, str], ...]
    terms: tuple[str, ...]
    medicines: tuple[str, ...]

    @property
    def own_terms(self) -> frozenset[str]:
        """The search terms the person typed (the others came from synonyms or a medicine's class)."""
        return frozenset(self.terms) & frozenset(self.words)


@record
class AskResult:
    """The answer to one question (contract keys: question, answers, triage, interactions, message)."""

    question: str
    answers: tuple[Answer, ...]
    triage: TriageReport | None
    interactions: InteractionReport | None
    message: str | None
    interpretation: Interpretation
    notice: str
    retrieval: str = KEYWORDS_ONLY
    topics: tuple[tuple[str, str], ...] = ()
    general_clauses: tuple[str, ...] = ()

    @property
    def emergency(self) -> bool:
        return self.triage is not None and self.triage.emergency

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answers": [a.to_json() for a in self.answers],
            "triage": self.triage.to_json() if self.triage else None,
            "interactions": self.interactions.to_json() if self.interactions else None,
            "message": self.message,
            "emergency": self.emergency,
            "corrections": {wrong: right for wrong, right in self.interpretation.corrections},
            "search_terms": list(self.interpretation.terms),
            "notice": self.notice,
            "retrieval": self.retrieval,
            # The guide's topics, listed when it has no good answer (else null).
            "topics": [{"topic": t, "title": title} for t, title in self.topics] if not self.answers else None,
            # Clauses read as general questions, which the symptom triage did not see.
            "not_triaged": list(self.general_clauses),
        }


def _words(text: str) -> list[str]:
    # Accents off, as the symptom reader does: "mañana" is one word ("manana"), not "ma" and "ana".
    return _TOKEN.findall(fold_accents(text.lower().replace("’", "'").replace("‘", "'")))


def _vocabularies() -> dict[str, Any]:
    """The reader's vocabularies, as JSON (cached by :func:`gabacare.knowledge.cache.derived` for the
    guide's data files and this code): ``vocab`` (word -> count; spelling slips are corrected towards
    titles, search terms, synonym phrases and medicine words, never the body's ordinary words, which
    would turn "weather" or "bread" into a match), ``medicine_words`` and ``synonyms`` ([words, to,
    replace], longest phrase first). Built from the validated guide and monograph."""
    from gabacare.clinical.text import normalise
    from gabacare.knowledge.cache import derived
    from gabacare.knowledge.files import guide_files

    def build() -> dict[str, Any]:
        from gabacare.knowledge.guide_data import load_guide
        from gabacare.knowledge.monograph import load_monograph

        guide = load_guide()
        vocab: dict[str, int] = {}

        def count(words: Sequence[str]) -> None:
            for w in words:
                vocab[w] = vocab.get(w, 0) + 1

        for t in guide.topics:
            count(_words(t.title))
            count(_words(" ; ".join(t.terms)))
        # Medicine names: the interaction engine's names and members, and the comparators' names.
        m = load_monograph()
        medicine_names = set(m.names.map) | {mem for c in m.interaction_classes for mem in c.members}
        medicine_names |= {normalise_name(n) for a in guide.alternatives for n in (a.drug, *a.brands)}
        medicine_words = sorted({w for name in medicine_names for w in _words(name)})
        phrases = sorted(((_words(p), s.to, s.replace) for s in guide.synonyms for p in s.phrases if _words(p)),
                         key=lambda item: -len(item[0]))
        for words, to, _ in phrases:
            count([*words, *_words(to)])
        synonyms = [[words, to, replace] for words, to, replace in phrases]
        count(medicine_words)
        return {"vocab": vocab, "medicine_words": medicine_words, "synonyms": synonyms}

    value: dict[str, Any] = derived("ask-vocabulary", guide_files(), (__file__, normalise.__file__), build)
    return value


class _Index:
    """The in-memory FTS5 index over the topic pages plus the vocabularies the reader needs."""

    def __init__(self, guide: AskData) -> None:
        self.guide = guide
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        tok = "tokenize = 'porter unicode61 remove_diacritics 2'"
        # Two tables so that each has its own term statistics: in the small `keys` table (titles and
        # the words people use) a word such as "dose" still singles out a few topics, while in the
        # full text it occurs nearly everywhere and bm25 would give it almost no weight.
        self.conn.execute(f"CREATE VIRTUAL TABLE keys USING fts5(topic UNINDEXED, title, terms, {tok})")
        self.conn.execute(f"CREATE VIRTUAL TABLE topics USING fts5(topic UNINDEXED, summary, body, {tok})")
        self.conn.execute(f"CREATE VIRTUAL TABLE paragraphs USING fts5(topic UNINDEXED, idx UNINDEXED, text, {tok})")
        for t in guide.topics:
            terms = " ; ".join(t.terms)
            self.conn.execute("INSERT INTO keys VALUES (?, ?, ?)", (t.id, t.title, terms))
            self.conn.execute("INSERT INTO topics VALUES (?, ?, ?)", (t.id, t.summary, t.text))
            self.conn.executemany("INSERT INTO paragraphs VALUES (?, ?, ?)",
                                  [(t.id, i, p.text) for i, p in enumerate(t.paragraphs)])
        # The words the reader knows (spelling targets, medicine words, synonym phrases as word lists):
        # ~8,000 names and phrases split into words, kept compiled (knowledge.cache) for the next process.
        words = _vocabularies()
        self.medicine_words = set(words["medicine_words"])
        self.self_names = {normalise_name(n) for n in guide.self_names}
        # Comparator names the interaction engine does not know by that name ("benzodiazepines")
        # are looked up by the comparator's `interaction_name` ("diazepam"), else as typed.
        self.comparators: dict[str, str] = {}
        for a in guide.alternatives:
            for n in (a.drug, *(b.split("(")[0] for b in a.brands)):
                self.comparators[normalise_name(n)] = a.interaction_name or normalise_name(n)
        self.comparator_words = frozenset(w for n in self.comparators for w in _words(n) if len(w) > 3)
        # Synonym phrases as word tuples, longest first so "glass of wine" wins over "wine".
        self.synonyms = [(tuple(phrase), to, replace) for phrase, to, replace in words["synonyms"]]
        self.synonyms_by_first: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}
        for item in self.synonyms:  # still longest first within each list
            self.synonyms_by_first.setdefault(item[0][0], []).append(item)
        vocab: dict[str, int] = words["vocab"]
        self.vocab = vocab
        self.by_initial: dict[str, list[str]] = {}
        for w in sorted(vocab, key=lambda x: -vocab[x]):
            if len(w) >= guide.search.typo_min_length - 1:
                self.by_initial.setdefault(w[0], []).append(w)
        self._known: dict[str, bool] = {}
        self.anchors = frozenset(" ".join(_words(a)) for a in guide.search.anchors if _words(a))
        # Classes that do not interact (studied together, no change): naming one is not a question
        # about gabapentin.
        self.inert_classes = guide.inert_classes

    # --- reading the question ---------------------------------------------------------------
    def indexed(self, word: str) -> bool:
        if word not in self._known:
            with self.lock:
                hit = self.conn.execute("SELECT 1 FROM topics WHERE topics MATCH ? LIMIT 1", (f'"{word}"',)).fetchone()
                hit = hit or self.conn.execute("SELECT 1 FROM keys WHERE keys MATCH ? LIMIT 1", (f'"{word}"',)).fetchone()
            self._known[word] = hit is not None
        return self._known[word]

    def correct(self, word: str) -> str:
        """The closest known word within the allowed edits, or ``word`` itself.

        A word the stemmed index already matches ("stopped") is kept unless the correction is a
        medicine name ("tramadoll" -> tramadol), which the interaction engine needs spelt right. A
        real English word (the text pipeline's word list) is never corrected: "forever" is not a
        slip for "fever". (The list is read only for a word that has a correction, and searched as
        text: :func:`gabacare.knowledge.language.is_english_word`.)
        """
        s = self.guide.search
        if len(word) < s.typo_min_length or word in self.vocab or word in self.guide.stopwords:
            return word
        best = self._closest(word)
        # A name the interaction engine knows as typed ("charanda", a [names.exact] drink, which is no
        # spelling target) is kept: correcting it would hide the medicine it names.
        if best == word or is_english_word(word) or (word,) in known_names():
            return word
        if self.indexed(word) and best not in self.medicine_words:
            return word
        return best

    def _closest(self, word: str) -> str:
        from rapidfuzz.distance import OSA  # (imported for the first word that is not known: ~6 ms)

        s = self.guide.search
        limit = 2 if len(word) >= s.typo_two_edits_min_length else 1
        best, best_d = word, limit + 1
        for cand in self.by_initial.get(word[0], ()):
            d = OSA.distance(word, cand, score_cutoff=limit)  # the text pipeline's metric (rapidfuzz)
            if d < best_d:
                best, best_d = cand, d
                if d == 1:
                    break
        return best

    def expand(self, words: Sequence[str]) -> list[str]:
        """Add the topics' words after each patient phrase (longest phrase first, whole words only)."""
        # The medicine's own names read as "it", so "how does gabapentin work" meets "how does it work".
        words = ["it" if w in self.self_names else w for w in words]
        out: list[str] = []
        i = 0
        while i < len(words):
            for phrase, to, replace in self.synonyms_by_first.get(words[i], ()):
                n = len(phrase)
                if tuple(words[i:i + n]) == phrase:
                    # Keep the person's words too ("times a day" still says "times") unless the
                    # synonym replaces them ("forgetful" is about memory, not a forgotten dose).
                    out.extend(_words(to) if replace else (*phrase, *_words(to)))
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def medicines(self, words: Sequence[str], expanded: Sequence[str]) -> list[str]:
        """Names of medicines (and alcohol) in the question, longest n-gram first, gabapentin excluded."""
        found: list[str] = []
        seen: set[tuple[str, ...]] = set()
        used = [False] * len(words)
        for n in range(_MAX_NGRAM, 0, -1):
            for i in range(len(words) - n + 1):
                if any(used[i:i + n]):
                    continue
                gram = " ".join(words[i:i + n])
                if n > 1 and ("and" in words[i:i + n] or "or" in words[i:i + n]):
                    continue  # "neurontin and vodka" is two names, read one at a time
                candidates = [gram] + ([gram[:-1]] if n == 1 and gram.endswith("s") and len(gram) > 3 else [])
                for typed in candidates:
                    name = typed
                    # Only a whole known name counts here: the name reader would also read
                    # "it with tramadol" as tramadol, and the longest n-gram would win.
                    key = plural_key(tuple(_words(typed)), known_names())
                    ingredients = resolve_ingredients(name) if key is not None else ()
                    if not ingredients and typed in self.comparators:
                        name = self.comparators[typed]
                        ingredients = resolve_ingredients(name) or (name,)
                    if ingredients and set(ingredients) != {"gabapentin"}:
                        if ingredients not in seen:
                            seen.add(ingredients)
                            found.append(name)
                        used[i:i + n] = [True] * n
                        break
        # Words a synonym turned into a medicine ("booze", "glass of wine" -> alcohol).
        for to in dict.fromkeys(expanded):
            if to in self.medicine_words and to not in words:
                ingredients = resolve_ingredients(to)
                if ingredients and ingredients not in seen:
                    seen.add(ingredients)
                    found.append(to)
        return found

    # --- searching ---------------------------------------------------------------------------
    def search(self, terms: Sequence[str]) -> list[tuple[str, float]]:
        """(topic id, score) best first; the score is the negated bm25 of both tables, summed.

        Only topics whose title or search terms match are returned: a word that occurs only in the
        body text ("night", "day") is not enough for GabaCare to claim the topic answers the question.
        """
        s = self.guide.search
        query = " OR ".join(f'"{t}"' for t in terms)
        with self.lock:
            keyed = {
                str(topic): float(score)
                for topic, score in self.conn.execute(
                    "SELECT topic, -bm25(keys, 0.0, ?, ?) FROM keys WHERE keys MATCH ?", (s.weight_title, s.weight_terms, query)
                )
            }
            scores = dict(keyed)
            body_sql = "SELECT topic, -bm25(topics, 0.0, ?, ?) FROM topics WHERE topics MATCH ?"
            for topic, score in self.conn.execute(body_sql, (s.weight_summary, s.weight_body, query)):
                if str(topic) in keyed:
                    scores[str(topic)] += float(score)
        return sorted(scores.items(), key=lambda item: -item[1])

    def best_paragraph(self, topic: str, terms: Sequence[str], own: frozenset[str] = frozenset()) -> tuple[int, str]:
        """(paragraph index, snippet) of the paragraph that mentions most of the question's terms.

        A term the person typed (``own``) counts twice as much as one a synonym added. Paragraphs are
        written main point first, so among equals the earliest wins (bm25 alone would prefer a short
        aside that happens to repeat a word).
        """
        query = " OR ".join(f'"{t}"' for t in terms)
        sql = "SELECT idx, snippet(paragraphs, 2, '[', ']', '…', 24) FROM paragraphs WHERE paragraphs MATCH ? AND topic = ?"
        count_sql = "SELECT idx FROM paragraphs WHERE paragraphs MATCH ? AND topic = ?"
        with self.lock:
            snippets = {int(i): str(snip) for i, snip in self.conn.execute(sql, (query, topic))}
            hits: dict[int, int] = {}
            for t in terms:
                for (i,) in self.conn.execute(count_sql, (f'"{t}"', topic)):
                    hits[int(i)] = hits.get(int(i), 0) + (2 if t in own else 1)
        if not snippets:
            return -1, ""
        best = min(snippets, key=lambda i: (-hits.get(i, 0), i))
        return best, snippets[best]


Vector = list[float]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(map(mul, a, b)))


class _Semantic:
    """The topics' texts as static sentence embeddings, ready to compare with a question.

    Built once per process, on the first question, from the compiled topic vectors
    (:func:`compile_topics`) and an ``embed`` that gives a text's unit vector (the net's arithmetic,
    :class:`._tokens.Embedder`). Short questions embedded by averaging word vectors all share one
    large common direction ("a question about a medicine"), so the mean of the topics' texts and the
    first principal components are taken out of every vector before the cosine: what is left is what
    tells the topics apart.

    The comparisons are double-precision dot products of the stored single-precision rows with the
    question's vector. A process that has NumPy loaded (the web server, the benchmarks) runs them
    there; a one-shot ``gabacare ask`` runs them in plain Python (~1,200 rows of 256 numbers: ~8 ms)
    rather than import NumPy (~35-40 ms). Both sum the same products in another order: the scores
    agree to ~1e-15 (``tests/unit/guide/test_ask_compiled.py``).
    """

    def __init__(self, embed: Callable[[str], Vector], guide: AskData, arrays: Mapping[str, PlainArray],
                 net_loaded: bool = False) -> None:
        self._embed = embed
        self.net_loaded = net_loaded  # whether the net had to load (no compiled copy to answer from)
        self.topic_ids = tuple(t.id for t in guide.topics)
        self._starts = _topic_starts(guide)
        self._spans = list(zip(self._starts, [*self._starts[1:], len(arrays["anchors"])], strict=True))
        self._arrays = arrays
        self._mean = arrays["mean"].numbers().tolist()
        self._components = [r.tolist() for r in arrays["components"].rows()]
        self._plain: dict[str, list[Any]] = {}  # "anchors", "off_topic": rows as arrays, made on first use
        self._matrices: dict[str, Any] = {}  # the same as NumPy float64 matrices, made on first use
        # A topic's paragraphs, embedded when first needed: to pick the one to show when no keyword
        # of the question is in the topic (computing one twice in two threads is harmless).
        self._guide = guide
        self._paragraphs: dict[str, list[Vector]] = {}
        self._topic_columns: list[Vector] | None = None

    def _rows(self, name: str) -> list[Any]:
        if name not in self._plain:
            self._plain[name] = self._arrays[name].rows()
        return self._plain[name]

    def _matrix(self, np: Any, name: str) -> Any:
        if name not in self._matrices:
            a = self._arrays[name]
            self._matrices[name] = np.frombuffer(a.data, dtype=a.descr).reshape(a.shape).astype(np.float64)
        return self._matrices[name]

    def _project(self, v: Sequence[float]) -> Vector:
        return _projected(v, self._mean, self._components)

    def vector(self, text: str) -> Vector:
        """The question's embedding, projected like the topics' texts (a unit vector)."""
        return self._project(self._embed(text.lower()))

    def _cosines(self, name: str, question: Vector, np: Any = None) -> list[float]:
        """The dot product of every row of ``name`` (``anchors``, ``off_topic``) with ``question``: in
        NumPy when the process has it loaded (or it is given), else in plain Python."""
        np = np or sys.modules.get("numpy")
        if np is not None:
            return [float(x) for x in self._matrix(np, name) @ np.asarray(question, dtype=np.float64)]
        return [_dot(row, question) for row in self._rows(name)]

    def scores(self, question: Vector) -> dict[str, float]:
        """Topic id -> the highest cosine between the question and the topic's texts."""
        cos = self._cosines("anchors", question)
        return {t: max(cos[a:b]) for t, (a, b) in zip(self.topic_ids, self._spans, strict=True)}

    def topic_probabilities(self, question: Vector) -> dict[str, float]:
        """Topic id -> the topic model's probability for the (projected) question vector; empty when
        the model was fitted to other vectors or other topics (then it is not used)."""
        model = _topic_model()
        if model.dimensions != len(question) or set(model.topics) != set(self.topic_ids):
            return {}
        if self._topic_columns is None:
            self._topic_columns = [[row[k] for row in model.weights] for k in range(len(model.topics))]
        z = [_dot(question, column) + b for column, b in zip(self._topic_columns, model.bias, strict=True)]
        top = max(z)
        e = [math.exp(x - top) for x in z]
        total = sum(e)
        return {t: v / total for t, v in zip(model.topics, e, strict=True)}

    def off_topic(self, question: Vector) -> float:
        """The highest cosine between the question and the off-topic examples (-1 when none)."""
        if not len(self._arrays["off_topic"]):
            return -1.0
        return max(self._cosines("off_topic", question))

    def best_paragraph(self, topic: str, question: Vector) -> int:
        """Index of the topic's paragraph closest in meaning to the question (the first of equals)."""
        if topic not in self._paragraphs:
            self._paragraphs[topic] = [self._project(self._embed(p.text.lower())) for p in self._guide.topic(topic).paragraphs]
        scores = [_dot(p, question) for p in self._paragraphs[topic]]
        return scores.index(max(scores))


def _topic_texts(guide: AskData) -> list[str]:
    """Each topic's example questions, title, summary and search terms, lower-cased, topic after topic."""
    return [x.lower() for t in guide.topics for x in (*t.examples, t.title, t.summary, *t.terms)]


def _topic_starts(guide: AskData) -> list[int]:
    """Where each topic's texts start in :func:`_topic_texts`."""
    starts, n = [], 0
    for t in guide.topics:
        starts.append(n)
        n += len(t.examples) + 2 + len(t.terms)
    return starts


def _projected(vector: Sequence[float], mean: Sequence[float], components: Sequence[Sequence[float]]) -> Vector:
    """``vector`` less the topics' mean and principal directions, as a unit vector (zero stays zero)."""
    v = [x - m for x, m in zip(vector, mean, strict=True)]
    if components:
        weights = [_dot(v, c) for c in components]
        v = [x - sum(w * c[i] for w, c in zip(weights, components, strict=True)) for i, x in enumerate(v)]
    norm = math.sqrt(_dot(v, v))
    return [x / norm for x in v] if norm > 0 else v


def _projected_rows(vectors: NDArray[np.float32], mean: NDArray[np.float32],
                    components: NDArray[np.float32]) -> NDArray[np.float32]:
    """:func:`_projected` for every row at once, in NumPy's single precision (compiling the topics)."""
    import numpy as xp

    v = vectors - mean
    if len(components):
        v = v - (v @ components.T) @ components
    norms = xp.linalg.norm(v, axis=1, keepdims=True)
    out: NDArray[np.float32] = (v / xp.where(norms > 0, norms, 1.0)).astype(xp.float32)
    return out


def compile_topics(net: Any, guide: AskData) -> dict[str, NDArray[Any]]:
    """What :class:`_Semantic` derives from the topics with the net's embeddings (the slow part).

    ``mean`` (the topics' texts' mean vector), ``components`` (the principal directions taken out),
    ``anchors`` (each text projected, one row per text of :func:`_topic_texts`) and ``off_topic``
    (the off-topic examples projected; no rows when there are none). Kept on disk by
    :func:`_compiled_topics`.
    """
    import numpy as np

    raw = np.asarray(net.embed(_topic_texts(guide)), dtype=np.float32)
    mean = raw.mean(axis=0)
    components = _top_components(raw - mean, guide.search.semantic_components_removed)
    off = [x.lower() for x in guide.search.off_topic_examples]
    off_topic = (_projected_rows(np.asarray(net.embed(off), dtype=np.float32), mean, components) if off
                 else np.zeros((0, raw.shape[1]), dtype=np.float32))
    return {"mean": mean, "components": components, "anchors": _projected_rows(raw, mean, components),
            "off_topic": off_topic}


def _compiled_fits(guide: AskData, arrays: Mapping[str, PlainArray]) -> bool:
    """Whether cached arrays have the names, types and shapes :func:`compile_topics` gives for ``guide``."""
    mean, comps, anchors, off = arrays["mean"], arrays["components"], arrays["anchors"], arrays["off_topic"]
    if not all(a.descr == "<f4" for a in (mean, comps, anchors, off)) or mean.ndim != 1:
        return False
    dim = mean.shape[0]
    return (comps.shape == (guide.search.semantic_components_removed, dim)
            and anchors.shape == (len(_topic_texts(guide)), dim)
            and off.shape == (len(guide.search.off_topic_examples), dim)
            # One sum in C instead of a test per value (~350,000): float32 values cannot add up to an
            # overflow in a double, so the sum is finite exactly when every value is.
            and math.isfinite(sum(anchors.numbers())))


_TOPICS = "ask-topics"
_TOKENS = "ask-tokens"
#: How many of the English word list's most frequent words the compiled token table holds (and, of
#: those, how many also as the end of a word: "in-law", "88-year-old"). With the guide's own texts
#: they cover ~88% of the development questions whole (30,000 words: 92%, for twice the table's
#: load and compile time; the guide's texts alone: 60%); a question not covered loads the tokenizer.
_TABLE_WORDS = 15_000
_TABLE_INNER_WORDS = 5_000


#: The data files the token table's texts come from (:func:`_table_texts`): the guide's, the
#: medicine names' and the English word list. Its ids depend on the tokenizer alone; these only
#: decide which texts it covers, so other edits of the knowledge base do not compile it again.
_TABLE_DATA = ("alternatives.toml", "synonyms.toml", "gabapentin.toml", "medicines.toml", "english_words.txt")


def _semantic_keys() -> tuple[str | None, str | None]:
    """The compiled cache's keys (:mod:`._compiled`) for the topic vectors (every data file) and the
    token table (the files of ``_TABLE_DATA`` and the topics): either way this module,
    :mod:`._tokens`, the net's loader, the ``tokenizers`` version file and the model files; ``None``
    when there is no model to key on."""
    import importlib.util

    from gabacare.clinical.text import semantic
    from gabacare.guide import _compiled, _tokens

    spec = importlib.util.find_spec("tokenizers")
    if spec is None or spec.origin is None:
        return None, None
    code = (__file__, _tokens.__file__, semantic.__file__, spec.origin)
    try:
        models = semantic.model_files()
        read = _compiled.data_files()  # (once for both keys: ~2 MB)
        return (_compiled.cache_key(_TOPICS, code, models, read=read),
                _compiled.cache_key(_TOKENS, code, models, lambda rel: rel in _TABLE_DATA or rel.startswith("topics/"), read))
    except OSError:
        return None, None


def _compiled_topics(net: Any, guide: AskData, key: str | None = None) -> dict[str, PlainArray]:
    """:func:`compile_topics`, from the compiled cache when it holds a current copy (:mod:`._compiled`);
    ``key`` is :func:`_semantic_keys`' first (computed when not given)."""
    from gabacare.guide import _compiled

    return _compiled.compiled_arrays(_TOPICS, key or _semantic_keys()[0], lambda: compile_topics(net, guide),
                                     lambda arrays: _compiled_fits(guide, arrays))


def _table_texts(guide: AskData) -> tuple[list[str], list[str]]:
    """What the token table covers: the most frequent English words and every text of the guide
    (lower-cased, as :class:`_Semantic` embeds them), and the words also covered after a cut."""
    from gabacare.knowledge.guide_data import load_guide
    from gabacare.knowledge.words import english_rank

    ranked = sorted(english_rank().items(), key=lambda item: item[1])
    common = [w for w, _ in ranked[:_TABLE_WORDS]]
    texts = [*_topic_texts(guide), *(p.text.lower() for t in guide.topics for p in t.paragraphs),
             *(x.lower() for x in guide.search.off_topic_examples),
             *(p.lower() for syn in load_guide().synonyms for p in syn.phrases), *sorted(_index().medicine_words)]
    return [*common, *texts], common[:_TABLE_INNER_WORDS]


def _token_table(guide: AskData) -> dict[str, PlainArray]:
    """The compiled token table (:func:`._tokens.compile_segments`) of the net's tokenizer."""
    from tokenizers import Tokenizer

    from gabacare.clinical.text import semantic
    from gabacare.guide import _tokens

    texts, inner = _table_texts(guide)
    return _tokens.compile_segments(Tokenizer.from_file(str(semantic.model_files()[1])), texts, inner)


def _top_components(x: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    """The first ``k`` principal directions of the centred rows ``x``, by power iteration.

    Matrix-vector products only: a full SVD of the ~800 x 256 matrix costs seconds on a busy
    machine's BLAS, these a millisecond. Deterministic (starts from the longest row).
    """
    import numpy as np

    rest = x.astype(np.float64)
    found: list[NDArray[np.float64]] = []
    for _ in range(k):
        v = rest[int(np.linalg.norm(rest, axis=1).argmax())].copy()
        v /= np.linalg.norm(v) or 1.0
        for _ in range(200):
            w = rest.T @ (rest @ v)
            w /= np.linalg.norm(w) or 1.0
            done = abs(float(w @ v)) > 1 - 1e-10
            v = w
            if done:
                break
        found.append(v)
        rest = rest - np.outer(rest @ v, v)
    out: NDArray[np.float32] = np.asarray(found, dtype=np.float32).reshape(len(found), x.shape[1])
    return out


_semantic_lock = threading.Lock()
_semantic_state: dict[str, _Semantic | None] = {}


def _semantic() -> _Semantic | None:
    """The topics' embeddings, or ``None`` when the sentence embeddings cannot load (keywords only)."""
    with _semantic_lock:
        if "s" not in _semantic_state:
            _semantic_state["s"] = _load_semantic()
        return _semantic_state["s"]


def _load_semantic() -> _Semantic | None:
    """:class:`_Semantic` over the compiled topic vectors and token table when the cache holds both
    for the current key: the question is then embedded from the mapped weights with the net's own
    arithmetic (:class:`._tokens.Embedder`), without building the net (its tokenizer, its emergency
    descriptions) or importing NumPy. The topic vectors exist only if the net loaded for this very
    knowledge base, code and model (they are built with it); the table's ids depend on the tokenizer
    alone (its key follows only the data its texts come from). Otherwise the net is loaded (``None``:
    keywords only), the topic vectors are built with it, and the missing files are written for the
    next process (the table only when there is a cache). Without the model files there is no key, so
    no cached copy is used: keywords only."""
    from gabacare.clinical.text import semantic
    from gabacare.guide import _compiled, _tokens

    guide = ask_data()
    key, table_key = _semantic_keys()
    topics = _compiled.cached_arrays(_TOPICS, key, lambda arrays: _compiled_fits(guide, arrays))
    table = _compiled.cached_arrays(_TOKENS, table_key, _tokens.table_fits) if topics is not None else None
    if topics is not None and table is not None:
        embedder = _plain_embedder(table)
        if embedder is not None and embedder.dimensions == topics["mean"].shape[0]:
            return _Semantic(embedder.embed_one, guide, topics)
    net = semantic.semantic_net()
    if net is None:
        return None
    built = topics if topics is not None else _compiled_topics(net, guide, key)
    plain = _plain_embedder(None)
    # The net's own arithmetic only when the weights are not laid out as one plain matrix.
    embed = plain.embed_one if plain is not None else (lambda text: [float(x) for x in net.embed([text])[0]])
    sem = _Semantic(embed, guide, built, net_loaded=True)
    if table_key is not None and table is None and _compiled.cache_directory() is not None:
        _compiled.compiled_arrays(_TOKENS, table_key, lambda: _token_table(guide), _tokens.table_fits)
    return sem


def _plain_embedder(table: Mapping[str, PlainArray] | None) -> _tokens.Embedder | None:
    """The question's vector from the mapped weights in plain Python (what a warm process uses, so a
    cold and a warm ``ask`` answer alike), reading tokens from the compiled ``table`` or, without one,
    from the tokenizer; ``None`` when the weights cannot be mapped as one plain matrix."""
    from gabacare.clinical.text import semantic
    from gabacare.guide import _tokens

    try:
        weights, tokenizer = semantic.model_files()
        mapped = semantic.mapped_table(weights)
    except Exception:  # the weights cannot be read: the net says whether it loads at all
        return None
    if mapped is None:
        return None
    reader = (_tokens.SegmentTokenizer.from_arrays(table, tokenizer) if table is not None
              else _tokens.SegmentTokenizer.without_table(tokenizer))
    return _tokens.Embedder(mapped, reader)


def _topic_model() -> AskTopicModel:
    """The topic model's numbers (``topic_model.toml``)."""
    return ask_data().topic_model


@cache
def _index() -> _Index:
    return _Index(ask_data())


def interpret(question: str) -> Interpretation:
    """Read a question the way :func:`ask` does (exposed so the reading can be tested and shown)."""
    idx = _index()
    raw = _words(question)
    corrected = [idx.correct(w) for w in raw]
    corrections = tuple((w, c) for w, c in zip(raw, corrected, strict=True) if w != c)
    expanded = idx.expand(corrected)
    medicines = tuple(idx.medicines(corrected, expanded))
    # A named medicine also searches for its interaction class ("vodka" -> alcohol, "oxycodone" -> opioids).
    classes = [r.class_id for r in check_interactions(list(medicines)).results if r.class_id] if medicines else []
    class_words = [w for c in classes for w in c.split("-") if idx.indexed(w)]
    # An age at or above the guide's threshold ("I'm 75", "my 90 year old dad") reads as the
    # older-adults words: the words themselves drop the digits.
    s = idx.guide.search
    ages = [int(a or b) for a, b in _AGE.findall(question.lower().replace("’", "'"))]
    age_words = _words(s.older_age_words) if any(s.older_age_years <= a <= _MAX_AGE for a in ages) else []
    terms = tuple(dict.fromkeys(w for w in (*expanded, *class_words, *age_words)
                                if w not in idx.guide.stopwords and len(w) > 1))
    return Interpretation(tuple(corrected), corrections, terms, medicines)


# --- triage only what is happening now ------------------------------------------------------------
_Phrases = tuple[tuple[str, ...], ...]


@cache
def _cue_phrases(cues: AskCues) -> tuple[_Phrases, _Phrases, _Phrases]:
    def phrases(items: Sequence[str]) -> _Phrases:
        return tuple(sorted({tuple(_words(p)) for p in items if _words(p)}, key=lambda w: -len(w)))

    return phrases(cues.general), phrases(cues.now), phrases(cues.refers_back)


def _find(words: Sequence[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(words) - n + 1) if tuple(words[i:i + n]) == phrase]


def clauses(question: str) -> list[str]:
    """The question cut at sentence ends, commas, semicolons and dashes (empty pieces dropped)."""
    return [c.strip() for c in _CLAUSE.split(question) if _words(c)]


def is_general_question(clause: str) -> bool:
    """True when ``clause`` asks about gabapentin in general rather than describing something now.

    It must hold a general-question phrase ("can it cause", "what happens if") and, once those
    phrases are taken out, no happening-now phrase ("right now", "I've got", "like this").
    """
    general, now, _ = _cue_phrases(ask_data().general_cues)
    words = _words(clause)
    used = [False] * len(words)
    for phrase in general:
        for i in _find(words, phrase):
            used[i:i + len(phrase)] = [True] * len(phrase)
    if not any(used):
        return False
    rest = [w for w, u in zip(words, used, strict=True) if not u]
    return not any(_find(rest, phrase) for phrase in now)


def _triage_now(text: str, reading: Interpretation) -> tuple[TriageReport | None, tuple[str, ...]]:
    """Triage the clauses that describe something happening now; also return the general ones.

    The symptom triage is imported only when a clause needs it."""
    parts = clauses(text)
    general = tuple(c for c in parts if is_general_question(c))
    kept = [c for c in parts if c not in general]
    if not kept:
        return None, general
    back = _cue_phrases(ask_data().general_cues)[2]
    refers_back = any(_find(_words(c), phrase) for c in kept for phrase in back)
    if refers_back:
        kept, general = parts, ()
    typed = text if not general else ". ".join(kept)
    from gabacare.clinical.triage import triage

    report = triage([typed])
    if not report.most_urgent and reading.corrections:
        # Triage the clauses as corrected when the typed words are not recognised.
        fixes = dict(reading.corrections)
        corrected = ". ".join(" ".join(fixes.get(w, w) for w in _words(c)) for c in kept)
        if corrected != ". ".join(" ".join(_words(c)) for c in kept):
            report = triage([corrected])
    return (report if report.most_urgent else None), general


# --- ranking -----------------------------------------------------------------------------------
#: (topic id, score, keyword score, meaning score or None), best first.
_Ranked = tuple[str, float, float, float | None]


def _corrected_text(text: str, reading: Interpretation) -> str:
    """``text`` with each corrected spelling slip replaced by the word it was read as."""
    if not reading.corrections:
        return text
    fixes = dict(reading.corrections)
    return _TOKEN.sub(lambda m: fixes.get(m.group(0), m.group(0)), text.lower().replace("’", "'").replace("‘", "'"))


def question_vector(question: str) -> Vector | None:
    """The question's projected sentence vector exactly as :func:`ask` computes it (the input of the
    topic model, for ``scripts/train_topic_model.py``); ``None`` when the embeddings cannot load."""
    return _question_vector(_semantic(), question, interpret(question))


def _read_as_topic_words(sem: _Semantic, reading: Interpretation) -> list[Vector]:
    """The meaning of the question's search terms, when patient phrases were read as the topics' words
    ("puedo manejar" -> drive): a question written in other words, or another language, is then
    compared by meaning too, not only by its keywords. Empty when no phrase was read."""
    said = set(reading.words)
    if not any(t not in said for t in reading.terms):
        return []
    out = [sem.vector(" ".join(reading.terms))]
    # A question mostly in another language ("cómo funciona la gabapentina"): its own words embed as
    # noise beside the topics' words it was read as, so the English terms alone are compared too.
    kept = [t for t in reading.terms if t not in said or is_english_word(t)]
    if kept and len(kept) < len(reading.terms):
        out.append(sem.vector(" ".join(kept)))
    return out


def _question_vector(sem: _Semantic | None, question: str, reading: Interpretation) -> Vector | None:
    # The meaning is read from the words as corrected ("alchohol" would embed as noise).
    return sem.vector(_corrected_text(question, reading)) if sem is not None else None


def _rank_keywords(idx: _Index, reading: Interpretation) -> list[_Ranked]:
    """(topic, score, keyword score, None) best first: bm25 alone (when the embeddings are unavailable)."""
    s = idx.guide.search
    hits = idx.search(reading.terms) if reading.terms else []
    best = hits[0][1] if hits else 0.0
    return [(t, score, score, None) for t, score in hits if score >= s.min_score and score >= s.relative_cutoff * best]


def _rank_hybrid(idx: _Index, sem: _Semantic, reading: Interpretation,
                 questions: Sequence[Vector], boost: dict[str, float] | None = None,
                 anchored: bool = True) -> list[_Ranked]:
    """(topic, combined score, keyword score, meaning score) best first, above the calibrated cut-offs.

    ``questions`` are the question's embeddings (as typed, and with the patient phrases read as
    the topics' words); a topic's meaning score is the best of them. ``boost`` adds to a topic's
    combined score (the topic that answers an emergency read now). A question not ``anchored`` to
    the medicine needs ``min_combined_unanchored`` and cannot pass on keywords alone. A topic that
    passes gets the topic model's weighted probability added (``topic_model.toml``).
    """
    s = idx.guide.search
    keyword = dict(idx.search(reading.terms)) if reading.terms else {}
    meaning = sem.scores(questions[0])
    for q in questions[1:]:
        meaning = {t: max(v, w) for (t, v), w in zip(meaning.items(), sem.scores(q).values(), strict=True)}
    if not anchored and sem.off_topic(questions[0]) >= max(meaning.values(), default=-1.0) + s.off_topic_margin:
        return []  # closer to a question about something else than to any topic
    boost = boost or {}
    floor = s.min_combined if anchored else max(s.min_combined, s.min_combined_unanchored)
    learned = sem.topic_probabilities(questions[0])
    learned_weight = _topic_model().weight if learned else 0.0
    ranked = []
    for topic_id, cos in meaning.items():
        kw = keyword.get(topic_id, 0.0)
        combined = s.semantic_weight * cos + (1 - s.semantic_weight) * kw / (kw + s.keyword_half_score)
        combined += boost.get(topic_id, 0.0)
        strong_words = anchored and kw >= s.min_keyword_alone
        if topic_id not in boost and ((combined < floor and not strong_words) or (kw <= 0 and cos < s.min_semantic_alone)):
            continue
        # The topic model only re-orders topics that passed on their own: it never makes an answer.
        # Divided by 1 + weight so the score stays a 0-1 figure (a constant factor keeps the order
        # and the relative cut-off below).
        ranked.append((topic_id, (combined + learned_weight * learned.get(topic_id, 0.0)) / (1 + learned_weight), kw, cos))
    ranked.sort(key=lambda item: -item[1])
    if not ranked:
        return []
    best = ranked[0][1]
    return [r for r in ranked if r[1] >= s.relative_cutoff_combined * best]


def _anchored(idx: _Index, reading: Interpretation, found: TriageReport | None) -> bool:
    """Whether a question is about the medicine: it names gabapentin, points at it ("is it ...",
    "my tablets": ``search.anchors``), names a medicine the guide covers (one that interacts, or a
    comparator), or describes a symptom the triage recognises. "Is metformin good for weight loss?"
    and "how long does a cold last?" are not, and need a closer match to be answered."""
    if found is not None:
        return True
    words = set(reading.words)
    joined = f" {' '.join(reading.words)} "
    if words & idx.self_names or any(f" {a} " in joined for a in idx.anchors):
        return True
    names = known_names()
    if any(names.get((w,)) == ("gabapentin",) for w in words):
        return True
    if not reading.medicines:
        return False
    results = check_interactions(list(reading.medicines)).results
    covered = {r.input for r in results if r.class_id and r.class_id not in idx.inert_classes}
    return bool(covered) or bool(words & idx.comparator_words)


def _triage_boost(guide: AskData, found: TriageReport | None) -> dict[str, float]:
    """The topic that answers an emergency read in the question, with the policy's boost."""
    s = guide.search
    if found is None or not found.emergency or not s.triage_topic_boost:
        return {}
    # Only what the rules read: the net's and the backstop's "may be" can fire on a general question.
    effects = [r.effect_id for r in found.results
               if r.urgency == "emergency" and r.effect_id and r.rule not in ("semantic-net", "backstop")]
    topics = [s.triage_topics.get(e, s.emergency_topic) for e in effects]
    return {t: s.triage_topic_boost for t in topics[:1] if t}


def _class_boost(guide: AskData, interactions: InteractionReport | None) -> dict[str, float]:
    """The topic about a named medicine's class ("whisky" -> alcohol and sedatives), with its boost."""
    s = guide.search
    if interactions is None or not s.class_topic_boost:
        return {}
    topics = [s.class_topics[r.class_id] for r in interactions.results if r.class_id in s.class_topics]
    return {t: s.class_topic_boost for t in topics[:1]}


def ask(question: str) -> AskResult:
    """Answer a question from the topic pages, with triage and interactions when it names them.

    Parameters
    ----------
    question
        Free text in a patient's words ("can I have a glass of wine?", "forgot my pill").

    Returns
    -------
    AskResult
        ``answers`` best first (at most ``search.max_answers``, each above the policy's score
        cut-offs); ``triage`` when a symptom happening now is recognised (emergencies first; general
        questions such as "can it cause swollen lips?" are not triaged); ``interactions`` when a
        medicine or alcohol is named; ``message`` points to the pharmacist and ``topics`` lists the
        guide's topics when nothing matches well; ``retrieval`` says whether the meaning of the
        question was used (``hybrid``) or only its words (``keywords only``).

    Raises
    ------
    ClinicalInputError
        The question has no words, or is longer than ``search.max_question_chars``.

    Examples
    --------
    >>> r = ask("is a glass of wine ok?")
    >>> (r.answers[0].topic, r.interactions.results[0].class_id)
    ('alcohol-and-sedatives', 'alcohol')
    >>> ask("best pizza near me").answers
    ()
    >>> ask("can gabapentin cause swollen lips?").triage is None
    True
    """
    text = " ".join(question.split())
    if not _words(text):
        raise ClinicalInputError("ask a question in words, e.g. 'can I drink alcohol with gabapentin?'")
    idx = _index()
    guide = idx.guide
    if len(text) > guide.search.max_question_chars:
        limit = guide.search.max_question_chars
        raise ClinicalInputError(f"the question is too long: ask one question in at most {limit} characters")
    reading = interpret(text)
    found_triage, general = _triage_now(text, reading)
    interactions = check_interactions(list(reading.medicines)) if reading.medicines else None
    sem = _semantic()
    qvec = _question_vector(sem, text, reading)
    anchored = _anchored(idx, reading, found_triage)
    if not anchored and reading.medicines:
        ranked: list[_Ranked] = []  # only medicines the guide does not cover ("is metformin good for ...")
        retrieval = HYBRID if sem is not None else KEYWORDS_ONLY
    elif sem is not None and qvec is not None:
        boost = _class_boost(guide, interactions) | _triage_boost(guide, found_triage)
        # The terms' meaning only for a question about the medicine: "how do I get rid of hiccups" reads
        # "get rid of" as the storage page's "dispose", and the words alone would then pass.
        also = _read_as_topic_words(sem, reading) if anchored else []
        ranked = _rank_hybrid(idx, sem, reading, [qvec, *also], boost, anchored)
        retrieval = HYBRID
    else:
        ranked = _rank_keywords(idx, reading) if anchored else []
        retrieval = KEYWORDS_ONLY
    answers: list[Answer] = []
    for topic_id, score, kw, cos in ranked[: guide.search.max_answers]:
        page = guide.topic(topic_id)
        i, snip = idx.best_paragraph(topic_id, reading.terms, reading.own_terms) if reading.terms else (-1, "")
        if i < 0:  # no keyword of the question in this topic: the paragraph closest in meaning
            i = sem.best_paragraph(topic_id, qvec) if sem is not None and qvec is not None else 0
            snip = page.paragraphs[i].text
        para = page.paragraphs[i]
        answers.append(Answer(topic_id, page.title, page.summary, para.text, snip, para.citations, score, kw, cos))
    if found_triage is not None and found_triage.emergency:
        message: str | None = guide.search.emergency_message
    elif not answers:
        titles = "; ".join(t.title for t in guide.topics)
        message = f"{guide.search.no_answer_message} The guide covers: {titles}."
    else:
        message = None
    return AskResult(text, tuple(answers), found_triage, interactions, message, reading, guide.notice_text,
                     retrieval, tuple((t.id, t.title) for t in guide.topics), general)
