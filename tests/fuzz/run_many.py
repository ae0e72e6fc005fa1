"""The long run of the differential fuzz test: many seeded programs, disagreements grouped.

    PYTHONPATH=.pkg python -m tests.fuzz.run_many 2000            # programs 0..1999
    PYTHONPATH=.pkg python -m tests.fuzz.run_many 2000 --start 5000 --steps 10
    TRACEGRAD_FUZZ_ZERO_D_TYPES=0 ...   # leave 0-d results' Python types out (differential.py)

Prints, per kind of disagreement (and first line of its detail), the count and the shortest
program that shows it. Deterministic: program i is built from `random.Random(i)`.
"""

from __future__ import annotations

import argparse
import re
import time

from .differential import Disagreement, check_program
from .programs import RandomChooser, make_program


def signature(error: Disagreement) -> str:
    """The kind and the detail with its numbers and names blurred, to group alike errors."""
    detail = re.sub(r"array\(.*", "array(...)", error.detail, flags=re.S)
    detail = re.sub(r"\S*\.py:\d+: ", "", detail)
    detail = re.sub(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?", "N", detail)
    detail = re.sub(r"\bt\d+\b|\b[xyz]\b", "V", detail)
    return f"{error.kind}: {detail[:160]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--steps", type=int, default=8)
    options = parser.parse_args()
    groups: dict[str, list] = {}
    failed_programs = 0
    began = time.perf_counter()
    for seed in range(options.start, options.start + options.count):
        program = make_program(RandomChooser(seed), options.steps)
        found: list[Disagreement] = []
        check_program(program, found)
        for error in found:
            groups.setdefault(signature(error), []).append((len(str(program)), seed, error))
            print(f"seed {seed}: {signature(error)}", flush=True)
        failed_programs += bool(found)
        if (seed - options.start + 1) % 100 == 0:
            print(
                f"... {seed - options.start + 1} programs, {failed_programs} disagree", flush=True
            )
    elapsed = time.perf_counter() - began
    failed = sum(len(v) for v in groups.values())
    print(
        f"{options.count} programs in {elapsed:.1f} s: {failed} disagreements in "
        f"{failed_programs} programs, {len(groups)} kinds"
    )
    for key, found in sorted(groups.items(), key=lambda item: -len(item[1])):
        _, seed, error = min(found, key=lambda item: item[0])
        print(f"\n=== {len(found)} x {key}\n--- shortest: seed {seed}\n{error}")


if __name__ == "__main__":
    main()
