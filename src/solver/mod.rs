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
//!    It leaves a corner limit in its best gear or the next one up, whichever is faster (a driver does not
//!    take a gear he must shift out of a few metres after the apex: `passes::Forward::depart`).
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

/// The passes' view of a solver's per-point data with limits `u_lim` (a macro, so that it borrows only the
/// fields it names and the passes may write into the solver's other buffers).
macro_rules! pass_data {
    ($s:ident, $u_lim:expr) => {
        $crate::solver::passes::PassData {
            tables: &$s.tables,
            kappa_abs: &$s.ws.kappa_abs,
            g_sin: &$s.ws.g_sin,
            u_lim: $u_lim,
            ds: $s.track.step_m(),
            shares: $s.shares,
            departures: &$s.ws.departures,
            sub: $crate::solver::passes::SubCells {
                exit: &$s.ws.apex.exit,
                entry: &$s.ws.apex.entry,
                kappa: &$s.ws.apex.kappa,
            },
            kinks: $s.ws.kinks.recorder(),
            brake_kinks: $s.ws.brake_kinks.recorder(),
        }
    };
}

mod apex;
mod brake_point;
mod corner;
mod grid;
mod kink;
mod passes;
mod tables;
mod telemetry;
mod work;

use std::borrow::Cow;

use passes::{Backward, DriveState, Forward, Pass};

pub use corner::{corner_speed_mps, CornerTable, LogCurvature};
pub use grid::GridLap;
pub use tables::Tables;
pub use telemetry::{slowest_corners, LapSummary, Telemetry};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::track::Track;
use crate::vehicle::{Envelope, Shares, G_MPS2};

/// Tolerance of the flying lap's periodicity: speed at the start point one lap later (m/s).
pub const PERIODIC_TOLERANCE_MPS: f64 = 1e-6;
/// Relative speed band below an upshift point in which a car slowing in the higher gear keeps it (a car that
/// is not slowing never downshifts: `passes::engage`). An upshift loses at
/// most `shift_time × (drag + rolling resistance) / m` ≈ 0.1 s × 1 m/s² = 0.1 m/s, far inside 3 % of any
/// shift speed; braking zones pass through the band in a few metres. Within the band the car pulls with the
/// gear it is in, not the best one ([`crate::vehicle::Envelope::gear_terms`]): the loss of drive in an
/// upshift puts an accelerating car back below the crossover in its new gear. Only the forward pass's shift
/// timing depends on the band.
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

/// The buffers of a [`LapSolver`], one value per track point each: kept between solvers (of any track or
/// envelope) so that a session's thousands of laps allocate nothing ([`LapSolver::for_driver`],
/// [`LapSolver::into_workspace`]).
#[derive(Debug, Default)]
pub struct Workspace {
    /// |κ| / grip share at each point: a driver using a share `g` of the lateral grip meets the lateral limit
    /// `v² |κ| = g a_y,max` where the car meets it at `|κ| / g`.
    kappa_abs: Vec<f64>,
    /// g sin θ of each segment (m/s²).
    g_sin: Vec<f64>,
    /// Corner-limit squared speed at each point, before any caps (m²/s²).
    u_corner: Vec<f64>,
    /// The limits: corner limits and any caps (m²/s²).
    u_lim: Vec<f64>,
    /// The traction pass: the speed profile (m²/s²).
    u_fwd: Vec<f64>,
    /// The braking profile (m²/s²).
    u_bwd: Vec<f64>,
    /// Speeds of a grid start's lap (a spare buffer, so that `v` keeps the last solved lap's).
    u_aux: Vec<f64>,
    /// Speed of the last solved lap (m/s).
    v: Vec<f64>,
    /// The traction pass's gear on leaving each corner limit of the current braking profile, chosen once a
    /// solve (0: not yet, 1: the best gear, 2: the next one up; `passes::Forward::depart`): the passes
    /// run several times a lap (periodicity, the chunks' stitch) and the choice depends on the point only.
    departures: Vec<std::cell::Cell<u8>>,
    /// The located apexes: caps, cells' times, sub-stepped cells.
    apex: apex::ApexWork,
    /// The located braking points of the last solved lap.
    brake: brake_point::BrakePoints,
    /// The steps in which an upshift's coast starts or ends and the sub-stepped cells next to the apexes,
    /// recorded by the traction passes.
    kinks: kink::KinkCells,
    /// The sub-stepped cells next to the apexes, recorded by the braking pass.
    brake_kinks: kink::KinkCells,
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
        self.departures.resize(n, std::cell::Cell::new(0));
        self.kinks.resize(n);
        self.brake_kinks.resize(n);
    }
}

/// Solves laps of one track with one car envelope, reusing its buffers.
pub struct LapSolver<'a> {
    track: &'a Track,
    /// The solver's tables of the envelope: built by [`LapSolver::new`], or borrowed
    /// ([`LapSolver::with_tables`], [`LapSolver::for_driver`]) where many solvers share them.
    tables: Cow<'a, Tables>,
    shares: Shares,
    /// The per-point buffers.
    ws: Workspace,
    v_end: f64,
    last: Option<Lap>,
    /// Where and in which state the traction pass of the last solved lap started (its anchor, squared speed
    /// and drive state): what [`Self::telemetry`] replays to record the gears and the pedals.
    fwd_start: Option<(usize, f64, DriveState)>,
    /// Whether `u_bwd` is the braking profile of the current limits `u_lim`.
    braking_current: bool,
}

impl<'a> LapSolver<'a> {
    /// Prepares the tables of `env`, the buffers and the corner-limit speeds of `track`.
    pub fn new(track: &'a Track, env: &Envelope) -> Self {
        Self::from_tables(track, Cow::Owned(Tables::new(env)))
    }

    /// [`Self::new`] with the tables built elsewhere and shared (no copy).
    pub fn with_tables(track: &'a Track, tables: &'a Tables) -> Self {
        Self::from_tables(track, Cow::Borrowed(tables))
    }

    /// The solver of `tables` with the corner limits of [`corner_speed_mps`] at each point's corner-limit
    /// curvature.
    fn from_tables(track: &'a Track, tables: Cow<'a, Tables>) -> Self {
        let v_corner = corner::corner_speeds_mps(tables.envelope(), track.apex_curvature_1pm());
        Self::with_corner_speeds(track, tables, v_corner)
    }

    /// Prepares the buffers with corner-limit speeds computed elsewhere (one per point, m/s); they are capped
    /// at the envelope's top speed.
    fn with_corner_speeds(track: &'a Track, tables: Cow<'a, Tables>, v_corner: Vec<f64>) -> Self {
        let n = track.len();
        assert_eq!(v_corner.len(), n, "one corner speed per track point");
        let top = tables.envelope().top_speed_mps();
        let mut ws = Workspace::default();
        ws.resize(n);
        for (u, &v) in ws.u_corner.iter_mut().zip(&v_corner) {
            let v = v.min(top);
            *u = v * v;
        }
        for (k, &c) in ws.kappa_abs.iter_mut().zip(track.curvature_1pm()) {
            *k = c.abs();
        }
        Self::from_workspace(track, tables, Shares::FULL, ws)
    }

    /// A solver for a driver using `shares` of the car's capacities, with the corner limits from `table` (the
    /// corner table of `tables`' envelope) and the buffers of `ws`: no allocation once `ws` has held a track
    /// this long. `log_kappa` is [`LogCurvature::new`] of `track`.
    pub fn for_driver(
        track: &'a Track,
        tables: &'a Tables,
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
            table.top_mps.to_bits() == tables.envelope().top_speed_mps().to_bits(),
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
        Self::from_workspace(track, Cow::Borrowed(tables), shares, ws)
    }

    /// Finishes a solver whose `u_corner` and `kappa_abs` are filled.
    fn from_workspace(
        track: &'a Track,
        tables: Cow<'a, Tables>,
        shares: Shares,
        mut ws: Workspace,
    ) -> Self {
        for (g, s) in ws.g_sin.iter_mut().zip(track.gradient()) {
            *g = G_MPS2 * s;
        }
        corner::refine_apexes(&mut ws.u_corner, &mut ws.kappa_abs, track.apex_exact());
        let top = tables.envelope().top_speed_mps();
        ws.apex.locate(
            track,
            &tables.pass_tables(shares.traction(), shares.brake()),
            &ws.kappa_abs,
            &ws.g_sin,
            1.0 / shares.grip(),
            top * top,
            &mut ws.u_corner,
        );
        ws.u_lim.copy_from_slice(&ws.u_corner);
        Self {
            track,
            tables,
            shares,
            ws,
            v_end: 0.0,
            last: None,
            fwd_start: None,
            braking_current: false,
        }
    }

    /// Gives the buffers back for the next solver.
    pub fn into_workspace(self) -> Workspace {
        self.ws
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
        self.tables.envelope()
    }
    /// The solver's tables of the envelope.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }
    /// Corner-limit speed at each point (m/s), before any caps: the square roots of
    /// [`Self::corner_limits_m2ps2`], computed on each call (the solver keeps squared speeds).
    pub fn corner_speeds_mps(&self) -> Vec<f64> {
        self.ws.u_corner.iter().map(|u| u.sqrt()).collect()
    }
    /// Corner-limit squared speed at each point (m²/s²), before any caps: the steady limit at the point's
    /// corner-limit curvature, and beside each located apex the braking and traction curves through it
    /// (`solver::apex`; so a corner's lowest value here is the lower of those two, next to the apex).
    pub fn corner_limits_m2ps2(&self) -> &[f64] {
        &self.ws.u_corner
    }
    /// Speed at each point of the last solved lap (m/s).
    pub fn speeds_mps(&self) -> &[f64] {
        &self.ws.v
    }
    /// The last solved lap.
    pub fn last_lap(&self) -> Option<Lap> {
        self.last
    }

    /// Imposes extra speed limits (m/s) per point — a stop (0), a pit-lane limit — on top of the corner limits;
    /// `None` removes them. Infinity means no cap.
    pub fn set_speed_caps(&mut self, caps_mps: Option<&[f64]>) -> Result<()> {
        match caps_mps {
            None => self.ws.u_lim.copy_from_slice(&self.ws.u_corner),
            Some(c) => {
                if c.len() != self.ws.u_lim.len() {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: format!("{} values", c.len()),
                        message: format!("need one per track point ({})", self.ws.u_lim.len()),
                    });
                }
                if let Some((i, v)) = c.iter().enumerate().find(|(_, v)| v.is_nan() || **v < 0.0) {
                    return Err(Error::Option {
                        option: "speed caps".into(),
                        value: v.to_string(),
                        message: format!("at point {i}: must be a speed ≥ 0 (infinity for none)"),
                    });
                }
                for ((u, &uc), &cap) in self.ws.u_lim.iter_mut().zip(&self.ws.u_corner).zip(c) {
                    *u = uc.min(cap * cap);
                }
            }
        }
        self.last = None;
        self.fwd_start = None;
        self.braking_current = false;
        Ok(())
    }

    /// Caps the speed at point `i` at `v_mps` (on top of the corner limit and any caps already set): a slip,
    /// a stop. Allocates nothing.
    pub fn cap_speed_at(&mut self, i: usize, v_mps: f64) -> Result<()> {
        if i >= self.ws.u_lim.len() || v_mps.is_nan() || v_mps < 0.0 {
            return Err(Error::Option {
                option: "speed cap".into(),
                value: format!("{v_mps} m/s at point {i}"),
                message: format!(
                    "needs a point below {} and a speed ≥ 0",
                    self.ws.u_lim.len()
                ),
            });
        }
        self.ws.u_lim[i] = self.ws.u_lim[i].min(v_mps * v_mps);
        self.last = None;
        self.fwd_start = None;
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
        let i0 = first_minimum(&self.ws.u_lim);
        // The braking pass records its sub-stepped cells afresh.
        self.ws.brake_kinks.start();
        let data = pass_data!(self, &self.ws.u_lim);
        let bwd = Backward { start: i0, n };
        if sequential {
            passes::run_sequential(&bwd, &data, &mut self.ws.u_bwd, self.ws.u_lim[i0], true);
        } else {
            passes::run_chunked(&bwd, &data, &mut self.ws.u_bwd, self.ws.u_lim[i0], true);
        }
        self.braking_current = true;
        // New caps: the traction pass's departures are chosen afresh.
        for c in &self.ws.departures {
            c.set(0);
        }
        i0
    }

    fn solve_with(&mut self, start: Start, sequential: bool) -> Result<Lap> {
        // Until this solve succeeds there is no solved lap (the buffers are about to change).
        self.last = None;
        self.fwd_start = None;
        let n = self.track.len();
        let i0 = self.braking_pass(sequential);
        // The traction passes record their upshifts' kinks afresh.
        self.ws.kinks.start();
        // The braking profile is capped by the corner limits (every value it holds is clamped to them), so it
        // is the traction pass's cap: min(corner limit, braking profile).
        let data = pass_data!(self, &self.ws.u_bwd);
        let run_fwd = |out: &mut [f64], pass: &Forward, u0: f64, st0: DriveState| {
            if sequential {
                passes::run_sequential(pass, &data, out, u0, st0)
            } else {
                passes::run_chunked(pass, &data, out, u0, st0)
            }
        };
        let u_i0 = self.ws.u_lim[i0];
        let (fwd, u0, st0) = match start {
            Start::Flying => (
                Forward { start: i0, n },
                u_i0,
                Forward { start: i0, n }.pinned(),
            ),
            Start::Standing => (Forward { start: 0, n }, 0.0, DriveState::in_gear(1)),
        };
        let (mut arrival, mut state) = run_fwd(&mut self.ws.u_fwd, &fwd, u0, st0);
        // Where the last traction pass started, for the telemetry's replay.
        let mut last_start = (u0, st0);
        let (mut residual, mut converged) = (0.0, true);
        if start == Start::Flying {
            // Periodicity: repeat the forward pass from where it arrived until it closes on itself.
            converged = false;
            for _ in 0..MAX_FORWARD_LAPS {
                residual = (arrival.sqrt() - self.ws.u_fwd[i0].sqrt()).abs();
                if residual < PERIODIC_TOLERANCE_MPS {
                    converged = true;
                    break;
                }
                last_start = (arrival, state);
                (arrival, state) = run_fwd(&mut self.ws.u_fwd, &fwd, arrival, state);
            }
        }
        if !converged {
            return Err(Error::NotPeriodic {
                laps: MAX_FORWARD_LAPS,
                residual_mps: residual,
            });
        }
        // Final profile and lap time.
        let ds = self.track.step_m();
        // The forward pass is capped by the braking profile: it is the profile.
        for (v, &uf) in self.ws.v.iter_mut().zip(&self.ws.u_fwd) {
            *v = uf.sqrt();
        }
        self.v_end = match start {
            Start::Flying => self.ws.v[0],
            Start::Standing => arrival.min(self.ws.u_bwd[0]).sqrt(),
        };
        let time = segment_time_sum(&self.ws.v, self.v_end, ds)
            + self.ws.apex.follow(&self.ws.u_fwd, &self.ws.v, ds)
            + self.ws.brake.locate(
                &self.ws.u_fwd,
                &self.ws.u_bwd,
                &self.ws.u_lim,
                &self.ws.v,
                ds,
            )
            + self.ws.kinks.locate(&self.ws.u_fwd, &self.ws.v, ds)
            + self.ws.brake_kinks.locate(&self.ws.u_fwd, &self.ws.v, ds);
        if !time.is_finite() {
            // A segment with both ends at rest (a NaN cannot arise: every u is clamped to ≥ 0).
            let stop = (0..n).find(|&i| {
                self.ws.v[i]
                    + if i + 1 == n {
                        self.v_end
                    } else {
                        self.ws.v[i + 1]
                    }
                    <= 0.0
            });
            let Some(stop) = stop else {
                return Err(Error::Internal("the lap time is not finite".into()));
            };
            return Err(Error::CarStops {
                s_m: self.track.s_m()[stop],
            });
        }
        let lap = Lap {
            start,
            lap_time_s: time,
            v_start_mps: self.ws.v[0],
            v_end_mps: self.v_end,
            periodicity_residual_mps: residual,
        };
        self.last = Some(lap);
        self.fwd_start = Some((fwd.start, last_start.0, last_start.1));
        Ok(lap)
    }

    /// The sector times of the last solved lap (s), as its [`Telemetry`] gives them (bit for bit), without
    /// replaying the pass to record the gears and pedals: what a study needs of a lap.
    pub fn sector_times_s(&self) -> Result<Vec<f64>> {
        let lap = self.last.ok_or(Error::NoLapSolved)?;
        let t_s = telemetry::point_times_s(
            &self.ws.v,
            self.v_end,
            self.track.step_m(),
            &self.ws.apex.active,
            &self.ws.brake.active,
            [&self.ws.kinks.active, &self.ws.brake_kinks.active],
        );
        Ok(telemetry::sector_times(self.track, &t_s, lap.lap_time_s))
    }

    /// Per-point telemetry of the last solved lap: speeds and times of the solved profile, gears and drive
    /// shares recorded from the solver's traction pass (see [`Telemetry`]).
    pub fn telemetry(&self) -> Result<Telemetry> {
        let (lap, (anchor, u0, st0)) = self.last.zip(self.fwd_start).ok_or(Error::NoLapSolved)?;
        Telemetry::new(self, lap, anchor, u0, st0)
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
