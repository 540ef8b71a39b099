//! Quasi-steady-state (QSS) lap solver for a point mass.
//!
//! 1. **Corner limit** at every point: the highest speed at which the tyres hold the lateral acceleration
//!    `v² |κ|` *and* the friction ellipse leaves the driven tyres enough to balance drag and rolling
//!    resistance (steady cornering), capped by the top speed. Found by bisection on the tabulated envelope
//!    (the condition is monotone in v: lateral demand grows with v² faster than downforce grip).
//! 2. **Backward pass** (braking) from the slowest corner, capped by the corner limits: the braking profile.
//! 3. **Forward pass** (traction) from the slowest corner, capped by the corner limits and the braking
//!    profile, with an upshift costing [`Envelope::shift_time_s`] without drive. Where it is held at either
//!    cap it is pinned: at a corner limit the car is in its best gear, and on the braking profile it is
//!    braking, in its best gear with no upshift pending (a driver lifting for a corner cancels the upshift).
//!    That is the speed profile.
//!
//! The slowest corner is a fixed point of both passes (its speed is its limit), so both start there. Along a
//! braking profile the forward pass stays pinned without evaluating the envelope (the profile falls faster
//! than drag and gravity alone could slow the car: `PassTables::forward_step_reaches`).
//!
//! Both passes integrate `du/ds = 2a` in `u = v²` with Heun's method (explicit trapezoid, second order), so
//! halving the step changes the lap by far less than a first-order scheme would, and no square root sits in
//! the loop-carried chain. A segment's time is exact for constant acceleration: `dt = 2 ds / (v_i + v_{i+1})`.
//!
//! A flying lap is periodic: the forward pass repeats until the speed at its start point agrees with itself
//! one lap later. A standing lap starts from rest at the line and ends at the line at speed.
//!
//! The passes allocate nothing: every buffer is sized once per track in [`LapSolver::new`].
//!
//! References: e.g. W. F. Milliken & D. L. Milliken, *Race Car Vehicle Dynamics* (1995), ch. 2.3 (lap
//! simulation); M. Brayshaw, *The optimisation of car setup using a lap-time simulation* (PhD, Cranfield,
//! 2004), ch. 3 (the QSS forward/backward scheme).

mod passes;
mod telemetry;

use passes::{Backward, DriveState, Forward, Pass, PassData};

pub use telemetry::{LapSummary, Telemetry};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::track::Track;
use crate::vehicle::{Envelope, Shares, G_MPS2};

/// Tolerance of the flying lap's periodicity: speed at the start point one lap later (m/s).
pub const PERIODIC_TOLERANCE_MPS: f64 = 1e-6;
/// Relative speed band below an upshift point in which the car keeps the higher gear. An upshift loses at
/// most `shift_time × (drag + rolling resistance) / m` ≈ 0.1 s × 1 m/s² = 0.1 m/s, far inside 3 % of any
/// shift speed; braking zones pass through the band in a few metres, and the drive force there is taken
/// from the best gear (a slight overestimate within the band, on a decelerating car that does not use it).
/// Only the forward pass's upshift timing depends on it.
pub const SHIFT_HYSTERESIS: f64 = 0.03;
/// Most forward laps tried before a flying lap is declared non-periodic.
pub const MAX_FORWARD_LAPS: usize = 20;

/// How the lap starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Start {
    /// A flying lap: the periodic solution, crossing the line at the same speed at both ends.
    Flying,
    /// A standing start from rest at the line (first gear, clutch slipping at the launch speed).
    Standing,
}

/// A lap from a grid slot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridLap {
    /// From rest at the slot to the line after a full lap (s).
    pub time_s: f64,
    /// Work the engine delivered over it (J).
    pub engine_work_j: f64,
}

/// The outcome of one solve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lap {
    /// How it started.
    pub start: Start,
    /// Lap time (s).
    pub lap_time_s: f64,
    /// Speed at the line at the start (m/s).
    pub v_start_mps: f64,
    /// Speed at the line at the end (m/s).
    pub v_end_mps: f64,
    /// Flying lap: change of the start-point speed over the last forward lap (m/s); 0 for a standing lap.
    pub periodicity_residual_mps: f64,
}

/// The buffers of a [`LapSolver`], one value per track point each: kept between solvers (of any track or
/// envelope) so that a session's thousands of laps allocate nothing ([`LapSolver::for_driver`],
/// [`LapSolver::into_workspace`]).
#[derive(Debug, Default)]
pub struct Workspace {
    kappa_abs: Vec<f64>,
    g_sin: Vec<f64>,
    u_corner: Vec<f64>,
    u_lim: Vec<f64>,
    u_fwd: Vec<f64>,
    u_bwd: Vec<f64>,
    u_aux: Vec<f64>,
    v: Vec<f64>,
}

impl Workspace {
    /// Sizes every buffer to `n` points (allocating only when they grow).
    fn resize(&mut self, n: usize) {
        for b in [
            &mut self.kappa_abs,
            &mut self.g_sin,
            &mut self.u_corner,
            &mut self.u_lim,
            &mut self.u_fwd,
            &mut self.u_bwd,
            &mut self.u_aux,
            &mut self.v,
        ] {
            b.resize(n, 0.0);
        }
    }
}

/// Solves laps of one track with one car envelope, reusing its buffers.
pub struct LapSolver<'a> {
    track: &'a Track,
    env: &'a Envelope,
    shares: Shares,
    /// |κ| / grip share at each point: a driver using a share `g` of the lateral grip meets the lateral limit
    /// `v² |κ| = g a_y,max` where the car meets it at `|κ| / g`.
    kappa_abs: Vec<f64>,
    g_sin: Vec<f64>,
    /// Corner-limit squared speed at each point, before any caps (m²/s²).
    u_corner: Vec<f64>,
    u_lim: Vec<f64>,
    u_fwd: Vec<f64>,
    u_bwd: Vec<f64>,
    /// Speeds of a grid start's lap (a spare buffer, so that `v` keeps the last solved lap's).
    u_aux: Vec<f64>,
    v: Vec<f64>,
    v_end: f64,
    last: Option<Lap>,
    /// Whether `u_bwd` is the braking profile of the current limits `u_lim`.
    braking_current: bool,
}

/// The passes' view of a solver's per-point data with limits `u_lim` (a macro, so that it borrows only the
/// fields it names and the passes may write into the solver's other buffers).
macro_rules! pass_data {
    ($s:ident, $u_lim:expr) => {
        PassData {
            env: $s.env,
            kappa_abs: &$s.kappa_abs,
            g_sin: &$s.g_sin,
            u_lim: $u_lim,
            ds: $s.track.step_m(),
            shares: $s.shares,
        }
    };
}

impl<'a> LapSolver<'a> {
    /// Prepares the buffers and the corner-limit speeds of `track` for `env`.
    pub fn new(track: &'a Track, env: &'a Envelope) -> Self {
        let v_corner: Vec<f64> = track
            .curvature_1pm()
            .iter()
            .map(|&k| corner_speed_mps(env, k.abs()))
            .collect();
        Self::with_corner_speeds(track, env, v_corner)
    }

    /// Prepares the buffers with corner-limit speeds computed elsewhere (one per point, m/s); they are capped
    /// at the envelope's top speed.
    pub fn with_corner_speeds(track: &'a Track, env: &'a Envelope, v_corner: Vec<f64>) -> Self {
        let n = track.len();
        assert_eq!(v_corner.len(), n, "one corner speed per track point");
        let top = env.top_speed_mps();
        let mut ws = Workspace::default();
        ws.resize(n);
        for (u, &v) in ws.u_corner.iter_mut().zip(&v_corner) {
            let v = v.min(top);
            *u = v * v;
        }
        for (k, &c) in ws.kappa_abs.iter_mut().zip(track.curvature_1pm()) {
            *k = c.abs();
        }
        Self::from_workspace(track, env, Shares::FULL, ws)
    }

    /// A solver for a driver using `shares` of the car's capacities, with the corner limits from `table` (the
    /// table of `env`) and the buffers of `ws`: no allocation once `ws` has held a track this long.
    /// `log_kappa` is [`LogCurvature::new`] of `track`.
    pub fn for_driver(
        track: &'a Track,
        env: &'a Envelope,
        table: &CornerTable,
        log_kappa: &LogCurvature,
        shares: Shares,
        mut ws: Workspace,
    ) -> Self {
        let n = track.len();
        assert!(
            log_kappa.len() == n && log_kappa.length_m.to_bits() == track.length_m().to_bits(),
            "the log-curvature must be that of this track"
        );
        assert!(
            table.top_mps.to_bits() == env.top_speed_mps().to_bits(),
            "the corner table must be that of this envelope"
        );
        ws.resize(n);
        let inv_grip = 1.0 / shares.grip();
        for (k, &c) in ws.kappa_abs.iter_mut().zip(track.curvature_1pm()) {
            *k = c.abs() * inv_grip;
        }
        table.fill_u(
            log_kappa,
            shares.grip(),
            shares.traction(),
            &mut ws.u_corner,
        );
        Self::from_workspace(track, env, shares, ws)
    }

    /// Finishes a solver whose `u_corner` and `kappa_abs` are filled.
    fn from_workspace(
        track: &'a Track,
        env: &'a Envelope,
        shares: Shares,
        mut ws: Workspace,
    ) -> Self {
        for (g, s) in ws.g_sin.iter_mut().zip(track.gradient()) {
            *g = G_MPS2 * s;
        }
        ws.u_lim.copy_from_slice(&ws.u_corner);
        Self {
            track,
            env,
            shares,
            kappa_abs: ws.kappa_abs,
            g_sin: ws.g_sin,
            u_corner: ws.u_corner,
            u_lim: ws.u_lim,
            u_fwd: ws.u_fwd,
            u_bwd: ws.u_bwd,
            u_aux: ws.u_aux,
            v: ws.v,
            v_end: 0.0,
            last: None,
            braking_current: false,
        }
    }

    /// Gives the buffers back for the next solver.
    pub fn into_workspace(self) -> Workspace {
        Workspace {
            kappa_abs: self.kappa_abs,
            g_sin: self.g_sin,
            u_corner: self.u_corner,
            u_lim: self.u_lim,
            u_fwd: self.u_fwd,
            u_bwd: self.u_bwd,
            u_aux: self.u_aux,
            v: self.v,
        }
    }

    /// The shares of the car's capacities this solver's driver uses.
    pub fn shares(&self) -> Shares {
        self.shares
    }

    /// The track.
    pub fn track(&self) -> &Track {
        self.track
    }
    /// The envelope.
    pub fn envelope(&self) -> &Envelope {
        self.env
    }
    /// Corner-limit speed at each point (m/s), before any caps: the square roots of
    /// [`Self::corner_limits_m2ps2`], computed on each call (the solver keeps squared speeds).
    pub fn corner_speeds_mps(&self) -> Vec<f64> {
        self.u_corner.iter().map(|u| u.sqrt()).collect()
    }
    /// Corner-limit squared speed at each point (m²/s²), before any caps.
    pub fn corner_limits_m2ps2(&self) -> &[f64] {
        &self.u_corner
    }
    /// Speed at each point of the last solved lap (m/s).
    pub fn speeds_mps(&self) -> &[f64] {
        &self.v
    }
    /// The last solved lap.
    pub fn last_lap(&self) -> Option<Lap> {
        self.last
    }

    /// Imposes extra speed limits (m/s) per point — a stop (0), a pit-lane limit — on top of the corner limits;
    /// `None` removes them. Infinity means no cap.
    pub fn set_speed_caps(&mut self, caps_mps: Option<&[f64]>) -> Result<()> {
        match caps_mps {
            None => self.u_lim.copy_from_slice(&self.u_corner),
            Some(c) => {
                if c.len() != self.u_lim.len() {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: format!("{} values", c.len()),
                        message: format!("need one per track point ({})", self.u_lim.len()),
                    });
                }
                if let Some((i, v)) = c.iter().enumerate().find(|(_, v)| v.is_nan() || **v < 0.0) {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: v.to_string(),
                        message: format!("at point {i}: must be a speed ≥ 0 (infinity for none)"),
                    });
                }
                for ((u, &uc), &cap) in self.u_lim.iter_mut().zip(&self.u_corner).zip(c) {
                    *u = uc.min(cap * cap);
                }
            }
        }
        self.last = None;
        self.braking_current = false;
        Ok(())
    }

    /// Caps the speed at point `i` at `v_mps` (on top of the corner limit and any caps already set): a slip,
    /// a stop. Allocates nothing.
    pub fn cap_speed_at(&mut self, i: usize, v_mps: f64) -> Result<()> {
        if i >= self.u_lim.len() || v_mps.is_nan() || v_mps < 0.0 {
            return Err(Error::Option {
                option: "speed cap".into(),
                value: format!("{v_mps} m/s at point {i}"),
                message: format!("needs a point below {} and a speed ≥ 0", self.u_lim.len()),
            });
        }
        self.u_lim[i] = self.u_lim[i].min(v_mps * v_mps);
        self.last = None;
        self.braking_current = false;
        Ok(())
    }

    /// Solves a lap.
    pub fn solve(&mut self, start: Start) -> Result<Lap> {
        self.solve_with(start, false)
    }

    /// Solves a lap with each pass as one sequential chain: the straightforward reference that
    /// [`LapSolver::solve`] reproduces bit for bit (tests and benchmarks compare the two).
    pub fn solve_reference(&mut self, start: Start) -> Result<Lap> {
        self.solve_with(start, true)
    }

    /// The braking profile of the current limits into `u_bwd`, from the slowest point (a fixed point of both
    /// passes: its speed is its limit), which it returns.
    fn braking_pass(&mut self, sequential: bool) -> usize {
        let n = self.track.len();
        let i0 = first_minimum(&self.u_lim);
        let data = pass_data!(self, &self.u_lim);
        let bwd = Backward { start: i0, n };
        if sequential {
            passes::run_sequential(&bwd, &data, &mut self.u_bwd, self.u_lim[i0], true);
        } else {
            passes::run_chunked(&bwd, &data, &mut self.u_bwd, self.u_lim[i0], true);
        }
        self.braking_current = true;
        i0
    }

    fn solve_with(&mut self, start: Start, sequential: bool) -> Result<Lap> {
        let n = self.track.len();
        let i0 = self.braking_pass(sequential);
        // The braking profile is capped by the corner limits (every value it holds is clamped to them), so it
        // is the traction pass's cap: min(corner limit, braking profile).
        let data = pass_data!(self, &self.u_bwd);
        let run_fwd = |out: &mut [f64], pass: &Forward, u0: f64, st0: DriveState| {
            if sequential {
                passes::run_sequential(pass, &data, out, u0, st0)
            } else {
                passes::run_chunked(pass, &data, out, u0, st0)
            }
        };
        let u_i0 = self.u_lim[i0];
        let (fwd, u0, st0) = match start {
            Start::Flying => (
                Forward { start: i0, n },
                u_i0,
                Forward { start: i0, n }.pinned(),
            ),
            Start::Standing => (Forward { start: 0, n }, 0.0, DriveState::in_gear(1)),
        };
        let (mut arrival, mut state) = run_fwd(&mut self.u_fwd, &fwd, u0, st0);
        let (mut residual, mut converged) = (0.0, true);
        if start == Start::Flying {
            // Periodicity: repeat the forward pass from where it arrived until it closes on itself.
            converged = false;
            for _ in 0..MAX_FORWARD_LAPS {
                residual = (arrival.sqrt() - self.u_fwd[i0].sqrt()).abs();
                if residual < PERIODIC_TOLERANCE_MPS {
                    converged = true;
                    break;
                }
                (arrival, state) = run_fwd(&mut self.u_fwd, &fwd, arrival, state);
            }
        }
        if !converged {
            return Err(Error::Solver(format!(
                "the flying lap did not become periodic in {MAX_FORWARD_LAPS} laps (residual {residual:.3e} m/s)"
            )));
        }
        // Final profile and lap time.
        let ds = self.track.step_m();
        // The forward pass is capped by the braking profile: it is the profile.
        for (v, &uf) in self.v.iter_mut().zip(&self.u_fwd) {
            *v = uf.sqrt();
        }
        self.v_end = match start {
            Start::Flying => self.v[0],
            Start::Standing => arrival.min(self.u_bwd[0]).sqrt(),
        };
        let time = segment_time_sum(&self.v, self.v_end, ds);
        if !time.is_finite() {
            // A segment with both ends at rest (a NaN cannot arise: every u is clamped to ≥ 0).
            let stop = (0..n).find(|&i| {
                self.v[i]
                    + if i + 1 == n {
                        self.v_end
                    } else {
                        self.v[i + 1]
                    }
                    <= 0.0
            });
            let Some(stop) = stop else {
                return Err(Error::Solver("the lap time is not finite".into()));
            };
            return Err(Error::Solver(format!(
                "the car stops at s = {:.1} m and cannot go on (a slope steeper than it can climb, or a \
                 stop imposed at two consecutive points)",
                self.track.s_m()[stop]
            )));
        }
        let lap = Lap {
            start,
            lap_time_s: time,
            v_start_mps: self.v[0],
            v_end_mps: self.v_end,
            periodicity_residual_mps: residual,
        };
        self.last = Some(lap);
        Ok(lap)
    }

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
    /// in its best gear; braking, it shifts down to its best gear and has no upshift pending). From the slot
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
        let work = self.env.work_table();
        let k = (behind_m / ds).round() as usize;
        // Capped by the braking profile, which the corner limits cap (see `solve_with`).
        let data = pass_data!(self, &self.u_bwd);
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
            time += 2.0 * ds / (u.sqrt() + u_next.sqrt());
            force_sum += work.drive_force_n(u, u_next, self.g_sin[i], inv_2ds);
            (u, i) = (u_next, j);
        }
        // From the line, a full lap.
        let lap = Forward { start: 0, n };
        let (arrival, _) = if sequential {
            passes::run_sequential(&lap, &data, &mut self.u_fwd, u, st)
        } else {
            passes::run_chunked(&lap, &data, &mut self.u_fwd, u, st)
        };
        // Lap time and work of that profile (its speeds in the spare buffer: `v` keeps the last solved lap's).
        let mut speeds = std::mem::take(&mut self.u_aux);
        for (v, &uf) in speeds.iter_mut().zip(&self.u_fwd) {
            *v = uf.sqrt();
        }
        time += segment_time_sum(&speeds, arrival.sqrt(), ds);
        self.u_aux = speeds;
        force_sum += self.force_sum_n(&self.u_fwd, |u| u, arrival);
        if !time.is_finite() {
            return Err(Error::Solver("the car cannot move off the grid".into()));
        }
        Ok(GridLap {
            time_s: time,
            engine_work_j: force_sum * ds / driveline_efficiency,
        })
    }

    /// Σ of the positive drive force over the segments of a lap whose squared speed at point `p` is
    /// `to_u(x[p])`, ending at `u_end` (N): four independent sums (segment `p` in sum `p mod 4`), added in a
    /// fixed order. Each point's `u` is computed once.
    fn force_sum_n(&self, x: &[f64], to_u: impl Fn(f64) -> f64, u_end: f64) -> f64 {
        let n = self.track.len();
        let inv_2ds = 1.0 / (2.0 * self.track.step_m());
        let (x, g) = (&x[..n], &self.g_sin[..n]);
        let work = self.env.work_table();
        let f = |u_i: f64, u_j: f64, g_i: f64| work.drive_force_n(u_i, u_j, g_i, inv_2ds);
        let mut acc = [0.0_f64; 4];
        let mut u0 = to_u(x[0]);
        // Chunk c holds the ends x[4c + 1 ..= 4c + 4] of segments 4c .. 4c + 3.
        let (xc, gc) = (x[1..].chunks_exact(4), g.chunks_exact(4));
        let full = xc.len() * 4;
        for (xs, gs) in xc.zip(gc) {
            for l in 0..4 {
                let u1 = to_u(xs[l]);
                acc[l] += f(u0, u1, gs[l]);
                u0 = u1;
            }
        }
        let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for p in full..n - 1 {
            let u1 = to_u(x[p + 1]);
            sum += f(u0, u1, g[p]);
            u0 = u1;
        }
        sum + f(u0, u_end, g[n - 1])
    }

    /// Work the engine delivered over the last solved lap (J): the drive force each segment needed, over its
    /// length, divided by the driveline efficiency. Drive force: `(m + m_rot) a + R + m g sin θ` where positive
    /// (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2); braking and coasting burn nothing.
    pub fn engine_work_j(&self, driveline_efficiency: f64) -> Result<f64> {
        let lap = self
            .last
            .ok_or_else(|| Error::Solver("no lap solved yet".into()))?;
        let ds = self.track.step_m();
        let force_sum = self.force_sum_n(&self.v, |v| v * v, lap.v_end_mps * lap.v_end_mps);
        let work = force_sum * ds;
        Ok(work / driveline_efficiency)
    }

    /// Per-point telemetry of the last solved lap.
    pub fn telemetry(&self) -> Result<Telemetry> {
        let lap = self
            .last
            .ok_or_else(|| Error::Solver("no lap solved yet".into()))?;
        Ok(Telemetry::new(self, lap))
    }
}

/// Index of the first smallest value of `u` (none is NaN): a minimum over eight lanes, which vectorises, then
/// the first index that holds it. Same as `min_by(total_cmp)` for values that are never NaN or −0.
fn first_minimum(u: &[f64]) -> usize {
    let mut lanes = [f64::INFINITY; 8];
    let mut chunks = u.chunks_exact(8);
    for c in &mut chunks {
        for l in 0..8 {
            lanes[l] = if c[l] < lanes[l] { c[l] } else { lanes[l] };
        }
    }
    let m = chunks
        .remainder()
        .iter()
        .chain(&lanes)
        .fold(f64::INFINITY, |a, &b| if b < a { b } else { a });
    u.iter().position(|&x| x == m).unwrap_or(0)
}

/// Lap time of a speed profile (s): `Σ 2 ds / (v_i + v_{i+1})` (exact for constant acceleration over each
/// segment), the last segment ending at `v_end`. Summed in eight lanes (which vectorise) and then pairwise:
/// a fixed order, so the sum is deterministic. Infinite if a segment has both ends at rest.
fn segment_time_sum(v: &[f64], v_end: f64, ds: f64) -> f64 {
    let n = v.len();
    let two_ds = 2.0 * ds;
    let (a, b) = (&v[..n - 1], &v[1..]);
    let mut acc = [0.0_f64; 8];
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += two_ds / (x[l] + y[l]);
        }
    }
    let mut time =
        ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        time += two_ds / (x + y);
    }
    time + two_ds / (v[n - 1] + v_end)
}

/// Corner-limit speeds of an envelope tabulated against curvature (log-spaced) and against the driver's
/// traction share (which sets how much of the ellipse is needed to balance drag: up to 0.2 % of the speed at
/// 280 km/h). The table holds the lateral acceleration at the limit, `y = v² κ`, which varies slowly (with
/// the downforce) where grip limits, so linear interpolation in `ln κ` is accurate; the limit is then
/// `u = v² = y / κ`, and beyond the tightest tabulated radius `y` is held (grip-limited, aero negligible:
/// `v ∝ κ^(−1/2)`). For a driver using a share `g` of the lateral grip, the lateral limit
/// `v² κ = g a_y,max(v)` is the unscaled one at `κ / g`, so one table per fuel load serves every driver
/// ([`CornerTable::speed_mps`], [`CornerTable::fill_u`]).
#[derive(Debug, Clone)]
pub struct CornerTable {
    log_k0: f64,
    dlog_k: f64,
    /// `y[s * POINTS + i] = v² κ` at traction share `TRACTION_SHARES[s]` and curvature index `i` (m/s²).
    y: Vec<f64>,
    /// Per traction share: how many segments of the table, from the gentlest curvature, give a limit above
    /// the top speed anywhere inside them (so a look-up there would return the top speed).
    fast_segments: [usize; CornerTable::TRACTION_SHARES.len()],
    top_mps: f64,
}

impl CornerTable {
    /// Smallest and largest curvature tabulated (1/m): a 10 km radius (grip never limits) to a 2 m one.
    pub const K_RANGE: (f64, f64) = (1e-4, 0.5);
    /// Table size in curvature.
    pub const POINTS: usize = 1024;
    /// Traction shares tabulated (interpolated linearly in 1/t between, clamped outside). A field's drivers use
    /// 0.85–1 of the traction, times the tyres' state (0.9 on an out-lap) and their lap-to-lap scatter, so
    /// shares down to ~0.7 occur; the rows reach 0.5, every 0.05.
    pub const TRACTION_SHARES: [f64; 11] =
        [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];

    /// Tabulates the corner-limit speed of `env`.
    pub fn new(env: &Envelope) -> Self {
        let (k0, k1) = Self::K_RANGE;
        let (log_k0, log_k1) = (k0.ln(), k1.ln());
        let dlog_k = (log_k1 - log_k0) / (Self::POINTS - 1) as f64;
        let y: Vec<f64> = Self::TRACTION_SHARES
            .iter()
            .flat_map(|&t| {
                // The tabulated shares are constants in (0, 1]: scaling cannot fail.
                let e = env.with_shares(1.0, t, 1.0).unwrap_or_else(|_| env.clone());
                (0..Self::POINTS)
                    .map(|i| {
                        let k = (log_k0 + i as f64 * dlog_k).exp();
                        // Searched well beyond the table's top: where the limit meets the top speed the
                        // tabulated curve must not have a kink (from the cap of the search) in the same segment.
                        let v = corner_speed_below(&e, k, 2.0 * e.v_table_max_mps());
                        v * v * k
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        // A segment [i, i + 1) is fast if both its nodes' limits `u = y / κ` exceed the top speed squared (with
        // a margin for rounding): inside it, `y` is interpolated linearly and `κ` grows exponentially, so
        // `u(x) ≥ min(u_i, u_{i+1}) ((1 − f) κ_i + f κ_{i+1}) / κ(x) ≥ min(u_i, u_{i+1})` (the chord of a convex
        // function lies above it), and every look-up there is capped to the top speed.
        let top2 = env.top_speed_mps() * env.top_speed_mps();
        let u_node = |row: &[f64], i: usize| row[i] / (log_k0 + i as f64 * dlog_k).exp();
        let fast_segments = std::array::from_fn(|s| {
            let row = &y[s * Self::POINTS..(s + 1) * Self::POINTS];
            (0..Self::POINTS - 1)
                .take_while(|&i| u_node(row, i).min(u_node(row, i + 1)) >= top2 * (1.0 + 1e-9))
                .count()
        });
        Self {
            log_k0,
            dlog_k,
            y,
            fast_segments,
            top_mps: env.top_speed_mps(),
        }
    }

    /// The rows and weight of a traction share: rows `s` and `s + 1`, weight `w` on the second.
    fn traction_rows(traction_share: f64) -> (usize, f64) {
        let ts = &Self::TRACTION_SHARES;
        let t = traction_share.clamp(ts[0], ts[ts.len() - 1]);
        let s = ts.partition_point(|&v| v <= t).clamp(1, ts.len() - 1) - 1;
        // Linear in 1/t: where the traction limits a corner, the tyres must leave `resist / (t a_x)` of the
        // ellipse for drag, so the limit moves with 1/t far more linearly than with t.
        (s, (1.0 / t - 1.0 / ts[s]) / (1.0 / ts[s + 1] - 1.0 / ts[s]))
    }

    /// The rows of traction shares `s` and `s + 1`.
    fn rows(&self, s: usize) -> (&[f64], &[f64]) {
        let p = Self::POINTS;
        (
            &self.y[s * p..(s + 1) * p],
            &self.y[(s + 1) * p..(s + 2) * p],
        )
    }

    /// `v² κ` at table position `x ≥ 0` (clamped to the last node) between rows `r0` and `r1`.
    #[inline(always)]
    fn y_at(r0: &[f64], r1: &[f64], w: f64, x: f64) -> f64 {
        // Plain comparisons (x is never NaN here), so selects rather than `f64::min`'s NaN handling.
        let last = (Self::POINTS - 1) as f64 - 1e-9;
        let x = if x < last { x } else { last };
        let (i, f) = crate::vehicle::envelope::cell_from_zero(x);
        let y0 = r0[i] + f * (r0[i + 1] - r0[i]);
        let y1 = r1[i] + f * (r1[i + 1] - r1[i]);
        y0 + w * (y1 - y0)
    }

    /// Corner-limit speed at curvature magnitude `kappa_abs` for a driver using `grip_share` of the lateral
    /// grip and `traction_share` of the traction (m/s).
    pub fn speed_mps(&self, kappa_abs: f64, grip_share: f64, traction_share: f64) -> f64 {
        let k = kappa_abs / grip_share;
        if k <= Self::K_RANGE.0 {
            return self.top_mps;
        }
        let (s, w) = Self::traction_rows(traction_share);
        let (r0, r1) = self.rows(s);
        let x = (k.ln() - self.log_k0) / self.dlog_k;
        let y = Self::y_at(r0, r1, w, x);
        (y / k).sqrt().min(self.top_mps)
    }

    /// Corner-limit squared speeds (m²/s²) along a track for a driver using `grip_share` and `traction_share`:
    /// `v² = (v² κ)(κ / g) · g / κ` with `ln |κ|` and `1 / |κ|` precomputed ([`LogCurvature`]). Capped at the
    /// top speed. A multiply-add, two interpolations and two multiplies a point.
    pub fn fill_u(
        &self,
        curvature: &LogCurvature,
        grip_share: f64,
        traction_share: f64,
        out_m2ps2: &mut [f64],
    ) {
        self.fill_u_with(curvature, grip_share, traction_share, out_m2ps2, true);
    }

    /// [`Self::fill_u`], with or without skipping the look-up on the fast segments (the same result).
    fn fill_u_with(
        &self,
        curvature: &LogCurvature,
        grip_share: f64,
        traction_share: f64,
        out_m2ps2: &mut [f64],
        skip_fast: bool,
    ) {
        let (s, w) = Self::traction_rows(traction_share);
        let (r0, r1) = self.rows(s);
        let inv_dlog = 1.0 / self.dlog_k;
        // x = (ln|κ| − ln g − ln κ0) / Δ.
        let offset = -(grip_share.ln() + self.log_k0) * inv_dlog;
        let top2 = self.top_mps * self.top_mps;
        // Below this position the limit is above the top speed (see `fast_segments`): no look-up.
        let x_fast = if skip_fast {
            self.fast_segments[s].min(self.fast_segments[s + 1]) as f64
        } else {
            0.0
        };
        for ((u, &lk), &ik) in out_m2ps2
            .iter_mut()
            .zip(&curvature.log_abs)
            .zip(&curvature.inv_abs)
        {
            let x = lk * inv_dlog + offset;
            *u = if x >= x_fast && x > 0.0 {
                let u = Self::y_at(r0, r1, w, x) * ik * grip_share;
                if u < top2 {
                    u
                } else {
                    top2
                }
            } else {
                top2
            };
        }
    }
}

/// `ln |κ|` and `1 / |κ|` at each point of a track (−∞ and ∞ on a straight): where each point falls in a
/// [`CornerTable`] and the factor from `v² κ` to `v²`, computed once per track rather than once per lap.
#[derive(Debug, Clone)]
pub struct LogCurvature {
    log_abs: Vec<f64>,
    inv_abs: Vec<f64>,
    /// Length of the track it was computed for (m), to check it is used with that track.
    length_m: f64,
}

impl LogCurvature {
    /// The log-curvature of `track`.
    pub fn new(track: &Track) -> Self {
        let k = track.curvature_1pm();
        Self {
            log_abs: k.iter().map(|k| k.abs().ln()).collect(),
            inv_abs: k.iter().map(|k| 1.0 / k.abs()).collect(),
            length_m: track.length_m(),
        }
    }
    /// Number of points.
    pub fn len(&self) -> usize {
        self.log_abs.len()
    }
    /// Whether it has no points.
    pub fn is_empty(&self) -> bool {
        self.log_abs.is_empty()
    }
}

/// Corner-limit speed for a curvature magnitude `kappa_abs` (1/m): the highest speed at which the lateral
/// demand fits the tyres and the ellipse leaves the tyres enough to balance drag and rolling resistance; the
/// top speed where grip never limits.
pub fn corner_speed_mps(env: &Envelope, kappa_abs: f64) -> f64 {
    corner_speed_below(env, kappa_abs, env.top_speed_mps())
}

/// The grip limit of [`corner_speed_mps`] searched up to `v_top` (the top speed, or higher for a table that
/// must not have a kink where the limit meets the top speed).
fn corner_speed_below(env: &Envelope, kappa_abs: f64, v_top: f64) -> f64 {
    let feasible = |v: f64| {
        let node = env.at(v);
        let ay = v * v * kappa_abs;
        ay < node.ay_max_mps2 && node.ax_traction_mps2 * node.ellipse_share(ay) >= node.resist_mps2
    };
    if feasible(v_top) {
        return v_top;
    }
    let (mut lo, mut hi) = (0.0, v_top);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if feasible(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-9 {
            break;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skipping the look-up on the fast segments of the corner table changes nothing, bit for bit, over
    /// every curvature from a straight to a hairpin and a range of shares; and it does skip.
    #[test]
    fn corner_table_fast_segments_are_exact() {
        let car = crate::vehicle::Car::from_toml_str(
            "gt3",
            include_str!("../../cars/porsche_997_gt3_cup.toml"),
        )
        .unwrap();
        let env = Envelope::new(&car);
        let table = CornerTable::new(&env);
        // Interpolating a row at t = 1 from the cell below gives the next node exactly (what makes the table
        // cell of an odd integer position, `envelope::cell`, agree with a floor bit for bit).
        let bad: Vec<usize> = table
            .y
            .chunks(CornerTable::POINTS)
            .flat_map(|row| row.windows(2).enumerate())
            .filter(|(_, w)| (w[0] + 1.0 * (w[1] - w[0])).to_bits() != w[1].to_bits())
            .map(|(i, _)| i)
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert!(
            table.fast_segments.iter().all(|&n| n > 100),
            "{:?}",
            table.fast_segments
        );
        let kappa: Vec<f64> = (0..20_000)
            .map(|i| {
                if i % 997 == 0 {
                    0.0
                } else {
                    1e-5 * (1e5_f64).powf(i as f64 / 20_000.0)
                }
            })
            .collect();
        let curvature = LogCurvature {
            log_abs: kappa.iter().map(|k| k.ln()).collect(),
            inv_abs: kappa.iter().map(|k| 1.0 / k).collect(),
            length_m: 0.0,
        };
        let (mut a, mut b) = (vec![0.0; kappa.len()], vec![0.0; kappa.len()]);
        for (g, t) in [
            (1.0, 1.0),
            (0.97, 0.93),
            (0.85, 0.86),
            (0.6, 0.5),
            (0.99, 0.875),
        ] {
            table.fill_u_with(&curvature, g, t, &mut a, true);
            table.fill_u_with(&curvature, g, t, &mut b, false);
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "shares {g} {t}"
            );
        }
    }
}
