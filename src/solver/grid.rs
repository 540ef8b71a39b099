//! Laps from a grid slot: a standing start some metres behind the line, then a full lap, with the engine's
//! work along it.

use serde::Serialize;

use super::passes::{self, DriveState, Forward, Pass};
use super::{brake_point, segment_time_sum, LapSolver};
use crate::error::{Error, Result};

/// A lap from a grid slot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridLap {
    /// From rest at the slot to the line after a full lap (s).
    pub time_s: f64,
    /// Work the engine delivered over it (J).
    pub engine_work_j: f64,
}

impl LapSolver<'_> {
    /// A lap from a standing start on a grid slot `behind_m` behind the line, ending at the line after a full
    /// lap (so `behind_m` longer than the track). Uses the braking profile of the current limits (the last
    /// solve's, or computed here: no flying lap is needed); the traction pass runs from rest and is capped by
    /// it. Returns the time (s).
    pub fn grid_lap_time_s(&mut self, behind_m: f64) -> Result<f64> {
        Ok(self.grid_lap(behind_m, 1.0)?.time_s)
    }

    /// [`Self::grid_lap_time_s`] with the engine's work along that lap (as in [`Self::engine_work_j`], with
    /// the driveline efficiency): a start from rest burns the fuel that builds the car's speed, which a
    /// flying lap already has.
    ///
    /// The traction pass from rest is capped at every point by the corner limit and by the braking profile of
    /// the same limits, as in [`Self::solve`]; held at either cap it is pinned (at a corner limit the car is
    /// in its best gear, and leaves it in the faster of that and the next one up; braking, it shifts down to
    /// its best gear and has no upshift pending). From the slot
    /// to the line it is one chain; from the line it runs a full lap as chunks on lanes like [`Self::solve`],
    /// bit for bit the sequential pass ([`Self::grid_lap_reference`]).
    pub fn grid_lap(&mut self, behind_m: f64, driveline_efficiency: f64) -> Result<GridLap> {
        self.grid_lap_with(behind_m, driveline_efficiency, false)
    }

    /// [`Self::grid_lap`] with the lap from the line as one sequential chain: the reference it reproduces.
    pub fn grid_lap_reference(
        &mut self,
        behind_m: f64,
        driveline_efficiency: f64,
    ) -> Result<GridLap> {
        self.grid_lap_with(behind_m, driveline_efficiency, true)
    }

    fn grid_lap_with(
        &mut self,
        behind_m: f64,
        driveline_efficiency: f64,
        sequential: bool,
    ) -> Result<GridLap> {
        if !(behind_m.is_finite() && behind_m >= 0.0 && behind_m < self.track.length_m()) {
            return Err(Error::Option {
                option: "grid slot behind_m".into(),
                value: behind_m.to_string(),
                message: "must lie between 0 m and the track length".into(),
            });
        }
        if !self.braking_current {
            self.braking_pass(sequential);
        }
        let n = self.track.len();
        let ds = self.track.step_m();
        let inv_2ds = 1.0 / (2.0 * ds);
        let work = self.tables.work_table();
        let k = (behind_m / ds).round() as usize;
        // The traction passes record their upshifts' kinks afresh.
        self.ws.kinks.start();
        // Capped by the braking profile, which the corner limits cap (see `solve_with`).
        let data = pass_data!(self, &self.ws.u_bwd);
        // From the slot to the line: one chain.
        let view = if sequential {
            passes::View::reference(&data, n)
        } else {
            passes::View::new(&data, n)
        };
        let pass = Forward {
            start: (n - k) % n,
            n,
        };
        let mut st = DriveState::in_gear(1);
        let (mut u, mut time, mut force_sum) = (0.0_f64, 0.0, 0.0);
        let mut i = pass.start;
        for _ in 0..k {
            let j = pass.next(i);
            let u_next = pass.step(&view, i, j, u, &mut st);
            // A cell timed through its inner points where this chain's step recorded them, or where it rides
            // the braking profile through a cell the braking pass sub-stepped (`solver::kink`), as in the lap.
            time += self
                .ws
                .kinks
                .time_of(i, u, u_next, ds)
                .or_else(|| self.ws.brake_kinks.time_of(i, u, u_next, ds))
                .unwrap_or_else(|| 2.0 * ds / (u.sqrt() + u_next.sqrt()));
            force_sum += work.drive_force_n(u, u_next, self.ws.g_sin[i], inv_2ds);
            (u, i) = (u_next, j);
        }
        // From the line, a full lap.
        let lap = Forward { start: 0, n };
        let (arrival, _) = if sequential {
            passes::run_sequential(&lap, &data, &mut self.ws.u_fwd, u, st)
        } else {
            passes::run_chunked(&lap, &data, &mut self.ws.u_fwd, u, st)
        };
        // Lap time and work of that profile (its speeds in the spare buffer: `v` keeps the last solved lap's).
        let mut speeds = std::mem::take(&mut self.ws.u_aux);
        for (v, &uf) in speeds.iter_mut().zip(&self.ws.u_fwd) {
            *v = uf.sqrt();
        }
        time += segment_time_sum(&speeds, arrival.sqrt(), ds)
            + self.ws.apex.correction(&self.ws.u_fwd, &speeds, ds)
            + brake_point::BrakePoints::correction(
                &self.ws.u_fwd,
                &self.ws.u_bwd,
                &self.ws.u_lim,
                &speeds,
                ds,
            )
            + self.ws.kinks.correction(&self.ws.u_fwd, &speeds, ds)
            + self.ws.brake_kinks.correction(&self.ws.u_fwd, &speeds, ds);
        self.ws.u_aux = speeds;
        force_sum += self.force_sum_n(&self.ws.u_fwd, |u| u, arrival);
        if !time.is_finite() {
            return Err(Error::GridStall { behind_m });
        }
        Ok(GridLap {
            time_s: time,
            engine_work_j: force_sum * ds / driveline_efficiency,
        })
    }
}
