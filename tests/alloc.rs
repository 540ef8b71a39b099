//! No heap allocation per lap: a counting global allocator around the solver and the field's lap oracle,
//! after a warm-up lap has sized the buffers and built the fuel load's tables.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use lapsim::session::{LapKind, LapOracle, LapRequest, QssOracle, Slip};
use lapsim::solver::{LapSolver, Start};
use lapsim::vehicle::Envelope;

/// The system allocator, counting allocations (and reallocations).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// Both checks in one test: the counter is global, and the harness runs tests on parallel threads.
#[test]
fn laps_allocate_nothing() {
    // The solver: flying and standing laps, engine work, a speed cap.
    let track = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut solver = LapSolver::new(&track, &env);
    solver.solve(Start::Flying).unwrap();
    let n = allocations_during(|| {
        for start in [Start::Flying, Start::Standing, Start::Flying] {
            let lap = solver.solve(start).unwrap();
            assert!(lap.lap_time_s > 80.0);
            solver.engine_work_j(0.85).unwrap();
        }
        solver.cap_speed_at(1000, 10.0).unwrap();
        solver.solve(Start::Flying).unwrap();
        solver.grid_lap_time_s(100.0).unwrap();
    });
    assert_eq!(n, 0, "the solver allocated {n} times");

    // The field's oracle: after one lap between these fuel nodes, flying laps, grid starts and slips with any
    // shares and loads between them allocate nothing (buffers pooled, tables cached and interpolated in place).
    let oracle = QssOracle::new(gt3_cup(), oschersleben(1.0));
    // Loads between the fuel nodes of 30 and 31 kg: the lap interpolates their tables into a pooled buffer.
    let request = |g: f64, kind, slip| LapRequest {
        grip_share: g,
        traction_share: 0.95,
        brake_share: 0.97,
        fuel_kg: 30.0 + 0.7 * (g - 0.9),
        kind,
        slip,
    };
    oracle.lap(&request(1.0, LapKind::Flying, None)).unwrap();
    let n = allocations_during(|| {
        for k in 0..10 {
            let g = 0.9 + 0.01 * k as f64;
            oracle.lap(&request(g, LapKind::Flying, None)).unwrap();
            oracle
                .lap(&request(
                    g,
                    LapKind::Grid {
                        behind_m: 8.0 * k as f64,
                    },
                    None,
                ))
                .unwrap();
            let slip = Slip {
                at_fraction: 0.1 * k as f64,
                speed_factor: 0.75,
            };
            oracle
                .lap(&request(g, LapKind::Flying, Some(slip)))
                .unwrap();
        }
    });
    assert_eq!(n, 0, "the oracle allocated {n} times in 30 laps");
}
