//! The allocation promise of BENCHMARKS.md §1, as a test `cargo test` runs: writing a bulletin
//! into a reused buffer allocates nothing, and neither does building one from borrowed (`&str`)
//! data. Counted by a global allocator that counts the calling thread's allocations only, so
//! the test harness's other threads cannot disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use bulletins_core::{Bulletin, BusinessEvent, When};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting each thread's allocations and reallocations.
struct Counting;

fn count() {
    // `try_with`: during a thread's teardown the counter may be gone; those are not counted.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting is
// a const-initialized thread-local cell update, which cannot allocate or fail.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
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

/// The allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// The documented example event, borrowing the application's data.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id", "language"])]
struct ProgramReleased<'a> {
    program_id: &'a str,
    language: &'a str,
    prev_program_id: Option<&'a str>,
}

const DOCUMENTED: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;

/// Data as a service holds it before raising the event: not `'static`.
struct Row {
    program_id: String,
    language: String,
    prev_program_id: String,
    title: String,
    editor: String,
}

fn raise(row: &Row, out: &mut Vec<u8>) {
    let event = ProgramReleased {
        program_id: &row.program_id,
        language: &row.language,
        prev_program_id: Some(&row.prev_program_id),
    };
    let bulletin = black_box(Bulletin::new(event, &row.title, &row.editor).when(When::Now));
    out.clear();
    bulletin
        .write_json(out)
        .expect("the documented bulletin is valid");
}

#[test]
fn building_and_writing_a_bulletin_from_borrowed_data_allocates_nothing() {
    let row = Row {
        program_id: "234567".to_owned(),
        language: "Hindi".to_owned(),
        prev_program_id: "123457".to_owned(),
        title: "Sa Re Ga Ma episode 12".to_owned(),
        editor: "[email protected]".to_owned(),
    };
    let mut out = Vec::new();
    // The first bulletin grows the reused buffer; from then on nothing is allocated.
    raise(&row, &mut out);
    assert_eq!(out, DOCUMENTED.as_bytes());
    let counted = allocations(|| {
        for _ in 0..1_000 {
            raise(black_box(&row), &mut out);
        }
    });
    assert_eq!(
        counted, 0,
        "1,000 bulletins from borrowed data allocated {counted} times"
    );
    assert_eq!(out, DOCUMENTED.as_bytes());
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that never counts.
    let counted = allocations(|| drop(black_box(String::from("x").repeat(2))));
    assert!(counted >= 1, "{counted}");
}
