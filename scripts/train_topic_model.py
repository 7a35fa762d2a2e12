"""Fit ``ask``'s topic model and write ``knowledge/data/topic_model.toml``.

    .venv/bin/python scripts/train_topic_model.py            # fit, choose the weight, write the file
    .venv/bin/python scripts/train_topic_model.py --check    # report only; exit 1 if the file would change

What it does, and why:
* The questions are the **development** splits of ``tests/eval/data/questions_*.toml`` (never the
  held-out split). Each is turned into the vector ``ask`` itself computes
  (``gabacare.guide.ask.question_vector``: spelling corrected, static sentence embedding, projected).
* The model is a multinomial logistic regression (softmax) over the guide's topics, L2-penalised,
  fitted by plain gradient descent from zero (deterministic). Questions labelled ``none`` (nothing in
  the guide answers them) are not a topic and are left out of the fit; they still count in the
  accuracy below, where a wrong answer to them is a miss.
* ``ask`` adds ``weight`` x the model's probability to each topic's combined score. The weight is the
  candidate with the best **out-of-fold** top-1 accuracy: each development split (one author each)
  is answered by ``ask`` with a model fitted to the other splits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fitted_file import write_or_check  # noqa: E402
from tests.eval import corpus  # noqa: E402

from gabacare.guide.ask import ask, question_vector  # noqa: E402
from gabacare.guide.plain import AskTopicModel  # noqa: E402
from gabacare.knowledge.guide_data import load_guide  # noqa: E402
from gabacare.knowledge.language import TopicModel  # noqa: E402

ask_module = sys.modules["gabacare.guide.ask"]  # the module (the package exports the function as `ask`)

OUT = ROOT / "src" / "gabacare" / "knowledge" / "data" / "topic_model.toml"
CANDIDATES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)


def fit(x: np.ndarray, y: np.ndarray, n_topics: int, l2: float, iterations: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """(weights dims x topics, bias) of the L2 softmax regression, by gradient descent with momentum."""
    onehot = np.eye(n_topics)[y]
    w = np.zeros((x.shape[1], n_topics))
    b = np.zeros(n_topics)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    rate, momentum = 2.0, 0.9
    for _ in range(iterations):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        gw = x.T @ (p - onehot) / len(x) + l2 * w / len(x)
        gb = (p - onehot).mean(axis=0)
        vw = momentum * vw - rate * gw
        vb = momentum * vb - rate * gb
        w += vw
        b += vb
    return w, b


def as_model(w: np.ndarray, b: np.ndarray, topics: list[str], weight: float, l2: float, n: int) -> TopicModel:
    return TopicModel(source="gabacare-eval", model_source="wordllama", topics=tuple(topics), dimensions=w.shape[0],
                      weights=tuple(tuple(float(v) for v in row) for row in w), bias=tuple(float(v) for v in b),
                      weight=weight, l2=l2, trained_on="fold", questions=n,
                      out_of_fold_top1_without=0.0, out_of_fold_top1_with=0.0)


def top1(rows: list[dict[str, str]]) -> int:
    right = 0
    for r in rows:
        result = ask(r["text"])
        right += (result.answers[0].topic if result.answers else "none") == r["topic"]
    return right


def use(model: TopicModel) -> None:
    """Make ``ask`` use ``model`` (in this process only)."""
    numbers = AskTopicModel(tuple(model.topics), model.dimensions, tuple(tuple(row) for row in model.weights),
                            tuple(model.bias), model.weight)
    ask_module._topic_model = lambda: numbers
    sem = ask_module._semantic()
    if sem is not None:
        sem._topic_weights = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1.0)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file would change")
    args = parser.parse_args()

    topics = [t.id for t in load_guide().topics]
    splits = corpus.dev_splits("questions")  # development splits only, never the held-out one
    rows = {s: corpus.load("questions", s) for s in splits}
    vectors = {}
    for s in splits:
        vs = [question_vector(r["text"]) for r in rows[s]]
        if any(v is None for v in vs):
            print("the sentence embeddings cannot load; nothing fitted", file=sys.stderr)
            return 2
        vectors[s] = np.asarray(vs, dtype=np.float64)

    def training(exclude: str | None) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for s in splits:
            if s == exclude:
                continue
            for v, r in zip(vectors[s], rows[s], strict=True):
                if r["topic"] in topics:
                    xs.append(v)
                    ys.append(topics.index(r["topic"]))
        return np.asarray(xs), np.asarray(ys)

    right = dict.fromkeys(CANDIDATES, 0)
    total = sum(len(rows[s]) for s in splits)
    for s in splits:
        x, y = training(s)
        w, b = fit(x, y, len(topics), args.l2)
        for c in CANDIDATES:
            use(as_model(w, b, topics, c, args.l2, len(y)))
            right[c] += top1(rows[s])
    for c in CANDIDATES:
        print(f"weight={c}: out-of-fold top-1 {right[c] / total:.3f} ({right[c]}/{total})")
    best = max(CANDIDATES, key=lambda c: (right[c], -c))
    x, y = training(None)
    w, b = fit(x, y, len(topics), args.l2)
    rows_text = ",\n".join("  [" + ", ".join(f"{v:.5f}" for v in row) + "]" for row in w)
    text = f'''# GENERATED by scripts/train_topic_model.py: do not edit by hand; re-run the script instead.
#
# ask's topic model: a softmax over the guide's topics from a question's projected static sentence
# vector (WordLlama l2_supercat, 256 numbers), fitted to the development splits of tests/eval/data
# (never the held-out split). ask adds `weight` x its probability to each topic's combined score.

[model]
source = "gabacare-eval"
model_source = "wordllama"
trained_on = "tests/eval/data questions development splits: {', '.join(splits)}"
questions = {len(y)}
l2 = {args.l2}
weight = {best}
out_of_fold_top1_without = {right[0.0] / total:.4f}
out_of_fold_top1_with = {right[best] / total:.4f}
topics = [{", ".join(f'"{t}"' for t in topics)}]
dimensions = {w.shape[0]}
bias = [{", ".join(f"{v:.5f}" for v in b)}]
weights = [
{rows_text}
]
'''
    print(f"chosen weight={best}")
    return write_or_check(OUT, text, check=args.check, root=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
