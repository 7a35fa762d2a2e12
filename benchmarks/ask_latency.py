"""How fast `gabacare ask` answers, start-up included, against a baseline in the same run.

Measures, each as the median of --runs repetitions (after one warm-up), wall time and CPU time
(user + system of the child, from ``wait4``: on a loaded machine the CPU time is the steadier
figure), every command interleaved with the others so that the machine's load hits all alike:

* ``python -c pass`` and `gabacare --help` as subprocesses: the interpreter's and the CLI's own
  start-up, the baselines every figure is also given as a ratio of (wall and CPU);
* `gabacare ask QUESTION --json` as a subprocess, warm, for an ordinary question (no symptom
  happening now: the symptom triage is not loaded) and for one describing a symptom (triaged): the
  cache directory holds the compiled knowledge base, guide, topic vectors and token table (what
  every run after the first meets);
* the symptom question cold: each run gets an empty cache directory (a first run after installing
  or after the knowledge base changed: everything is parsed, validated, embedded and written);
* in a fresh interpreter (subprocess, warm cache): the import of gabacare.guide.ask, the guide's
  load, the FTS5 index, the embeddings (net + topic vectors), the first answer and the median of
  later answers over the benchmark's questions.

The cache directory is a temporary one (``GABACARE_CACHE_DIR``): the user's own is not touched.
Prints the figures and their ratios.

    .venv/bin/python benchmarks/ask_latency.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "how does gabapentin work",
    "my lips are swollen, can I keep taking it?",
    "can I take it with tramadol?",
    "is a glass of wine ok",
    "I forgot my pill this morning",
    "what are the withdrawl symptoms",
    "can I drive on neurontin",
    "what is the capital of france",
]

IN_PROCESS = """
import json, statistics, sys, time
t0 = time.perf_counter()
from gabacare.guide.ask import ask, _index, _semantic
try:  # what ask reads of the guide: its plain values (a tree from before them: the validated guide)
    from gabacare.guide.plain import ask_data as load_guide
except ImportError:
    from gabacare.knowledge.guide_data import load_guide
t1 = time.perf_counter()
load_guide()
t2 = time.perf_counter()
_index()
t3 = time.perf_counter()
_semantic()
t4 = time.perf_counter()
ask(sys.argv[1])
t5 = time.perf_counter()
later = []
for q in json.loads(sys.argv[2]):
    s = time.perf_counter(); ask(q); later.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "index": t3 - t2, "semantic": t4 - t3,
                  "query": t5 - t4, "first": t5 - t1, "later": statistics.median(later)}))
"""


def _gabacare() -> str:
    exe = Path(sys.executable).with_name("gabacare")
    if not exe.exists():
        sys.exit(f"gabacare is not installed next to {sys.executable}; run `make install`")
    return str(exe)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user + system) seconds of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime


def _time(cmds: list[tuple[list[str], bool]], runs: int, cache: Path) -> list[tuple[float, float]]:
    """Median (wall, CPU) of each (command, cold) pair; runs are interleaved so machine load hits
    all alike. A cold command gets an empty cache directory each run, a warm one ``cache``."""
    warm_env = {**os.environ, "GABACARE_CACHE_DIR": str(cache)}
    for cmd, _ in cmds:
        _run(cmd, warm_env)  # warm-up: file cache, .pyc, and fills the warm cache directory
    samples: list[list[tuple[float, float]]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, (cmd, cold) in enumerate(cmds):
            if cold:
                empty = Path(tempfile.mkdtemp(prefix="gabacare-cold-"))
                try:
                    samples[i].append(_run(cmd, {**os.environ, "GABACARE_CACHE_DIR": str(empty)}))
                finally:
                    shutil.rmtree(empty, ignore_errors=True)
            else:
                samples[i].append(_run(cmd, warm_env))
    return [(statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = _gabacare()
    cache = Path(tempfile.mkdtemp(prefix="gabacare-warm-"))
    try:
        _report(exe, args.runs, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _report(exe: str, runs: int, cache: Path) -> None:
    ordinary, symptom = QUESTIONS[0], QUESTIONS[1]
    rows = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"], False),
        ("gabacare --help (baseline)", [exe, "--help"], False),
        ("gabacare ask ... --json, ordinary, warm", [exe, "ask", ordinary, "--json"], False),
        ("gabacare ask ... --json, symptom, warm", [exe, "ask", symptom, "--json"], False),
        ("gabacare ask ... --json, symptom, cold", [exe, "ask", symptom, "--json"], True),
    ]
    timed = _time([(cmd, cold) for _, cmd, cold in rows], runs, cache)
    env = {**os.environ, "GABACARE_CACHE_DIR": str(cache)}
    answers = {q: json.loads(subprocess.run([exe, "ask", q, "--json"], capture_output=True, check=True, text=True,
                                            env=env).stdout) for q in (ordinary, symptom)}

    inproc = []
    for _ in range(max(3, runs // 3)):
        res = subprocess.run([sys.executable, "-c", IN_PROCESS, symptom, json.dumps(QUESTIONS)],
                             capture_output=True, check=True, text=True, env=env)
        inproc.append(json.loads(res.stdout))

    def med(key: str) -> float:
        return float(statistics.median(float(r[key]) for r in inproc))

    ms = 1000.0
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {runs} runs each, medians")
    for q, answer in answers.items():
        print(f"question: {q!r} -> top topic {answer['answers'][0]['topic'] if answer['answers'] else None}, "
              f"triage {answer['triage']['most_urgent'] if answer['triage'] else None}")
    (pass_w, pass_c), (help_w, help_c) = timed[0], timed[1]
    print(f"{'subprocess':48s} {'wall':>9s} {'CPU':>9s}   wall and CPU as ratios to python -c pass | to --help")
    for (label, _, _), (wall, cpu) in zip(rows, timed, strict=True):
        print(f"{label:48s} {wall * ms:6.1f} ms {cpu * ms:6.1f} ms   {wall / pass_w:5.2f}x {cpu / pass_c:5.2f}x"
              f" | {wall / help_w:5.2f}x {cpu / help_c:5.2f}x")
    (ord_w, ord_c) = timed[2]
    print(f"ordinary warm ask after the interpreter's start-up (diff.)  {(ord_w - pass_w) * ms:6.1f} ms wall "
          f"{(ord_c - pass_c) * ms:6.1f} ms CPU")
    print("in-process, warm cache (wall):")
    print(f"  import gabacare.guide.ask                   {med('import') * ms:8.1f} ms")
    print(f"  load the guide (ask's plain values)         {med('load') * ms:8.1f} ms")
    print(f"  build the FTS5 index                        {med('index') * ms:8.1f} ms")
    print(f"  embeddings: weights, tokens, topic vectors  {med('semantic') * ms:8.1f} ms")
    print(f"  first question                              {med('query') * ms:8.1f} ms")
    print(f"  first answer (all of the above but import)  {med('first') * ms:8.1f} ms")
    print(f"  later answers (median of {len(QUESTIONS)})                {med('later') * ms:8.2f} ms")


if __name__ == "__main__":
    main()
