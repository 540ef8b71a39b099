//! The lap oracle: one driver's lap under given conditions, solved by the QSS solver.

use serde::Serialize;

use crate::error::Result;

/// How a lap starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum LapKind {
    /// A flying lap (the periodic solution with these conditions).
    Flying,
    /// A standing start from a grid slot `behind_m` behind the line; the lap ends at the line after a full
    /// lap, so it is `behind_m` longer than the track.
    Grid {
        /// Distance of the grid slot behind the line (m).
        behind_m: f64,
    },
}

/// A slip: the corner nearest `at_fraction` of the lap taken at `speed_factor` of its limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slip {
    /// Where on the lap (0–1).
    pub at_fraction: f64,
    /// Share of the corner's limit speed the car keeps (0–1).
    pub speed_factor: f64,
}

/// One lap to solve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LapRequest {
    /// Share of the lateral grip used (skill × tyre state × this lap's scatter).
    pub grip_share: f64,
    /// Share of the traction used.
    pub traction_share: f64,
    /// Share of the braking used.
    pub brake_share: f64,
    /// Fuel on board at the start of the lap (kg).
    pub fuel_kg: f64,
    /// How the lap starts.
    pub kind: LapKind,
    /// A slip on this lap, if any.
    pub slip: Option<Slip>,
}

/// What a lap took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LapOutcome {
    /// Lap time (s).
    pub time_s: f64,
    /// Fuel burnt (kg).
    pub fuel_kg: f64,
}

/// Solves laps; shared by all the threads of a session.
pub trait LapOracle: Sync {
    /// Solves one lap.
    fn lap(&self, request: &LapRequest) -> Result<LapOutcome>;
}

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::solver::{CornerTable, LapSolver, LogCurvature, Start, Tables, Workspace};
use crate::track::Track;
use crate::vehicle::{Car, Envelope, Shares};

/// Fuel loads are rounded to this step (kg) to share envelopes between laps and drivers. The lap is then a
/// stair function of the fuel load, one stair a step: 0.58 ms at 0.05 kg (Oschersleben, measured), below the
/// 2 ms to which qualifying gaps must agree between steps (issue 14). The step was 0.5 kg (5.8 ms stairs):
/// the fuel burnt differs a little with the solver's step, so a load near a boundary rounded to different
/// loads at 0.25 m and 1 m and moved a gap by 5–6 ms. The cost: a session's loads span ~20 kg, ~400 tables of
/// ~1 ms each, built once per oracle (the weekend 1.5 → 2.1 s wall, +36 MB).
pub const FUEL_STEP_KG: f64 = 0.05;

/// The QSS oracle of a car on a track (the path the drivers take). For each fuel load (rounded to
/// [`FUEL_STEP_KG`]) it tabulates the car's envelope and corner limits once, shared by every driver and lap;
/// a lap then solves with the driver's shares ([`LapSolver::for_driver`]: grip scales the curvature,
/// traction and braking the tables, nothing is copied), takes the corner limits from the table (a slip is a
/// speed cap at a corner) and solves a flying lap, or for a grid start the braking profile and the traction
/// pass from rest at the grid slot, burning the fuel of that lap. Solver buffers are pooled, so a lap
/// allocates nothing.
pub struct QssOracle {
    car: Car,
    track: Track,
    log_kappa: LogCurvature,
    cache: Mutex<HashMap<i64, Arc<(Tables, CornerTable)>>>,
    pool: Mutex<Vec<Workspace>>,
}

impl QssOracle {
    /// An oracle for `car` on `track`.
    pub fn new(car: Car, track: Track) -> Self {
        Self {
            car,
            log_kappa: LogCurvature::new(&track),
            track,
            cache: Mutex::new(HashMap::new()),
            pool: Mutex::new(Vec::new()),
        }
    }
    /// The car.
    pub fn car(&self) -> &Car {
        &self.car
    }
    /// The track.
    pub fn track(&self) -> &Track {
        &self.track
    }

    /// The solver's tables and the corner table for a fuel load. Deterministic: whichever thread builds an entry, it is the
    /// same function of the rounded fuel load.
    fn base(&self, fuel_kg: f64) -> Result<Arc<(Tables, CornerTable)>> {
        let key = (fuel_kg / FUEL_STEP_KG).round() as i64;
        if let Some(b) = self
            .cache
            .lock()
            .map_err(|_| Error::Internal("oracle cache poisoned".into()))?
            .get(&key)
        {
            return Ok(Arc::clone(b));
        }
        // The rounded load stays within the tank (a request is within it: sessions start with at most a full
        // tank and only burn fuel), so rounding never makes the car an invalid one.
        let tank = self.car.params().mass.fuel_tank_kg;
        let car = self
            .car
            .with_fuel_kg((key as f64 * FUEL_STEP_KG).min(tank))?;
        let env = Envelope::new(&car);
        let table = CornerTable::new(&env);
        let entry = Arc::new((Tables::new(&env), table));
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| Error::Internal("oracle cache poisoned".into()))?;
        Ok(Arc::clone(cache.entry(key).or_insert(entry)))
    }

    /// Solves a lap with a solver built on `ws`; gives the buffers back whatever the outcome.
    fn lap_with(&self, r: &LapRequest, ws: Workspace) -> (Result<LapOutcome>, Workspace) {
        let shares = match Shares::new(r.grip_share, r.traction_share, r.brake_share) {
            Ok(s) => s,
            Err(e) => return (Err(e), ws),
        };
        if !(r.fuel_kg.is_finite() && r.fuel_kg >= 0.0) {
            let e = Error::Option {
                option: "fuel_kg".into(),
                value: r.fuel_kg.to_string(),
                message: "must be a mass ≥ 0".into(),
            };
            return (Err(e), ws);
        }
        if let Some(slip) = r.slip {
            if !(0.0..=1.0).contains(&slip.at_fraction) || !(0.0..=1.0).contains(&slip.speed_factor)
            {
                let e = Error::Option {
                    option: "slip".into(),
                    value: format!("{slip:?}"),
                    message: "position and speed factor must lie in [0, 1]".into(),
                };
                return (Err(e), ws);
            }
        }
        let base = match self.base(r.fuel_kg) {
            Ok(b) => b,
            Err(e) => return (Err(e), ws),
        };
        let mut solver =
            LapSolver::for_driver(&self.track, &base.0, &base.1, &self.log_kappa, shares, ws);
        let out = self.solve(r, &mut solver);
        (out, solver.into_workspace())
    }

    /// The lap of a request on a prepared solver: a slip, the flying lap, the fuel, a grid start.
    fn solve(&self, r: &LapRequest, solver: &mut LapSolver<'_>) -> Result<LapOutcome> {
        if let Some(slip) = r.slip {
            // The corner (local minimum of the corner limit) nearest the slip's position.
            let u = solver.corner_limits_m2ps2();
            let n = u.len();
            let target = (slip.at_fraction * n as f64) as usize % n;
            let corner = (0..n)
                .filter(|&i| u[i] <= u[(i + n - 1) % n] && u[i] < u[(i + 1) % n])
                .min_by_key(|&i: &usize| {
                    let d = i.abs_diff(target);
                    d.min(n - d)
                })
                .unwrap_or(target);
            let v = u[corner].sqrt() * slip.speed_factor;
            solver.cap_speed_at(corner, v)?;
        }
        let efficiency = self.car.params().driveline.efficiency_ratio;
        let (time_s, work) = match r.kind {
            LapKind::Flying => {
                let flying = solver.solve(Start::Flying)?;
                (flying.lap_time_s, solver.engine_work_j(efficiency)?)
            }
            // A grid start needs the braking profile only, not the flying lap.
            LapKind::Grid { behind_m } => {
                let g = solver.grid_lap(behind_m, efficiency)?;
                (g.time_s, g.engine_work_j)
            }
        };
        Ok(LapOutcome {
            time_s,
            fuel_kg: self.car.fuel_for_work_kg(work),
        })
    }
}

impl LapOracle for QssOracle {
    fn lap(&self, r: &LapRequest) -> Result<LapOutcome> {
        let pool = || {
            self.pool
                .lock()
                .map_err(|_| Error::Internal("oracle buffer pool poisoned".into()))
        };
        let ws = pool()?.pop().unwrap_or_default();
        let (out, ws) = self.lap_with(r, ws);
        pool()?.push(ws);
        out
    }
}
