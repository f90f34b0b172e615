"""Benchmark the embedded planner on the labelled instruction set.

Prints exact-plan rates for English and Chinese edits and questions, the
refusal rate, load time, the median and p95 time per instruction after load,
and the time of ``import retouch`` — each against the targets of the planner
issue (>= 95 % exact English, >= 90 % Chinese, every refusal refused,
median < 50 ms, load < 1 s, import stays fast).

Run: ``.venv/bin/python bench/planner.py [--cases tests/data/instructions.jsonl] [--failures]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import retouch; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(3)
    ]
    return statistics.median(runs)


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=ROOT / "tests" / "data" / "instructions.jsonl")
    parser.add_argument("--failures", action="store_true", help="List every case that was not exact.")
    args = parser.parse_args()

    import_s = _import_seconds()
    from retouch.planner import plan
    from retouch.planner.embedded import _index
    from retouch.planner.evaluation import evaluate, load_cases

    started = time.perf_counter()
    _index()
    load_s = time.perf_counter() - started
    cases = load_cases(args.cases)
    outcomes = evaluate(cases, plan)

    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for outcome in outcomes:
        groups[(outcome.case["lang"], outcome.case["kind"])].append(outcome.exact)
    print(f"{'set':<16}{'exact':>8}{'of':>6}{'rate':>9}")
    for (lang, kind), results in sorted(groups.items()):
        print(f"{lang + ' ' + kind:<16}{sum(results):>8}{len(results):>6}{sum(results) / len(results):>9.1%}")

    def rate(lang: str) -> float:
        results = [o.exact for o in outcomes if o.case["lang"] == lang and o.case["kind"] != "refuse"]
        return sum(results) / max(len(results), 1)

    refusals = [o.exact for o in outcomes if o.case["kind"] == "refuse"]
    times_ms = sorted(o.seconds * 1000 for o in outcomes)
    median_ms = statistics.median(times_ms)
    p95_ms = times_ms[int(0.95 * (len(times_ms) - 1))]
    print()
    print(f"English exact plans      {rate('en'):7.1%}   target >= 95 %      {_verdict(rate('en') >= 0.95)}")
    print(f"Chinese exact plans      {rate('zh'):7.1%}   target >= 90 %      {_verdict(rate('zh') >= 0.90)}")
    print(
        f"refusals refused         {sum(refusals)}/{len(refusals)}     target all          "
        f"{_verdict(all(refusals))}"
    )
    print(
        f"median per instruction   {median_ms:6.1f} ms  target < 50 ms      {_verdict(median_ms < 50)}"
        f"   (p95 {p95_ms:.1f} ms)"
    )
    print(f"model + index load       {load_s:6.2f} s   target < 1 s        {_verdict(load_s < 1)}")
    print(f"import retouch           {import_s * 1000:6.1f} ms  (lazy: no model, no onnxruntime)")
    if args.failures:
        print()
        for outcome in outcomes:
            if not outcome.exact:
                print(f"- {outcome.case['text']!r}: {outcome.why}; got {outcome.plan}")


if __name__ == "__main__":
    main()
