//! The documented "Program Released" bulletin to JSON bytes, four ways: the derived event with
//! `Bulletin::write_json`, `serde_json::json!`, a `HashMap` of properties, and a plain
//! `#[derive(Serialize)]` struct (serde_json's floor). Also counts heap allocations per event
//! with a counting global allocator.
//!
//! ```text
//! cargo bench -p bulletins-benches --bench serialize -- --measurement-time 3 --warm-up-time 1
//! ```
//!
//! Before timing anything it checks that the derived bulletin and the serde floor produce the
//! same bytes, then prints the allocation table.

// A benchmark's output is its report.
#![allow(clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use bulletins_core::{Bulletin, BusinessEvent, When};
use criterion::{Criterion, Throughput};
use serde::Serialize;

// --- Counting allocator --------------------------------------------------------------------

/// The system allocator, counting every allocation and reallocation.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counter
// is a relaxed atomic increment, which cannot allocate or fail.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// --- The four variants ------------------------------------------------------------------------

/// The documented example's data, as an application holds it before raising the event.
const PROGRAM_ID: &str = "234567";
const LANGUAGE: &str = "Hindi";
const PREV_PROGRAM_ID: &str = "123457";
const NAME: &str = "Sa Re Ga Ma episode 12";
const CREATED_BY: &str = "[email protected]";

const DOCUMENTED: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;

/// (a) The SDK: a derived business event.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id", "language"])]
struct ProgramReleased {
    program_id: String,
    language: String,
    prev_program_id: Option<String>,
}

fn sdk_bulletin() -> Bulletin<'static, ProgramReleased> {
    let event = ProgramReleased {
        program_id: PROGRAM_ID.to_owned(),
        language: LANGUAGE.to_owned(),
        prev_program_id: Some(PREV_PROGRAM_ID.to_owned()),
    };
    Bulletin::new(event, NAME, CREATED_BY).when(When::Now)
}

/// (a2) The same event borrowing the application's data, as a bulletin raised from `&str`
/// data is: nothing is copied.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id", "language"])]
struct ProgramReleasedRef<'a> {
    program_id: &'a str,
    language: &'a str,
    prev_program_id: Option<&'a str>,
}

/// (b) What the API documentation's examples do: a `json!` literal.
fn json_macro(
    program_id: &str,
    language: &str,
    prev: &str,
    name: &str,
    by: &str,
) -> serde_json::Value {
    serde_json::json!({
        "business_event": "Program Released",
        "name": name,
        "properties": {
            "program_id": program_id,
            "language": language,
            "prev_program_id": prev,
        },
        "c-by": by,
        "when": "now",
    })
}

/// (c) An untyped property map inside a serde struct.
#[derive(Debug, Clone, Serialize)]
struct MapPayload {
    business_event: String,
    name: String,
    properties: HashMap<String, String>,
    #[serde(rename = "c-by")]
    c_by: String,
    when: String,
}

fn map_payload() -> MapPayload {
    let properties = [
        ("program_id", PROGRAM_ID),
        ("language", LANGUAGE),
        ("prev_program_id", PREV_PROGRAM_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    MapPayload {
        business_event: "Program Released".to_owned(),
        name: NAME.to_owned(),
        properties,
        c_by: CREATED_BY.to_owned(),
        when: "now".to_owned(),
    }
}

/// (d) The floor: a plain serde struct with exactly the payload's fields.
#[derive(Debug, Clone, Serialize)]
struct PlainPayload {
    business_event: &'static str,
    name: String,
    properties: PlainProperties,
    #[serde(rename = "c-by")]
    c_by: String,
    when: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct PlainProperties {
    program_id: String,
    language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_program_id: Option<String>,
}

fn plain_payload() -> PlainPayload {
    PlainPayload {
        business_event: "Program Released",
        name: NAME.to_owned(),
        properties: PlainProperties {
            program_id: PROGRAM_ID.to_owned(),
            language: LANGUAGE.to_owned(),
            prev_program_id: Some(PREV_PROGRAM_ID.to_owned()),
        },
        c_by: CREATED_BY.to_owned(),
        when: "now",
    }
}

// The per-event operations, each exactly what is timed and what is counted.

fn run_sdk<E: BusinessEvent>(bulletin: &Bulletin<'_, E>, out: &mut Vec<u8>) {
    out.clear();
    bulletin
        .write_json(out)
        .expect("the documented bulletin is valid");
}

fn run_json_macro() -> Vec<u8> {
    let value = json_macro(
        black_box(PROGRAM_ID),
        black_box(LANGUAGE),
        black_box(PREV_PROGRAM_ID),
        black_box(NAME),
        black_box(CREATED_BY),
    );
    serde_json::to_vec(&value).expect("a Value always serializes")
}

fn run_json_value(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a Value always serializes")
}

fn run_map(payload: &MapPayload) -> Vec<u8> {
    serde_json::to_vec(payload).expect("strings always serialize")
}

fn run_plain(payload: &PlainPayload, out: &mut Vec<u8>) {
    out.clear();
    serde_json::to_writer(&mut *out, payload).expect("strings always serialize");
}

fn run_sdk_from_data(out: &mut Vec<u8>) {
    let event = ProgramReleasedRef {
        program_id: black_box(PROGRAM_ID),
        language: black_box(LANGUAGE),
        prev_program_id: black_box(Some(PREV_PROGRAM_ID)),
    };
    let bulletin = black_box(Bulletin::new(event, black_box(NAME), black_box(CREATED_BY)));
    run_sdk(&bulletin, out);
}

// --- Checks and allocation counts ---------------------------------------------------------------

fn check_outputs() {
    let mut sdk = Vec::new();
    run_sdk(&sdk_bulletin(), &mut sdk);
    let mut plain = Vec::new();
    run_plain(&plain_payload(), &mut plain);
    assert_eq!(
        std::str::from_utf8(&sdk).expect("utf8"),
        std::str::from_utf8(&plain).expect("utf8"),
        "the SDK and the plain serde struct must write identical bytes"
    );
    assert_eq!(sdk, DOCUMENTED.as_bytes());
    let mut from_data = Vec::new();
    run_sdk_from_data(&mut from_data);
    assert_eq!(from_data, DOCUMENTED.as_bytes());
    // The others are the same document, keys in another order for the map and the Value.
    let expected: serde_json::Value = serde_json::from_str(DOCUMENTED).expect("documented JSON");
    for other in [run_json_macro(), run_map(&map_payload())] {
        let parsed: serde_json::Value = serde_json::from_slice(&other).expect("valid JSON");
        assert_eq!(parsed, expected);
    }
}

/// Allocations per call of `f`, averaged over `n` calls after `n` warm-up calls.
fn allocations_per_call(n: u64, mut f: impl FnMut()) -> f64 {
    for _ in 0..n {
        f();
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..n {
        f();
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    (after - before) as f64 / n as f64
}

fn print_allocation_table() {
    const N: u64 = 10_000;
    let bulletin = sdk_bulletin();
    let value = json_macro(PROGRAM_ID, LANGUAGE, PREV_PROGRAM_ID, NAME, CREATED_BY);
    let map = map_payload();
    let plain = plain_payload();
    let mut out = Vec::new();
    let rows: [(&str, f64); 6] = [
        (
            "(a) sdk: derived event, Bulletin::write_json, reused buffer",
            allocations_per_call(N, || run_sdk(black_box(&bulletin), &mut out)),
        ),
        (
            "(b) json! + serde_json::to_vec",
            allocations_per_call(N, || drop(black_box(run_json_macro()))),
        ),
        (
            "(b') prebuilt serde_json::Value + to_vec",
            allocations_per_call(N, || drop(black_box(run_json_value(black_box(&value))))),
        ),
        (
            "(c) HashMap<String,String> properties + to_vec",
            allocations_per_call(N, || drop(black_box(run_map(black_box(&map))))),
        ),
        (
            "(d) floor: #[derive(Serialize)] + to_writer, reused buffer",
            allocations_per_call(N, || run_plain(black_box(&plain), &mut out)),
        ),
        (
            "(a2) sdk, building the Bulletin from &str data each time",
            allocations_per_call(N, || run_sdk_from_data(&mut out)),
        ),
    ];
    println!("allocations per event (mean of {N} after {N} warm-up):");
    for (variant, per_event) in rows {
        println!("  {variant:<62} {per_event:>6.2}");
    }
    // The promise: writing a bulletin, and building one from borrowed data, allocate nothing.
    for (variant, per_event) in [&rows[0], &rows[5]] {
        assert!(
            *per_event == 0.0,
            "{variant} allocates {per_event} times per event; it must allocate nothing"
        );
    }
}

// --- Timing -------------------------------------------------------------------------------------

fn bench_serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("program_released_to_json");
    group.throughput(Throughput::Elements(1));

    let bulletin = sdk_bulletin();
    let mut out = Vec::with_capacity(256);
    group.bench_function("a_sdk_write_json", |b| {
        b.iter(|| run_sdk(black_box(&bulletin), &mut out));
    });
    group.bench_function("b_json_macro_to_vec", |b| b.iter(run_json_macro));
    let value = json_macro(PROGRAM_ID, LANGUAGE, PREV_PROGRAM_ID, NAME, CREATED_BY);
    group.bench_function("b2_prebuilt_value_to_vec", |b| {
        b.iter(|| run_json_value(black_box(&value)));
    });
    let map = map_payload();
    group.bench_function("c_hashmap_to_vec", |b| {
        b.iter(|| run_map(black_box(&map)));
    });
    let plain = plain_payload();
    group.bench_function("d_plain_serde_to_writer", |b| {
        b.iter(|| run_plain(black_box(&plain), &mut out));
    });
    group.bench_function("a2_sdk_build_and_write_json", |b| {
        b.iter(|| run_sdk_from_data(&mut out));
    });
    group.finish();
}

// --- Interleaved ratios and the profiling driver ----------------------------------------------

/// The variants timed against each other, by the letters used in BENCHMARKS.md.
struct Variants {
    bulletin: Bulletin<'static, ProgramReleased>,
    value: serde_json::Value,
    map: MapPayload,
    plain: PlainPayload,
    out: Vec<u8>,
}

impl Variants {
    const NAMES: [&'static str; 6] = ["a", "b", "b2", "c", "d", "a2"];

    fn new() -> Self {
        Self {
            bulletin: sdk_bulletin(),
            value: json_macro(PROGRAM_ID, LANGUAGE, PREV_PROGRAM_ID, NAME, CREATED_BY),
            map: map_payload(),
            plain: plain_payload(),
            out: Vec::with_capacity(256),
        }
    }

    /// Runs variant `name` once.
    fn run(&mut self, name: &str) {
        match name {
            "a" => run_sdk(black_box(&self.bulletin), &mut self.out),
            "b" => drop(black_box(run_json_macro())),
            "b2" => drop(black_box(run_json_value(black_box(&self.value)))),
            "c" => drop(black_box(run_map(black_box(&self.map)))),
            "d" => run_plain(black_box(&self.plain), &mut self.out),
            "a2" => run_sdk_from_data(&mut self.out),
            other => panic!("unknown variant {other:?}; one of {:?}", Self::NAMES),
        }
    }
}

/// On a shared machine the load changes while criterion runs one variant after another. Here
/// the variants take turns in short batches for `rounds` rounds and each keeps its fastest
/// batch, so they are compared under the same conditions; printed as ratios to the floor (d).
fn print_interleaved_ratios(rounds: u32) {
    const BATCH: u32 = 2_000;
    let mut variants = Variants::new();
    let mut best = [f64::INFINITY; Variants::NAMES.len()];
    for _ in 0..rounds {
        for (i, name) in Variants::NAMES.iter().enumerate() {
            let started = std::time::Instant::now();
            for _ in 0..BATCH {
                variants.run(name);
            }
            let per_event = started.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH);
            best[i] = best[i].min(per_event);
        }
    }
    let floor = best[4];
    let json = best[1];
    println!("interleaved, fastest of {rounds} batches of {BATCH} (ns/event, x floor (d), json! (b) / this):");
    for (name, ns) in Variants::NAMES.iter().zip(best) {
        println!(
            "  {name:<3} {ns:>8.1} ns  {:>5.2}x floor  {:>5.2}x faster than json!",
            ns / floor,
            json / ns
        );
    }
}

/// `BULLETINS_BENCH_DRIVER=<variant> BULLETINS_BENCH_ITERATIONS=<n>`: run one variant `n` times
/// and exit, for `valgrind --tool=callgrind` (instructions per event = the difference between
/// two runs with different `n`, divided by the difference in `n`).
fn driver() -> bool {
    let Ok(name) = std::env::var("BULLETINS_BENCH_DRIVER") else {
        return false;
    };
    let n: u64 = std::env::var("BULLETINS_BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let mut variants = Variants::new();
    for _ in 0..n {
        variants.run(&name);
    }
    true
}

fn main() {
    if driver() {
        return;
    }
    check_outputs();
    print_allocation_table();
    print_interleaved_ratios(200);
    let mut criterion = Criterion::default().configure_from_args();
    bench_serialize(&mut criterion);
    criterion.final_summary();
}
