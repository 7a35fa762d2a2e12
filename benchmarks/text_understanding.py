"""Free-text understanding: quality on the evaluation corpora, and speed.

Quality (``tests/eval/data``; the held-out split is never used for tuning):

* symptoms: recall and precision per urgency, the false-emergency rate on non-emergency texts,
  missed emergencies and emergencies raised on denied symptoms, for the dev and held-out splits;
  what the backstop alone adds (emergencies only it caught, false emergencies only it raised);
* medicine names: share resolved to the right ingredients, share in the right class;
* questions: top-1 topic accuracy of ``gabacare ask`` ("none" rows: no answer is right).

Speed, on this machine, with baselines measured in the same run:

* one sentence triaged in-process after warm-up: p50/p99 wall time and CPU time per sentence over
  every corpus sentence, against the baseline of only normalising the same sentence (ratio);
* cold start: ``gabacare symptoms "..." --json`` against ``gabacare --help`` (median wall time of
  interleaved runs; the difference is what reading a symptom costs a new process).

    .venv/bin/python benchmarks/text_understanding.py [--runs 7] [--show-errors]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "eval"))

import corpus  # noqa: E402

_DEV_ONLY = False


def _splits(name: str) -> tuple[str, ...]:
    """Every split of a corpus (``--dev-only``: the development splits alone, held-out not opened)."""
    return tuple(s for s in corpus.splits(name) if not (_DEV_ONLY and s == "heldout"))


def _quality(show: bool) -> None:
    from gabacare.clinical import check_interactions, triage
    from gabacare.clinical.text import read_text
    from gabacare.guide import ask

    print("== symptoms (urgency) ==")
    for split in _splits("symptoms"):
        rows = corpus.load("symptoms", split)
        s = corpus.score_symptoms(rows, lambda t: triage([t]).most_urgent)
        print(f"[{split}] n={s.n} accuracy={s.accuracy:.3f} false-emergency rate={s.false_emergency_rate:.3f} "
              f"({len(s.false_emergencies)}/{s.non_emergency}) missed emergencies={len(s.missed_emergencies)} "
              f"emergencies on denied symptoms={len(s.negated_emergencies)}")
        for u in corpus.URGENCIES:
            print(f"    {u:<19} recall={s.recall(u):.3f} precision={s.precision(u):.3f}")
        # The backstop alone: what the same texts give without it (it can only escalate).
        plain = corpus.score_symptoms(rows, lambda t: read_text(t, backstop=False).urgency)
        rescued = len(set(plain.missed_emergencies) - set(s.missed_emergencies))
        cost = len(set(s.false_emergencies) - set(plain.false_emergencies))
        print(f"    backstop alone: emergencies caught={rescued} false emergencies raised={cost}/{s.non_emergency} "
              f"(FER cost {cost / max(1, s.non_emergency):.3f})")
        if show and split != "heldout":  # held-out rows are measured, never read
            for t in s.missed_emergencies:
                print("    MISSED:", t)
            for t in s.false_emergencies:
                print("    FALSE EMERGENCY:", t)
            for (want, got), c in sorted(s.confusion.items()):
                if want != got:
                    print(f"    {want} -> {got}: {c}")

    def read(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        r = check_interactions([text]).results[0]
        return r.ingredients, r.classes

    print("== everyday diary notes (none reports a symptom) ==")
    for name, notes in (("dev", corpus.everyday_notes()), ("heldout", corpus.everyday_notes_heldout())):
        if _DEV_ONLY and name == "heldout":
            continue
        raised = sum(triage([n]).most_urgent == "emergency" for n in notes)
        print(f"[{name}] n={len(notes)} raised as emergencies={raised} ({raised / len(notes):.1%})")

    print("== medicine names ==")
    for split in _splits("drug_names"):
        d = corpus.score_drugs(corpus.load("drug_names", split), read)
        print(f"[{split}] n={d.n} resolved={d.resolution:.3f} class right={d.class_accuracy:.3f}")
        if show and split != "heldout":  # held-out rows are measured, never read
            for text, got in d.wrong:
                print(f"    {text!r} -> {got}")

    def topic(q: str) -> str | None:
        r = ask(q)
        return r.answers[0].topic if r.answers else None

    print("== questions (ask, top-1 topic) ==")
    for split in _splits("questions"):
        q = corpus.score_questions(corpus.load("questions", split), topic)
        print(f"[{split}] n={q.n} top-1={q.accuracy:.3f}")
        if show and split != "heldout":  # held-out rows are measured, never read
            for text, want, got in q.wrong:
                print(f"    {text!r}: want {want}, got {got}")


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def _latency() -> None:
    from gabacare.clinical import triage
    from gabacare.clinical.text.normalise import normalise_words, sentences, tokenise

    texts = [r["text"] for s in _splits("symptoms") for r in corpus.load("symptoms", s)]
    for t in texts:  # warm-up: caches, the semantic net, the spelling corrector
        triage([t])
    walls, cpus, base_walls = [], [], []
    for _ in range(3):
        for t in texts:
            w, c = time.perf_counter(), time.process_time()
            triage([t])
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
            w = time.perf_counter()
            for sent in sentences(t):
                normalise_words(tokenise(sent))
            base_walls.append(time.perf_counter() - w)
    p50, p99 = _pct(walls, 0.5) * 1e3, _pct(walls, 0.99) * 1e3
    b50 = _pct(base_walls, 0.5) * 1e3
    print("== latency: one text triaged in-process after warm-up ==")
    print(f"n={len(walls)} p50={p50:.3f} ms p99={p99:.3f} ms max={max(walls) * 1e3:.3f} ms "
          f"CPU/op mean={statistics.mean(cpus) * 1e3:.3f} ms")
    print(f"baseline (normalise only) p50={b50:.4f} ms -> full reading = {p50 / b50:.0f}x the baseline")


def _cold(runs: int) -> None:
    exe = str(Path(sys.executable).with_name("gabacare"))
    cmds = {
        "gabacare --help": [exe, "--help"],
        "symptoms (emergency, rules only)": [exe, "symptoms", "my lips are swollen", "--json"],
        "symptoms (rules only, Rich panel)": [exe, "symptoms", "my lips are swollen"],
        "symptoms (expected, net loads)": [exe, "symptoms", "feeling a bit dizzy today", "--json"],
        "symptoms (unrecognised, net loads)": [exe, "symptoms", "purple elephants dancing", "--json"],
    }
    for cmd in cmds.values():
        subprocess.run(cmd, capture_output=True, check=True)
    samples: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            samples[name].append(time.perf_counter() - start)
    base = statistics.median(samples["gabacare --help"])
    print(f"== cold start (median of {runs} interleaved runs) ==")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"{name:<36} {med:.3f} s  ({med / base:.2f}x --help)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold-start runs per command")
    parser.add_argument("--show-errors", action="store_true", help="list every miss on the dev split (held-out: counts only)")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="development splits only (the held-out file is not opened)")
    args = parser.parse_args()
    global _DEV_ONLY
    _DEV_ONLY = args.dev_only
    _quality(args.show_errors)
    if not args.quality_only:
        _latency()
        _cold(args.runs)


if __name__ == "__main__":
    main()
