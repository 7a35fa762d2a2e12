"""The evaluation corpora (``tests/eval/data``) and how GabaCare is scored on them.

Shared by the tests in this folder and by ``benchmarks/text_understanding.py``. Each corpus has a
development split (``*_dev.toml``, which may be used when changing the lexicons) and a held-out
split (``*_heldout.toml``, written by a different author and never used for tuning: read it only to
measure). Scoring never looks at a row's style: every row counts.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
URGENCIES = ("emergency", "contact_prescriber", "expected", "none")
# Corpora with a second development file by a third author (tuned on, like dev).
EXTRA_DEV = {
    "symptoms": tuple(f"dev{n}" for n in range(2, 70)),
    "drug_names": tuple(f"dev{n}" for n in range(2, 67)),
    "questions": tuple(f"dev{n}" for n in range(2, 68)),
}
# dev5 (symptoms), dev2 (drug names) and dev3 (questions) were the held-out splits until 2026-12-05;
# they were rotated into development when a new held-out split by another author replaced them.
# dev6 / dev3 / dev4: held-out v2, rotated the same day after its one untuned measurement;
# dev7 / dev4 / dev5: held-out v3, likewise; dev8 / dev5 / dev6: held-out v4, likewise;
# dev9 / dev6 / dev7: held-out v5, likewise; dev10 / dev7 / dev8: held-out v6, likewise;
# dev11 / dev8 / dev9: held-out v7, likewise; dev12 / dev9 / dev10: held-out v8, likewise;
# dev13 / dev10 / dev11: held-out v9, likewise; dev14 / dev11 / dev12: held-out v10, likewise;
# dev15 / dev12 / dev13: held-out v11, likewise; dev16 / dev13 / dev14: held-out v12, likewise;
# dev17 / dev14 / dev15: held-out v13, likewise.
# The splits whose floors the tests assert. The held-out split joins once the engine reaches the
# floors on it without being tuned on it; until then its figures are reported by the benchmark.
ASSERTED = ("dev", *EXTRA_DEV["symptoms"])


def dev_splits(corpus: str) -> tuple[str, ...]:
    """The development splits of one corpus (the ones that may be tuned on)."""
    return ("dev", *EXTRA_DEV.get(corpus, ()))


def has_heldout(corpus: str) -> bool:
    """Whether a held-out split exists. Between a rotation into development and the next author's
    split being dropped in there is none; nothing may depend on its content."""
    return (DATA / f"{corpus}_heldout.toml").is_file()


def splits(corpus: str) -> tuple[str, ...]:
    """Every split of one corpus, development splits first, held-out last (when one exists)."""
    return (*dev_splits(corpus), *(("heldout",) if has_heldout(corpus) else ()))


def load(corpus: str, split: str) -> list[dict[str, Any]]:
    """Rows of ``<corpus>_<split>.toml`` (corpus: symptoms, drug_names, questions)."""
    with (DATA / f"{corpus}_{split}.toml").open("rb") as fh:
        return list(tomllib.load(fh)["case"])


def everyday_notes() -> list[str]:
    """Everyday diary notes that report no symptom (``everyday_notes.toml``, development only)."""
    with (DATA / "everyday_notes.toml").open("rb") as fh:
        return list(tomllib.load(fh)["notes"])


def everyday_notes_heldout() -> list[str]:
    """Everyday diary notes kept out of every fit and rule (``everyday_notes_heldout.toml``)."""
    with (DATA / "everyday_notes_heldout.toml").open("rb") as fh:
        return list(tomllib.load(fh)["notes"])


def styles(row: dict[str, Any]) -> set[str]:
    return {s.strip() for s in str(row.get("style", "")).split(",") if s.strip()}


@dataclass(frozen=True)
class SymptomScore:
    n: int
    confusion: Counter[tuple[str, str]]  # (expected, got) -> count
    missed_emergencies: tuple[str, ...]
    false_emergencies: tuple[str, ...]
    negated_emergencies: tuple[str, ...]  # negated-style texts not labelled emergency, read as one

    def recall(self, urgency: str) -> float:
        total = sum(c for (e, _), c in self.confusion.items() if e == urgency)
        return self.confusion[(urgency, urgency)] / total if total else float("nan")

    def precision(self, urgency: str) -> float:
        total = sum(c for (_, g), c in self.confusion.items() if g == urgency)
        return self.confusion[(urgency, urgency)] / total if total else float("nan")

    @property
    def non_emergency(self) -> int:
        return sum(c for (e, _), c in self.confusion.items() if e != "emergency")

    @property
    def false_emergency_rate(self) -> float:
        return len(self.false_emergencies) / self.non_emergency if self.non_emergency else 0.0

    @property
    def accuracy(self) -> float:
        return sum(c for (e, g), c in self.confusion.items() if e == g) / self.n


def score_symptoms(rows: Iterable[dict[str, Any]], urgency_of: Callable[[str], str | None]) -> SymptomScore:
    confusion: Counter[tuple[str, str]] = Counter()
    missed, false, negated = [], [], []
    n = 0
    for row in rows:
        n += 1
        got = urgency_of(row["text"]) or "none"
        want = row["urgency"]
        confusion[(want, got)] += 1
        if want == "emergency" and got != "emergency":
            missed.append(row["text"])
        if want != "emergency" and got == "emergency":
            false.append(row["text"])
            if "negated" in styles(row):
                negated.append(row["text"])
    return SymptomScore(n, confusion, tuple(missed), tuple(false), tuple(negated))


@dataclass(frozen=True)
class DrugScore:
    n: int
    resolved: int
    class_right: int
    wrong: tuple[tuple[str, str], ...]  # (text, what was read)

    @property
    def resolution(self) -> float:
        return self.resolved / self.n

    @property
    def class_accuracy(self) -> float:
        return self.class_right / self.n


# The corpus names a few ingredients by a family name where the knowledge base names the product's
# own ingredient; these count as the same reading.
EQUIVALENT = {
    "cannabis": {"cannabis", "cannabidiol", "tetrahydrocannabinol", "nabiximols", "dronabinol", "nabilone"},
    "aspirin": {"aspirin", "acetylsalicylic acid"},
    "acetylsalicylic acid": {"aspirin", "acetylsalicylic acid"},
    "simeticone": {"simeticone", "simethicone"},  # the INN and the US name
    "adrenaline": {"adrenaline", "epinephrine"},  # the British and the US name of one medicine
    # The corpus drops esters ("gabapentin" for Horizant); the knowledge base names the prodrug itself.
    "gabapentin": {"gabapentin", "gabapentin enacarbil"},
    "mecobalamin": {"mecobalamin", "methylcobalamin"},  # the INN and the common name of one vitamin
    "meclizine": {"meclizine", "meclozine"},  # the US name and the INN of one antihistamine
    "meclozine": {"meclizine", "meclozine"},
    "methylcobalamin": {"mecobalamin", "methylcobalamin"},
    "dexchlorphenamine": {"dexchlorphenamine", "dexchlorpheniramine"},  # the INN and the US name
    "valproic acid": {"valproic acid", "valproate"},  # the acid and its salts are one medicine
}
# Classes that call for no action (studied together and no change, or a small measured change such as
# naproxen's 12-15% more absorption, label section 7): the corpus calls that "none". Read from the
# knowledge base, so a class that one day calls for an action counts as one.


@cache
def _no_action_classes() -> frozenset[str]:
    from gabacare.knowledge import load_monograph

    return frozenset(c.id for c in load_monograph().interaction_classes if c.action == "none")


def score_drugs(rows: Iterable[dict[str, Any]], read: Callable[[str], tuple[tuple[str, ...], tuple[str, ...]]]) -> DrugScore:
    """``read(text)`` -> (ingredients, class ids). A row is resolved when every expected ingredient
    is read (extra ingredients are allowed: "lean" may list promethazine too); its class is right
    when the expected class is among the classes read (``none`` rows: no class)."""
    n = resolved = class_right = 0
    wrong = []
    for row in rows:
        n += 1
        ingredients, classes = read(row["text"])
        read_set = set(ingredients)
        ok = all(read_set & EQUIVALENT.get(w, {w}) for w in row["ingredients"])
        resolved += ok
        interacting = set(classes) - _no_action_classes()
        klass_ok = (row["klass"] == "none" and not interacting) or row["klass"] in classes
        class_right += klass_ok
        if not (ok and klass_ok):
            wrong.append((row["text"], f"{list(ingredients)} {list(classes)}"))
    return DrugScore(n, resolved, class_right, tuple(wrong))


@dataclass(frozen=True)
class TopicScore:
    n: int
    top1: int
    wrong: tuple[tuple[str, str, str], ...]  # (text, expected, got)

    @property
    def accuracy(self) -> float:
        return self.top1 / self.n


def score_questions(rows: Iterable[dict[str, Any]], topic_of: Callable[[str], str | None]) -> TopicScore:
    """``topic_of(question)`` -> the first topic, or None for "no good answer" (right for ``none``)."""
    n = top1 = 0
    wrong = []
    for row in rows:
        n += 1
        got = topic_of(row["text"]) or "none"
        if got == row["topic"]:
            top1 += 1
        else:
            wrong.append((row["text"], row["topic"], got))
    return TopicScore(n, top1, tuple(wrong))
