"""How fast `gabacare ask` answers, start-up included, against a baseline in the same run.

Measures, each as the median of --runs repetitions (after one warm-up), wall time and CPU time
(user + system of the child, from ``wait4``: on a loaded machine the CPU time is the steadier
figure):

* `gabacare --help` as a subprocess: the CLI's own start-up, the baseline;
* `gabacare ask QUESTION --json` as a subprocess, warm: the cache directory holds the compiled
  knowledge base and the compiled topic vectors (what every run after the first meets);
* the same, cold: each run gets an empty cache directory (a first run after installing or after
  the knowledge base changed: everything is parsed, validated, embedded and written);
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
    question = QUESTIONS[1]
    cache = Path(tempfile.mkdtemp(prefix="gabacare-warm-"))
    try:
        _report(exe, question, args.runs, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _report(exe: str, question: str, runs: int, cache: Path) -> None:
    ask_cmd = [exe, "ask", question, "--json"]
    (help_w, help_c), (warm_w, warm_c), (cold_w, cold_c) = _time(
        [([exe, "--help"], False), (ask_cmd, False), (ask_cmd, True)], runs, cache)
    env = {**os.environ, "GABACARE_CACHE_DIR": str(cache)}
    answer = json.loads(subprocess.run(ask_cmd, capture_output=True, check=True, text=True, env=env).stdout)

    inproc = []
    for _ in range(max(3, runs // 3)):
        res = subprocess.run([sys.executable, "-c", IN_PROCESS, question, json.dumps(QUESTIONS)],
                             capture_output=True, check=True, text=True, env=env)
        inproc.append(json.loads(res.stdout))

    def med(key: str) -> float:
        return float(statistics.median(float(r[key]) for r in inproc))

    ms = 1000.0
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {runs} runs each, medians")
    print(f"question: {question!r} -> top topic {answer['answers'][0]['topic'] if answer['answers'] else None}, "
          f"triage {answer['triage']['most_urgent'] if answer['triage'] else None}")
    print("                                                   wall        CPU")
    print(f"subprocess  gabacare --help (baseline)        {help_w * ms:8.1f} ms {help_c * ms:8.1f} ms")
    print(f"subprocess  gabacare ask ... --json, warm     {warm_w * ms:8.1f} ms {warm_c * ms:8.1f} ms"
          f"   CPU ratio to --help {warm_c / help_c:5.2f}x")
    print(f"subprocess  gabacare ask ... --json, cold     {cold_w * ms:8.1f} ms {cold_c * ms:8.1f} ms"
          f"   CPU ratio to --help {cold_c / help_c:5.2f}x")
    print(f"            warm ask after start-up (diff.)   {(warm_w - help_w) * ms:8.1f} ms {(warm_c - help_c) * ms:8.1f} ms")
    print("in-process, warm cache (wall):")
    print(f"  import gabacare.guide.ask                   {med('import') * ms:8.1f} ms")
    print(f"  load the guide                              {med('load') * ms:8.1f} ms")
    print(f"  build the FTS5 index                        {med('index') * ms:8.1f} ms")
    print(f"  embeddings: net + topic vectors             {med('semantic') * ms:8.1f} ms")
    print(f"  first question                              {med('query') * ms:8.1f} ms")
    print(f"  first answer (all of the above but import)  {med('first') * ms:8.1f} ms")
    print(f"  later answers (median of {len(QUESTIONS)})                {med('later') * ms:8.2f} ms")


if __name__ == "__main__":
    main()
