//! The race: laps from a standing (Grand Prix) start, fuel burning off, tyres fading, and traffic.
//!
//! The race's rules are the event's ([`RaceFormat`], from the field file): a distance in laps or in time.
//! Each driver's undisturbed lap times come first (in parallel): lap 1 from rest at the driver's grid slot,
//! [`RaceFormat::slot_spacing_m`] behind the car ahead, so the back of a 40-car grid starts ~300 m behind the
//! line; fuel from [`RaceFormat::fuel_kg`] falls by what each lap's engine work burnt, and a car whose tank
//! runs dry stops there (classified behind the finishers, by laps completed); tyres fade as the event's
//! [`crate::field::TyreModel`] says; the driver's shares scatter from lap to lap and a slip costs a corner.
//!
//! Traffic then works lap by lap in running order. A car that arrives at the line within
//! [`RaceFormat::min_gap_s`] of the car ahead passes it only if its pace (its own undisturbed lap; on lap 1
//! less the handicap of its grid slot) is better by more than [`RaceFormat::overtake_threshold_s`];
//! otherwise it stays behind and crosses `min_gap_s` + [`RaceFormat::following_loss_s`] after it (the loss:
//! dirty air, a compromised line). Figures: race simulations of
//! circuit racing (Heilmeier et al., "A race simulation for strategy decisions in circuit motorsports",
//! ITSC 2018) use a minimum gap of a few tenths and a track-dependent overtaking threshold of the order of a
//! second of pace; in a one-make series, where every car has the same speed on the straights, passing needs a
//! clear advantage: 0.5 s here, with 0.3 s minimum gap and 0.2 s lost per lap when following.

use rayon::prelude::*;
use serde::Serialize;

use super::{stream, DriverRun, LapKind, LapOracle, LapRecord, LapRequest};
use crate::error::Result;
use crate::field::Field;
pub use crate::field::{RaceFormat, RaceLength};

/// One car's race.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarRace {
    /// Index of the entry in the field.
    pub entry: usize,
    /// Grid position (1-based).
    pub grid: usize,
    /// Lap times after traffic (s).
    pub laps: Vec<LapRecord>,
    /// Total time (s).
    pub total_s: f64,
    /// Fuel left at the flag (kg).
    pub fuel_left_kg: f64,
    /// The lap on which the car ran out of fuel and stopped (`None`: it finished).
    pub out_of_fuel_on_lap: Option<u32>,
}

/// The classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaceResult {
    /// Cars in finishing order: the finishers, then the cars that stopped, by laps completed.
    pub classification: Vec<CarRace>,
    /// Laps the winner completed.
    pub laps: u32,
}

impl CarRace {
    /// Fastest lap (s).
    pub fn fastest_s(&self) -> f64 {
        self.laps
            .iter()
            .map(|l| l.time_s)
            .fold(f64::INFINITY, f64::min)
    }
    /// Whether the car took the flag.
    pub fn finished(&self) -> bool {
        self.out_of_fuel_on_lap.is_none()
    }
    /// Mean lap (s).
    pub fn mean_s(&self) -> f64 {
        self.total_s / self.laps.len() as f64
    }
    /// Median lap (s): the race pace, robust to lap 1 and to a slip.
    pub fn median_s(&self) -> f64 {
        let mut t: Vec<f64> = self.laps.iter().map(|l| l.time_s).collect();
        t.sort_by(f64::total_cmp);
        let m = t.len();
        if m == 0 {
            f64::NAN
        } else if m % 2 == 1 {
            t[m / 2]
        } else {
            0.5 * (t[m / 2 - 1] + t[m / 2])
        }
    }
}

/// Runs the race from a grid (`grid[p]` = entry index at position p + 1).
pub fn race(
    field: &Field,
    oracle: &dyn LapOracle,
    format: &RaceFormat,
    grid: &[usize],
    seed: u64,
    run: u64,
) -> Result<RaceResult> {
    let n = grid.len();
    let full = |fuel_kg: f64, kind: LapKind| LapRequest {
        grip_share: 1.0,
        traction_share: 1.0,
        brake_share: 1.0,
        fuel_kg,
        kind,
        slip: None,
    };
    // The most laps any car can run: all of them for a distance in laps; for a time, what the fastest lap
    // the car can do (every share and the tyres at their best, an empty tank) fits in it, plus the lap under
    // way at the flag.
    let max_laps = match format.length {
        RaceLength::Laps(l) => l,
        RaceLength::Time(t) => {
            let fastest = oracle.lap(&full(0.0, LapKind::Flying))?.time_s;
            (t / fastest).ceil() as u32 + 1
        }
    };
    // Undisturbed laps, per car, in parallel, until the distance or an empty tank; and beside them the grid
    // slots' handicap. Lap 1 starts from staggered slots: a car p places back covers p slot spacings more,
    // from rest, which costs it about that distance over its speed at the line (~0.2 s a place). The
    // handicap per place, from two grid laps of the car at full shares (front and back slot; it is linear in
    // the distance), comes off each car's lap-1 time when paces are compared.
    // Per car: its laps, the fuel on board after each, and for a timed race the error (tyres faded too far)
    // of a lap the race may not need, raised only if it does.
    type Free = (Vec<LapRecord>, Vec<f64>, Option<crate::Error>);
    let timed = matches!(format.length, RaceLength::Time(_));
    let (free, slot_s) = rayon::join(
        || -> Result<Vec<Free>> {
            (0..n)
                .into_par_iter()
                .map(|pos| {
                    let k = grid[pos];
                    let mut driver = DriverRun::new(
                        &field.entries[k].skill,
                        stream(seed, run, 3, k as u64),
                        format.fuel_kg,
                    )?;
                    let mut laps = Vec::with_capacity(max_laps as usize);
                    let mut fuel = Vec::with_capacity(max_laps as usize);
                    let mut pending = None;
                    for lap in 1..=max_laps {
                        let kind = if lap == 1 {
                            LapKind::Grid {
                                behind_m: pos as f64 * format.slot_spacing_m,
                            }
                        } else {
                            LapKind::Flying
                        };
                        // The race starts on tyres warmed by the formation lap and the start procedure:
                        // racing lap k runs at the grip of the set's lap k + 1 (0 being an out-lap).
                        match driver.lap(oracle, field.tyres.grip(lap + 1), kind, true) {
                            Ok(Some(l)) => {
                                laps.push(l);
                                fuel.push(driver.fuel_kg);
                            }
                            Ok(None) => break, // out of fuel: the car stops on this lap
                            Err(e) if timed => {
                                pending = Some(e);
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    Ok((laps, fuel, pending))
                })
                .collect::<Result<_>>()
        },
        || -> Result<f64> {
            if n > 1 {
                let grid_lap =
                    |behind_m: f64| oracle.lap(&full(format.fuel_kg, LapKind::Grid { behind_m }));
                let back = (n - 1) as f64;
                Ok((grid_lap(back * format.slot_spacing_m)?.time_s - grid_lap(0.0)?.time_s) / back)
            } else {
                Ok(0.0)
            }
        },
    );
    let (mut free, slot_s) = (free?, slot_s?);

    // Traffic, lap by lap in running order.
    let mut cars: Vec<CarRace> = (0..n)
        .map(|pos| CarRace {
            entry: grid[pos],
            grid: pos + 1,
            laps: Vec::with_capacity(max_laps as usize),
            total_s: 0.0,
            fuel_left_kg: format.fuel_kg,
            out_of_fuel_on_lap: None,
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect(); // indices into `cars`, running order of those still out
    let mut stopped: Vec<usize> = Vec::new(); // cars out of fuel, in the order they stopped
    let mut laps_run = 0;
    for lap in 0..max_laps as usize {
        // Cars out of fuel on this lap stop; the others cross the line in the previous running order, each
        // trying to pass the cars now ahead of it.
        let (running, dry): (Vec<usize>, Vec<usize>) =
            order.iter().partition(|&&c| free[c].0.len() > lap);
        // A lap the race needs but a car could not run for another reason than fuel is the race's error.
        for &c in &dry {
            if let Some(e) = free[c].2.take() {
                return Err(e);
            }
        }
        for &c in &dry {
            cars[c].out_of_fuel_on_lap = Some(lap as u32 + 1);
        }
        stopped.extend(dry);
        if running.is_empty() {
            order = running;
            break;
        }
        // (car, arrival): the final order of this lap.
        let mut line: Vec<(usize, f64)> = Vec::with_capacity(n);
        // Pace: each car's own undisturbed lap, not the lap traffic left it (a car held up or just passed is
        // no slower for it); on lap 1 without its slot's handicap (car `c` starts from grid slot `c`).
        let pace =
            |c: usize| free[c].0[lap].time_s - if lap == 0 { slot_s * c as f64 } else { 0.0 };
        for &c in &running {
            let lap_t = free[c].0[lap].time_s;
            let mut arrival = cars[c].total_s + lap_t;
            let mut pos = line.len();
            while pos > 0 {
                let (a, a_arrival) = line[pos - 1];
                if arrival >= a_arrival + format.min_gap_s {
                    break; // clear of the car ahead
                }
                if arrival < a_arrival && pace(a) - pace(c) > format.overtake_threshold_s {
                    pos -= 1; // a clean pass: now check the next car ahead
                    continue;
                }
                // Held up: follow at the minimum gap and lose time in its wake.
                arrival = a_arrival + format.min_gap_s + format.following_loss_s;
                break;
            }
            line.insert(pos, (c, arrival));
            // Cars just passed fall in behind the passer at the minimum gap at least.
            for j in pos + 1..line.len() {
                let floor = line[j - 1].1 + format.min_gap_s;
                if line[j].1 < floor {
                    line[j].1 = floor;
                }
            }
        }
        for &(c, arrival) in &line {
            let lap_t = arrival - cars[c].total_s;
            cars[c].laps.push(LapRecord {
                time_s: lap_t,
                slip: free[c].0[lap].slip,
            });
            cars[c].total_s = arrival;
            cars[c].fuel_left_kg = free[c].1[lap];
        }
        order = line.iter().map(|x| x.0).collect();
        laps_run = lap as u32 + 1;
        // A timed race ends when the leader crosses the line after the time has run out.
        if let RaceLength::Time(t) = format.length {
            if line[0].1 >= t {
                break;
            }
        }
    }
    // Finishers in running order, then the cars that stopped: more laps first, then the earlier stop last.
    stopped.sort_by(|&a, &b| {
        cars[b]
            .laps
            .len()
            .cmp(&cars[a].laps.len())
            .then(cars[a].total_s.total_cmp(&cars[b].total_s))
    });
    let classification = order
        .into_iter()
        .chain(stopped)
        .map(|c| cars[c].clone())
        .collect();
    Ok(RaceResult {
        classification,
        laps: laps_run,
    })
}
