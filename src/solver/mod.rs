//! Quasi-steady-state (QSS) lap solver for a point mass.
//!
//! 1. **Corner limit** at every point: the highest speed at which the tyres hold the lateral acceleration
//!    `v² |κ|` *and* the friction ellipse leaves the driven tyres enough to balance drag and rolling
//!    resistance (steady cornering), capped by the top speed. Found by bisection on the tabulated envelope
//!    (the condition is monotone in v: lateral demand grows with v² faster than downforce grip).
//! 2. **Forward pass** (traction) from the slowest corner, capped by the corner limits, with an upshift
//!    costing [`Envelope::shift_time_s`] without drive.
//! 3. **Backward pass** (braking) from the slowest corner, capped by the corner limits.
//! 4. The speed is the smaller of the two at every point.
//!
//! The slowest corner is a fixed point of both passes (its speed is its limit), so both start there, and
//! they are independent: they run interleaved in one loop, two dependency chains for the processor to overlap.
//! Taking the minimum of an uncapped-by-braking forward pass and the backward pass gives the same profile as a
//! forward pass capped by the braking profile: after a braking zone both restart from the corner limit at
//! the apex (an upshift interrupted by a corner limit is cancelled, as a driver lifting for the corner would).
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
use crate::vehicle::{Envelope, G_MPS2};

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

/// Solves laps of one track with one car envelope, reusing its buffers.
pub struct LapSolver<'a> {
    track: &'a Track,
    env: &'a Envelope,
    kappa_abs: Vec<f64>,
    g_sin: Vec<f64>,
    v_corner: Vec<f64>,
    u_lim: Vec<f64>,
    u_fwd: Vec<f64>,
    u_bwd: Vec<f64>,
    v: Vec<f64>,
    v_end: f64,
    last: Option<Lap>,
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

    /// Prepares the buffers with corner-limit speeds computed elsewhere (one per point, m/s), e.g. from a
    /// [`CornerTable`]; they are capped at the envelope's top speed.
    pub fn with_corner_speeds(track: &'a Track, env: &'a Envelope, mut v_corner: Vec<f64>) -> Self {
        let n = track.len();
        assert_eq!(v_corner.len(), n, "one corner speed per track point");
        let top = env.top_speed_mps();
        v_corner.iter_mut().for_each(|v| *v = v.min(top));
        let kappa_abs: Vec<f64> = track.curvature_1pm().iter().map(|k| k.abs()).collect();
        Self {
            track,
            env,
            g_sin: track.gradient().iter().map(|s| G_MPS2 * s).collect(),
            kappa_abs,
            u_lim: v_corner.iter().map(|v| v * v).collect(),
            v_corner,
            u_fwd: vec![0.0; n],
            u_bwd: vec![0.0; n],
            v: vec![0.0; n],
            v_end: 0.0,
            last: None,
        }
    }

    /// The track.
    pub fn track(&self) -> &Track {
        self.track
    }
    /// The envelope.
    pub fn envelope(&self) -> &Envelope {
        self.env
    }
    /// Corner-limit speed at each point (m/s), before any caps.
    pub fn corner_speeds_mps(&self) -> &[f64] {
        &self.v_corner
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
            None => {
                for (u, v) in self.u_lim.iter_mut().zip(&self.v_corner) {
                    *u = v * v;
                }
            }
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
                for ((u, &vc), &cap) in self.u_lim.iter_mut().zip(&self.v_corner).zip(c) {
                    let v = vc.min(cap);
                    *u = v * v;
                }
            }
        }
        self.last = None;
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

    fn solve_with(&mut self, start: Start, sequential: bool) -> Result<Lap> {
        let n = self.track.len();
        // The slowest point is a fixed point of both passes: its speed is its limit.
        let i0 = self
            .u_lim
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        let data = PassData {
            env: self.env,
            kappa_abs: &self.kappa_abs,
            g_sin: &self.g_sin,
            u_lim: &self.u_lim,
            ds: self.track.step_m(),
        };
        let run_fwd = |out: &mut [f64], pass: &Forward, u0: f64, st0: DriveState| {
            if sequential {
                passes::run_sequential(pass, &data, out, u0, st0)
            } else {
                passes::run_chunked(pass, &data, out, u0, st0)
            }
        };
        let bwd = Backward { start: i0, n };
        let u_i0 = self.u_lim[i0];
        if sequential {
            passes::run_sequential(&bwd, &data, &mut self.u_bwd, u_i0, true);
        } else {
            passes::run_chunked(&bwd, &data, &mut self.u_bwd, u_i0, true);
        }
        let (fwd, u0, st0) = match start {
            Start::Flying => (
                Forward { start: i0, n },
                u_i0,
                Forward { start: i0, n }.pinned(),
            ),
            Start::Standing => (Forward { start: 0, n }, 0.0, DriveState::in_gear(1)),
        };
        let (mut arrival, mut state) = run_fwd(&mut self.u_fwd, &fwd, u0, st0);
        let mut residual = 0.0;
        if start == Start::Flying {
            // Periodicity: repeat the forward pass from where it arrived until it closes on itself.
            let mut converged = false;
            for _ in 0..MAX_FORWARD_LAPS {
                residual = (arrival.sqrt() - self.u_fwd[i0].sqrt()).abs();
                if residual < PERIODIC_TOLERANCE_MPS {
                    converged = true;
                    break;
                }
                (arrival, state) = run_fwd(&mut self.u_fwd, &fwd, arrival, state);
            }
            if !converged {
                return Err(Error::Solver(format!(
                    "the flying lap did not become periodic in {MAX_FORWARD_LAPS} laps (residual {residual:.3e} m/s)"
                )));
            }
        }
        // Final profile and lap time.
        let ds = self.track.step_m();
        for ((v, &uf), &ub) in self.v.iter_mut().zip(&self.u_fwd).zip(&self.u_bwd) {
            *v = uf.min(ub).sqrt();
        }
        self.v_end = match start {
            Start::Flying => self.v[0],
            Start::Standing => arrival.min(self.u_bwd[0]).sqrt(),
        };
        let mut time = 0.0;
        for i in 0..n {
            let vj = if i + 1 == n {
                self.v_end
            } else {
                self.v[i + 1]
            };
            let vsum = self.v[i] + vj;
            if vsum <= 0.0 {
                return Err(Error::Solver(format!(
                    "the car stops at s = {:.1} m and cannot go on (a slope steeper than it can climb, or a \
                     stop imposed at two consecutive points)",
                    self.track.s_m()[i]
                )));
            }
            time += 2.0 * ds / vsum;
        }
        if !time.is_finite() {
            return Err(Error::Solver("the lap time is not finite".into()));
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
    /// lap (so `behind_m` longer than the track). Uses the braking profile of the last solved lap (solve a
    /// flying lap first); the traction pass runs from rest and is capped by it. Returns the time (s).
    pub fn grid_lap_time_s(&self, behind_m: f64) -> Result<f64> {
        if self.last.is_none() {
            return Err(Error::Solver(
                "solve a flying lap before a grid start".into(),
            ));
        }
        if !(behind_m.is_finite() && behind_m >= 0.0 && behind_m < self.track.length_m()) {
            return Err(Error::Option {
                option: "grid slot behind_m".into(),
                value: behind_m.to_string(),
                message: "must lie between 0 m and the track length".into(),
            });
        }
        let n = self.track.len();
        let ds = self.track.step_m();
        let k = (behind_m / ds).round() as usize;
        let start = (n - k) % n;
        let pass = Forward { start, n };
        let data = PassData {
            env: self.env,
            kappa_abs: &self.kappa_abs,
            g_sin: &self.g_sin,
            u_lim: &self.u_lim,
            ds,
        };
        let mut st = DriveState::in_gear(1);
        let (mut u, mut time) = (0.0_f64, 0.0);
        let mut i = start;
        for _ in 0..(n + k) {
            let j = if i + 1 == n { 0 } else { i + 1 };
            let next = pass.step(&data, i, j, u, &mut st).min(self.u_bwd[j]);
            let vsum = u.sqrt() + next.sqrt();
            if vsum <= 0.0 {
                return Err(Error::Solver("the car cannot move off the grid".into()));
            }
            time += 2.0 * ds / vsum;
            u = next;
            i = j;
        }
        Ok(time)
    }

    /// Work the engine delivered over the last solved lap (J): the drive force each segment needed, over its
    /// length, divided by the driveline efficiency. Drive force: `(m + m_rot) a + R + m g sin θ` where positive
    /// (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2); braking and coasting burn nothing.
    pub fn engine_work_j(&self, driveline_efficiency: f64) -> Result<f64> {
        let lap = self
            .last
            .ok_or_else(|| Error::Solver("no lap solved yet".into()))?;
        let n = self.track.len();
        let ds = self.track.step_m();
        let m = self.env.mass_kg();
        let mut work = 0.0;
        for i in 0..n {
            let vi = self.v[i];
            let vj = if i + 1 == n {
                lap.v_end_mps
            } else {
                self.v[i + 1]
            };
            let a = (vj * vj - vi * vi) / (2.0 * ds);
            let node = self.env.at(vi);
            let force = m * (a / node.rot_ratio + node.resist_mps2 + self.g_sin[i]);
            if force > 0.0 {
                work += force * ds;
            }
        }
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

/// Corner-limit speeds of an envelope tabulated against curvature (log-spaced, interpolated as a power law:
/// `v ∝ κ^(−1/2)` where grip limits, so log v is nearly linear in log κ) and against the driver's traction
/// share (which sets how much of the ellipse is needed to balance drag: up to 0.2 % of the speed at 280 km/h).
/// For a driver using a share `g` of the lateral grip, the lateral limit `v² κ = g a_y,max(v)` is the
/// unscaled one at `κ / g`, so one table per fuel load serves every driver ([`CornerTable::speed_mps`]).
#[derive(Debug, Clone)]
pub struct CornerTable {
    log_k0: f64,
    dlog_k: f64,
    /// `log_v[s][i]`: traction share `TRACTION_SHARES[s]`, curvature index `i`.
    log_v: Vec<Vec<f64>>,
    top_mps: f64,
}

impl CornerTable {
    /// Smallest and largest curvature tabulated (1/m): a 10 km radius (grip never limits) to a 2 m one.
    pub const K_RANGE: (f64, f64) = (1e-4, 0.5);
    /// Table size in curvature.
    pub const POINTS: usize = 1024;
    /// Traction shares tabulated (interpolated linearly between, clamped outside).
    pub const TRACTION_SHARES: [f64; 4] = [0.85, 0.9, 0.95, 1.0];

    /// Tabulates the corner-limit speed of `env`.
    pub fn new(env: &Envelope) -> Self {
        let (k0, k1) = Self::K_RANGE;
        let (log_k0, log_k1) = (k0.ln(), k1.ln());
        let dlog_k = (log_k1 - log_k0) / (Self::POINTS - 1) as f64;
        let log_v = Self::TRACTION_SHARES
            .iter()
            .map(|&t| {
                // The tabulated shares are constants in (0, 1]: scaling cannot fail.
                let e = env.with_shares(1.0, t, 1.0).unwrap_or_else(|_| env.clone());
                (0..Self::POINTS)
                    .map(|i| {
                        let k = (log_k0 + i as f64 * dlog_k).exp();
                        corner_speed_below(&e, k, e.v_table_max_mps())
                            .max(1e-9)
                            .ln()
                    })
                    .collect()
            })
            .collect();
        Self {
            log_k0,
            dlog_k,
            log_v,
            top_mps: env.top_speed_mps(),
        }
    }

    /// Corner-limit speed at curvature magnitude `kappa_abs` for a driver using `grip_share` of the lateral
    /// grip and `traction_share` of the traction (m/s).
    pub fn speed_mps(&self, kappa_abs: f64, grip_share: f64, traction_share: f64) -> f64 {
        let k = kappa_abs / grip_share;
        if k <= Self::K_RANGE.0 {
            return self.top_mps;
        }
        let x_raw = (k.ln() - self.log_k0) / self.dlog_k;
        let last = (Self::POINTS - 1) as f64;
        // Beyond the tightest tabulated radius, extend as v ∝ κ^(−1/2) (grip-limited, aero negligible).
        let beyond = (x_raw - last).max(0.0) * self.dlog_k;
        let x = x_raw.min(last - 1e-9);
        let i = x as usize;
        let f = x - i as f64;
        let ts = &Self::TRACTION_SHARES;
        let t = traction_share.clamp(ts[0], ts[ts.len() - 1]);
        let s = ts.partition_point(|&v| v <= t).clamp(1, ts.len() - 1) - 1;
        let g = (t - ts[s]) / (ts[s + 1] - ts[s]);
        let at = |row: &Vec<f64>| row[i] + f * (row[i + 1] - row[i]);
        let lv =
            at(&self.log_v[s]) + g * (at(&self.log_v[s + 1]) - at(&self.log_v[s])) - 0.5 * beyond;
        lv.exp().min(self.top_mps)
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
