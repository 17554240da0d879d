//! `bulletins dashboard breaking` on two 500-event files (target: ≤ 50 ms), as the command runs
//! it: both files parsed and checked, then compared. Three pairs:
//!
//! - `review`: a typical pull request's change (5 events removed, 5 renamed, 5 added, 20 with a
//!   property added, removed, made required or optional);
//! - `disjoint`: no event in common, the worst case for "did you mean" (every removed name is
//!   compared with every added one);
//! - `same`: a file against itself.
//!
//! ```text
//! cargo bench -p bulletins-benches --bench dashboard -- --measurement-time 3 --warm-up-time 1
//! ```
//!
//! `lint` on one such file is measured too (no target; it compares every pair of names, and
//! these numbered names are many pairs one or two edits apart, each a finding).

// A benchmark's output is its report.
#![allow(clippy::print_stdout)]

use std::hint::black_box;

use bulletins_dashboard::{breaking, lint, Dashboard, DashboardFile, EventDefinition};
use criterion::Criterion;

const EVENTS: usize = 500;

/// Event `i` as named in the old file (`prefix` "order") or another world (`prefix` "audit").
fn event(prefix: &str, i: usize) -> EventDefinition {
    let keys: Vec<String> = (0..8).map(|k| format!("{prefix}_property_{k}")).collect();
    EventDefinition::new(format!("{prefix}_event_{i:04}_happened"))
        .properties(keys.clone())
        .required(keys[..3].to_vec())
}

fn file(events: impl IntoIterator<Item = EventDefinition>) -> Vec<u8> {
    events
        .into_iter()
        .fold(Dashboard::new(), Dashboard::with_event)
        .to_json_pretty()
        .into_bytes()
}

/// The old file and a typical change to it.
fn review() -> (Vec<u8>, Vec<u8>) {
    let old = file((0..EVENTS).map(|i| event("order", i)));
    let new = file(
        (0..EVENTS)
            .filter_map(|i| {
                let e = event("order", i);
                let keys = e.property_keys().to_vec();
                Some(match i {
                    0..5 => return None,
                    5..10 => EventDefinition::new(format!("{}_renamed", e.name()))
                        .properties(keys.clone())
                        .required(keys[..3].to_vec()),
                    10..15 => e.properties([&keys[..], &["new_key".to_owned()]].concat()),
                    15..20 => e
                        .properties(keys[1..].to_vec())
                        .required(keys[1..3].to_vec()),
                    20..25 => e.required(keys[..4].to_vec()),
                    25..30 => e.required(keys[..2].to_vec()),
                    _ => e,
                })
            })
            .chain((0..5).map(|i| event("refund", i))),
    );
    (old, new)
}

fn compare(old: &[u8], new: &[u8]) -> usize {
    let old = DashboardFile::parse(old, "main:bulletins.json").expect("valid");
    let new = DashboardFile::parse(new, "bulletins.json").expect("valid");
    breaking(&old, &new).len()
}

fn main() {
    let (old, new) = review();
    let disjoint = file((0..EVENTS).map(|i| event("audit", i)));
    println!(
        "files: {} and {} bytes, {EVENTS} events each; findings: review {}, disjoint {}, same {}; lint {}",
        old.len(),
        new.len(),
        compare(&old, &new),
        compare(&old, &disjoint),
        compare(&old, &old),
        lint(&new, "bulletins.json").len(),
    );

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("breaking_500_events");
    group.bench_function("review", |b| {
        b.iter(|| compare(black_box(&old), black_box(&new)))
    });
    group.bench_function("disjoint", |b| {
        b.iter(|| compare(black_box(&old), black_box(&disjoint)))
    });
    group.bench_function("same", |b| {
        b.iter(|| compare(black_box(&old), black_box(&old)))
    });
    let (old_file, new_file) = (
        DashboardFile::parse(&old, "old").expect("valid"),
        DashboardFile::parse(&disjoint, "new").expect("valid"),
    );
    group.bench_function("disjoint_compare_only", |b| {
        b.iter(|| breaking(black_box(&old_file), black_box(&new_file)).len())
    });
    group.finish();
    c.bench_function("lint_500_events", |b| {
        b.iter(|| lint(black_box(&new), "bulletins.json").len())
    });
    c.final_summary();
}
