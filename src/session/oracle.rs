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
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Error;
use crate::solver::{CornerTable, LapSolver, LogCurvature, Start, Tables, Workspace};
use crate::track::Track;
use crate::vehicle::{Car, Envelope, Shares};

/// Spacing of the fuel loads (kg) at which the oracle tabulates the car's envelope and corner limits; a lap
/// at a load between two of them uses their tables interpolated linearly ([`Tables::blend_into`],
/// [`CornerTable::blend_into`]), so the lap is a continuous function of the fuel (issue 14: no stairs in a
/// car parameter). Every tabulated field is a smooth function of the mass, so the interpolation's error is
/// second order in the spacing: at 1 kg the lap differs from the lap with the exact load's tables by
/// microseconds (`oracle_lap_is_continuous_in_the_fuel_load`, tests/field.rs, measures it). Rounding the load
/// instead, as the oracle did before, made the lap a stair function (0.58 ms a stair at 0.05 kg, 5.8 ms at
/// 0.5 kg) and cost a table per 0.05 kg.
pub const FUEL_NODE_KG: f64 = 1.0;

/// The QSS oracle of a car on a track (the path the drivers take). At fuel loads [`FUEL_NODE_KG`] apart it
/// tabulates the car's envelope and corner limits once, shared by every driver and lap; a lap interpolates
/// the tables of the two loads around its own, then solves with the driver's shares
/// ([`LapSolver::for_driver`]: grip scales the curvature, traction and braking the tables, nothing is
/// copied), takes the corner limits from the table (a slip is a speed cap at a corner) and solves a flying
/// lap, or for a grid start the braking profile and the traction pass from rest at the grid slot, burning the
/// fuel of that lap. Solver buffers and the interpolated tables are pooled, so a lap allocates nothing.
pub struct QssOracle {
    car: Car,
    track: Track,
    log_kappa: LogCurvature,
    /// Tables per fuel node, keyed by the load in units of `FUEL_NODE_KG`.
    cache: Mutex<HashMap<i64, NodeCell>>,
    /// Whether the tables of nodes `k` and `k + 1` have the same layout, by `k` (checked once a pair).
    layouts: Mutex<HashMap<i64, bool>>,
    pool: Mutex<Vec<Pooled>>,
}

/// A fuel node's tables, built once by whichever thread needs them first.
type NodeCell = Arc<OnceLock<Arc<(Tables, CornerTable)>>>;

/// A lap's buffers: the solver's, and the tables interpolated for its fuel load (`None` until needed).
#[derive(Default)]
struct Pooled {
    ws: Workspace,
    blend: Option<Box<(Tables, CornerTable)>>,
}

/// The tables a lap uses: a fuel node's own, two nodes' with the weight of the second, or the load's own
/// (where the two nodes' layouts differ).
enum FuelTables {
    Node(Arc<(Tables, CornerTable)>),
    Between(Arc<(Tables, CornerTable)>, Arc<(Tables, CornerTable)>, f64),
    Exact(f64),
}

impl QssOracle {
    /// An oracle for `car` on `track`.
    pub fn new(car: Car, track: Track) -> Self {
        Self {
            car,
            log_kappa: LogCurvature::new(&track),
            track,
            cache: Mutex::new(HashMap::new()),
            layouts: Mutex::new(HashMap::new()),
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

    /// The fuel load of node `key` (kg): `key` node spacings, at most a full tank.
    fn node_fuel_kg(&self, key: i64) -> f64 {
        (key as f64 * FUEL_NODE_KG).min(self.car.params().mass.fuel_tank_kg)
    }

    /// The envelope's tables and corner table at a fuel load (within the tank).
    fn tables_at(&self, fuel_kg: f64) -> Result<(Tables, CornerTable)> {
        Ok(tables_of(&self.car.with_fuel_kg(fuel_kg)?))
    }

    /// The solver's tables and the corner table at fuel node `key`. Deterministic: whichever thread builds
    /// an entry, it is the same function of the key.
    fn node(&self, key: i64) -> Result<Arc<(Tables, CornerTable)>> {
        let lock = || {
            self.cache
                .lock()
                .map_err(|_| Error::Internal("oracle cache poisoned".into()))
        };
        // One cell a node, taken under the lock and filled outside it: threads that need the same node at
        // once (the whole field reaches a new load together) wait for one build instead of each building it.
        let cell = Arc::clone(lock()?.entry(key).or_default());
        if let Some(b) = cell.get() {
            return Ok(Arc::clone(b));
        }
        // The node's load is within the tank (`node_fuel_kg`), so the car stays a valid one.
        let car = self.car.with_fuel_kg(self.node_fuel_kg(key))?;
        Ok(Arc::clone(cell.get_or_init(|| Arc::new(tables_of(&car)))))
    }

    /// Whether the tables of nodes `lo` and `lo + 1` have the same layout ([`Tables::same_layout`]),
    /// checked once a pair.
    fn same_layout(
        &self,
        lo: i64,
        a: &(Tables, CornerTable),
        b: &(Tables, CornerTable),
    ) -> Result<bool> {
        let lock = || {
            self.layouts
                .lock()
                .map_err(|_| Error::Internal("oracle layout cache poisoned".into()))
        };
        if let Some(&same) = lock()?.get(&lo) {
            return Ok(same);
        }
        let same = a.0.same_layout(&b.0);
        lock()?.insert(lo, same);
        Ok(same)
    }

    /// The tables for a fuel load within the tank (`lap_with` checks it): the nodes below and above it and
    /// the weight of the one above. The load's own tables where the two nodes' layouts differ, where
    /// interpolating would mix two gears' drive: a guard only, never met, since the best gear at a speed is the
    /// one with the largest wheel force ([`Car::best_drive`]), which does not depend on the mass, and so
    /// neither do the tables' gears, bands and upshifts.
    fn fuel_tables(&self, fuel_kg: f64) -> Result<FuelTables> {
        let lo = (fuel_kg / FUEL_NODE_KG).floor() as i64;
        let (fa, fb) = (self.node_fuel_kg(lo), self.node_fuel_kg(lo + 1));
        let a = self.node(lo)?;
        let w = if fb > fa {
            (fuel_kg - fa) / (fb - fa)
        } else {
            0.0
        };
        // At a node (or a full tank, where both nodes are the tank) its own tables.
        if w <= 0.0 {
            return Ok(FuelTables::Node(a));
        }
        let b = self.node(lo + 1)?;
        Ok(if self.same_layout(lo, &a, &b)? {
            FuelTables::Between(a, b, w)
        } else {
            FuelTables::Exact(fuel_kg)
        })
    }

    /// Solves a lap with the pooled buffers `p`; gives them back whatever the outcome.
    fn lap_with(&self, r: &LapRequest, p: Pooled) -> (Result<LapOutcome>, Pooled) {
        let shares = match Shares::new(r.grip_share, r.traction_share, r.brake_share) {
            Ok(s) => s,
            Err(e) => return (Err(e), p),
        };
        let tank = self.car.params().mass.fuel_tank_kg;
        if !(r.fuel_kg.is_finite() && r.fuel_kg >= 0.0 && r.fuel_kg <= tank) {
            let e = Error::Option {
                option: "fuel_kg".into(),
                value: r.fuel_kg.to_string(),
                message: format!("must be a mass from 0 to the car's tank ({tank} kg)"),
            };
            return (Err(e), p);
        }
        if let Some(slip) = r.slip {
            if !(0.0..=1.0).contains(&slip.at_fraction) || !(0.0..=1.0).contains(&slip.speed_factor)
            {
                let e = Error::Option {
                    option: "slip".into(),
                    value: format!("{slip:?}"),
                    message: "position and speed factor must lie in [0, 1]".into(),
                };
                return (Err(e), p);
            }
        }
        match self.fuel_tables(r.fuel_kg) {
            Ok(t) => self.lap_on(r, shares, &t, p),
            Err(e) => (Err(e), p),
        }
    }

    /// [`Self::lap_with`] on the tables `tables` of the request's fuel load.
    fn lap_on(
        &self,
        r: &LapRequest,
        shares: Shares,
        tables: &FuelTables,
        mut p: Pooled,
    ) -> (Result<LapOutcome>, Pooled) {
        let base: &(Tables, CornerTable) = match tables {
            FuelTables::Node(a) => a,
            FuelTables::Between(a, b, w) => {
                let out = p.blend.get_or_insert_with(|| Box::new((**a).clone()));
                a.0.blend_into(&b.0, *w, &mut out.0);
                a.1.blend_into(&b.1, *w, &mut out.1);
                out
            }
            // Built for this lap alone (it allocates; a guard, never met: see `fuel_tables`).
            FuelTables::Exact(f) => match self.tables_at(*f) {
                Ok(t) => p.blend.insert(Box::new(t)),
                Err(e) => return (Err(e), p),
            },
        };
        let ws = std::mem::take(&mut p.ws);
        let mut solver =
            LapSolver::for_driver(&self.track, &base.0, &base.1, &self.log_kappa, shares, ws);
        let out = self.solve(r, &mut solver);
        p.ws = solver.into_workspace();
        (out, p)
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

/// The solver's tables and the corner table of `car`'s envelope.
fn tables_of(car: &Car) -> (Tables, CornerTable) {
    let env = Envelope::new(car);
    (Tables::new(&env), CornerTable::new(&env))
}

impl LapOracle for QssOracle {
    fn lap(&self, r: &LapRequest) -> Result<LapOutcome> {
        let pool = || {
            self.pool
                .lock()
                .map_err(|_| Error::Internal("oracle buffer pool poisoned".into()))
        };
        let p = pool()?.pop().unwrap_or_default();
        let (out, p) = self.lap_with(r, p);
        pool()?.push(p);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::Start;
    use crate::track::{Centerline, TrackOptions};

    /// The load's own tables (the guard's path where two fuel nodes' layouts would differ, never met: see
    /// `fuel_tables`) give the lap of a solver on those tables, and the lap between two nodes on their
    /// interpolated tables lies within microseconds of it. A load above the tank is an error.
    #[test]
    fn a_lap_on_the_loads_own_tables_is_the_solvers() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let car = Car::from_file(&root.join("cars/porsche_997_gt3_cup.toml")).unwrap();
        let centreline = Centerline::from_file(&root.join("tracks/oschersleben.csv")).unwrap();
        let track = Track::new(&centreline, TrackOptions::default()).unwrap();
        let oracle = QssOracle::new(car.clone(), track.clone());
        let r = LapRequest {
            grip_share: 0.97,
            traction_share: 0.96,
            brake_share: 0.95,
            fuel_kg: 30.5,
            kind: LapKind::Flying,
            slip: None,
        };
        let shares = Shares::new(0.97, 0.96, 0.95).unwrap();
        let (exact, _) = oracle.lap_on(&r, shares, &FuelTables::Exact(30.5), Pooled::default());
        let (t, c) = oracle.tables_at(30.5).unwrap();
        let mut solver = LapSolver::for_driver(
            &track,
            &t,
            &c,
            &LogCurvature::new(&track),
            shares,
            Workspace::default(),
        );
        let lap = solver.solve(Start::Flying).unwrap().lap_time_s;
        assert_eq!(exact.unwrap().time_s, lap);
        let between = oracle.lap(&r).unwrap().time_s;
        assert!((between - lap).abs() < 1e-5, "{between} against {lap}");
        let over = LapRequest {
            fuel_kg: car.params().mass.fuel_tank_kg + 0.5,
            ..r
        };
        let e = oracle.lap(&over).unwrap_err().to_string();
        assert!(e.contains("fuel_kg") && e.contains("tank"), "{e}");
    }
}
