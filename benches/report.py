#!/usr/bin/env python3
"""Turns the estimates of the last `cargo bench --bench retry` and `cargo bench --bench
breaker` into the Markdown tables of BENCHMARKS.md: time per call with its 95% interval, and
ratios to the group's references (the plain fn, the hand-written loop or the bare atomic
load) and to backstop.

Usage: python3 benches/report.py [criterion dir] [--instructions FILE]
       (default dir: target/criterion)

With `--instructions`, FILE is the output of `bash benches/instructions.sh`, and each table
gains a column of instructions per call, for the benchmarks that it counted.

Criterion's `time` line is the slope of its linear regression; the tables use the same
estimate, so they match what the bench printed. A group that has not been run is skipped.
"""

import json
import re
import sys
from pathlib import Path

# Each group with the contenders its ratios are taken against, backstop last.
GROUPS = [
    ("happy_path/sync", ["plain", "backstop"]),
    ("happy_path/async", ["plain", "backstop"]),
    ("transient_twice/sync", ["hand_loop", "backstop"]),
    ("transient_twice/async", ["hand_loop", "backstop"]),
    # No hand-written loop here: it never sleeps, so it says nothing about the timer.
    ("transient_twice/async_real_clock", ["backstop"]),
    ("closed/1_thread", ["plain", "atomic_load", "backstop"]),
    ("closed/2_threads", ["plain", "atomic_load", "backstop"]),
    # Nothing runs the service here, so the plain fn is no reference.
    ("open/reject", ["atomic_load", "backstop"]),
    ("half_open/probe", ["backstop"]),
]

# The order the benches declare them in, so that tables read the same way every run.
ORDER = [
    "plain",
    "hand_loop",
    "atomic_load",
    "backstop",
    "backstop_defaults",
    "backstop_time",
    "backstop_forced",
    "backon",
    "tokio_retry",
    "backoff",
    "failsafe",
    "recloser",
    "tower_resilience",
]


def estimate(directory):
    with open(directory / "new" / "estimates.json") as f:
        estimates = json.load(f)
    # Criterion omits the slope when it sampled too few iterations to fit one.
    chosen = estimates.get("slope") or estimates["mean"]
    interval = chosen["confidence_interval"]
    return chosen["point_estimate"], interval["lower_bound"], interval["upper_bound"]


def unit(nanoseconds):
    """The unit that keeps a figure readable: ns, or us from 100 us up."""
    return ("us", 1e3) if nanoseconds >= 1e5 else ("ns", 1.0)


def with_unit(nanoseconds, low, high):
    """A time and its interval, in the unit that suits it, named in the cell."""
    label, scale = unit(nanoseconds)
    return f"{nanoseconds / scale:.2f} {label} [{low / scale:.2f}, {high / scale:.2f}]"


def instruction_counts(path):
    """The `| id | count |` rows of instructions.sh's output, by benchmark id."""
    counts = {}
    for line in Path(path).read_text().splitlines():
        row = re.match(r"^\| ([^ |]+/[^ |]+) \| (\d+) \|$", line)
        if row:
            counts[row.group(1)] = int(row.group(2))
    return counts


def table(group, directory, references, counts):
    found = {d.name: estimate(d) for d in directory.iterdir() if (d / "new").is_dir()}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    against = [(name, found[name][0]) for name in references if name in found]
    points = [found[name][0] for name in names]
    # Figures that span three orders of magnitude (a zero sleep that some skip and others
    # wait a timer tick for) each get their own unit; the others share the header's.
    mixed = max(points) / min(points) > 1e3
    label, scale = unit(against[0][1])
    counted = {name: counts[f"{group}/{name}"] for name in names if f"{group}/{name}" in counts}

    print(f"### `{group}`\n")
    # A half-open iteration is a whole cycle of two to four calls.
    per = "cycle" if group.startswith("half_open/") else "call"
    shared = "" if mixed else f" ({label})"
    header = f"| contender | time per {per}{shared} [95% CI] | "
    header += " | ".join(f"vs {name}" for name, _ in against) + " |"
    if counted:
        header += f" instructions per {per} |"
    print(header)
    print("|---|---|" + "---|" * (len(against) + bool(counted)))
    for name in names:
        point, low, high = found[name]
        ratios = " | ".join(f"{point / reference:.2f}" for _, reference in against)
        if mixed:
            time = with_unit(point, low, high)
        else:
            time = f"{point / scale:.2f} [{low / scale:.2f}, {high / scale:.2f}]"
        row = f"| {name} | {time} | {ratios} |"
        if counted:
            row += f" {counted.get(name, '')} |"
        print(row)
    print()


def main():
    args = sys.argv[1:]
    counts = {}
    if "--instructions" in args:
        at = args.index("--instructions")
        counts = instruction_counts(args[at + 1])
        del args[at : at + 2]
    root = Path(args[0] if args else "target/criterion")
    for group, references in GROUPS:
        directory = root / group.replace("/", "_")
        if directory.is_dir():
            table(group, directory, references, counts)


if __name__ == "__main__":
    main()
