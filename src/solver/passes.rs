//! The forward (traction) and backward (braking) passes, and the driver that runs each as many
//! independent dependency chains.
//!
//! A pass is a recurrence `u_{k+1} = step(u_k)` around the loop: every step waits for the previous one, so a
//! single pass is bound by the latency of one step (table look-ups, a square root, a few multiplies, twice
//! for Heun's method), not by the processor's throughput. Two things shorten and multiply the chains:
//!
//! * **Branches, not selects.** The clamps and minima in a step (pinned at the corner limit or not, engine-
//!   or tyre-limited, the friction ellipse's clamp) keep their outcome for long stretches of track, so they
//!   are branches, which the processor predicts: the chain does not wait for the arm not taken (while the
//!   car is engine-limited, not for the square root of the tyre limit), and a pinned step (`u = u_lim`) does
//!   not wait for its predecessor at all. See [`crate::numerics::table::keep_branch`].
//! * **Chunks.** A pass *forgets* its past wherever it is pinned (the drive state is reset too), so the lap
//!   splits into chunks that start at slow corners. [`run_chunked`] cuts the lap at the slow corners (local
//!   minima of the corner limit, but not one in the shadow of a slower corner just before it, which the pass
//!   rarely reaches at its limit) and starts every chunk from the corner limit there: an upper bound of the
//!   true speed, exact whenever the true pass arrives pinned. The chunks run on `L` lanes stepped together:
//!   the lanes' predictors, then their correctors, each lane with its own copy of the code (and so of its
//!   branches). A lane that finishes its chunk takes the longest one not yet started; as the queue empties,
//!   the pass continues on fewer lanes. A sequential stitch then checks each chunk's true arrival: if it is
//!   pinned, the chunk was exact; if not, the chunk is recomputed from the true arrival until the
//!   recomputation is pinned where the speculative chain was, from where both coincide bit for bit.
//!
//! Both passes also take, without evaluating them, the steps that provably stay pinned: the braking pass at or
//! above the next limit on a level or uphill segment (along a straight at the top speed), the forward pass
//! where its cap falls faster than drag and gravity alone could slow the car (along the braking profile, and
//! into a corner). The result is bit for bit that of one sequential pass, [`run_sequential`], which takes and
//! evaluates every step.
//!
//! Nothing here allocates: plans, queues and lanes are fixed-size arrays on the stack.

use std::cell::Cell;

use super::apex::CELL_SUBSTEPS;
use super::kink::{KinkRecorder, Kinks};
use super::tables::{clamp_to_cap, PassTables, Tables};
use super::SHIFT_HYSTERESIS;
use crate::numerics::table::keep_branch;
use crate::track::APEX_SUBSTEPS;

/// Most chunks a pass is cut into.
const MAX_CHUNKS: usize = 64;
/// Below this many points a pass runs as one chain.
const MIN_CHUNKED_POINTS: usize = 64;
/// Most lanes a pass runs at once.
const MAX_LANES: usize = 8;

/// Runs `$body` for each lane `$l` in `0..$L` (`$L ≤ MAX_LANES`), unrolled: each lane has its own copy of the
/// code, and so of its branches, which the processor then predicts lane by lane.
macro_rules! each_lane {
    ($L:ident, $l:ident => $body:block) => {
        each_lane!(@ $L, $l, $body, 0 1 2 3 4 5 6 7)
    };
    (@ $L:ident, $l:ident, $body:block, $($n:literal)*) => {
        $(
            if $n < $L {
                let $l: usize = $n;
                $body
            }
        )*
    };
}

/// The per-point data the passes read.
pub(super) struct PassData<'a> {
    pub tables: &'a Tables,
    pub kappa_abs: &'a [f64],
    /// g sin θ of each segment (m/s²).
    pub g_sin: &'a [f64],
    pub u_lim: &'a [f64],
    pub ds: f64,
    /// The driver's shares: traction and braking scale the tables; grip is already in `kappa_abs`.
    pub shares: crate::vehicle::Shares,
    /// The traction pass's choices on leaving the corner limits, per point (see [`Forward::depart`]).
    pub departures: &'a [Cell<u8>],
    /// The cells next to the apexes, integrated in sub-steps ([`super::apex`]).
    pub sub: SubCells<'a>,
    /// Where the traction pass records the steps in which an upshift's coast starts or ends, and the
    /// sub-steps' points of the cells next to an apex ([`super::kink`]).
    pub kinks: KinkRecorder<'a>,
    /// Where the braking pass records the sub-steps' points of the cells next to an apex.
    pub brake_kinks: KinkRecorder<'a>,
}

/// The cells next to the located apexes that the passes integrate in [`CELL_SUBSTEPS`] sub-steps with the
/// spline's curvature ([`super::apex::ApexWork`]).
#[derive(Clone, Copy)]
pub(super) struct SubCells<'a> {
    /// Per point: 1 + the index in `kappa` of the traction step's cell from it, 0 for none.
    pub exit: &'a [u32],
    /// Per point: 1 + the index in `kappa` of the braking step's cell from it, 0 for none.
    pub entry: &'a [u32],
    /// `|κ|` / grip share at the middle of each cell.
    pub kappa: &'a [f64],
}

impl SubCells<'_> {
    /// The curvatures at the ends of the sub-steps of cell `cell` (1-based index into `kappa`) in the order
    /// of the step, from `first` at its start through the cell's middle to `last` at its end.
    #[inline(always)]
    fn cell(&self, cell: u32, first: f64, last: f64) -> [f64; CELL_SUBSTEPS + 1] {
        [first, self.kappa[cell as usize - 1], last]
    }
}

/// What the steps read, for one pass: the envelope's tables and the per-point data, every slice `n` long (so
/// that one bounds check per index covers them all).
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    tab: PassTables<'a>,
    kappa_abs: &'a [f64],
    g_sin: &'a [f64],
    u_lim: &'a [f64],
    ds: f64,
    /// Whether the forward pass may hold a pinned step without evaluating it
    /// ([`PassTables::forward_step_reaches`]); the sequential reference evaluates every step.
    hold: bool,
    /// Whether a traction step leaving a corner limit chooses its gear for time ([`Forward::departure`]);
    /// off inside that choice's own look-ahead.
    decide: bool,
    departures: &'a [Cell<u8>],
    sub: SubCells<'a>,
    kinks: KinkRecorder<'a>,
    brake_kinks: KinkRecorder<'a>,
}

impl<'a> View<'a> {
    /// The view of `d` for a pass of `n` points.
    pub(super) fn new(d: &PassData<'a>, n: usize) -> Self {
        Self {
            tab: d.tables.pass_tables(d.shares.traction(), d.shares.brake()),
            kappa_abs: &d.kappa_abs[..n],
            g_sin: &d.g_sin[..n],
            u_lim: &d.u_lim[..n],
            ds: d.ds,
            hold: true,
            decide: true,
            departures: &d.departures[..n],
            sub: SubCells {
                exit: &d.sub.exit[..n],
                entry: &d.sub.entry[..n],
                kappa: d.sub.kappa,
            },
            kinks: d.kinks,
            brake_kinks: d.brake_kinks,
        }
    }

    /// The view of `d` for the sequential reference, which evaluates every step (no held steps).
    pub(super) fn reference(d: &PassData<'a>, n: usize) -> Self {
        Self {
            hold: false,
            ..Self::new(d, n)
        }
    }
}

/// A pass direction with its step rule and carried state.
pub(super) trait Pass {
    type State: Copy;
    /// Track index of pass position `p` (0 at the pass's anchor), for `p ≤ n`.
    fn index(&self, p: usize) -> usize;
    /// Pass position of track index `i`.
    fn position(&self, i: usize) -> usize;
    /// Track index after track index `i` in the pass's direction.
    fn next(&self, i: usize) -> usize;
    /// The state of a pass pinned at a corner limit.
    fn pinned(&self) -> Self::State;
    /// Whether a state is pinned.
    fn is_pinned(st: &Self::State) -> bool;
    /// Whether [`Pass::skip`] may skip steps.
    const SKIPS: bool = false;
    /// One step for `L` independent lanes: lane `l` writes `u[l]` to `out[i[l]]` (if `write[l]`), then goes
    /// from track index `i[l]` to the next one, updating `i`, `u` and `st`. Each lane computes exactly what a
    /// single step would; the lanes' code is interleaved phase by phase. Only the lanes that are `live` (a
    /// chain whose steps may be the profile's, not an idle lane stepping past its chunk nor a look-ahead)
    /// record their steps' inner points ([`super::kink`]).
    #[allow(clippy::too_many_arguments)]
    fn step_lanes<const L: usize>(
        &self,
        d: &View<'_>,
        out: &mut [f64],
        write: &[bool; L],
        live: &[bool; L],
        i: &mut [usize; L],
        u: &mut [f64; L],
        st: &mut [Self::State; L],
    );

    /// One step from track index `i` at `u`, writing `u` to `out[i]`; returns the next index.
    #[inline(always)]
    fn advance(
        &self,
        d: &View<'_>,
        out: &mut [f64],
        i: usize,
        u: &mut f64,
        st: &mut Self::State,
    ) -> usize {
        let (mut ii, mut uu, mut ss) = ([i], [*u], [*st]);
        self.step_lanes(d, out, &[true], &[true], &mut ii, &mut uu, &mut ss);
        *u = uu[0];
        *st = ss[0];
        ii[0]
    }

    /// One step from track index `i` at `u` to the next index `j` (the one after `i` in the pass's
    /// direction); returns `u` there.
    fn step(&self, d: &View<'_>, i: usize, j: usize, u: f64, st: &mut Self::State) -> f64 {
        debug_assert_eq!(j, self.next(i));
        let (mut ii, mut uu, mut ss) = ([i], [u], [*st]);
        self.step_lanes(d, &mut [], &[false], &[true], &mut ii, &mut uu, &mut ss);
        *st = ss[0];
        uu[0]
    }

    /// Steps that provably leave the pass pinned at the corner limit, taken without evaluating anything:
    /// while they apply (and `left > 0`), writes `u` to `out[i]` and moves to the next point at its limit.
    #[inline(always)]
    fn skip(
        &self,
        _d: &View<'_>,
        _out: &mut [f64],
        _i: &mut usize,
        _u: &mut f64,
        _st: &mut Self::State,
        _left: &mut usize,
    ) {
    }

    /// Runs the chunks of a plan on this pass's lanes (see [`run_lanes`]).
    fn run_plan(&self, d: &PassData<'_>, out: &mut [f64], plan: &Plan, arr: &mut Arrivals<Self>)
    where
        Self: Sized;
}

/// The forward pass's carried state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct DriveState {
    /// Gear engaged.
    pub gear: u8,
    /// Time left without drive in the current upshift (s).
    pub shift_left_s: f64,
    /// Held at a cap at the last point: the next step that evaluates the envelope puts the car in its best
    /// gear (a held step, [`PassTables::forward_step_reaches`], clears the shift and leaves the gear).
    pub pinned: bool,
    /// The squared speed at which the engaged gear stops being the best, where its upshift starts (a copy of
    /// [`PassTables::upshift_u`], so that the step's check is one comparison); 0 while not looked up (the
    /// first check then looks it up). Never above the table's value, so no upshift is missed.
    pub upshift_u: f64,
    /// The last evaluated step ended below its start, off any cap: the car is slowing in its gear (uphill, or
    /// above the gear's top speed), the only case in which it downshifts ([`engage`]).
    pub slowing: bool,
}

impl DriveState {
    /// A state that starts in `gear`, not shifting.
    pub fn in_gear(gear: u8) -> Self {
        Self {
            gear,
            shift_left_s: 0.0,
            pinned: false,
            upshift_u: 0.0,
            slowing: false,
        }
    }
}

/// The shift rule, once, for every traction step that evaluates the envelope (the passes, and the replay
/// that records the telemetry): puts the car in gear for a step from squared speed `u`, whose best gear is
/// `best`, and returns the share of the step with the drive engaged.
///
/// At a corner limit the car is in `best` and not mid-shift (a step that leaves the limit may then be redone
/// in the next gear up: [`Forward::depart`]). Otherwise it upshifts as soon as the next gear pulls
/// harder (or the limiter is reached), paying the shift time without drive, and downshifts only while
/// slowing in its gear (uphill, or above the gear's top speed; a driver on the throttle out of a corner does
/// not) and below the hysteresis band ([`SHIFT_HYSTERESIS`]).
#[inline(always)]
pub(super) fn engage(
    tab: &PassTables<'_>,
    s: &mut DriveState,
    best: u8,
    u: f64,
    ds: f64,
    h: f64,
) -> f64 {
    let mut share = 1.0;
    // Usually the car is in its best gear and not shifting: nothing to do.
    if s.pinned || best != s.gear || s.shift_left_s > 0.0 {
        keep_branch();
        if s.pinned {
            // An upshift begun inside the step that reached the limit runs on (in the best gear); else the
            // car at the limit is in its best gear.
            if best != s.gear {
                s.gear = best;
                s.shift_left_s = 0.0;
            }
        } else if best > s.gear {
            s.shift_left_s = tab.shift_time_s();
            s.gear = best;
        } else if best < s.gear && s.slowing {
            s.gear = tab.forward_at(u * h).gear().min(s.gear);
        }
        s.upshift_u = tab.upshift_u(s.gear);
        // Share of this segment with the drive engaged (an upshift may end inside it).
        if s.shift_left_s > 0.0 {
            share = 1.0 - (s.shift_left_s * u.sqrt().max(0.5) / ds).min(1.0);
        }
    }
    share
}

/// A traction step from `u_i` (curvatures `kappa` at its two ends) that ended at `u_j`, past the squared speed
/// `u_x` where the car's gear stops being the best: the upshift starts there, inside the step, not at the
/// next point (which would give the car up to a step of drive in the next gear without paying for the shift:
/// a first-order error in the step). The crossover's distance `σ` into the step is the root of the step's own
/// interpolant `u(σ) = u_i + 2 a₁ σ + (a₂ − a₁) σ² / ds` (Heun's accelerations at both ends, `u(ds) = u_j`); from
/// `u_x` the rest of the step is taken in the new gear, without drive for the shift time and then with it
/// ([`SubSteps::coast_then_drive`]). Returns the step's new end; updates the gear, the shift time left and the pinned
/// flag, and adds to `kinks` where the coast starts and, if inside the step, where it ends ([`super::kink`]).
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn upshift_within_step(
    tab: &PassTables<'_>,
    s: &mut DriveState,
    u_i: f64,
    u_j: f64,
    a1: f64,
    kappa: [f64; 2],
    g_sin: f64,
    cap: f64,
    ds: f64,
    kinks: &mut Kinks,
) -> f64 {
    let u_x = tab.upshift_u(s.gear);
    let g_end = tab.upshift_to(s.gear);
    if g_end <= s.gear || u_j <= u_i || u_j < u_x {
        s.upshift_u = u_x;
        return u_j;
    }
    let u_x = u_x.max(u_i);
    let a2 = (u_j - u_i) / ds - a1;
    let sigma = interpolant_root(u_i - u_x, 2.0 * a1, (a2 - a1) / ds, ds);
    let kx = kappa[0] + (sigma / ds) * (kappa[1] - kappa[0]);
    s.gear = g_end;
    s.upshift_u = tab.upshift_u(g_end);
    let sub = SubSteps {
        tab,
        gear: s.gear,
        g_sin,
        cap,
    };
    let (end, left, coast_end) =
        sub.coast_then_drive(u_x, [kx, kappa[1]], ds - sigma, tab.shift_time_s());
    kinks.push(sigma, u_x, ds);
    if let Some((x, u)) = coast_end {
        kinks.push(sigma + x, u, ds);
    }
    s.shift_left_s = left;
    let (uj, pinned) = clamp_to_cap(end, cap);
    s.pinned = pinned;
    uj
}

/// The root in `[0, h]` of `c + b σ + a σ²` with `c ≤ 0` (the interpolant reaching a speed it starts below):
/// the stable form `−2c / (b + √(b² − 4ac))`, the nearer end if it falls outside.
fn interpolant_root(c: f64, b: f64, a: f64, h: f64) -> f64 {
    let disc = b * b - 4.0 * a * c;
    let x = -2.0 * c / (b + disc.max(0.0).sqrt());
    if x.is_finite() {
        x.clamp(0.0, h)
    } else {
        h
    }
}

/// The sub-steps of a traction step split by an upshift: the car in `gear` on a segment with `g_sin`, capped
/// at `cap`.
struct SubSteps<'a, 't> {
    tab: &'a PassTables<'t>,
    gear: u8,
    g_sin: f64,
    cap: f64,
}

impl SubSteps<'_, '_> {
    /// One Heun step of `h` metres from `u0` with drive share `share` (curvatures at its ends).
    fn heun(&self, u0: f64, kappa: [f64; 2], share: f64, h: f64) -> f64 {
        if h <= 0.0 {
            return u0;
        }
        let (tab, gear, g_sin) = (self.tab, self.gear, self.g_sin);
        let a1 = tab
            .forward_at(u0)
            .accel_mps2(u0, kappa[0], g_sin, share, gear);
        let up = clamp_to_cap(u0 + a1 * (2.0 * h), self.cap).0;
        let end = tab
            .forward_at(up)
            .step_end(u0, a1, up, kappa[1], g_sin, share, h, gear);
        end.max(0.0)
    }

    /// A step of `h` metres from `u0` in [`CELL_SUBSTEPS`] Heun sub-steps, with the curvatures `kappa` at
    /// their ends (the step's two ends and its middle), drive share `share`. Off the hot path. Returns the end
    /// and the point between the two sub-steps (the cell's time is taken through it: [`Kinks::midpoint`]).
    #[cold]
    #[inline(never)]
    fn substeps(
        &self,
        u0: f64,
        kappa: &[f64; CELL_SUBSTEPS + 1],
        share: f64,
        h: f64,
    ) -> (f64, Kinks) {
        let hs = h / CELL_SUBSTEPS as f64;
        let mid = self.heun(u0, [kappa[0], kappa[1]], share, hs);
        (
            self.heun(mid, [kappa[1], kappa[2]], share, hs),
            Kinks::midpoint(mid, h),
        )
    }

    /// `h` metres from `u0`, the drive off for the first `shift_s` seconds (at the speed of `u0`) and on for
    /// the rest, each part one Heun step: the end, the shift time left at it, and where the coast ends if
    /// it ends inside (its distance from `u0`'s point and the squared speed there).
    fn coast_then_drive(
        &self,
        u0: f64,
        kappa: [f64; 2],
        h: f64,
        shift_s: f64,
    ) -> (f64, f64, Option<(f64, f64)>) {
        let v0 = u0.sqrt().max(0.5);
        let coast = shift_s * v0;
        if coast >= h {
            let u1 = self.heun(u0, kappa, 0.0, h);
            let t = 2.0 * h / (v0 + u1.sqrt()).max(1e-9);
            (u1, (shift_s - t).max(0.0), None)
        } else {
            let km = kappa[0] + (coast / h) * (kappa[1] - kappa[0]);
            let um = self.heun(u0, [kappa[0], km], 0.0, coast);
            (
                self.heun(um, [km, kappa[1]], 1.0, h - coast),
                0.0,
                Some((coast, um)),
            )
        }
    }
}

/// The end of a traction step of `ds` metres from `u0` across which the force law's limit changes side (the
/// tyres' and the engine's limits cross: a kink in the acceleration). One Heun step averages the lesser limit
/// at the two ends, which cuts the kink's corner by an amount that depends on where in the cell it falls, and
/// so on the driver's shares (at 2 m the largest part of the lap's aliasing over the traction share, 0.56 ms
/// peak to peak over 0.90–1.00; docs/ENGINEERING.md, the fourth and fifth sessions of 1 December). Here each
/// side's acceleration is taken linear over the cell, through its values at the start (`a1`, the lesser, and
/// `other1`) and at the step's end (from the ends `end`, the lesser side's, and `other_end` the Heun step
/// would give on either side): they cross at `φ` of the cell, and the mean of the lesser is the trapezoid of
/// the starting side up to `φ` and of the ending side after it (the mean of the minimum of two straight
/// lines, exact for them; Heun's trapezoid is the case `φ` = 0 or 1). No further evaluation of the force law.
#[cold]
#[inline(never)]
fn switch_cell_end(u0: f64, a1: f64, other1: f64, end: f64, other_end: f64, ds: f64) -> f64 {
    // The accelerations at the end: `end = u0 + (a1 + a2) ds` for either side.
    let to_accel = |e: f64| (e - u0) / ds - a1;
    // The starting side (A: lesser at the start) and the ending side (B: lesser at the end).
    let (a_start, b_start) = (a1, other1);
    let (a_end, b_end) = (to_accel(other_end), to_accel(end));
    let (gap_start, gap_end) = (b_start - a_start, a_end - b_end);
    if !(gap_start >= 0.0 && gap_end > 0.0) {
        return end;
    }
    let phi = gap_start / (gap_start + gap_end);
    let at_kink = a_start + phi * (a_end - a_start);
    u0 + (phi * (a_start + at_kink) + (1.0 - phi) * (at_kink + b_end)) * ds
}

/// One braking Heun step of `h` metres against travel from `u0` (curvatures `kappa` at its two ends, `g_sin`
/// of the segment), its predictor clamped to `cap`, its end solved implicitly near the lateral limit
/// ([`super::tables::BrakingAt::step_end`]): the braking pass's step.
fn braking_heun(
    tab: &PassTables<'_>,
    u0: f64,
    kappa: [f64; 2],
    g_sin: f64,
    h: f64,
    cap: f64,
) -> f64 {
    let d1 = tab.braking_at(u0).decel_mps2(u0, kappa[0], g_sin);
    let up = clamp_to_cap(u0 + d1 * (2.0 * h), cap).0;
    tab.braking_at(up).step_end(u0, d1, up, kappa[1], g_sin, h)
}

/// A braking step of `h` metres from `u0` in [`CELL_SUBSTEPS`] Heun sub-steps ([`braking_heun`]), with the
/// curvatures `kappa` at their ends in the order of the step (against travel). Off the hot path. Returns the
/// end and the point between the two sub-steps (the cell's time is taken through it: [`Kinks::midpoint`]).
#[cold]
#[inline(never)]
fn braking_substeps_in_cell(
    tab: &PassTables<'_>,
    u0: f64,
    kappa: &[f64; CELL_SUBSTEPS + 1],
    g_sin: f64,
    h: f64,
    cap: f64,
) -> (f64, Kinks) {
    let hs = h / CELL_SUBSTEPS as f64;
    let mid = braking_heun(tab, u0, [kappa[0], kappa[1]], g_sin, hs, cap);
    (
        braking_heun(tab, mid, [kappa[1], kappa[2]], g_sin, hs, cap),
        Kinks::midpoint(mid, h),
    )
}

/// A curve through a located apex from its squared speed `u0`, over `dist` metres in [`APEX_SUBSTEPS`]
/// sub-steps with the curvatures `kappa` at their ends (from the apex): back along the braking curve
/// (`braking`), or on along the traction curve (the car in its best gear at the apex, full drive). Its end and
/// the time along it (s).
pub(super) fn apex_curve(
    tab: &PassTables<'_>,
    u0: f64,
    kappa: &[f64; APEX_SUBSTEPS + 1],
    g_sin: f64,
    dist: f64,
    braking: bool,
) -> (f64, f64) {
    let sub = SubSteps {
        tab,
        gear: tab.forward_at(u0).gear(),
        g_sin,
        cap: f64::INFINITY,
    };
    let hs = dist / APEX_SUBSTEPS as f64;
    kappa.windows(2).fold((u0, 0.0), |(u, t), w| {
        let e = if braking {
            braking_heun(tab, u, [w[0], w[1]], g_sin, hs, f64::INFINITY)
        } else {
            sub.heun(u, [w[0], w[1]], 1.0, hs)
        };
        (e, t + sub_time(u, e, hs))
    })
}

/// The time of `h` metres from squared speed `u0` to `u1` at constant acceleration (0 for `h = 0`).
fn sub_time(u0: f64, u1: f64, h: f64) -> f64 {
    if h > 0.0 {
        2.0 * h / (u0.sqrt() + u1.sqrt())
    } else {
        0.0
    }
}

/// Traction pass from anchor `start` in the direction of travel.
pub(super) struct Forward {
    pub start: usize,
    pub n: usize,
}

impl Pass for Forward {
    type State = DriveState;

    #[inline(always)]
    fn index(&self, p: usize) -> usize {
        let i = self.start + p;
        if i >= self.n {
            i - self.n
        } else {
            i
        }
    }

    #[inline(always)]
    fn position(&self, i: usize) -> usize {
        if i >= self.start {
            i - self.start
        } else {
            i + self.n - self.start
        }
    }

    #[inline(always)]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.n {
            0
        } else {
            i + 1
        }
    }

    fn pinned(&self) -> DriveState {
        DriveState {
            gear: 1,
            shift_left_s: 0.0,
            pinned: true,
            upshift_u: 0.0,
            slowing: false,
        }
    }

    #[inline(always)]
    fn is_pinned(st: &DriveState) -> bool {
        // Mid-shift, the state carries its past: not the state a chunk starts from.
        st.pinned && st.shift_left_s == 0.0
    }

    /// Heun's method in `u = v²`: `u_j = u_i + (a(u_i) + a(u_p)) ds` with the predictor `u_p = u_i + 2 a(u_i) ds`.
    #[inline(always)]
    fn step_lanes<const L: usize>(
        &self,
        d: &View<'_>,
        out: &mut [f64],
        write: &[bool; L],
        live: &[bool; L],
        i: &mut [usize; L],
        u: &mut [f64; L],
        st: &mut [DriveState; L],
    ) {
        let tab = d.tab;
        let ds = d.ds;
        // (2 a) ds = a (2 ds) exactly: scaling by 2 commutes with rounding.
        let ds2 = 2.0 * ds;
        let h = (1.0 + SHIFT_HYSTERESIS) * (1.0 + SHIFT_HYSTERESIS);
        let mut j = [0usize; L];
        let (mut cap, mut g_sin, mut share) = ([0.0; L], [0.0; L], [0.0; L]);
        let (mut a1, mut up) = ([0.0; L], [0.0; L]);
        // Whether the tyres (not the engine) set `a1`, and the other side's limit there.
        let mut tyre1 = [false; L];
        let mut other1 = [0.0; L];
        let mut held = [false; L];
        // Whether the step starts at a cap, and its gear there: a step that leaves the cap is a departure.
        let (mut from_cap, mut gear0) = ([false; L], [0u8; L]);
        // The predictor of every lane, then the corrector of every lane.
        each_lane!(L, l => {
            let ii = i[l];
            j[l] = self.next(ii);
            if write[l] {
                out[ii] = u[l];
            }
            cap[l] = d.u_lim[j[l]];
            g_sin[l] = d.g_sin[ii];
            let s = &mut st[l];
            // Pinned, and the step certainly ends at the next cap (along a braking profile): no evaluation.
            // The state stays pinned; its gear is set by the next step that evaluates.
            // (Not in a cell next to an apex: its sub-steps are not covered by the bound's one-step proof.)
            held[l] = d.hold
                && s.pinned
                && d.sub.exit[ii] == 0
                && tab.forward_step_reaches(u[l], cap[l], g_sin[l], ds);
            if held[l] {
                keep_branch();
                s.shift_left_s = 0.0;
            } else {
                from_cap[l] = Self::is_pinned(s);
                let ka = d.kappa_abs[ii];
                let at = tab.forward_at(u[l]);
                share[l] = engage(&tab, s, at.gear(), u[l], ds, h);
                gear0[l] = s.gear;
                (a1[l], tyre1[l], other1[l]) =
                    at.accel_limit_mps2(u[l], ka, g_sin[l], share[l], s.gear);
                up[l] = clamp_to_cap(u[l] + a1[l] * ds2, cap[l]).0;
            }
        });
        each_lane!(L, l => {
            if held[l] {
                keep_branch();
                u[l] = cap[l];
            } else {
                let kb = d.kappa_abs[j[l]];
                // The gear choice's own look-ahead (`decide` off) steps the cell after an apex's in one step:
                // the choice compares two gears on the same rule, and the sub-steps there would cost the
                // look-ahead's chains more than they change it (the located apex's patch, 1 December).
                let cell = if d.decide { d.sub.exit[i[l]] } else { 0 };
                let mut between = Kinks::default();
                let end = if cell == 0 {
                    let (end, tyre2, other_end) = tab.forward_at(up[l]).step_end_limit(
                        u[l], a1[l], up[l], kb, g_sin[l], share[l], ds, st[l].gear,
                    );
                    if tyre2 != tyre1[l] && share[l] == 1.0 {
                        // The limit changes side inside the cell (at a corner's exit, the tyres hand over
                        // to the engine): the acceleration has a kink there, which one step integrates by
                        // where it falls.
                        keep_branch();
                        switch_cell_end(u[l], a1[l], other1[l], end, other_end, ds)
                    } else {
                        end
                    }
                } else {
                    // Next to an apex: sub-steps with the spline's curvature.
                    let sub = SubSteps {
                        tab: &tab,
                        gear: st[l].gear,
                        g_sin: g_sin[l],
                        cap: cap[l],
                    };
                    let k = d.sub.cell(cell, d.kappa_abs[i[l]], kb);
                    let end;
                    (end, between) = sub.substeps(u[l], &k, share[l], ds);
                    end
                };
                let s = &mut st[l];
                let mut uj;
                (uj, s.pinned) = clamp_to_cap(end, cap[l]);
                if cell != 0 && !s.pinned && live[l] {
                    // The sub-steps' points, for the cell's time (a coast or an upshift below records
                    // its own).
                    keep_branch();
                    d.kinks.record(i[l], u[l], uj, &between);
                }
                if s.shift_left_s > 0.0 {
                    // An upshift's loss of drive runs on into this step: without drive for the time left,
                    // then with it, as the step that began the shift takes its rest (`SubSteps::coast_then_drive`).
                    keep_branch();
                    let ka = d.kappa_abs[i[l]];
                    let sub = SubSteps {
                        tab: &tab,
                        gear: s.gear,
                        g_sin: g_sin[l],
                        cap: cap[l],
                    };
                    let (e, left, coast_end) =
                        sub.coast_then_drive(u[l], [ka, kb], ds, s.shift_left_s);
                    (uj, s.pinned) = clamp_to_cap(e, cap[l]);
                    s.shift_left_s = left;
                    if let Some((x, um)) = coast_end {
                        if !s.pinned && live[l] {
                            let mut k = Kinks::default();
                            k.push(x, um, ds);
                            d.kinks.record(i[l], u[l], uj, &k);
                        }
                    }
                }
                // The step crossed the speed where the next gear takes over: the upshift starts there (after the
                // shift in progress, if any, was counted: none is, with the whole step driven).
                if share[l] == 1.0 && uj >= s.upshift_u {
                    keep_branch();
                    let ka = d.kappa_abs[i[l]];
                    let mut k = Kinks::default();
                    uj = upshift_within_step(
                        &tab,
                        s,
                        u[l],
                        uj,
                        a1[l],
                        [ka, kb],
                        g_sin[l],
                        cap[l],
                        ds,
                        &mut k,
                    );
                    if !s.pinned && live[l] {
                        d.kinks.record(i[l], u[l], uj, &k);
                    }
                }
                s.slowing = !s.pinned && uj < u[l];
                if from_cap[l] && !s.pinned && d.decide {
                    // The car leaves a corner limit: in the next gear up instead, if that is faster.
                    keep_branch();
                    if let Some((ub, sb)) = self.depart(d, i[l], u[l], gear0[l]) {
                        (uj, *s) = (ub, sb);
                    }
                }
                u[l] = uj;
            }
            i[l] = j[l];
        });
    }

    fn run_plan(&self, d: &PassData<'_>, out: &mut [f64], plan: &Plan, arr: &mut Arrivals<Self>) {
        run_stages::<Self, 4>(self, d, out, plan, arr);
    }
}

impl Forward {
    /// The gear for leaving a corner limit, chosen for time. A car that leaves the limit at `u` (point `i`)
    /// in its best gear `gear` below that gear's upshift pays the shift's time without drive some metres
    /// later; in `gear + 1` it pulls less but does not shift. A driver takes whichever is faster, so the lap
    /// is the lesser of the two and continuous in the car's parameters (the best gear alone made the lap jump
    /// by the shift's cost, ~9 ms at Oschersleben, where an apex speed crossed the upshift point).
    ///
    /// A chain leaves a corner limit from its cap there in the best gear of that speed, so the choice depends
    /// on the point alone for a given braking profile: it is made at the first departure from the point in a
    /// solve, by [`Self::departure`]'s look-ahead, and kept in `departures` (the periodic laps and the chunks'
    /// stitch meet the same departures again; a lane idle at the end of a stage that steps past its chunk
    /// may make it, to the same result). So the chunked passes and the sequential reference choose alike.
    /// Returns the first step's end and state in `gear + 1` when that is the faster, `None` to keep `gear`
    /// (always where `gear + 1`'s drive is not tabulated at `u`:
    /// [`crate::vehicle::envelope::GEAR_BAND_BELOW_SPEED_SHARE`], a hard edge: were `gear + 1` still the
    /// faster there, the lap would jump; not met on the shipped car's drivers' range at Oschersleben, the
    /// scan of `lap_has_no_jump_where_an_apex_crosses_an_upshift`). The look-ahead runs past the line of a
    /// standing or grid lap as if the lap went on, so a choice just before the line counts time after it.
    #[cold]
    #[inline(never)]
    fn depart(&self, d: &View<'_>, i: usize, u: f64, gear: u8) -> Option<(f64, DriveState)> {
        let choice = &d.departures[i];
        if choice.get() == 0 {
            choice.set(if self.departure(d, i, u, gear) { 2 } else { 1 });
        }
        (choice.get() == 2).then(|| {
            let mut sb = DriveState::in_gear(gear + 1);
            (self.step(d, i, self.next(i), u, &mut sb), sb)
        })
    }

    /// Whether leaving the corner limit at point `i` (squared speed `u`, its cap there) in `gear + 1` is faster
    /// than in the best gear `gear`. Both are integrated from `i` with the pass's own steps (choices at later
    /// corner limits by the best gear) until one is settled ahead ([`Self::settled`]); the two chains run as
    /// two lanes of the pass's step.
    fn departure(&self, d: &View<'_>, i: usize, u: f64, gear: u8) -> bool {
        if !d.tab.gear_covers(gear + 1, u) {
            return false;
        }
        let st = [self.pinned(), DriveState::in_gear(gear + 1)];
        self.run_both(&look_ahead(d), i, st, [u, u], [0.0; 2])
    }

    /// Both chains of a departure's choice (`[best gear, next gear up]`, states `st`, squared speeds `u`, times
    /// `t` since the departure) on from point `k`, as two lanes of the pass's step, until one is settled ahead
    /// ([`Self::settled`]): whether it is the next gear up.
    fn run_both(
        &self,
        v: &View<'_>,
        k: usize,
        mut st: [DriveState; 2],
        mut u: [f64; 2],
        mut t: [f64; 2],
    ) -> bool {
        let two_ds = 2.0 * v.ds;
        let mut k = [k, k];
        for _ in 0..self.n {
            let u0 = u;
            self.step_lanes(
                v,
                &mut [],
                &[false; 2],
                &[false; 2],
                &mut k,
                &mut u,
                &mut st,
            );
            t = [
                t[0] + two_ds / (u0[0].sqrt() + u[0].sqrt()),
                t[1] + two_ds / (u0[1].sqrt() + u[1].sqrt()),
            ];
            if let Some(up) = Self::settled(&st, u, t) {
                return up;
            }
        }
        t[1] < t[0]
    }

    /// Whether one of two chains from the same departure, `[best gear, next gear up]` at squared speeds `u`
    /// after times `t`, is settled ahead (`Some(true)`: the next gear up): at a cap with no more time taken
    /// (the other is no faster there, and the future from a cap is the pass's own, whatever arrived), or, in
    /// the same gear and the same drive state otherwise (neither shifting, at a cap or about to downshift),
    /// ahead in speed with no more time taken. The last rule is the comparison of one ODE from two speeds;
    /// the discrete rule is not exactly order-preserving across a later upshift (the faster chain shifts
    /// first, and may pay its coast where the slower one, shifting later, is already braking), an error that
    /// scales with the speed gap at the moment it is applied, small where the choice is close.
    #[inline]
    fn settled(st: &[DriveState; 2], u: [f64; 2], t: [f64; 2]) -> Option<bool> {
        let [sa, sb] = st;
        let ([ua, ub], [ta, tb]) = (u, t);
        let (cap_a, cap_b) = (Self::is_pinned(sa), Self::is_pinned(sb));
        if cap_a && ta <= tb {
            return Some(false);
        }
        if cap_b && tb < ta {
            return Some(true);
        }
        if sa.gear == sb.gear
            && sa.shift_left_s == 0.0
            && sb.shift_left_s == 0.0
            && sa.slowing == sb.slowing
            && !cap_a
            && !cap_b
        {
            if ua >= ub && ta <= tb {
                return Some(false);
            }
            if ub >= ua && tb < ta {
                return Some(true);
            }
        }
        None
    }
}

/// The view of a departure's look-ahead: later corner limits left in the best gear (no nested choice), and
/// pinned steps held as in the chunked pass (the same values as evaluated, so the choice does not depend on
/// which pass makes it).
fn look_ahead<'a>(d: &View<'a>) -> View<'a> {
    View {
        decide: false,
        hold: true,
        ..*d
    }
}

/// Braking pass from anchor `start` against the direction of travel.
pub(super) struct Backward {
    pub start: usize,
    pub n: usize,
}

impl Pass for Backward {
    type State = bool;
    const SKIPS: bool = true;

    #[inline(always)]
    fn index(&self, p: usize) -> usize {
        // p runs from 0 to n (inclusive): no modulo (a division) in the hot loop.
        if p > self.start {
            self.start + self.n - p
        } else {
            self.start - p
        }
    }

    #[inline(always)]
    fn position(&self, i: usize) -> usize {
        if i <= self.start {
            self.start - i
        } else {
            self.start + self.n - i
        }
    }

    #[inline(always)]
    fn next(&self, i: usize) -> usize {
        if i == 0 {
            self.n - 1
        } else {
            i - 1
        }
    }

    fn pinned(&self) -> bool {
        true
    }

    #[inline(always)]
    fn is_pinned(st: &bool) -> bool {
        *st
    }

    /// Heun's method in `u`, stepping from `i` (later point) to `j` (the point before it).
    #[inline(always)]
    fn step_lanes<const L: usize>(
        &self,
        d: &View<'_>,
        out: &mut [f64],
        write: &[bool; L],
        live: &[bool; L],
        i: &mut [usize; L],
        u: &mut [f64; L],
        st: &mut [bool; L],
    ) {
        let tab = d.tab;
        let ds = d.ds;
        let ds2 = 2.0 * ds;
        let mut j = [0usize; L];
        let (mut cap, mut g_sin, mut d1, mut up) = ([0.0; L], [0.0; L], [0.0; L], [0.0; L]);
        // The predictor of every lane, then the corrector of every lane.
        each_lane!(L, l => {
            let ii = i[l];
            let ka = d.kappa_abs[ii];
            j[l] = self.next(ii);
            if write[l] {
                out[ii] = u[l];
            }
            cap[l] = d.u_lim[j[l]];
            g_sin[l] = d.g_sin[j[l]];
            d1[l] = tab.braking_at(u[l]).decel_mps2(u[l], ka, g_sin[l]);
            up[l] = clamp_to_cap(u[l] + d1[l] * ds2, cap[l]).0;
        });
        each_lane!(L, l => {
            let kb = d.kappa_abs[j[l]];
            let cell = d.sub.entry[i[l]];
            let mut between = Kinks::default();
            let end = if cell == 0 {
                tab.braking_at(up[l]).step_end(u[l], d1[l], up[l], kb, g_sin[l], ds)
            } else {
                // Next to an apex: sub-steps with the spline's curvature, from this point back to the next.
                let k = d.sub.cell(cell, d.kappa_abs[i[l]], kb);
                let end;
                (end, between) = braking_substeps_in_cell(&tab, u[l], &k, g_sin[l], ds, cap[l]);
                end
            };
            let u_i = u[l];
            (u[l], st[l]) = clamp_to_cap(end, cap[l]);
            if cell != 0 && !st[l] && j[l] + 1 == i[l] && live[l] {
                // The sub-steps' points, for the time of the cell from j to i (not the lap's last).
                keep_branch();
                d.brake_kinks.record(j[l], u[l], u_i, &between);
            }
            i[l] = j[l];
        });
    }

    /// At or above the next point's limit on a level or uphill segment (`g sin θ ≥ 0`), the deceleration is
    /// ≥ 0 (with a table of non-negative braking and resistance), so the predictor and the corrector are ≥ `u`
    /// ≥ `u_lim[j]`: the step gives exactly `u_lim[j]`, pinned. Along a straight at the top speed this skips
    /// the evaluation altogether.
    #[inline(always)]
    fn skip(
        &self,
        d: &View<'_>,
        out: &mut [f64],
        i: &mut usize,
        u: &mut f64,
        st: &mut bool,
        left: &mut usize,
    ) {
        if *left == 0 || !d.tab.decel_at_least_g_sin() {
            return;
        }
        let j = self.next(*i);
        if !(*u >= d.u_lim[j] && d.g_sin[j] >= 0.0) {
            return;
        }
        out[*i] = *u;
        // Pinned at j; then on, down to index 0 at most, as long as the limit does not rise in the pass's
        // direction (it falls with the track index) on a level or uphill segment.
        let steps = *left - 1;
        let stop = j.saturating_sub(steps);
        let mut m = j;
        while m > stop && d.u_lim[m - 1] <= d.u_lim[m] && d.g_sin[m - 1] >= 0.0 {
            m -= 1;
        }
        out[m + 1..=j].copy_from_slice(&d.u_lim[m + 1..=j]);
        *left = steps - (j - m);
        *i = m;
        *u = d.u_lim[m];
        *st = true;
    }

    fn run_plan(&self, d: &PassData<'_>, out: &mut [f64], plan: &Plan, arr: &mut Arrivals<Self>) {
        run_stages::<Self, 8>(self, d, out, plan, arr);
    }
}

/// How a pass is cut: chunk `c` covers pass positions `start[c]..start[c + 1]`, with `start[0] = 0` and
/// `start[count] = n`.
pub(super) struct Plan {
    start: [usize; MAX_CHUNKS + 1],
    count: usize,
}

/// Each chunk's arrival at its end: `u` and the state.
pub(super) struct Arrivals<P: Pass> {
    u: [f64; MAX_CHUNKS],
    st: [P::State; MAX_CHUNKS],
    /// The true start of chunk 0.
    u0: f64,
    st0: P::State,
}

/// Stride of the search for slow corners (points).
const CORNER_STRIDE: usize = 8;
/// A slow corner this close (m) after a slower one, in the pass's direction, is usually not reached at its
/// limit: the pass is rarely pinned there, so it is no place to cut.
const SHADOW_M: f64 = 50.0;

/// Cuts a pass of `n` points at the slow corners: local minima of the corner limit well below the top speed,
/// other than those in the shadow of a slower corner just before them. The pass is likely pinned there.
fn plan<P: Pass>(pass: &P, d: &PassData<'_>, n: usize) -> Plan {
    let mut plan = Plan {
        start: [0; MAX_CHUNKS + 1],
        count: 1,
    };
    let u_lim = &d.u_lim[..n];
    let v_top = d.tables.envelope().top_speed_mps();
    let slow = 0.5 * v_top * v_top;
    // Local minima on every CORNER_STRIDE-th point, each refined by descending to the minimum nearby.
    let mut corners = [(0usize, 0usize); MAX_CHUNKS];
    let mut count = 0;
    let samples = n / CORNER_STRIDE;
    for s in 1..samples.saturating_sub(1) {
        let (a, b, c) = (
            u_lim[(s - 1) * CORNER_STRIDE],
            u_lim[s * CORNER_STRIDE],
            u_lim[(s + 1) * CORNER_STRIDE],
        );
        if (b < slow) & (b < a) & (b <= c) {
            let mut k = s * CORNER_STRIDE;
            while k > 0 && u_lim[k - 1] < u_lim[k] {
                k -= 1;
            }
            while k + 1 < n && u_lim[k + 1] < u_lim[k] {
                k += 1;
            }
            let p = pass.position(k);
            if p != 0 && count < MAX_CHUNKS && (count == 0 || corners[count - 1].1 != k) {
                corners[count] = (p, k);
                count += 1;
            }
        }
    }
    let corners = &mut corners[..count];
    corners.sort_unstable();
    let shadow = (SHADOW_M / d.ds) as usize;
    for m in 0..count {
        let (pm, km) = corners[m];
        let shadowed = corners[..m]
            .iter()
            .rev()
            .take_while(|&&(p, _)| pm - p < shadow)
            .any(|&(_, k)| u_lim[k] < u_lim[km]);
        // Strictly increasing: every chunk has at least one step.
        if !shadowed && plan.count < MAX_CHUNKS && pm > plan.start[plan.count - 1] {
            plan.start[plan.count] = pm;
            plan.count += 1;
        }
    }
    plan.start[plan.count] = n;
    plan
}

/// One chain: its chunk, track index, steps left in the chunk, `u` and state.
#[derive(Clone, Copy)]
struct Lane<S> {
    chunk: usize,
    i: usize,
    left: usize,
    u: f64,
    st: S,
}

/// The chunks not yet started, longest first.
struct Queue {
    order: [usize; MAX_CHUNKS],
    next: usize,
    count: usize,
}

/// Runs the chunks of `plan` on up to `L0` lanes, then, as the queue empties and lanes fall idle, on 4, 2
/// and 1 lanes, so idle lanes do not cost throughput.
fn run_stages<P: Pass, const L0: usize>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    plan: &Plan,
    arr: &mut Arrivals<P>,
) {
    let k = plan.count;
    let mut q = Queue {
        order: [0; MAX_CHUNKS],
        next: 0,
        count: k,
    };
    for (c, o) in q.order.iter_mut().enumerate().take(k) {
        *o = c;
    }
    let len = |c: usize| plan.start[c + 1] - plan.start[c];
    q.order[..k].sort_unstable_by(|&a, &b| len(b).cmp(&len(a)).then(a.cmp(&b)));
    let mut pool = [Lane {
        chunk: 0,
        i: 0,
        left: 0,
        u: 0.0,
        st: pass.pinned(),
    }; MAX_LANES];
    run_lanes::<P, L0>(pass, d, out, plan, arr, &mut q, &mut pool);
    run_lanes::<P, 4>(pass, d, out, plan, arr, &mut q, &mut pool);
    run_lanes::<P, 2>(pass, d, out, plan, arr, &mut q, &mut pool);
    run_lanes::<P, 1>(pass, d, out, plan, arr, &mut q, &mut pool);
}

/// Runs lanes `pool[..L]` (after moving the busy lanes of the pool there), each taking chunks from the
/// queue, until the queue is empty and at most `L / 2` lanes are busy (none for `L = 1`). Each chunk's
/// arrival goes to `arr`, and `u` at every point to `out`.
fn run_lanes<P: Pass, const L: usize>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    plan: &Plan,
    arr: &mut Arrivals<P>,
    q: &mut Queue,
    pool: &mut [Lane<P::State>; MAX_LANES],
) {
    const { assert!(L >= 1 && L <= MAX_LANES) };
    let len = |c: usize| plan.start[c + 1] - plan.start[c];
    let (u0, st0) = (arr.u0, arr.st0);
    let take = |q: &mut Queue, lane: &mut Lane<P::State>| -> bool {
        if q.next == q.count {
            lane.left = 0;
            return false;
        }
        let c = q.order[q.next];
        q.next += 1;
        debug_assert!(len(c) > 0);
        let i = pass.index(plan.start[c]);
        let (u, st) = if c == 0 {
            (u0, st0)
        } else {
            (d.u_lim[i], pass.pinned())
        };
        *lane = Lane {
            chunk: c,
            i,
            left: len(c),
            u,
            st,
        };
        true
    };
    // Busy lanes to the front.
    let mut busy = 0;
    for m in 0..MAX_LANES {
        if pool[m].left != 0 {
            pool.swap(busy, m);
            busy += 1;
        }
    }
    for lane in pool[..L].iter_mut() {
        if lane.left == 0 && take(q, lane) {
            busy += 1;
        }
    }
    let stop = L / 2;
    if busy <= stop && q.next == q.count {
        return;
    }
    let n = out.len();
    let d = &View::new(d, n);
    let mut i = [0usize; L];
    let mut u = [0.0; L];
    let mut st = [pass.pinned(); L];
    let mut left = [0usize; L];
    let mut active = [false; L];
    for l in 0..L {
        (i[l], u[l], st[l], left[l]) = (pool[l].i, pool[l].u, pool[l].st, pool[l].left);
        active[l] = left[l] != 0;
    }
    // Records the arrivals of the lanes that finished their chunks and gives them new ones; whether to stop.
    let mut finish = |i: &mut [usize; L],
                      u: &mut [f64; L],
                      st: &mut [P::State; L],
                      left: &mut [usize; L],
                      active: &mut [bool; L]|
     -> bool {
        for l in 0..L {
            if active[l] && left[l] == 0 {
                let lane = &mut pool[l];
                arr.u[lane.chunk] = u[l];
                arr.st[lane.chunk] = st[l];
                if take(q, lane) {
                    (i[l], u[l], st[l], left[l]) = (lane.i, lane.u, lane.st, lane.left);
                } else {
                    active[l] = false;
                    busy -= 1;
                }
            }
        }
        busy <= stop && q.next == q.count
    };
    loop {
        if P::SKIPS {
            let mut done = false;
            // A run of skipped steps starts where the lane is pinned (at or above the next limit).
            each_lane!(L, l => {
                if left[l] != 0 && P::is_pinned(&st[l]) {
                    pass.skip(d, out, &mut i[l], &mut u[l], &mut st[l], &mut left[l]);
                    done |= left[l] == 0;
                }
            });
            if done && finish(&mut i, &mut u, &mut st, &mut left, &mut active) {
                break;
            }
        }
        // Steps until the first busy lane finishes (with skips, which change `left`, one at a time): no
        // bookkeeping inside.
        let mut m = usize::MAX;
        let mut all = true;
        each_lane!(L, l => {
            if left[l] != 0 {
                m = m.min(left[l]);
            } else {
                all = false;
            }
        });
        let m = if P::SKIPS { 1 } else { m };
        if all {
            for _ in 0..m {
                pass.step_lanes(d, out, &[true; L], &[true; L], &mut i, &mut u, &mut st);
            }
        } else {
            let mut write = [false; L];
            each_lane!(L, l => {
                write[l] = left[l] != 0;
            });
            for _ in 0..m {
                // The idle lanes step too (on garbage), but neither write nor record.
                pass.step_lanes(d, out, &write, &write, &mut i, &mut u, &mut st);
            }
        }
        let mut done = false;
        each_lane!(L, l => {
            if left[l] != 0 {
                left[l] -= m;
                done |= left[l] == 0;
            }
        });
        if done && finish(&mut i, &mut u, &mut st, &mut left, &mut active) {
            break;
        }
    }
    for l in 0..L {
        let lane = &mut pool[l];
        (lane.i, lane.u, lane.st, lane.left) = (i[l], u[l], st[l], left[l]);
    }
}

/// Runs a pass once around the loop from its anchor at `u0` in state `st0`, writing `u` at every point into
/// `out` (indexed by track index), as chunks on lanes (see the module's documentation). Returns the arrival
/// back at the anchor and the state there.
pub(super) fn run_chunked<P: Pass>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    u0: f64,
    st0: P::State,
) -> (f64, P::State) {
    let n = out.len();
    if n < MIN_CHUNKED_POINTS {
        return run_sequential(pass, d, out, u0, st0);
    }
    let plan = plan(pass, d, n);
    let mut arr = Arrivals::<P> {
        u: [0.0; MAX_CHUNKS],
        st: [pass.pinned(); MAX_CHUNKS],
        u0,
        st0,
    };
    pass.run_plan(d, out, &plan, &mut arr);
    let v = &View::new(d, n);
    // Stitch: chunk c is exact if chunk c − 1 arrives pinned; otherwise recompute it until it merges.
    let (mut ua, mut sa) = (arr.u[0], arr.st[0]);
    for c in 1..plan.count {
        let (start, end) = (plan.start[c], plan.start[c + 1]);
        if !P::is_pinned(&sa) {
            let (mut uu, mut ss) = (ua, sa);
            let mut merged = false;
            let mut i = pass.index(start);
            for p in start + 1..=end {
                let j = pass.advance(v, out, i, &mut uu, &mut ss);
                if p < end && P::is_pinned(&ss) && out[j] == v.u_lim[j] {
                    merged = true;
                    break;
                }
                i = j;
            }
            if !merged {
                arr.u[c] = uu;
                arr.st[c] = ss;
            }
        }
        ua = arr.u[c];
        sa = arr.st[c];
    }
    (ua, sa)
}

/// The same pass as one sequential chain: the reference [`run_chunked`] must reproduce bit for bit.
pub(super) fn run_sequential<P: Pass>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    u0: f64,
    st0: P::State,
) -> (f64, P::State) {
    let n = out.len();
    let v = &View::reference(d, n);
    let (mut u, mut st) = (u0, st0);
    let mut i = pass.index(0);
    for _ in 0..n {
        i = pass.advance(v, out, i, &mut u, &mut st);
    }
    (u, st)
}

/// What the traction pass did over one segment (from a track point to the next): the telemetry's record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SegmentRecord {
    /// Gear engaged over the segment (on a held step, braking: the best gear at its start).
    pub gear: u8,
    /// Share of the segment with the drive engaged (below 1 during an upshift).
    pub drive_share: f64,
    /// Held at its cap without evaluating (braking, along the braking profile).
    pub held: bool,
    /// Ended at its cap (the corner limit or the braking profile).
    pub pinned: bool,
}

impl Default for SegmentRecord {
    fn default() -> Self {
        Self {
            gear: 1,
            drive_share: 1.0,
            held: false,
            pinned: false,
        }
    }
}

/// Replays a traction pass sequentially from its anchor at `u0` in state `st0`, as [`run_chunked`] ran it
/// (same steps, held where it held), writing `u` into `out` and, per track index, what the step from that
/// point did into `rec`. The gear and the drive share are those of [`engage`], the rule the pass itself
/// applies, and a step that left a corner limit in the next gear up ([`Forward::depart`], the choice kept
/// for the point by the solve) records that gear. Returns the arrival back at the anchor. Off the hot path:
/// for telemetry only.
pub(super) fn replay_forward(
    pass: &Forward,
    d: &PassData<'_>,
    out: &mut [f64],
    rec: &mut [SegmentRecord],
    u0: f64,
    st0: DriveState,
) -> f64 {
    let n = out.len();
    let v = &View::new(d, n);
    let h = (1.0 + SHIFT_HYSTERESIS) * (1.0 + SHIFT_HYSTERESIS);
    let (mut u, mut st) = (u0, st0);
    let mut i = pass.index(0);
    for _ in 0..n {
        let j = pass.next(i);
        let held = v.hold
            && st.pinned
            && v.sub.exit[i] == 0
            && v.tab.forward_step_reaches(u, v.u_lim[j], v.g_sin[i], v.ds);
        let best = v.tab.forward_at(u).gear();
        let (gear, drive_share) = if held {
            (best, 1.0)
        } else {
            // The step's own rule on a copy of its state: the gear and share it is about to use.
            let mut s = st;
            let share = engage(&v.tab, &mut s, best, u, v.ds, h);
            (s.gear, share)
        };
        out[i] = u;
        let from_cap = Forward::is_pinned(&st) && !held;
        u = pass.step(v, i, j, u, &mut st);
        // A step that left a corner limit in the next gear up (the step's own choice, kept for the point).
        let gear = if from_cap && !st.pinned && v.departures[i].get() == 2 {
            gear + 1
        } else {
            gear
        };
        rec[i] = SegmentRecord {
            gear,
            drive_share,
            held,
            pinned: st.pinned,
        };
        i = j;
    }
    u
}
