//! Qualifying in the event's format ([`QualifyingFormat`], from the field file): one session for all cars, or
//! two parts, as in the 2007 Carrera Cup (part 1, 15 minutes, all cars, fixes grid positions 16–40; after a
//! 5-minute pause the fastest 15 run a 10-minute shoot-out whose best laps set grid 1–15).
//!
//! Each car leaves the pits at the start of a part, does an out-lap (a standing start, tyres cold), then
//! flying laps for as long as it crosses the line before the flag (the lap under way at the flag counts, so
//! how many laps a car fits follows from its own lap times). Tyres warm up over the first laps and fade after
//! a few (the event's [`crate::field::TyreModel`]); every lap draws its own scatter of the driver's shares and its own chance of a
//! slip. The shoot-out is run on a fresh set of tyres. Traffic in qualifying is not modelled: with 40 cars on
//! 3.7 km a driver finds a clear lap, and the best lap is what counts.

use rayon::prelude::*;
use serde::Serialize;

use super::{stream, DriverRun, LapKind, LapOracle, LapRecord};
use crate::error::Result;
pub use crate::field::QualifyingFormat;
use crate::field::{Entry, Field, TyreModel};

/// Most laps one car may run in one part of qualifying (a guard against a session far too long for the
/// circuit: four hours of 20-second laps).
pub const MAX_LAPS_ON_A_RUN: u32 = 1000;

/// One car's part of qualifying.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Out-lap time (s).
    pub out_lap_s: f64,
    /// Timed laps.
    pub laps: Vec<LapRecord>,
    /// Best timed lap (s); infinite if none.
    pub best_s: f64,
    /// Fuel left at the end of the part (kg).
    pub fuel_left_kg: f64,
    /// The car ran out of fuel during the part (and stopped).
    pub out_of_fuel: bool,
}

/// A grid position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridSlot {
    /// Grid position (1-based).
    pub position: usize,
    /// Index of the entry in the field.
    pub entry: usize,
    /// Car number.
    pub number: u32,
    /// Driver.
    pub name: String,
    /// Best lap of the part that set the position (s).
    pub best_s: f64,
    /// Gap to pole (s).
    pub gap_to_pole_s: f64,
    /// Gap to the car ahead (s).
    pub gap_ahead_s: f64,
    /// The part that set the position (1 or 2).
    pub part: u8,
}

/// The outcome of qualifying.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualifyingResult {
    /// Part 1 runs, by entry.
    pub part1: Vec<Run>,
    /// Part 2 runs, by entry (empty for cars not in the shoot-out).
    pub part2: Vec<Option<Run>>,
    /// The grid.
    pub grid: Vec<GridSlot>,
}

/// Runs one part for one driver.
fn run_part(
    oracle: &dyn LapOracle,
    entry: &Entry,
    tyres: &TyreModel,
    length_s: f64,
    fuel_kg: f64,
    rng: rand_chacha::ChaCha12Rng,
) -> Result<Run> {
    let mut driver = DriverRun::new(&entry.skill, rng, fuel_kg)?;
    let mut clock = 0.0;
    let mut laps = Vec::new();
    let mut lap_on_set = 0u32;
    let mut out_lap_s = 0.0;
    let mut out_of_fuel = false;
    // Out-lap (from the pit exit, modelled as a standing start at the line), then timed laps while the car
    // reaches the line before the flag.
    while lap_on_set == 0 || clock < length_s {
        let kind = if lap_on_set == 0 {
            LapKind::Grid { behind_m: 0.0 }
        } else {
            LapKind::Flying
        };
        let Some(lap) = driver.lap(oracle, tyres.grip(lap_on_set), kind, lap_on_set > 0)? else {
            out_of_fuel = true;
            break;
        };
        clock += lap.time_s;
        if lap_on_set == 0 {
            out_lap_s = lap.time_s;
        } else {
            laps.push(lap);
        }
        lap_on_set += 1;
        if lap_on_set > MAX_LAPS_ON_A_RUN {
            return Err(crate::Error::Option {
                option: "qualifying".into(),
                value: format!("{length_s} s"),
                message: format!(
                    "more than {MAX_LAPS_ON_A_RUN} laps in one run: a session this long for a lap this \
                     short is not a qualifying session"
                ),
            });
        }
    }
    let best_s = laps.iter().map(|l| l.time_s).fold(f64::INFINITY, f64::min);
    Ok(Run {
        out_lap_s,
        laps,
        best_s,
        fuel_left_kg: driver.fuel_kg,
        out_of_fuel,
    })
}

/// Runs both parts of qualifying. `run` distinguishes Monte Carlo repetitions of the same `seed`.
pub fn qualifying(
    field: &Field,
    oracle: &dyn LapOracle,
    format: &QualifyingFormat,
    seed: u64,
    run: u64,
) -> Result<QualifyingResult> {
    let n = field.entries.len();
    let part1: Vec<Run> = (0..n)
        .into_par_iter()
        .map(|k| {
            run_part(
                oracle,
                &field.entries[k],
                &field.tyres,
                format.part1_s,
                format.fuel_kg,
                stream(seed, run, 1, k as u64),
            )
        })
        .collect::<Result<_>>()?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| part1[a].best_s.total_cmp(&part1[b].best_s).then(a.cmp(&b)));
    let shootout: Vec<usize> = order
        .iter()
        .copied()
        .take(format.shootout_cars.min(n))
        .collect();
    let part2_runs: Vec<(usize, Run)> = shootout
        .par_iter()
        .map(|&k| {
            // No refuelling in the pause: the shoot-out starts with what part 1 left.
            run_part(
                oracle,
                &field.entries[k],
                &field.tyres,
                format.part2_s,
                part1[k].fuel_left_kg,
                stream(seed, run, 2, k as u64),
            )
            .map(|r| (k, r))
        })
        .collect::<Result<_>>()?;
    let mut part2: Vec<Option<Run>> = vec![None; n];
    for (k, r) in part2_runs {
        part2[k] = Some(r);
    }
    // Grid: 1–15 by the shoot-out, then the rest by part 1.
    let mut top = shootout.clone();
    top.sort_by(|&a, &b| {
        let (ta, tb) = (
            part2[a].as_ref().map_or(f64::INFINITY, |r| r.best_s),
            part2[b].as_ref().map_or(f64::INFINITY, |r| r.best_s),
        );
        ta.total_cmp(&tb).then(a.cmp(&b))
    });
    let mut grid = Vec::with_capacity(n);
    for (pos, &k) in top
        .iter()
        .chain(order.iter().skip(shootout.len()))
        .enumerate()
    {
        let (best, part) = if pos < top.len() {
            (part2[k].as_ref().map_or(f64::INFINITY, |r| r.best_s), 2)
        } else {
            (part1[k].best_s, 1)
        };
        grid.push(GridSlot {
            position: pos + 1,
            entry: k,
            number: field.entries[k].number,
            name: field.entries[k].name.clone(),
            best_s: best,
            gap_to_pole_s: 0.0,
            gap_ahead_s: 0.0,
            part,
        });
    }
    // Gaps between timed laps; a car without one (out of fuel on its out-lap, say) is infinitely far back.
    let pole = grid.first().map_or(f64::INFINITY, |g| g.best_s);
    let gap = |a: f64, b: f64| {
        if a.is_finite() && b.is_finite() {
            a - b
        } else {
            f64::INFINITY
        }
    };
    for i in 0..grid.len() {
        grid[i].gap_to_pole_s = gap(grid[i].best_s, pole);
        grid[i].gap_ahead_s = if i == 0 {
            0.0
        } else {
            gap(grid[i].best_s, grid[i - 1].best_s)
        };
    }
    Ok(QualifyingResult { part1, part2, grid })
}
