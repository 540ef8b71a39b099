//! Monte Carlo studies run in constant memory: the statistics are folded as the runs finish, so the peak of
//! live heap memory does not grow with the number of runs (measured with a counting allocator).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use lapsim::field::Field;
use lapsim::session::monte_carlo::study;
use lapsim::session::{LapKind, LapOracle, LapOutcome, LapRequest};

/// Live heap bytes and their peak.
struct Peak;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

/// Known laps (no solver: the study's own memory is what is measured).
struct Known;

impl LapOracle for Known {
    fn lap(&self, r: &LapRequest) -> lapsim::Result<LapOutcome> {
        let fly = 90.0 / r.grip_share;
        let time_s = match r.kind {
            LapKind::Flying => fly,
            LapKind::Grid { behind_m } => fly + 5.0 + behind_m / 40.0,
        };
        Ok(LapOutcome {
            time_s,
            fuel_kg: 1.4,
        })
    }
}

/// Peak heap growth (bytes) over a race study of `runs` weekends.
fn peak_growth(field: &Field, runs: u64) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (_, acc) = study(field, &Known, true, 9, runs, &|_| {}).unwrap();
    assert_eq!(acc.runs(), runs);
    PEAK.load(Ordering::Relaxed).saturating_sub(before)
}

/// Ten times the runs, the same peak memory (within 25 % and 64 KiB of slack for the thread pool's and the
/// allocator's own variation). Keeping every run's result, as the studies once did, grows ~linearly: about
/// 30 kB a run for this 40-car field, so 1,000 runs would exceed the bound by far.
#[test]
fn monte_carlo_memory_does_not_grow_with_the_runs() {
    let field = Field::from_file(&project_path("cars/carrera_cup_2007_oschersleben.toml")).unwrap();
    // Warm the thread pool and the allocator's caches.
    peak_growth(&field, 20);
    let small = peak_growth(&field, 100);
    let large = peak_growth(&field, 1000);
    eprintln!("peak growth: {small} B for 100 runs, {large} B for 1,000");
    assert!(
        large <= small + small / 4 + 65_536,
        "peak growth {large} B for 1,000 runs against {small} B for 100"
    );
}
