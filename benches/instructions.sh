#!/usr/bin/env bash
# Instructions per call of every contender in benches/retry.rs, counted by callgrind: a
# figure that does not drift when other work shares the machine, unlike the times.
#
# Usage: bash benches/instructions.sh [regex]   (default: every benchmark; needs valgrind)
#
# Each benchmark runs alone under callgrind in Criterion's profiling mode. The count is the
# inclusive cost of Criterion's timing loop divided by the number of calls, which is known
# from the calls to the never-inlined body (one per attempt). Two caveats: a system call
# counts as one instruction however long the kernel takes, and callgrind sees no vDSO, so a
# clock read costs far less here than its ~25 ns of wall time; and the figures include the
# timing loop's few instructions per call, the same for every contender.
set -euo pipefail

filter="${1:-.}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$(cargo bench --bench retry --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# Attempts per call in each group: the transient body fails twice before it succeeds.
attempts_per_call() { [[ "$1" == transient_twice/* ]] && echo 3 || echo 1; }

printf '| benchmark | instructions per call |\n|---|---|\n'
"$bin" --bench --list | sed -n 's/: benchmark$//p' | grep -E -- "$filter" | while read -r id; do
    file="$out/callgrind.out"
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$bin" --bench --profile-time 1 "^${id}\$" >/dev/null 2>&1
    # The timing loop's inclusive cost: the largest `Bencher::iter` or `AsyncBencher::iter`.
    loop_cost="$(callgrind_annotate --inclusive=yes "$file" 2>/dev/null |
        awk '/Bencher<[^ ]*>::iter \[/ { gsub(",", "", $1); if ($1 > max) max = $1 }
             END { print max + 0 }')"
    # Calls of the body: the sum of the `(Nx)` counts of its callers.
    attempts="$(callgrind_annotate --tree=caller "$file" 2>/dev/null |
        awk '/^ *[0-9,]+ .*< / { line[++n] = $0 }
             /\*  \?\?\?:retry::support::attempt / {
                 for (i = 1; i <= n; i++) {
                     if (match(line[i], /\(([0-9,]+)x\)/)) {
                         count = substr(line[i], RSTART + 1, RLENGTH - 3)
                         gsub(",", "", count); total += count
                     }
                 }
             }
             !/< / { n = 0 }
             END { print total + 0 }')"
    calls=$((attempts / $(attempts_per_call "$id")))
    awk -v id="$id" -v cost="$loop_cost" -v calls="$calls" \
        'BEGIN { printf "| %s | %.0f |\n", id, (calls > 0 ? cost / calls : 0) }'
done
