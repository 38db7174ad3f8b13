#!/usr/bin/env bash
# Instructions per call of the contenders of benches/retry.rs and benches/breaker.rs, counted
# by callgrind: a figure that does not drift when other work shares the machine, unlike the
# times.
#
# Usage: bash benches/instructions.sh [retry | breaker | all] [regex]
#        (default: all; the regex picks benchmarks by id; needs valgrind)
#
# Each benchmark runs alone under callgrind in Criterion's profiling mode. The count is the
# inclusive cost of Criterion's timing loop divided by the number of calls in it:
# - retry: the calls of the never-inlined body (one per attempt) over the attempts per call;
# - breaker: the calls that the timing loop makes to the contender's never-inlined
#   `Caller::call` (one per call; a half-open cycle makes 2, recloser's 4, and its figure is
#   per cycle). The breaker bench's two-thread group is left out: callgrind runs threads one
#   at a time, so it would count no contention.
# Two caveats: a system call counts as one instruction however long the kernel takes, and
# callgrind sees no vDSO, so a clock read costs far less here than its ~25 ns of wall time;
# and the figures include the timing loop's few instructions per call, the same for all.
set -euo pipefail

which="${1:-all}"
filter="${2:-.}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# Calls per iteration of the timing loop.
retry_calls_per_iteration() { [[ "$1" == transient_twice/* ]] && echo 3 || echo 1; }
breaker_calls_per_iteration() {
    case "$1" in
        half_open/probe/recloser) echo 4 ;;
        half_open/*) echo 2 ;;
        *) echo 1 ;;
    esac
}

# Counts the benchmarks of bench $1 whose id matches $filter and the bench's own $2.
count() {
    local bench="$1" ids="$2" callee from
    case "$bench" in
        retry) callee='\?\?\?:retry::support::attempt ' from='.' ;;
        breaker) callee=' as breaker::support::breaker::Caller>::call ' from='Bencher<' ;;
    esac
    local bin
    bin="$(cargo bench --bench "$bench" --no-run 2>&1 |
        sed -n 's/.*Executable .*(\(.*\))$/\1/p')"
    "$bin" --bench --list | sed -n 's/: benchmark$//p' | grep -E -- "$ids" |
        grep -E -- "$filter" | while read -r id; do
        file="$out/callgrind.out"
        valgrind --tool=callgrind --callgrind-out-file="$file" \
            "$bin" --bench --profile-time 1 "^${id}\$" >/dev/null 2>&1
        # The timing loop's inclusive cost: the largest `Bencher::iter` or
        # `AsyncBencher::iter`.
        loop_cost="$(callgrind_annotate --inclusive=yes "$file" 2>/dev/null |
            awk '/Bencher<[^ ]*>::iter \[/ { gsub(",", "", $1); if ($1 > max) max = $1 }
                 END { print max + 0 }')"
        # Calls of the callee: the sum of the `(Nx)` counts of its callers (those matching
        # `from`), which callgrind_annotate lists just above it.
        calls="$(callgrind_annotate --tree=caller "$file" 2>/dev/null |
            awk -v callee="$callee" -v from="$from" '
                /^ *[0-9,]+ .*< / { line[++n] = $0 }
                $0 ~ "\\*  .*" callee {
                    for (i = 1; i <= n; i++) {
                        if (line[i] ~ from && match(line[i], /\(([0-9,]+)x\)/)) {
                            count = substr(line[i], RSTART + 1, RLENGTH - 3)
                            gsub(",", "", count); total += count
                        }
                    }
                }
                !/< / { n = 0 }
                END { print total + 0 }')"
        iterations=$((calls / $("${bench}_calls_per_iteration" "$id")))
        awk -v id="$id" -v cost="$loop_cost" -v n="$iterations" \
            'BEGIN { printf "| %s | %.0f |\n", id, (n > 0 ? cost / n : 0) }'
    done
}

printf '| benchmark | instructions per call (per cycle in half_open) |\n|---|---|\n'
if [[ "$which" == retry || "$which" == all ]]; then count retry '.'; fi
if [[ "$which" == breaker || "$which" == all ]]; then
    count breaker '^(closed/1_thread|open|half_open)/'
fi
