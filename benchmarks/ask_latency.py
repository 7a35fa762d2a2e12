"""How fast `gabacare ask` answers, start-up included, against a baseline in the same run.

Measures, each as the median of --runs repetitions (after one warm-up):

* `gabacare --help` as a subprocess: the CLI's own start-up, the baseline;
* `gabacare ask QUESTION --json` as a subprocess: start-up + loading the knowledge base and the
  guide + building the FTS5 index + answering;
* in a fresh interpreter (subprocess): the import of gabacare.guide.ask, the first answer (which
  loads the data and builds the index) and the median of later answers over the benchmark's
  questions (index already built).

The "after start-up" cost of `ask` is the subprocess difference (ask - help) and, directly, the
first-answer time of the in-process measure. Prints the figures and their ratios.

    .venv/bin/python benchmarks/ask_latency.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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
from gabacare.guide.ask import ask, _index
from gabacare.knowledge.guide_data import load_guide
t1 = time.perf_counter()
load_guide()
t2 = time.perf_counter()
_index()
t3 = time.perf_counter()
ask(sys.argv[1])
t4 = time.perf_counter()
later = []
for q in json.loads(sys.argv[2]):
    s = time.perf_counter(); ask(q); later.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "index": t3 - t2, "query": t4 - t3,
                  "first": t4 - t1, "later": statistics.median(later)}))
"""


def _gabacare() -> str:
    exe = Path(sys.executable).with_name("gabacare")
    if not exe.exists():
        sys.exit(f"gabacare is not installed next to {sys.executable}; run `make install`")
    return str(exe)


def _time(cmds: list[list[str]], runs: int) -> list[float]:
    """Median wall time of each command; runs are interleaved so machine load hits all alike."""
    for cmd in cmds:
        subprocess.run(cmd, capture_output=True, check=True)  # warm-up: file cache, .pyc
    samples: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            samples[i].append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = _gabacare()
    question = QUESTIONS[1]

    help_s, ask_s = _time([[exe, "--help"], [exe, "ask", question, "--json"]], args.runs)
    out = subprocess.run([exe, "ask", question, "--json"], capture_output=True, check=True, text=True).stdout
    answer = json.loads(out)

    inproc = []
    for _ in range(max(3, args.runs // 3)):
        res = subprocess.run([sys.executable, "-c", IN_PROCESS, question, json.dumps(QUESTIONS)],
                             capture_output=True, check=True, text=True)
        inproc.append(json.loads(res.stdout))
    load = statistics.median(r["load"] for r in inproc)
    build = statistics.median(r["index"] for r in inproc)
    query = statistics.median(r["query"] for r in inproc)
    imp = statistics.median(r["import"] for r in inproc)
    first = statistics.median(r["first"] for r in inproc)
    later = statistics.median(r["later"] for r in inproc)

    ms = 1000.0
    print(f"question: {question!r} -> top topic {answer['answers'][0]['topic'] if answer['answers'] else None}, "
          f"triage {answer['triage']['most_urgent'] if answer['triage'] else None}")
    print(f"subprocess  gabacare --help (baseline)       {help_s * ms:8.1f} ms")
    print(f"subprocess  gabacare ask ... --json          {ask_s * ms:8.1f} ms   ratio to --help {ask_s / help_s:5.2f}x")
    print(f"            ask after start-up (difference)  {(ask_s - help_s) * ms:8.1f} ms")
    print(f"in-process  import gabacare.guide.ask        {imp * ms:8.1f} ms")
    print(f"in-process  load knowledge base + guide       {load * ms:7.1f} ms")
    print(f"in-process  build the FTS5 index              {build * ms:7.1f} ms")
    print(f"in-process  first question                    {query * ms:7.1f} ms")
    print(f"in-process  first answer (load + index + ask) {first * ms:7.1f} ms   ratio to --help {first / help_s:5.2f}x")
    print(f"in-process  later answers (median of {len(QUESTIONS)})    {later * ms:8.2f} ms   "
          f"first/later {first / later:6.1f}x")


if __name__ == "__main__":
    main()
