//! Sweeps: every variant's flying lap, in parallel, in variant order.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{variant_car, variants, Setting};
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

/// One car's flying lap on `track`, as a row of a sweep.
pub fn lap_row(car: &Car, track: &Track, values: Vec<f64>) -> Result<SweepRow> {
    let env = Envelope::new(car);
    let mut s = LapSolver::new(track, &env);
    let lap = s.solve(Start::Flying)?;
    let work = s.engine_work_j(car.params().driveline.efficiency_ratio)?;
    let t = s.telemetry()?;
    Ok(SweepRow {
        values,
        lap_time_s: lap.lap_time_s,
        sector_times_s: t.summary.sector_times_s,
        v_max_mps: t.summary.v_max_mps,
        v_min_mps: t.summary.v_min_mps,
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
) -> Result<Vec<SweepRow>> {
    let all = variants(settings)?;
    let range = range.start.min(all.len())..range.end.min(all.len());
    let cars: Vec<Car> = all
        .iter()
        .map(|v| variant_car(base_text, source_name, settings, v))
        .collect::<Result<_>>()?;
    all[range.clone()]
        .par_iter()
        .zip(cars[range].par_iter())
        .map(|(values, car)| {
            let row = match path {
                PathPerVariant::Fixed(track) => lap_row(car, track, values.clone()),
                PathPerVariant::Own(track_of) => lap_row(car, &track_of(car)?, values.clone()),
            };
            progress();
            row
        })
        .collect()
}
