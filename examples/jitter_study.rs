//! The jitter study: how much work and time capped exponential backoff costs when many
//! clients contend for one row, with each of backstop's [`Jitter`] strategies.
//!
//! This re-runs, with backstop's own [`Backoff`] and [`Jitter`], the experiment of the AWS
//! Architecture Blog article "Exponential Backoff and Jitter" (Marc Brooker, 2015).
//!
//! # Running it
//!
//! ```sh
//! cargo run --release --example jitter_study [-- path/to/chart.svg]
//! ```
//!
//! It prints a table, writes an SVG with two line charts (default `target/jitter_study.svg`,
//! relative to the working directory) and compares the ordering it found with the article's.
//! Every random draw comes from generators seeded with constants, so the output is the same
//! on every run (though `SmallRng`'s algorithm may differ between platforms and `rand`
//! versions).
//!
//! # The model
//!
//! The article's simulator models optimistic concurrency control against a remote store, and
//! so does this one:
//!
//! - One row holds a version number. `N` clients each want to write it once, all starting at
//!   time zero.
//! - An attempt is a read followed by a conditional write. The read returns the version; the
//!   client sends the write as soon as the read's reply arrives, and the write succeeds only
//!   if the version is still the one read, bumping it. A write that lost the race fails.
//! - Every message (read request, read reply, write request, write reply) takes a network
//!   delay drawn uniformly from 6.5 to 13.5 ms: mean 10 ms, standard deviation about 2 ms,
//!   the article's figures, with a uniform in place of its normal distribution because the
//!   workspace's `rand` has no normal sampler.
//! - After its `k`-th failed write, a client waits for the write's reply, then sleeps
//!   `Jitter::apply(Backoff::delay(k), ...)` from an exponential backoff of 5 ms doubling to
//!   a 2 s cap, and starts over with a fresh read. `previous` starts at the initial delay and
//!   becomes each delay slept, the bookkeeping of backstop's own `RetryState`. Clients never
//!   give up.
//! - **Calls** counts conditional writes, successful or not (reads are not counted), and
//!   **completion time** is when the last client received its successful write's reply.
//!
//! One more difference from the article: backstop's first retry waits the initial delay
//! (5 ms), while the article's schedule starts at twice it. Neither difference changed the
//! ordering of the strategies when the article's schedule and a bell-shaped network delay
//! were tried instead.
//!
//! Each point is the mean over [`RUNS`] seeded runs; the whole study takes under a second in
//! release mode.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use backstop::{Backoff, Jitter};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The article's base (5 ms) and cap (2 s), doubling on each failure.
const BACKOFF: Backoff =
    match Backoff::exponential(Duration::from_millis(5), 2.0, Duration::from_secs(2)) {
        Ok(backoff) => backoff,
        Err(err) => err.panic_in_const(),
    };

/// Bounds of the one-way network delay in nanoseconds: uniform over 6.5 to 13.5 ms has mean
/// 10 ms and standard deviation 7 / sqrt(12) ≈ 2 ms.
const NETWORK_NANOS: std::ops::RangeInclusive<u64> = 6_500_000..=13_500_000;

const CLIENT_COUNTS: [usize; 8] = [1, 5, 10, 20, 40, 60, 80, 100];

/// Runs averaged per point: enough to make the ordering between close strategies stable.
const RUNS: u64 = 500;

/// Run `r` of every (strategy, client count) pair uses the seed `SEED + r`.
const SEED: u64 = 0x6a69_7474_6572;

/// The strategies in the order of the table's columns, named as in the article.
const STRATEGIES: [Strategy; 4] = [
    Strategy {
        jitter: Jitter::None,
        name: "Exponential",
        colour: "#d62728",
        dash: "",
    },
    Strategy {
        jitter: Jitter::Full,
        name: "Full",
        colour: "#1f77b4",
        dash: "",
    },
    Strategy {
        jitter: Jitter::Equal,
        name: "Equal",
        colour: "#2ca02c",
        dash: "8 4",
    },
    Strategy {
        jitter: Jitter::Decorrelated,
        name: "Decorrelated",
        colour: "#9467bd",
        dash: "2 3",
    },
];

const NONE: usize = 0;
const FULL: usize = 1;
const EQUAL: usize = 2;
const DECORRELATED: usize = 3;

/// The article's ranking by calls, fewest first.
const ARTICLE_ORDER: [usize; 4] = [FULL, DECORRELATED, EQUAL, NONE];

struct Strategy {
    jitter: Jitter,
    name: &'static str,
    colour: &'static str,
    /// A dash pattern as well as a colour, so the lines stay apart in grey print.
    dash: &'static str,
}

/// What one simulated run cost.
struct Outcome {
    calls: u64,
    completion: Duration,
}

/// The mean cost of one strategy at one client count.
#[derive(Clone, Copy, Default)]
struct Mean {
    calls: f64,
    millis: f64,
}

struct Row {
    clients: usize,
    by_strategy: [Mean; 4],
}

/// A message arriving at the store.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Request {
    Read,
    /// A conditional write, valid if the row still has this version.
    Write {
        version: u64,
    },
}

/// A client's retry bookkeeping.
#[derive(Clone)]
struct Client {
    failed: u32,
    previous: Duration,
}

fn main() -> std::io::Result<()> {
    let svg_path = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/jitter_study.svg"), PathBuf::from);

    let rows: Vec<Row> = CLIENT_COUNTS
        .iter()
        .map(|&clients| measure(clients))
        .collect();

    print!("{}", table(&rows));

    if let Some(dir) = svg_path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&svg_path, svg(&rows))?;
    println!("\nwrote {}", svg_path.display());

    println!("\n{}", comparison(&rows));
    Ok(())
}

/// Averages [`RUNS`] runs of every strategy with `clients` clients.
fn measure(clients: usize) -> Row {
    let mut by_strategy = [Mean::default(); 4];
    for (mean, strategy) in by_strategy.iter_mut().zip(&STRATEGIES) {
        let (mut calls, mut completion) = (0, Duration::ZERO);
        for run in 0..RUNS {
            let mut rng = SmallRng::seed_from_u64(SEED.wrapping_add(run));
            let outcome = simulate(clients, strategy.jitter, &mut rng);
            calls += outcome.calls;
            completion += outcome.completion;
        }
        *mean = Mean {
            calls: calls as f64 / RUNS as f64,
            millis: completion.as_secs_f64() * 1000.0 / RUNS as f64,
        };
    }
    Row {
        clients,
        by_strategy,
    }
}

/// One run of the model in the module docs: `clients` clients, each retrying its write with
/// `jitter` until it succeeds.
fn simulate(clients: usize, jitter: Jitter, rng: &mut SmallRng) -> Outcome {
    let mut version = 0;
    let mut calls = 0;
    let mut completion = Duration::ZERO;
    let mut states = vec![
        Client {
            failed: 0,
            previous: BACKOFF.initial()
        };
        clients
    ];

    // Events are requests arriving at the store, earliest first. Equal times, rare at
    // nanosecond resolution, go to the lower client index: a fixed rule, not heap order.
    let mut arrivals = BinaryHeap::new();
    for id in 0..clients {
        arrivals.push(Reverse((network(rng), id, Request::Read)));
    }

    while let Some(Reverse((now, id, request))) = arrivals.pop() {
        match request {
            Request::Read => {
                // The reply carries the version back and the write leaves at once, so the
                // write reaches the store two network delays later.
                let at = now + network(rng) + network(rng);
                arrivals.push(Reverse((at, id, Request::Write { version })));
            }
            Request::Write { version: read } => {
                calls += 1;
                let replied = now + network(rng);
                if read == version {
                    version += 1;
                    completion = completion.max(replied);
                    continue;
                }

                let client = &mut states[id];
                client.failed = client.failed.saturating_add(1);
                let base = BACKOFF.delay(client.failed);
                let sleep =
                    jitter.apply(base, BACKOFF.initial(), BACKOFF.max(), client.previous, rng);
                client.previous = sleep;
                arrivals.push(Reverse((replied + sleep + network(rng), id, Request::Read)));
            }
        }
    }

    Outcome { calls, completion }
}

/// One message's trip across the network.
fn network(rng: &mut SmallRng) -> Duration {
    Duration::from_nanos(rng.random_range(NETWORK_NANOS))
}

/// The results as plain text: calls, then completion time, one column per strategy.
fn table(rows: &[Row]) -> String {
    let columns = |cells: [String; 4]| -> String {
        cells.iter().map(|cell| format!(" {cell:>12}")).collect()
    };
    let names = columns(STRATEGIES.map(|strategy| strategy.name.to_string()));

    let mut lines = vec![
        format!(
            "Mean over {RUNS} runs; calls = conditional writes, time = until the last client \
             succeeded"
        ),
        String::new(),
        format!("{:7} |{:^52} |{:^52}", "", "calls", "completion time (ms)"),
        format!("{:>7} |{names} |{names}", "clients"),
        format!("{:-<8}+{:-<53}+{:-<53}", "", "", ""),
    ];
    for row in rows {
        let calls = columns(row.by_strategy.map(|mean| format!("{:.1}", mean.calls)));
        let time = columns(row.by_strategy.map(|mean| format!("{:.1}", mean.millis)));
        lines.push(format!("{:>7} |{calls} |{time}", row.clients));
    }
    // The centred headings pad with spaces; trimming keeps trailing blanks out of the output.
    lines
        .iter()
        .map(|line| format!("{}\n", line.trim_end()))
        .collect()
}

/// Checks the article's findings about work against these numbers: at each client count
/// from 10 up (below that there is too little contention for the strategies to differ), and
/// at the largest, where they are furthest apart.
fn comparison(rows: &[Row]) -> String {
    let Some(last) = rows.last() else {
        return String::from("no results to compare");
    };
    let contended: Vec<[f64; 4]> = rows
        .iter()
        .filter(|row| row.clients >= 10)
        .map(|row| row.by_strategy.map(|m| m.calls))
        .collect();
    let counting = |holds: fn(&[f64; 4]) -> bool| {
        let count = contended.iter().filter(|calls| holds(calls)).count();
        format!("{count} of {} client counts", contended.len())
    };
    let calls = last.by_strategy.map(|m| m.calls);
    let fewest_jittered = calls[FULL].min(calls[EQUAL]).min(calls[DECORRELATED]);
    let reproduced = sorted(&calls) == ARTICLE_ORDER;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "Compared with the article (calls, from 10 clients up):"
    );
    let _ = writeln!(
        out,
        "- no jitter does the most calls at {}; at {} clients, {:.1}x the fewest jittered",
        counting(|c| c[NONE] > c[FULL].max(c[EQUAL]).max(c[DECORRELATED])),
        last.clients,
        calls[NONE] / fewest_jittered,
    );
    let _ = writeln!(
        out,
        "- Full does the fewest calls at {}",
        counting(|c| c[FULL] < c[EQUAL].min(c[DECORRELATED])),
    );
    let _ = writeln!(
        out,
        "- Decorrelated does fewer calls than Equal at {}",
        counting(|c| c[DECORRELATED] < c[EQUAL]),
    );
    let _ = writeln!(out, "At {} clients:", last.clients);
    let _ = writeln!(out, "- calls: {}", ordered(&calls));
    let millis = last.by_strategy.map(|m| m.millis);
    let _ = writeln!(out, "- completion time (ms): {}", ordered(&millis));
    let _ = write!(
        out,
        "The article's ordering of work, {}: {} at {} clients; it holds at {}",
        names(&ARTICLE_ORDER),
        if reproduced {
            "reproduced"
        } else {
            "NOT reproduced"
        },
        last.clients,
        counting(|c| sorted(c) == ARTICLE_ORDER),
    );
    out
}

/// The strategies' indices from the smallest value to the largest.
fn sorted(values: &[f64; 4]) -> [usize; 4] {
    let mut order = [0, 1, 2, 3];
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
}

fn names(order: &[usize]) -> String {
    let names: Vec<&str> = order.iter().map(|&i| STRATEGIES[i].name).collect();
    names.join(" < ")
}

/// `values` as "name value < name value < ...", smallest first.
fn ordered(values: &[f64; 4]) -> String {
    let order = sorted(values);
    let parts: Vec<String> = order
        .iter()
        .map(|&i| format!("{} {:.0}", STRATEGIES[i].name, values[i]))
        .collect();
    parts.join(" < ")
}

// Chart layout, in SVG user units.
const CHART_WIDTH: f64 = 520.0;
const CHART_HEIGHT: f64 = 380.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 40.0;
const MARGIN_BOTTOM: f64 = 50.0;
const LEGEND_HEIGHT: f64 = 40.0;

/// One line chart of a measure against the client count.
struct Chart {
    title: &'static str,
    y_label: &'static str,
    scale: Scale,
    value: fn(&Mean) -> f64,
}

/// How the vertical axis maps values to heights.
#[derive(Clone, Copy)]
enum Scale {
    Linear,
    /// Used for completion time: without jitter it is an order of magnitude above the rest,
    /// and on a linear axis it would flatten the jittered lines into the floor.
    Log,
}

/// A vertical axis fitted to the data.
enum Axis {
    /// From zero to `max` in steps of `step`.
    Linear { step: f64, max: f64 },
    /// From `10^low` to `10^high`.
    Log { low: f64, high: f64 },
}

impl Axis {
    fn fit(scale: Scale, lowest: f64, highest: f64) -> Axis {
        match scale {
            Scale::Linear => {
                let (step, max) = linear_axis(highest);
                Axis::Linear { step, max }
            }
            Scale::Log if lowest.is_finite() && lowest > 0.0 => {
                let low = lowest.log10().floor();
                Axis::Log {
                    low,
                    high: highest.log10().ceil().max(low + 1.0),
                }
            }
            // Nothing positive to put on a log axis.
            Scale::Log => Axis::Log {
                low: 0.0,
                high: 1.0,
            },
        }
    }

    /// Where `value` sits, from 0 at the bottom of the axis to 1 at the top.
    fn fraction(&self, value: f64) -> f64 {
        match *self {
            Axis::Linear { max, .. } => value / max,
            Axis::Log { low, high } => (value.log10() - low) / (high - low),
        }
    }

    /// Grid lines as (value, labelled); the log axis labels only the powers of ten and
    /// adds faint lines at 2 and 5 times each.
    fn ticks(&self) -> Vec<(f64, bool)> {
        match *self {
            Axis::Linear { step, max } => {
                let count = (max / step).round() as u32;
                (0..=count).map(|i| (f64::from(i) * step, true)).collect()
            }
            Axis::Log { low, high } => (low as i32..=high as i32)
                .flat_map(|e| {
                    let power = 10f64.powi(e);
                    [(power, true), (2.0 * power, false), (5.0 * power, false)]
                })
                .filter(|(value, _)| value.log10() <= high)
                .collect(),
        }
    }
}

/// Calls and completion time side by side, with one legend underneath.
fn svg(rows: &[Row]) -> String {
    let (width, height) = (2.0 * CHART_WIDTH, CHART_HEIGHT + LEGEND_HEIGHT);
    let mut out = format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" "#,
            r#"viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#,
            "\n",
            r#"<rect width="100%" height="100%" fill="white"/>"#,
            "\n",
        ),
        w = width,
        h = height,
    );
    let calls = Chart {
        title: "Total calls",
        y_label: "conditional writes",
        scale: Scale::Linear,
        value: |mean| mean.calls,
    };
    let time = Chart {
        title: "Completion time (log scale)",
        y_label: "milliseconds",
        scale: Scale::Log,
        value: |mean| mean.millis,
    };
    draw(&mut out, rows, 0.0, &calls);
    draw(&mut out, rows, CHART_WIDTH, &time);
    legend(&mut out, CHART_HEIGHT);
    out.push_str("</svg>\n");
    out
}

/// Draws `chart` with its top-left corner at (`left`, 0).
fn draw(out: &mut String, rows: &[Row], left: f64, chart: &Chart) {
    let (x0, x1) = (left + MARGIN_LEFT, left + CHART_WIDTH - MARGIN_RIGHT);
    let (y0, y1) = (CHART_HEIGHT - MARGIN_BOTTOM, MARGIN_TOP);

    let values = || {
        rows.iter()
            .flat_map(|row| row.by_strategy.iter().map(chart.value))
    };
    let lowest = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let highest = values().fold(0.0, f64::max);
    let max_clients = rows.iter().map(|row| row.clients).max().unwrap_or(1) as f64;
    let (x_step, x_max) = linear_axis(max_clients);
    let x = |clients: f64| x0 + (x1 - x0) * clients / x_max;

    let axis = Axis::fit(chart.scale, lowest, highest);
    let y = |v: f64| y0 - (y0 - y1) * axis.fraction(v);

    let middle = (x0 + x1) / 2.0;
    let bold = r#"text-anchor="middle" font-size="15" font-weight="bold""#;
    text(out, middle, y1 - 16.0, bold, chart.title);

    // Grid and labels first, so that the data is drawn over them.
    for (value, labelled) in axis.ticks() {
        let ty = y(value);
        let stroke = if labelled { "#ddd" } else { "#f0f0f0" };
        line(out, (x0, ty), (x1, ty), &format!(r#"stroke="{stroke}""#));
        if labelled {
            text(
                out,
                x0 - 6.0,
                ty + 4.0,
                r#"text-anchor="end""#,
                &number(value),
            );
        }
    }
    let count = (x_max / x_step).round() as u32;
    for tick in (0..=count).map(|i| f64::from(i) * x_step) {
        let tx = x(tick);
        line(out, (tx, y0), (tx, y0 + 5.0), r##"stroke="#333""##);
        text(out, tx, y0 + 18.0, r#"text-anchor="middle""#, &number(tick));
    }
    line(out, (x0, y0), (x1, y0), r##"stroke="#333""##);
    line(out, (x0, y0), (x0, y1), r##"stroke="#333""##);
    text(out, middle, y0 + 38.0, r#"text-anchor="middle""#, "clients");
    let (label_x, label_y) = (left + 16.0, (y0 + y1) / 2.0);
    let rotated = format!(r#"text-anchor="middle" transform="rotate(-90 {label_x} {label_y})""#);
    text(out, label_x, label_y, &rotated, chart.y_label);

    for (index, strategy) in STRATEGIES.iter().enumerate() {
        let points: Vec<(f64, f64)> = rows
            .iter()
            .map(|row| (row.clients as f64, (chart.value)(&row.by_strategy[index])))
            .map(|(clients, value)| (x(clients), y(value.max(lowest))))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(px, py)| format!("{px:.1},{py:.1}"))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" {}/>"#,
            path.join(" "),
            stroke(strategy)
        );
        for (px, py) in points {
            let _ = writeln!(
                out,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{}"/>"#,
                strategy.colour
            );
        }
    }
}

/// The legend, one entry per strategy, centred in a band starting at `top`.
fn legend(out: &mut String, top: f64) {
    let name = |strategy: &Strategy| match strategy.jitter {
        Jitter::None => "Exponential (no jitter)",
        _ => strategy.name,
    };
    // SVG cannot measure text, so widths are estimated at 7 units per character of the
    // 12-unit font: a 30-unit line sample, a gap, the name, then space before the next entry.
    let width = |strategy: &Strategy| 30.0 + 6.0 + 7.0 * name(strategy).len() as f64 + 40.0;
    let total: f64 = STRATEGIES.iter().map(width).sum();
    let y = top + LEGEND_HEIGHT / 2.0;
    let mut x = (2.0 * CHART_WIDTH - total) / 2.0;
    for strategy in &STRATEGIES {
        line(out, (x, y), (x + 30.0, y), &stroke(strategy));
        text(out, x + 36.0, y + 4.0, "", name(strategy));
        x += width(strategy);
    }
}

fn stroke(strategy: &Strategy) -> String {
    format!(
        r#"stroke="{}" stroke-width="2" stroke-dasharray="{}""#,
        strategy.colour, strategy.dash
    )
}

fn line(out: &mut String, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attributes: &str) {
    let _ = writeln!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {attributes}/>"#
    );
}

fn text(out: &mut String, x: f64, y: f64, attributes: &str, content: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" {attributes}>{content}</text>"#
    );
}

/// A tick label: whole numbers without a decimal point.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// A round tick step (1, 2 or 5 times a power of ten) giving about five ticks, and the axis
/// maximum: the first multiple of the step at or above `highest`.
fn linear_axis(highest: f64) -> (f64, f64) {
    if highest <= 0.0 || !highest.is_finite() {
        return (1.0, 1.0);
    }
    let rough = highest / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough)
        .unwrap_or(10.0 * power);
    (step, (highest / step).ceil() * step)
}
