#!/usr/bin/env bash
# What `#[retry]` costs at compile time: `cargo check` of a crate of 200 retried fns, against
# the same 200 fns without an attribute and under `#[tracing::instrument]` (the attribute
# macro most crates already pay for).
#
# Usage: bash benches/compile_cost.sh [runs]   (runs per crate, default 5; the median is kept)
#
# The three crates are generated in a temporary workspace with a path dependency on this
# workspace's `backstop`, and share one target directory, so the dependencies are built
# once, by a warm-up check, and each timed run checks only the crate itself. Everything
# comes from the cargo cache (`--offline`): run `cargo fetch` here first if it is cold.
set -euo pipefail

runs="${1:-5}"
fns=200
root="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the workspace's own target dir, so that its fingerprints are not disturbed.
target="${COMPILE_COST_TARGET:-$root/target/compile-cost}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The fns' shared code: an error type every option accepts, a helper to await, and the
# hooks that the options name.
common() {
    cat <<'EOF'
#![allow(clippy::all, dead_code)]

use backstop::{Classification, Retryable, TimedOut};

#[derive(Debug, Clone, PartialEq)]
pub struct Error(pub u32);

impl Retryable for Error {
    fn classify(&self) -> Classification {
        Classification::from_bool(self.0 % 2 == 0)
    }
}

impl From<TimedOut> for Error {
    fn from(_: TimedOut) -> Self {
        Error(0)
    }
}

pub async fn lookup(n: u32) -> Result<u32, Error> {
    if n == 7 { Err(Error(n)) } else { Ok(n + 1) }
}

pub fn by_code(error: &Error) -> Classification {
    Classification::from_bool(error.0 >= 500)
}

pub fn note_retry(_: &Error, _: &backstop::AttemptState) {}

pub fn cached(_: Error) -> Result<u32, Error> {
    Ok(0)
}
EOF
}

# The attribute on fn number $2 in mode $1; async fns are the odd ones. The five variants
# cycle through the options users combine most.
attribute() {
    local mode="$1" i="$2"
    case "$mode" in
        plain) return ;;
        instrument) echo '#[tracing::instrument(level = "debug")]'; return ;;
    esac
    case $((i % 10)) in
        0 | 1) echo '#[retry]' ;;
        2 | 3) echo '#[retry(attempts = 5, backoff = constant(10ms), jitter = none)]' ;;
        4 | 5) echo '#[retry(backoff = exponential(50ms, factor = 2, max = 2s), jitter = equal)]' ;;
        6 | 7) echo '#[retry(backoff = linear(10ms, step = 5ms), max_elapsed = 30s,
                   when = |e: &Error| e.0 > 1)]' ;;
        8) echo '#[retry(attempts = 4, classify = by_code, on_retry = note_retry,
                   fallback = cached)]' ;;
        9) echo '#[retry(attempts = 3, timeout = 500ms, context = ctx, on_retry = note_retry)]' ;;
    esac
}

# fn number $2 of mode $1: sync when even, async when odd, with a body that branches,
# returns early and uses `?` as real bodies do.
function_item() {
    local mode="$1" i="$2"
    attribute "$mode" "$i"
    if ((i % 2 == 0)); then
        cat <<EOF
pub fn call_$i(key: &str, n: u32) -> Result<u32, Error> {
    let len = key.len() as u32;
    if len.wrapping_add(n) % 7 == $((i % 7)) {
        return Err(Error(n));
    }
    let scaled = u32::try_from(u64::from(len) * $i).map_err(|_| Error(1))?;
    Ok(scaled.wrapping_add(n))
}

EOF
    else
        # The `context` variant uses its variable; the others must not name it.
        local attempt_term="1"
        if [[ "$mode" == retry && $((i % 10)) == 9 ]]; then attempt_term="ctx.attempt()"; fi
        cat <<EOF
pub async fn call_$i(key: &str, n: u32) -> Result<u32, Error> {
    let found = lookup(n.wrapping_add($i)).await?;
    if key.is_empty() {
        return Err(Error(found));
    }
    Ok(found.wrapping_mul(key.len() as u32).wrapping_add($attempt_term))
}

EOF
    fi
}

generate() {
    local mode="$1" dir="$work/$1"
    mkdir -p "$dir/src"
    cat >"$dir/Cargo.toml" <<EOF
[package]
name = "cost-$mode"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
backstop = { path = "$root" }
tracing = { version = "0.1.40", default-features = false, features = ["std", "attributes"] }
EOF
    {
        common
        [[ "$mode" == retry ]] && echo 'use backstop::retry;'
        echo
        for ((i = 0; i < fns; i++)); do function_item "$mode" "$i"; done
    } >"$dir/src/lib.rs"
}

cat >"$work/Cargo.toml" <<'EOF'
[workspace]
members = ["retry", "plain", "instrument"]
resolver = "3"
EOF
# The workspace's lock file pins the versions that are in the cache.
cp "$root/Cargo.lock" "$work/Cargo.lock"
for mode in retry plain instrument; do generate "$mode"; done

export CARGO_TARGET_DIR="$target"
cd "$work"
echo "warm-up: checking the dependencies and all three crates once" >&2
cargo check --offline --quiet --workspace

# Milliseconds of wall time of one `cargo check` of crate $1 after touching it.
time_once() {
    touch "$1/src/lib.rs"
    local start end
    start=$(date +%s%N)
    cargo check --offline --quiet -p "cost-$1"
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

declare -A median
for mode in plain retry instrument; do
    times=()
    for ((run = 0; run < runs; run++)); do times+=("$(time_once "$mode")"); done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    median[$mode]=${sorted[$((runs / 2))]}
    echo "$mode: ${times[*]} ms" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The time an attribute adds per fn; cargo's own start-up is in every run and cancels out.
per_fn() { awk -v a="$1" -v b="$2" -v n="$fns" 'BEGIN { printf "%.2f", (a - b) / n }'; }
echo
echo "| crate ($fns fns, half async) | cargo check, median of $runs (ms) | vs plain |" \
    "vs #[retry] | added per fn (ms) |"
echo "|---|---|---|---|---|"
for mode in plain retry instrument; do
    case "$mode" in
        plain) label="no attribute" ;;
        retry) label='`#[retry(...)]`' ;;
        instrument) label='`#[tracing::instrument]`' ;;
    esac
    echo "| $label | ${median[$mode]} | $(ratio "${median[$mode]}" "${median[plain]}") |" \
        "$(ratio "${median[$mode]}" "${median[retry]}") |" \
        "$(per_fn "${median[$mode]}" "${median[plain]}") |"
done
