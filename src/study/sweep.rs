//! Sweeps: every variant's flying lap, in parallel, in variant order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{parse_base, variant_car_of, variants, Setting};
use crate::error::Result;
use crate::solver::{LapSolver, Start};
use crate::track::Track;
use crate::vehicle::{Car, Envelope};

/// One variant's lap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The settings' values.
    pub values: Vec<f64>,
    /// Flying lap (s).
    pub lap_time_s: f64,
    /// Sector times (s).
    pub sector_times_s: Vec<f64>,
    /// Top speed (m/s).
    pub v_max_mps: f64,
    /// Lowest speed (m/s).
    pub v_min_mps: f64,
    /// Fuel burnt over the lap (kg).
    pub fuel_per_lap_kg: f64,
}

/// The track of each variant's lap: one path held fixed for every variant (computed once for the base car by
/// the caller), or a path computed per variant (its own racing line).
pub enum PathPerVariant<'a> {
    /// The same track for every variant.
    Fixed(&'a Track),
    /// A track computed for each variant's car.
    Own(&'a (dyn Fn(&Car) -> Result<Track> + Sync)),
}

/// Where a sweep's time went, summed over its threads (ns): building and validating the variant cars, the
/// racing lines (with a line per variant), the envelopes, and the laps (the solve, engine work and telemetry).
#[derive(Debug, Default)]
pub struct Timing {
    /// Variant cars built from the base text and validated.
    pub cars_ns: AtomicU64,
    /// Racing lines computed per variant.
    pub lines_ns: AtomicU64,
    /// Envelopes built.
    pub envelopes_ns: AtomicU64,
    /// Laps solved, with their telemetry.
    pub laps_ns: AtomicU64,
}

impl Timing {
    fn add(counter: &AtomicU64, since: Instant) {
        counter.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    /// Seconds in (cars, lines, envelopes, laps).
    pub fn seconds(&self) -> (f64, f64, f64, f64) {
        let s = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 * 1e-9;
        (
            s(&self.cars_ns),
            s(&self.lines_ns),
            s(&self.envelopes_ns),
            s(&self.laps_ns),
        )
    }
}

/// One car's flying lap on `track`, as a row of a sweep.
pub fn lap_row(car: &Car, track: &Track, values: Vec<f64>) -> Result<SweepRow> {
    lap_row_timed(car, track, values, &Timing::default())
}

fn lap_row_timed(car: &Car, track: &Track, values: Vec<f64>, timing: &Timing) -> Result<SweepRow> {
    let t = Instant::now();
    let env = Envelope::new(car);
    Timing::add(&timing.envelopes_ns, t);
    let t_lap = Instant::now();
    let mut s = LapSolver::new(track, &env);
    let lap = s.solve(Start::Flying)?;
    let work = s.engine_work_j(car.params().driveline.efficiency_ratio)?;
    // What a row needs of the lap, without the telemetry's replay of the pass.
    let sector_times_s = s.sector_times_s()?;
    let v = s.speeds_mps();
    let v_max_mps = v.iter().copied().fold(f64::MIN, f64::max);
    let v_min_mps = v.iter().copied().fold(f64::INFINITY, f64::min);
    Timing::add(&timing.laps_ns, t_lap);
    Ok(SweepRow {
        values,
        lap_time_s: lap.lap_time_s,
        sector_times_s,
        v_max_mps,
        v_min_mps,
        fuel_per_lap_kg: car.fuel_for_work_kg(work),
    })
}

/// The flying laps of the variants with indices in `range` (all: `0..variants(settings).len()`), in
/// parallel, in variant order. Every variant of the study (not only the range's: a bad variant fails every
/// shard alike) is built and validated before any lap runs; nothing is re-read from disk.
pub fn sweep(
    base_text: &str,
    source_name: &str,
    settings: &[Setting],
    range: std::ops::Range<usize>,
    path: &PathPerVariant<'_>,
    progress: &(dyn Fn() + Sync),
    timing: &Timing,
) -> Result<Vec<SweepRow>> {
    let all = variants(settings)?;
    let range = range.start.min(all.len())..range.end.min(all.len());
    let t = Instant::now();
    let base = parse_base(base_text, source_name)?;
    // Built in parallel, the first invalid variant in order reported (the same error every run).
    let cars: Vec<Result<Car>> = all
        .par_iter()
        .map(|v| variant_car_of(&base, source_name, settings, v))
        .collect();
    let cars: Vec<Car> = cars.into_iter().collect::<Result<_>>()?;
    Timing::add(&timing.cars_ns, t);
    all[range.clone()]
        .par_iter()
        .zip(cars[range].par_iter())
        .map(|(values, car)| {
            let row = match path {
                PathPerVariant::Fixed(track) => lap_row_timed(car, track, values.clone(), timing),
                PathPerVariant::Own(track_of) => {
                    let t = Instant::now();
                    let own = track_of(car)?;
                    Timing::add(&timing.lines_ns, t);
                    lap_row_timed(car, &own, values.clone(), timing)
                }
            };
            progress();
            row
        })
        .collect()
}
