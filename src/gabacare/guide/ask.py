"""Questions in patients' words, answered from GabaCare's cited topic pages.

Pipeline (each step is data-driven; the vocabulary is ``knowledge/data/synonyms.toml``)::

    question -> words (digits dropped) -> spelling slips corrected against the index vocabulary and
    the knowledge base's medicine names -> patient phrases replaced by the topics' words ("booze" ->
    alcohol, "come off" -> stop) -> stop words dropped -> SQLite FTS5 (porter stemming, bm25 with
    column weights) over the topic pages -> the best paragraph of each answering topic (snippet()).

Beside the answers, the question is passed to the symptom triage
(:func:`gabacare.clinical.triage.triage`; included only when it recognises something, and an
emergency is flagged first) and every medicine or alcohol word it names to the interaction engine
(:func:`gabacare.clinical.interactions.check_interactions`). When nothing matches well the answer
list is empty and the message points to the pharmacist or prescriber: GabaCare never makes up an
answer. The index is built once per process (in memory, a few milliseconds) and shared.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import InteractionReport, check_interactions, normalise_name, resolve_ingredients
from gabacare.clinical.triage import TriageReport, triage
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.guide_data import Guide, load_guide

__all__ = ["Answer", "AskResult", "ask", "interpret"]

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_MAX_NGRAM = 3


@dataclass(frozen=True)
class Answer:
    """One answering topic (contract keys: topic, title, text, citations, score; higher score is better)."""

    topic: str
    title: str
    summary: str
    text: str
    snippet: str
    citations: tuple[Citation, ...]
    score: float

    def to_json(self) -> dict[str, object]:
        return {
            "topic": self.topic, "title": self.title, "summary": self.summary, "text": self.text,
            "snippet": self.snippet, "citations": list(self.citations), "score": round(self.score, 3),
        }


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class AskResult:
    """The answer to one question (contract keys: question, answers, triage, interactions, message)."""

    question: str
    answers: tuple[Answer, ...]
    triage: TriageReport | None
    interactions: InteractionReport | None
    message: str | None
    interpretation: Interpretation
    notice: str

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
        }


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'").replace("‘", "'"))


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts once), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class _Index:
    """The in-memory FTS5 index over the topic pages plus the vocabularies the reader needs."""

    def __init__(self, guide: Guide) -> None:
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
        vocab: dict[str, int] = {}

        def count(text: str) -> None:
            for w in _words(text):
                vocab[w] = vocab.get(w, 0) + 1

        for t in guide.topics:
            terms = " ; ".join(t.terms)
            self.conn.execute("INSERT INTO keys VALUES (?, ?, ?)", (t.id, t.title, terms))
            self.conn.execute("INSERT INTO topics VALUES (?, ?, ?)", (t.id, t.summary, t.text))
            self.conn.executemany("INSERT INTO paragraphs VALUES (?, ?, ?)",
                                  [(t.id, i, p.text) for i, p in enumerate(t.paragraphs)])
            # Spelling slips are corrected towards the words of titles and search terms only: the
            # body's ordinary words ("whether", "break") would turn "weather" or "bread" into a match.
            for text in (t.title, terms):
                count(text)
        # Medicine names: the interaction engine's names and members, and the comparators' names.
        m = load_monograph()
        medicine_names = set(m.names.map) | {mem for c in m.interaction_classes for mem in c.members}
        medicine_names |= {normalise_name(n) for a in guide.alternatives for n in (a.drug, *a.brands)}
        self.medicine_words = {w for name in medicine_names for w in _words(name)}
        self.self_names = {normalise_name(n) for n in (m.drug.name, *m.drug.brands)}
        # Comparator names the interaction engine does not know by that name ("benzodiazepines")
        # are looked up by the comparator's `interaction_name` ("diazepam"), else as typed.
        self.comparators: dict[str, str] = {}
        for a in guide.alternatives:
            for n in (a.drug, *(b.split("(")[0] for b in a.brands)):
                self.comparators[normalise_name(n)] = a.interaction_name or normalise_name(n)
        # Synonym phrases as word tuples, longest first so "glass of wine" wins over "wine".
        self.synonyms = sorted(
            ((tuple(_words(p)), s.to) for s in guide.synonyms for p in s.phrases if _words(p)),
            key=lambda item: -len(item[0]),
        )
        for words, to in self.synonyms:
            for w in (*words, *_words(to)):
                vocab[w] = vocab.get(w, 0) + 1
        for w in self.medicine_words:
            vocab[w] = vocab.get(w, 0) + 1
        self.vocab = vocab
        self.by_initial: dict[str, list[str]] = {}
        for w in sorted(vocab, key=lambda x: -vocab[x]):
            if len(w) >= guide.search.typo_min_length - 1:
                self.by_initial.setdefault(w[0], []).append(w)
        self._known: dict[str, bool] = {}

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
        medicine name ("tramadoll" -> tramadol), which the interaction engine needs spelt right.
        """
        s = self.guide.search
        if len(word) < s.typo_min_length or word in self.vocab or word in self.guide.stopwords:
            return word
        best = self._closest(word)
        if best != word and self.indexed(word) and best not in self.medicine_words:
            return word
        return best

    def _closest(self, word: str) -> str:
        s = self.guide.search
        limit = 2 if len(word) >= s.typo_two_edits_min_length else 1
        best, best_d = word, limit + 1
        for cand in self.by_initial.get(word[0], ()):
            d = _edit_distance(word, cand, limit)
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
            for phrase, to in self.synonyms:
                n = len(phrase)
                if tuple(words[i:i + n]) == phrase:
                    out.extend((*phrase, *_words(to)))  # keep the person's words too: "times a day" still says "times"
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
                    ingredients = resolve_ingredients(name)
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
            return 0, self.guide.topic(topic).paragraphs[0].text
        best = min(snippets, key=lambda i: (-hits.get(i, 0), i))
        return best, snippets[best]


@cache
def _index() -> _Index:
    return _Index(load_guide())


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
    terms = tuple(dict.fromkeys(w for w in (*expanded, *class_words) if w not in idx.guide.stopwords and len(w) > 1))
    return Interpretation(tuple(corrected), corrections, terms, medicines)


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
        cut-offs); ``triage`` when a symptom is recognised (emergencies first); ``interactions`` when
        a medicine or alcohol is named; ``message`` points to the pharmacist when nothing matches well.

    Raises
    ------
    ClinicalInputError
        The question has no words, or is longer than ``search.max_question_chars``.

    Examples
    --------
    >>> r = ask("is a glass of wine ok?")
    >>> (r.answers[0].topic, r.interactions.results[0].class_id)
    ('alcohol-and-sedatives', 'alcohol')
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
    # Triage the question as typed, or as corrected when the typed words are not recognised.
    report = triage([text])
    if not report.most_urgent and reading.corrections:
        report = triage([" ".join(reading.words)])
    found_triage = report if report.most_urgent else None
    interactions = check_interactions(list(reading.medicines)) if reading.medicines else None
    answers: list[Answer] = []
    if reading.terms:
        hits = idx.search(reading.terms)
        best = hits[0][1] if hits else 0.0
        for topic_id, score in hits:
            if len(answers) >= guide.search.max_answers:
                break
            if score < guide.search.min_score or score < guide.search.relative_cutoff * best:
                continue
            page = guide.topic(topic_id)
            i, snip = idx.best_paragraph(topic_id, reading.terms, reading.own_terms)
            para = page.paragraphs[i]
            answers.append(Answer(topic_id, page.title, page.summary, para.text, snip, para.citations, score))
    if found_triage is not None and found_triage.emergency:
        message: str | None = guide.search.emergency_message
    elif not answers:
        message = guide.search.no_answer_message
    else:
        message = None
    return AskResult(text, tuple(answers), found_triage, interactions, message, reading, load_monograph().notice_text)
