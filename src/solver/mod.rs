//! Quasi-steady-state (QSS) lap solver for a point mass.
//!
//! 1. **Corner limit** at every point: the highest speed at which the tyres hold the lateral acceleration
//!    `v² |κ|` *and* the friction ellipse leaves the driven tyres enough to balance drag and rolling
//!    resistance (steady cornering), capped by the top speed. Found by bisection on the tabulated envelope
//!    (the condition is monotone in v: lateral demand grows with v² faster than downforce grip).
//! 2. **Backward pass** (braking) from the slowest corner, around the loop: `v_i² = v_{i+1}² + 2 d ds`.
//! 3. **Forward pass** (traction) capped by the backward profile: `v_{i+1}² = v_i² + 2 a ds`, with an
//!    upshift costing [`Envelope::shift_time_s`] without drive.
//!
//! Both passes integrate `d(v²)/ds = 2a` with Heun's method (explicit trapezoid, second order), so halving
//! the step changes the lap by far less than the first-order scheme would. A segment's time is exact for
//! constant acceleration: `dt = 2 ds / (v_i + v_{i+1})`.
//!
//! A flying lap is periodic: the passes start at the slowest corner, whose speed is known (its corner limit),
//! and the forward pass repeats until the speed at that point agrees with itself one lap later. A standing
//! lap starts from rest at the line and ends at the line at speed.
//!
//! The passes allocate nothing: every buffer is sized once per track in [`LapSolver::new`].
//!
//! References: e.g. W. F. Milliken & D. L. Milliken, *Race Car Vehicle Dynamics* (1995), ch. 2.3 (lap
//! simulation); A. Heilmeier et al., "Application of Monte Carlo methods to consider probabilistic effects in
//! a race simulation", Applied Sciences 10 (2020) (the forward/backward QSS scheme of TUM's laptime-simulation).

mod telemetry;

pub use telemetry::{LapSummary, Telemetry};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::track::Track;
use crate::vehicle::Envelope;

/// Tolerance of the flying lap's periodicity: speed at the start point one lap later (m/s).
pub const PERIODIC_TOLERANCE_MPS: f64 = 1e-6;
/// Relative speed band below an upshift point in which the car keeps the higher gear. An upshift loses at
/// most `shift_time × (drag + rolling resistance) / m` ≈ 0.1 s × 1 m/s² = 0.1 m/s, far inside 3 % of any
/// shift speed; braking zones pass through the band in a few metres, and the drive force there is taken
/// from the best gear (a slight overestimate within the band, on a decelerating car that does not use it).
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
    v_corner: Vec<f64>,
    v_lim: Vec<f64>,
    v_bwd: Vec<f64>,
    v: Vec<f64>,
    gear: Vec<u8>,
    v_end: f64,
    last: Option<Lap>,
}

impl<'a> LapSolver<'a> {
    /// Prepares the buffers and the corner-limit speeds of `track` for `env`.
    pub fn new(track: &'a Track, env: &'a Envelope) -> Self {
        let n = track.len();
        let kappa_abs: Vec<f64> = track.curvature_1pm().iter().map(|k| k.abs()).collect();
        let v_corner: Vec<f64> = kappa_abs
            .iter()
            .map(|&k| corner_speed_mps(env, k))
            .collect();
        Self {
            track,
            env,
            kappa_abs,
            v_lim: v_corner.clone(),
            v_corner,
            v_bwd: vec![0.0; n],
            v: vec![0.0; n],
            gear: vec![1; n],
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
    /// Gear at each point of the last solved lap.
    pub fn gears(&self) -> &[u8] {
        &self.gear
    }
    /// The last solved lap.
    pub fn last_lap(&self) -> Option<Lap> {
        self.last
    }

    /// Imposes extra speed limits (m/s) per point — a stop (0), a pit-lane limit — on top of the corner limits;
    /// `None` removes them.
    pub fn set_speed_caps(&mut self, caps_mps: Option<&[f64]>) -> Result<()> {
        match caps_mps {
            None => self.v_lim.copy_from_slice(&self.v_corner),
            Some(c) => {
                if c.len() != self.v_lim.len() {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: format!("{} values", c.len()),
                        message: format!("need one per track point ({})", self.v_lim.len()),
                    });
                }
                if let Some((i, v)) = c.iter().enumerate().find(|(_, v)| v.is_nan() || **v < 0.0) {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: v.to_string(),
                        message: format!("at point {i}: must be a speed ≥ 0 (infinity for none)"),
                    });
                }
                for ((l, &cv), &c) in self.v_lim.iter_mut().zip(&self.v_corner).zip(c) {
                    *l = cv.min(c);
                }
            }
        }
        self.last = None;
        Ok(())
    }

    /// Solves a lap.
    pub fn solve(&mut self, start: Start) -> Result<Lap> {
        let n = self.track.len();
        let ds = self.track.step_m();
        // The slowest point is a fixed point of both passes: its speed is its limit.
        let i0 = self
            .v_lim
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        self.backward(i0, ds);
        let lap = match start {
            Start::Flying => {
                let mut v_start = self.v_bwd[i0];
                let mut gear = self.env.gear_at(v_start);
                let mut residual = f64::INFINITY;
                let mut time = 0.0;
                for _ in 0..MAX_FORWARD_LAPS {
                    let (t, v_next, g_next) = self.forward(i0, v_start, gear, ds)?;
                    time = t;
                    residual = (v_next - v_start).abs();
                    v_start = v_next;
                    gear = g_next;
                    if residual < PERIODIC_TOLERANCE_MPS {
                        break;
                    }
                }
                if residual >= PERIODIC_TOLERANCE_MPS {
                    return Err(Error::Solver(format!(
                        "the flying lap did not become periodic in {MAX_FORWARD_LAPS} laps (residual {residual:.3e} m/s)"
                    )));
                }
                self.v_end = self.v[0];
                Lap {
                    start,
                    lap_time_s: time,
                    v_start_mps: self.v[0],
                    v_end_mps: self.v[0],
                    periodicity_residual_mps: residual,
                }
            }
            Start::Standing => {
                let (t, v_next, _) = self.forward(0, 0.0, 1, ds)?;
                self.v_end = v_next;
                Lap {
                    start,
                    lap_time_s: t,
                    v_start_mps: 0.0,
                    v_end_mps: v_next,
                    periodicity_residual_mps: 0.0,
                }
            }
        };
        if n == 0 || !lap.lap_time_s.is_finite() {
            return Err(Error::Solver("the lap time is not finite".into()));
        }
        self.last = Some(lap);
        Ok(lap)
    }

    /// Braking pass around the loop from `i0`, where the speed is its limit.
    fn backward(&mut self, i0: usize, ds: f64) {
        let n = self.v_lim.len();
        let env = self.env;
        let grad = self.track.gradient();
        self.v_bwd[i0] = self.v_lim[i0];
        let mut j = i0;
        for _ in 1..n {
            let i = if j == 0 { n - 1 } else { j - 1 };
            let vj = self.v_bwd[j];
            let sin = grad[i];
            let d1 = env.at(vj).decel_mps2(vj * vj * self.kappa_abs[j], sin);
            let vp = (vj * vj + 2.0 * d1 * ds).max(0.0).sqrt().min(self.v_lim[i]);
            let d2 = env.at(vp).decel_mps2(vp * vp * self.kappa_abs[i], sin);
            let vi = (vj * vj + (d1 + d2) * ds).max(0.0).sqrt();
            self.v_bwd[i] = vi.min(self.v_lim[i]);
            j = i;
        }
    }

    /// Traction pass over one lap from `i0` at `v_start` in `gear`, capped by the braking profile.
    /// Returns (time, speed arriving back at `i0`, gear there).
    fn forward(&mut self, i0: usize, v_start: f64, gear: u8, ds: f64) -> Result<(f64, f64, u8)> {
        let n = self.v_lim.len();
        let env = self.env;
        let grad = self.track.gradient();
        let shift_time = env.shift_time_s();
        let mut gear_cur = gear;
        let mut shift_left = 0.0_f64;
        let mut vi = v_start;
        let mut time = 0.0;
        let mut i = i0;
        for _ in 0..n {
            let j = if i + 1 == n { 0 } else { i + 1 };
            self.v[i] = vi;
            // Upshift as soon as the next gear pulls harder (or the limiter is reached), paying the shift
            // time; downshift only once the speed is SHIFT_HYSTERESIS below the upshift point, so the speed
            // lost during an upshift does not undo it.
            let best = env.gear_at(vi);
            if best > gear_cur {
                if shift_time > 0.0 {
                    shift_left = shift_time;
                }
                gear_cur = best;
            } else if best < gear_cur {
                gear_cur = env.gear_at(vi * (1.0 + SHIFT_HYSTERESIS)).min(gear_cur);
            }
            self.gear[i] = gear_cur;
            // Share of this segment with the drive engaged (an upshift may end inside it).
            let share = if shift_left > 0.0 {
                let dt_est = ds / vi.max(0.5);
                1.0 - (shift_left / dt_est).min(1.0)
            } else {
                1.0
            };
            let sin = grad[i];
            let cap = self.v_bwd[j];
            let a1 = env
                .at(vi)
                .accel_mps2(vi * vi * self.kappa_abs[i], sin, share);
            let vp = (vi * vi + 2.0 * a1 * ds).max(0.0).sqrt().min(cap);
            let a2 = env
                .at(vp)
                .accel_mps2(vp * vp * self.kappa_abs[j], sin, share);
            let vj = (vi * vi + (a1 + a2) * ds).max(0.0).sqrt().min(cap);
            let vsum = vi + vj;
            if vsum <= 0.0 {
                return Err(Error::Solver(format!(
                    "the car stops at s = {:.1} m and cannot go on (a slope steeper than it can climb, or a \
                     stop imposed at two consecutive points)",
                    self.track.s_m()[i]
                )));
            }
            let dt = 2.0 * ds / vsum;
            time += dt;
            shift_left = (shift_left - dt).max(0.0);
            vi = vj;
            i = j;
        }
        Ok((time, vi, gear_cur))
    }

    /// Per-point telemetry of the last solved lap.
    pub fn telemetry(&self) -> Result<Telemetry> {
        let lap = self
            .last
            .ok_or_else(|| Error::Solver("no lap solved yet".into()))?;
        Ok(Telemetry::new(self, lap))
    }
}

/// Corner-limit speed for a curvature magnitude `kappa_abs` (1/m): the highest speed at which the lateral
/// demand fits the tyres and the ellipse leaves the tyres enough to balance drag and rolling resistance; the
/// top speed where grip never limits.
pub fn corner_speed_mps(env: &Envelope, kappa_abs: f64) -> f64 {
    let v_top = env.top_speed_mps();
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
