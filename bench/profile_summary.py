"""Summarise a py-spy raw profile (`py-spy record --format raw`): the share of samples per
function, self (the innermost frame) and inclusive (anywhere on the stack).

    py-spy record --pid PID --rate 200 --format raw -o /tmp/p.raw --duration 12 --nonblocking
    .venv/bin/python -m bench.profile_summary /tmp/p.raw --top 25

py-spy is not a project dependency: install it in a separate virtualenv. Async stacks come
out partly cut at the event loop, so read inclusive shares of handlers as lower bounds.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LOCATION = re.compile(r" \((?:.*/)?([^/]*):\d+\)")


def summarise(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_LOCATION.sub(r" (\1)", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total, inclusive, own = summarise(args.raw)
    print(f"{total} samples")
    for title, counts in (("self", own), ("inclusive", inclusive)):
        print(f"\n| {title} share | function (file) |\n| ---: | --- |")
        for frame, n in counts.most_common(args.top):
            print(f"| {n / total:.1%} | {frame} |")


if __name__ == "__main__":
    main()
