#!/usr/bin/env python3
"""Turns the estimates of the last `cargo bench --bench retry` into the Markdown tables of
BENCHMARKS.md: time per call with its 95% interval, and ratios to the group's reference
(the plain fn on the happy path, the hand-written loop on the transient one) and to
`#[retry]`.

Usage: python3 benches/report.py [criterion dir]   (default: target/criterion)

Criterion's `time` line is the slope of its linear regression; the tables use the same
estimate, so they match what the bench printed.
"""

import json
import sys
from pathlib import Path

GROUPS = [
    ("happy_path/sync", "plain"),
    ("happy_path/async", "plain"),
    ("transient_twice/sync", "hand_loop"),
    ("transient_twice/async", "hand_loop"),
    # No hand-written loop here: it never sleeps, so it says nothing about the timer.
    ("transient_twice/async_real_clock", "backstop"),
]

# The order the bench declares them in, so that tables read the same way every run.
ORDER = ["plain", "hand_loop", "backstop", "backstop_defaults", "backon", "tokio_retry", "backoff"]


def estimate(directory):
    with open(directory / "new" / "estimates.json") as f:
        estimates = json.load(f)
    # Criterion omits the slope when it sampled too few iterations to fit one.
    chosen = estimates.get("slope") or estimates["mean"]
    interval = chosen["confidence_interval"]
    return chosen["point_estimate"], interval["lower_bound"], interval["upper_bound"]


def unit(nanoseconds):
    """The unit that keeps a group's figures readable: ns, or us from 100 us up."""
    return ("us", 1e3) if nanoseconds >= 1e5 else ("ns", 1.0)


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
    for group, reference in GROUPS:
        directory = root / group.replace("/", "_")
        if not directory.is_dir():
            print(f"({group}: no results under {directory})\n")
            continue
        found = {d.name: estimate(d) for d in directory.iterdir() if (d / "new").is_dir()}
        names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
        base = found[reference][0]
        ours = found["backstop"][0]
        label, scale = unit(base)
        print(f"### `{group}`\n")
        references = [(reference, base)]
        if reference != "backstop":
            references.append(("backstop", ours))
        print(f"| contender | time per call ({label}) [95% CI] | ", end="")
        print(" | ".join(f"vs {name}" for name, _ in references) + " |")
        print("|---|---|" + "---|" * len(references))
        for name in names:
            point, low, high = found[name]
            ratios = " | ".join(f"{point / against:.2f}" for _, against in references)
            interval = f"[{low / scale:.2f}, {high / scale:.2f}]"
            print(f"| {name} | {point / scale:.2f} {interval} | {ratios} |")
        print()


if __name__ == "__main__":
    main()
