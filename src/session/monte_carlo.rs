//! Monte Carlo studies of a field: the same weekend repeated with derived seeds, and per-driver statistics
//! (pole, shoot-out, win and podium shares, mean and spread of the position and the gap), folded as the runs
//! finish, so memory does not grow with the number of runs.
//!
//! Determinism: runs are computed in parallel in fixed blocks of [`BLOCK_RUNS`] and folded in run order, so
//! the statistics are bit-identical whatever the thread count.

use rayon::prelude::*;
use serde::Serialize;

use super::qualifying::{qualifying, QualifyingResult};
use super::race::{race, RaceResult};
use super::LapOracle;
use crate::error::Result;
use crate::field::Field;

/// Runs computed at once (in parallel) before they are folded: what bounds the memory of a study.
pub const BLOCK_RUNS: u64 = 16;

/// Per-driver statistics over Monte Carlo runs.
#[derive(Debug, Clone, Serialize)]
pub struct DriverStats {
    /// Car number.
    pub number: u32,
    /// Driver.
    pub name: String,
    /// Share of runs on pole.
    pub p_pole: f64,
    /// Share of runs in the qualifying shoot-out (`None` if the format has none).
    pub p_shootout: Option<f64>,
    /// Share of runs won (`None` for qualifying alone: no race was run).
    pub p_win: Option<f64>,
    /// Share of runs on the podium (`None` for qualifying alone).
    pub p_podium: Option<f64>,
    /// Share of runs the car ran out of fuel in the race (`None` for qualifying alone).
    pub p_out_of_fuel: Option<f64>,
    /// Mean and standard deviation of the position (race, or grid for qualifying alone).
    pub position_mean_sd: (f64, f64),
    /// Mean and standard deviation of the gap to the leader (s), over the runs the car finished.
    pub gap_mean_sd_s: (f64, f64),
}

/// Running mean and variance (Welford, *Technometrics* 4 (1962) 419–420): constant memory, one pass.
#[derive(Debug, Clone, Copy, Default)]
struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Mean and sample standard deviation (0 for a single value; NaN for none).
    fn mean_sd(&self) -> (f64, f64) {
        match self.n {
            0 => (f64::NAN, f64::NAN),
            1 => (self.mean, 0.0),
            n => (self.mean, (self.m2 / (n - 1) as f64).sqrt()),
        }
    }
}

/// One driver's tallies.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    pole: u64,
    shootout: u64,
    win: u64,
    podium: u64,
    dry: u64,
    position: Welford,
    gap: Welford,
}

/// The statistics of a study, folded run by run.
#[derive(Debug, Clone)]
pub struct Accumulator {
    tallies: Vec<Tally>,
    runs: u64,
    race: bool,
    shootout: bool,
}

impl Accumulator {
    /// An empty study of `field`, with a race after each qualifying or not.
    pub fn new(field: &Field, race: bool) -> Self {
        Self {
            tallies: vec![Tally::default(); field.entries.len()],
            runs: 0,
            race,
            shootout: field.qualifying.has_shootout(),
        }
    }

    /// Runs folded so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Folds one run: its qualifying and, for a study with races, its race.
    pub fn add(&mut self, q: &QualifyingResult, r: Option<&RaceResult>) {
        self.runs += 1;
        // Pole needs a timed lap, a win or a podium a finish.
        if let Some(g) = q.grid.first().filter(|g| g.best_s.is_finite()) {
            self.tallies[g.entry].pole += 1;
        }
        for (k, p2) in q.part2.iter().enumerate() {
            if p2.is_some() {
                self.tallies[k].shootout += 1;
            }
        }
        match r {
            Some(r) => {
                let winner = r.classification.first().map_or(0.0, |c| c.total_s);
                for (p, c) in r.classification.iter().enumerate() {
                    let t = &mut self.tallies[c.entry];
                    t.position.add(p as f64 + 1.0);
                    if p == 0 && c.finished() {
                        t.win += 1;
                    }
                    if p < 3 && c.finished() {
                        t.podium += 1;
                    }
                    if c.finished() {
                        t.gap.add(c.total_s - winner);
                    } else {
                        t.dry += 1;
                    }
                }
            }
            None => {
                for (p, g) in q.grid.iter().enumerate() {
                    let t = &mut self.tallies[g.entry];
                    t.position.add(p as f64 + 1.0);
                    if g.gap_to_pole_s.is_finite() {
                        t.gap.add(g.gap_to_pole_s);
                    }
                }
            }
        }
    }

    /// The per-driver statistics, in the field's order.
    pub fn stats(&self, field: &Field) -> Vec<DriverStats> {
        let runs = self.runs.max(1) as f64;
        let share = |n: u64| n as f64 / runs;
        field
            .entries
            .iter()
            .zip(&self.tallies)
            .map(|(e, t)| DriverStats {
                number: e.number,
                name: e.name.clone(),
                p_pole: share(t.pole),
                p_shootout: self.shootout.then(|| share(t.shootout)),
                p_win: self.race.then(|| share(t.win)),
                p_podium: self.race.then(|| share(t.podium)),
                p_out_of_fuel: self.race.then(|| share(t.dry)),
                position_mean_sd: t.position.mean_sd(),
                gap_mean_sd_s: t.gap.mean_sd(),
            })
            .collect()
    }
}

/// One run of a study: qualifying, and the race from its grid if `with_race`.
pub fn weekend_run(
    field: &Field,
    oracle: &dyn LapOracle,
    with_race: bool,
    seed: u64,
    run: u64,
) -> Result<(QualifyingResult, Option<RaceResult>)> {
    let q = qualifying(field, oracle, &field.qualifying, seed, run)?;
    let r = if with_race {
        let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
        Some(race(field, oracle, &field.race, &grid, seed, run)?)
    } else {
        None
    };
    Ok((q, r))
}

/// A study of `runs` weekends (qualifying, and the race if `with_race`) with seeds derived from `seed`:
/// returns the first run in full (the one a single weekend would give) and the statistics of all of them.
/// Runs are computed [`BLOCK_RUNS`] at a time in parallel and folded in order; `progress` is called after
/// each block with the runs done so far.
pub fn study(
    field: &Field,
    oracle: &dyn LapOracle,
    with_race: bool,
    seed: u64,
    runs: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<((QualifyingResult, Option<RaceResult>), Accumulator)> {
    let mut acc = Accumulator::new(field, with_race);
    let first = weekend_run(field, oracle, with_race, seed, 0)?;
    acc.add(&first.0, first.1.as_ref());
    progress(1);
    let mut next = 1;
    while next < runs {
        let end = (next + BLOCK_RUNS).min(runs);
        let block: Vec<(QualifyingResult, Option<RaceResult>)> = (next..end)
            .into_par_iter()
            .map(|run| weekend_run(field, oracle, with_race, seed, run))
            .collect::<Result<_>>()?;
        for (q, r) in &block {
            acc.add(q, r.as_ref());
        }
        next = end;
        progress(next);
    }
    Ok((first, acc))
}
