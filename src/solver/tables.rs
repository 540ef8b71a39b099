//! The solver's hot-loop tables of one car envelope: per node, the value and the difference to the next node
//! of the fields each pass reads (one load pair and one multiply-add a field), the engine-work table, and
//! the bounds that let the passes take provably pinned steps without evaluating them.
//!
//! They are a layout of [`Envelope`]'s nodes for the passes, not a second model: every acceleration goes
//! through the force law of [`crate::vehicle::envelope`] ([`forward_accel_mps2`](crate::vehicle::envelope::forward_accel_mps2), [`braking_decel_mps2`]).
//! Table cells are found with [`cell_of`] (no float-to-integer conversion on the loop-carried chain).

use serde::Serialize;

use crate::numerics::table::{cell_from_zero, cell_of, keep_branch};
use crate::vehicle::envelope::{
    braking_decel_mps2, forward_accel_limit_mps2, implicit_ellipse_end, IMPLICIT_USAGE,
};
use crate::vehicle::{Envelope, EnvelopeNode};

/// Hot-loop table entry for the traction pass: value at the node and difference to the next node, for
/// `inv_ay_max`, `ax_traction`, `drive`, `rot_ratio`, `resist` (one load pair and one multiply-add each),
/// and the node's best gear.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct ForwardEntry {
    val: [f64; 5],
    dif: [f64; 5],
    gear: u8,
    /// The next node's best gear: the gear at `t = 1` (see [`cell`]).
    gear_next: u8,
}

/// Hot-loop table entry for the braking pass: `inv_ay_max`, `ax_brake`, `resist`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct BackwardEntry {
    val: [f64; 3],
    dif: [f64; 3],
}

/// The solver's tables of one envelope (which they own): built once per car (and fuel load), shared by every
/// lap and driver.
#[derive(Debug, Clone)]
pub struct Tables {
    env: Envelope,
    fwd: Vec<ForwardEntry>,
    bwd: Vec<BackwardEntry>,
    /// `[1/rot_ratio, its difference to the next node, resist, its difference]` per node.
    work: Vec<[f64; 4]>,
    /// Every interpolation of the braking table's braking and resistance accelerations is ≥ 0 (see
    /// [`decel_nonnegative`]).
    decel_nonnegative: bool,
    /// Per forward-table cell `k`: bounds on the resistance and on `max(rot_ratio, 1)` over every
    /// interpolation in cells `0..=k` (empty if the table's capacities can interpolate below 0); see
    /// [`forward_floor`].
    fwd_floor: Vec<[f64; 2]>,
    x_max: f64,
}

impl Tables {
    /// The tables of `env` (a copy of it is kept: [`Self::envelope`]).
    pub fn new(env: &Envelope) -> Self {
        let mut t = Self {
            env: env.clone(),
            fwd: Vec::new(),
            bwd: Vec::new(),
            work: Vec::new(),
            decel_nonnegative: false,
            fwd_floor: Vec::new(),
            x_max: 0.0,
        };
        t.lay_out();
        t
    }

    /// Lays out the tables of the envelope these tables own (their buffers reused): per node the fields of
    /// each pass and their differences to the next node, the engine-work table, and the bounds behind the
    /// skipped steps ([`decel_nonnegative`], [`forward_floor`]).
    fn lay_out(&mut self) {
        let nodes = self.env.nodes();
        let n = nodes.len();
        let f = |e: &EnvelopeNode| {
            [
                e.inv_ay_max_s2pm,
                e.ax_traction_mps2,
                e.drive_mps2,
                e.rot_ratio,
                e.resist_mps2,
            ]
        };
        let g = |e: &EnvelopeNode| [e.inv_ay_max_s2pm, e.ax_brake_mps2, e.resist_mps2];
        // Each node with the next (the last with itself: differences 0), in one pass over buffers of the
        // right size (no per-entry capacity check: this runs for every lap between two fuel loads).
        self.fwd.resize(n, ForwardEntry::default());
        self.bwd.resize(n, BackwardEntry::default());
        self.work.resize(n, [0.0; 4]);
        let pairs = nodes.iter().zip(nodes.iter().skip(1).chain(nodes.last()));
        let outs = self
            .fwd
            .iter_mut()
            .zip(self.bwd.iter_mut().zip(self.work.iter_mut()));
        for ((a, b), (fe, (be, we))) in pairs.zip(outs) {
            let (v, w) = (f(a), f(b));
            *fe = ForwardEntry {
                val: v,
                dif: [
                    w[0] - v[0],
                    w[1] - v[1],
                    w[2] - v[2],
                    w[3] - v[3],
                    w[4] - v[4],
                ],
                gear: a.gear as u8,
                gear_next: b.gear as u8,
            };
            let (v, w) = (g(a), g(b));
            *be = BackwardEntry {
                val: v,
                dif: [w[0] - v[0], w[1] - v[1], w[2] - v[2]],
            };
            let (ia, ib) = (1.0 / a.rot_ratio, 1.0 / b.rot_ratio);
            *we = [ia, ib - ia, a.resist_mps2, b.resist_mps2 - a.resist_mps2];
        }
        self.decel_nonnegative = decel_nonnegative(&self.bwd);
        forward_floor(&self.fwd, &mut self.fwd_floor);
        self.x_max = (n - 1) as f64 - 1e-9;
    }

    /// The envelope these tables lay out.
    pub fn envelope(&self) -> &Envelope {
        &self.env
    }

    /// Whether `other`'s tables have this one's layout ([`Envelope::same_layout`]): then
    /// [`Self::blend_into`] interpolates like for like.
    pub fn same_layout(&self, other: &Tables) -> bool {
        self.env.same_layout(&other.env)
    }

    /// Writes into `out` the tables of the envelope `(1 − w)·self + w·other` ([`Envelope::blend_into`]; `w`
    /// in [0, 1], the same layout): exactly [`Self::new`] of that envelope (its values interpolated, then laid
    /// out as `new` lays them out, the bounds behind the skipped steps included), in `out`'s buffers: no
    /// allocation once they have the size.
    pub fn blend_into(&self, other: &Tables, w: f64, out: &mut Tables) {
        self.env.blend_into(&other.env, w, &mut out.env);
        out.lay_out();
    }

    /// Table position of squared speed `u`: node index and fraction, clamped to the table, with kept
    /// branches (the passes' cold path).
    #[inline(always)]
    fn locate(&self, u_m2ps2: f64) -> (usize, f64) {
        let x = u_m2ps2 * (1.0 / Envelope::DU_M2PS2);
        let x = if x > self.x_max {
            keep_branch();
            self.x_max
        } else if x >= 0.0 {
            x
        } else {
            keep_branch();
            0.0
        };
        cell_from_zero(x)
    }

    /// Largest forward acceleration (m/s²) at squared speed `u` on a point of curvature `kappa_abs` (1/m) with
    /// `g_sin = g sin θ` (m/s²) and drive engaged for `share` of the segment: the force law at the tables'
    /// interpolation of the envelope.
    #[inline(always)]
    pub fn forward_accel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64, share: f64) -> f64 {
        let at = self.forward_at(u_m2ps2);
        at.accel_mps2(u_m2ps2, kappa_abs, g_sin, share, at.gear())
    }

    /// Largest deceleration (m/s², positive) at squared speed `u`: the braking force law at the tables'
    /// interpolation of the envelope.
    #[inline(always)]
    pub fn braking_decel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64) -> f64 {
        self.braking_at(u_m2ps2)
            .decel_mps2(u_m2ps2, kappa_abs, g_sin)
    }

    /// The forward table at squared speed `u`, clamped to the table.
    #[inline]
    fn forward_at(&self, u_m2ps2: f64) -> ForwardAt<'_> {
        let (k, t) = self.locate(u_m2ps2);
        ForwardAt {
            e: &self.fwd[k],
            t,
            traction: 1.0,
            k,
            tables: self,
        }
    }

    /// The braking table at squared speed `u`, clamped to the table.
    #[inline]
    fn braking_at(&self, u_m2ps2: f64) -> BrakingAt<'_> {
        let (k, t) = self.locate(u_m2ps2);
        BrakingAt {
            e: &self.bwd[k],
            t,
            brake: 1.0,
        }
    }

    /// [`Self::forward_at`] out of the hot loop's way.
    #[cold]
    #[inline(never)]
    fn forward_at_cold(&self, u_m2ps2: f64) -> ForwardAt<'_> {
        self.forward_at(u_m2ps2)
    }

    /// [`Self::braking_at`] out of the hot loop's way.
    #[cold]
    #[inline(never)]
    fn braking_at_cold(&self, u_m2ps2: f64) -> BrakingAt<'_> {
        self.braking_at(u_m2ps2)
    }

    /// The tables, borrowed for one pass of the solver by a driver using `traction` and `brake` of the tyres'
    /// traction and braking capacity (in (0, 1]; the grip share scales the curvature instead, see
    /// [`crate::solver::LapSolver::for_driver`]).
    pub(crate) fn pass_tables(&self, traction: f64, brake: f64) -> PassTables<'_> {
        let fast = self.fwd.len().saturating_sub(2);
        PassTables {
            tables: self,
            fwd: &self.fwd[..fast],
            bwd: &self.bwd[..fast],
            floor: &self.fwd_floor,
            traction,
            brake,
        }
    }

    /// `(1 / rot_ratio, resist_mps2)` at squared speed `u` (linear in u between the nodes, clamped to the
    /// table): what the engine's work needs, `(m + m_rot) a = m a / rot_ratio`.
    #[inline(always)]
    pub fn work_terms_at_u(&self, u_m2ps2: f64) -> (f64, f64) {
        self.work_table().at(u_m2ps2)
    }

    /// The work table, borrowed for a loop over a lap (its slice held in registers).
    #[inline(always)]
    pub(crate) fn work_table(&self) -> WorkTable<'_> {
        WorkTable {
            tables: self,
            fast: &self.work[..self.work.len().saturating_sub(2)],
        }
    }

    /// [`Self::work_terms_at_u`] with the position clamped to the table.
    #[cold]
    #[inline(never)]
    fn work_terms_cold(&self, u_m2ps2: f64) -> (f64, f64) {
        let (k, t) = self.env.position_u(u_m2ps2);
        let e = &self.work[k];
        (e[0] + t * e[1], e[2] + t * e[3])
    }
}

/// Whether every interpolation `val + t dif` (`0 ≤ t < 1`) of the braking and resistance accelerations of the
/// braking table is ≥ 0: true when `val ≥ 0` and `val + dif ≥ 0` at every node (the rounded `t dif` lies
/// between `dif` and 0, and rounding is monotone).
fn decel_nonnegative(bwd: &[BackwardEntry]) -> bool {
    // Plain comparisons folded without early exit (they vectorise; a table is all or nothing anyway).
    bwd.iter().fold(true, |ok, e| {
        ok & (e.val[1] >= 0.0)
            & (-e.dif[1] <= e.val[1])
            & (e.val[2] >= 0.0)
            & (-e.dif[2] <= e.val[2])
    })
}

/// Per forward-table cell `k`, upper bounds `[R, F]` on the resistance `resist` and on `max(rot_ratio, 1)`
/// over every interpolation `val + t dif` (`0 ≤ t ≤ 1`) in cells `0..=k` (a rounded interpolation lies between
/// `val` and `val + dif`: rounding is monotone). They bound how fast the traction pass can lose speed below
/// `u`: with the traction, drive and ratio fields ≥ 0 (else the table is empty: no bound), the forward
/// acceleration `min(share·drive − load·rot, traction·e − load)` is at least `−max(load, load·rot)`, and so
/// `a ≥ −max(R + g sin θ, 0)·F` ([`PassTables::forward_step_reaches`]). The shares scale only the capacity
/// fields, so the bounds hold for every driver. Written into `out` (its buffer reused).
fn forward_floor(fwd: &[ForwardEntry], out: &mut Vec<[f64; 2]>) {
    // Selects rather than `f64::max` (no NaN here), the checks folded without early exit.
    let hi = |e: &ForwardEntry, q: usize| {
        let end = e.val[q] + e.dif[q];
        if e.val[q] > end {
            e.val[q]
        } else {
            end
        }
    };
    let (mut r, mut f) = (f64::NEG_INFINITY, 1.0_f64);
    let mut nonnegative = true;
    out.resize(fwd.len(), [0.0; 2]);
    for (e, o) in fwd.iter().zip(out.iter_mut()) {
        for q in 1..4 {
            nonnegative &= (e.val[q] >= 0.0) & (e.val[q] + e.dif[q] >= 0.0);
        }
        let (hr, hf) = (hi(e, 4), hi(e, 3));
        r = if hr > r { hr } else { r };
        f = if hf > f { hf } else { f };
        *o = [r, f];
    }
    if !nonnegative {
        out.clear();
    }
}

/// The envelope's hot-loop tables, borrowed by one pass of the solver (held in registers rather than reloaded
/// through the envelope after every store).
#[derive(Clone, Copy)]
pub(crate) struct PassTables<'a> {
    tables: &'a Tables,
    /// Entries of the nodes below the last two: there the position never needs clamping.
    fwd: &'a [ForwardEntry],
    bwd: &'a [BackwardEntry],
    /// [`forward_floor`] of the forward table.
    floor: &'a [[f64; 2]],
    /// Share of the traction capacity used.
    traction: f64,
    /// Share of the braking capacity used.
    brake: f64,
}

impl<'a> PassTables<'a> {
    /// The forward table at squared speed `u ≥ 0` (the passes' `u` is never negative or NaN). One
    /// comparison, which also proves the index inside the table; it fails only below the first cell (`u`
    /// under 1 m²/s², at a start from rest) or in the last two nodes, where the cold path clamps.
    #[inline(always)]
    pub(crate) fn forward_at(&self, u_m2ps2: f64) -> ForwardAt<'a> {
        debug_assert!(u_m2ps2 >= 0.0);
        let (k, t) = cell_of(u_m2ps2, Envelope::DU_M2PS2);
        if (k as u64) < self.fwd.len() as u64 {
            ForwardAt {
                e: &self.fwd[k as usize],
                t,
                traction: self.traction,
                k: k as usize,
                tables: self.tables,
            }
        } else {
            ForwardAt {
                traction: self.traction,
                ..self.tables.forward_at_cold(u_m2ps2)
            }
        }
    }

    /// The braking table at squared speed `u ≥ 0`; see [`Self::forward_at`].
    #[inline(always)]
    pub(crate) fn braking_at(&self, u_m2ps2: f64) -> BrakingAt<'a> {
        debug_assert!(u_m2ps2 >= 0.0);
        let (k, t) = cell_of(u_m2ps2, Envelope::DU_M2PS2);
        if (k as u64) < self.bwd.len() as u64 {
            BrakingAt {
                e: &self.bwd[k as usize],
                t,
                brake: self.brake,
            }
        } else {
            BrakingAt {
                brake: self.brake,
                ..self.tables.braking_at_cold(u_m2ps2)
            }
        }
    }

    /// Whether a traction step from `u` to a point whose cap is `cap_j`, on a segment with `g_sin`, certainly
    /// ends at the cap: `u + (a₁ + a₂) ds ≥ cap_j` for every pair of accelerations the step could compute.
    /// Both are taken at squared speeds in `[0, max(u, cap_j)]` (the predictor is clamped to the cap) and are
    /// ≥ `−b` with `b` from [`forward_floor`]; rounding is monotone, so the rounded step is ≥
    /// `u + (−2b) ds` rounded. Along a braking profile the cap falls at the braking deceleration, far faster
    /// than drag and gravity could slow the car, so the pass stays pinned there without evaluating anything.
    #[inline(always)]
    pub(crate) fn forward_step_reaches(
        &self,
        u_m2ps2: f64,
        cap_j: f64,
        g_sin: f64,
        ds: f64,
    ) -> bool {
        self.forward_step_floor(u_m2ps2, cap_j, g_sin, ds)
            .is_some_and(|floor| floor >= cap_j)
    }

    /// The least value `u + (a₁ + a₂) ds` of a traction step from `u` can take with accelerations at squared
    /// speeds up to `max(u, cap_j)`, as rounded: `u + (−2b) ds` (see [`Self::forward_step_reaches`]); `None`
    /// where no bound is known (below the first cell, past the table, or a table without bounds).
    #[inline(always)]
    fn forward_step_floor(&self, u_m2ps2: f64, cap_j: f64, g_sin: f64, ds: f64) -> Option<f64> {
        let x = if u_m2ps2 > cap_j { u_m2ps2 } else { cap_j };
        let (k, _) = cell_of(x, Envelope::DU_M2PS2);
        if (k as u64) < self.floor.len() as u64 {
            let [r, f] = self.floor[k as usize];
            let load = r + g_sin;
            let b = if load > 0.0 { load * f } else { 0.0 };
            Some(u_m2ps2 + (-2.0 * b) * ds)
        } else {
            None
        }
    }

    /// Whether `gear`'s own drive is tabulated at `u` ([`Envelope::gear_terms`] has it; never past the top
    /// gear, which has no band above it).
    pub(crate) fn gear_covers(&self, gear: u8, u_m2ps2: f64) -> bool {
        let (k, t) = cell_of(u_m2ps2, Envelope::DU_M2PS2);
        k >= 0 && self.tables.env.gear_terms(gear, k as usize, t).is_some()
    }

    /// Upshift time without drive (s).
    #[inline(always)]
    pub(crate) fn shift_time_s(&self) -> f64 {
        self.tables.env.shift_time_s()
    }

    /// The squared speed at which a car in `gear` starts its upshift: where the best gear becomes a higher
    /// one ([`Envelope::upshift_u_m2ps2`]; infinite in the top gear).
    #[inline(always)]
    pub(crate) fn upshift_u(&self, gear: u8) -> f64 {
        self.tables.env.upshift_u_m2ps2(gear)
    }

    /// The gear an upshift from `gear` goes to ([`Envelope::upshift_to`]).
    #[inline(always)]
    pub(crate) fn upshift_to(&self, gear: u8) -> u8 {
        self.tables.env.upshift_to(gear)
    }

    /// Whether every deceleration the braking table gives is at least `g sin θ`: its braking and resistance
    /// accelerations interpolate to ≥ 0 (see [`decel_nonnegative`]), and the friction-ellipse share is ≥ 0.
    #[inline(always)]
    pub(crate) fn decel_at_least_g_sin(&self) -> bool {
        self.tables.decel_nonnegative
    }
}

/// The table of [`Tables::work_terms_at_u`], borrowed for a loop.
#[derive(Clone, Copy)]
pub(crate) struct WorkTable<'a> {
    tables: &'a Tables,
    /// Entries of the nodes below the last two: there the position never needs clamping.
    fast: &'a [[f64; 4]],
}

impl WorkTable<'_> {
    /// [`Tables::work_terms_at_u`]: below the last two nodes (every speed up to the top speed) one
    /// comparison proves the cell inside the table ([`cell_of`], as in the passes); elsewhere a cold path
    /// clamps. The same values, bit for bit.
    #[inline(always)]
    pub(crate) fn at(&self, u_m2ps2: f64) -> (f64, f64) {
        let (k, t) = cell_of(u_m2ps2, Envelope::DU_M2PS2);
        if (k as u64) < self.fast.len() as u64 {
            let e = &self.fast[k as usize];
            (e[0] + t * e[1], e[2] + t * e[3])
        } else {
            self.tables.work_terms_cold(u_m2ps2)
        }
    }

    /// Positive drive force over a segment from `u_i` to `u_j` (squared speeds) on a slope `g_sin` (N):
    /// `m (a / rot_ratio + resist + g sin θ)` with `a = (u_j − u_i) / 2ds` (`inv_2ds = 1 / 2ds`) and the
    /// table's `1 / rot_ratio` and `resist` at `u_i` (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2);
    /// 0 when braking or coasting.
    #[inline(always)]
    pub(crate) fn drive_force_n(&self, u_i: f64, u_j: f64, g_sin: f64, inv_2ds: f64) -> f64 {
        let (inv_rot_ratio, resist) = self.at(u_i);
        let f =
            self.tables.env.mass_kg() * ((u_j - u_i) * inv_2ds * inv_rot_ratio + resist + g_sin);
        if f > 0.0 {
            f
        } else {
            0.0
        }
    }
}

/// The forward table at one squared speed: the node at or below it and the fraction to the next.
#[derive(Clone, Copy)]
pub(crate) struct ForwardAt<'a> {
    e: &'a ForwardEntry,
    t: f64,
    /// Share of the traction capacity used (1 for the car as tabulated).
    traction: f64,
    /// The cell's node.
    k: usize,
    tables: &'a Tables,
}

impl ForwardAt<'_> {
    /// Best gear (that of the node at or below).
    #[inline(always)]
    pub(crate) fn gear(&self) -> u8 {
        // At t = 1 the position is the next node's (an integer position in the cell below, see `cell`).
        if self.t < 1.0 {
            self.e.gear
        } else {
            self.e.gear_next
        }
    }

    /// [`Tables::forward_accel_mps2`] at this table position of `u`.
    ///
    /// The minimum of the engine and tyre limits (and the friction ellipse's clamp) are branches: the solver
    /// stays engine- or tyre-limited for long stretches, so the processor predicts them, and while the car is
    /// engine-limited the result does not wait for the square root of the tyre limit.
    #[inline(always)]
    pub(crate) fn accel_mps2(
        &self,
        u_m2ps2: f64,
        kappa_abs: f64,
        g_sin: f64,
        share: f64,
        gear: u8,
    ) -> f64 {
        self.accel_limit_mps2(u_m2ps2, kappa_abs, g_sin, share, gear)
            .0
    }

    /// [`Self::accel_mps2`], whether the tyres (not the engine) set it, and the other side's limit
    /// ([`forward_accel_limit_mps2`]).
    #[inline(always)]
    pub(crate) fn accel_limit_mps2(
        &self,
        u_m2ps2: f64,
        kappa_abs: f64,
        g_sin: f64,
        share: f64,
        gear: u8,
    ) -> (f64, bool, f64) {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        let [drive, rot] = self.drive_terms(gear);
        // (capacity × share) first: off the chain through the square root, and exact for a share of 1.
        forward_accel_limit_mps2(
            f(0),
            f(1) * self.traction,
            drive,
            rot,
            f(4),
            u_m2ps2 * kappa_abs,
            g_sin,
            share,
        )
    }

    /// The drive terms `[drive, rot_ratio]` of the engaged `gear` here: the table's where the cell holds
    /// that gear at both ends (nearly always), else the gear's own ([`Envelope::gear_terms`]): after an
    /// upshift below the crossover, and across a crossover, where the best gear's drive jumps.
    #[inline(always)]
    fn drive_terms(&self, gear: u8) -> [f64; 2] {
        let (e, t) = (self.e, self.t);
        if e.gear == gear && e.gear_next == gear {
            [e.val[2] + t * e.dif[2], e.val[3] + t * e.dif[3]]
        } else {
            self.other_gear_terms(gear)
        }
    }

    #[cold]
    #[inline(never)]
    fn other_gear_terms(&self, gear: u8) -> [f64; 2] {
        let (e, t) = (self.e, self.t);
        self.tables
            .env
            .gear_terms(gear, self.k, t)
            .unwrap_or([e.val[2] + t * e.dif[2], e.val[3] + t * e.dif[3]])
    }

    /// The end of a traction step (the corrector, in `u = v²`) from `u_i` with the start's acceleration `a1`,
    /// this table position being that of the predictor `up`: Heun's `u_i + (a₁ + a(up)) ds`, except near the
    /// lateral limit (usage above [`IMPLICIT_USAGE`] at `up`), where the tyre branch of the trapezoidal rule is
    /// solved implicitly ([`implicit_ellipse_end`], the capacities frozen at `up`) and the engine branch stays
    /// explicit: the end is the lesser of the two, as the acceleration is the lesser of the two limits.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn step_end(
        &self,
        u_i: f64,
        a1: f64,
        up: f64,
        kappa_abs: f64,
        g_sin: f64,
        share: f64,
        ds: f64,
        gear: u8,
    ) -> f64 {
        self.step_end_limit(u_i, a1, up, kappa_abs, g_sin, share, ds, gear)
            .0
    }

    /// [`Self::step_end`], whether the tyres (not the engine) limit the step at its end, and the end the other
    /// side would give: the force law's sides at the predictor ([`Self::accel_limit_mps2`]), or near the
    /// lateral limit, where the end is solved implicitly, the side whose end is the lesser.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn step_end_limit(
        &self,
        u_i: f64,
        a1: f64,
        up: f64,
        kappa_abs: f64,
        g_sin: f64,
        share: f64,
        ds: f64,
        gear: u8,
    ) -> (f64, bool, f64) {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        let q = kappa_abs * f(0);
        if up * q > IMPLICIT_USAGE {
            keep_branch();
            let load = f(4) + g_sin;
            let [drive, rot] = self.drive_terms(gear);
            // The force law's tyre branch for a drive share (see `forward_accel_mps2`).
            let coast = (1.0 - share) * (load * rot);
            let tyre = implicit_ellipse_end(
                u_i + (a1 - share * load - coast) * ds,
                ds * share * (f(1) * self.traction),
                q,
            );
            let engine = u_i + (a1 + (share * drive - load * rot)) * ds;
            if engine < tyre {
                (engine, false, tyre)
            } else {
                (tyre, true, engine)
            }
        } else {
            let (a2, limit, other) = self.accel_limit_mps2(up, kappa_abs, g_sin, share, gear);
            (u_i + (a1 + a2) * ds, limit, u_i + (a1 + other) * ds)
        }
    }
}

/// The braking table at one squared speed.
#[derive(Clone, Copy)]
pub(crate) struct BrakingAt<'a> {
    e: &'a BackwardEntry,
    t: f64,
    /// Share of the braking capacity used (1 for the car as tabulated).
    brake: f64,
}

impl BrakingAt<'_> {
    /// [`Tables::braking_decel_mps2`] at this table position of `u`.
    #[inline(always)]
    pub(crate) fn decel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64) -> f64 {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        braking_decel_mps2(f(0), f(1) * self.brake, f(2), u_m2ps2 * kappa_abs, g_sin)
    }

    /// The end of a braking step from `u_i` with the start's deceleration `d1`, this table position being that
    /// of the predictor `up`: Heun's `u_i + (d₁ + d(up)) ds`, or near the lateral limit the trapezoidal rule
    /// solved implicitly through the ellipse (see [`ForwardAt::step_end`]).
    #[inline(always)]
    pub(crate) fn step_end(
        &self,
        u_i: f64,
        d1: f64,
        up: f64,
        kappa_abs: f64,
        g_sin: f64,
        ds: f64,
    ) -> f64 {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        let q = kappa_abs * f(0);
        if up * q > IMPLICIT_USAGE {
            keep_branch();
            implicit_ellipse_end(u_i + (d1 + f(2) + g_sin) * ds, ds * (f(1) * self.brake), q)
        } else {
            u_i + (d1 + self.decel_mps2(up, kappa_abs, g_sin)) * ds
        }
    }
}

/// `y.max(0.0).min(cap)` for `cap ≥ 0`, as branches (see [`keep_branch`]); and whether `y ≥ cap`, i.e.
/// whether the pass is pinned at the cap (for `y < 0`, `max(y, 0) ≥ cap`).
#[inline(always)]
pub(crate) fn clamp_to_cap(y: f64, cap: f64) -> (f64, bool) {
    if y >= cap {
        keep_branch();
        (cap, true)
    } else if y >= 0.0 {
        (y, false)
    } else {
        keep_branch();
        (0.0, 0.0 >= cap)
    }
}

#[cfg(test)]
mod tests {
    use super::{EnvelopeNode, Tables};
    use crate::vehicle::Envelope;
    use proptest::prelude::*;

    /// At every node of the car's tables, the interpolation from the cell below at `t = 1` is the node
    /// itself, bit for bit (gear included): so `cell`'s choice of the cell below at odd integer positions
    /// changes no result against a floor.
    #[test]
    fn tables_at_t_one_give_the_next_node_exactly() {
        let at = tables_with_fuel;
        // And tables interpolated between two fuel loads (`Tables::blend_into`, written over a third's).
        let mut blended = at(60.0);
        at(30.0).blend_into(&at(31.0), 0.37, &mut blended);
        for env in [at(0.0), at(30.0), at(60.0), blended] {
            let n = env.fwd.len();
            for k in 0..n - 1 {
                let (f, g) = (&env.fwd[k], &env.fwd[k + 1]);
                let at = super::ForwardAt {
                    e: f,
                    t: 1.0,
                    traction: 1.0,
                    k,
                    tables: &env,
                };
                assert_eq!(at.gear(), g.gear, "node {k}");
                for q in 0..5 {
                    assert_eq!(f.val[q] + 1.0 * f.dif[q], g.val[q], "fwd {k} {q}");
                }
                for q in 0..3 {
                    assert_eq!(
                        env.bwd[k].val[q] + 1.0 * env.bwd[k].dif[q],
                        env.bwd[k + 1].val[q]
                    );
                }
                for q in [0, 2] {
                    assert_eq!(
                        env.work[k][q] + 1.0 * env.work[k][q + 1],
                        env.work[k + 1][q]
                    );
                }
                let nodes: &[EnvelopeNode] = env.envelope().nodes();
                let (a, b) = (nodes[k].lerp(&nodes[k + 1], 1.0), &nodes[k + 1]);
                assert_eq!(a, *b, "node {k}");
            }
        }
    }

    /// Tables interpolated between two fuel loads are the lower load's at `w = 0` bit for bit, the upper's
    /// at `w = 1` to rounding, in between the loads' values interpolated (every difference and bound of the
    /// lower side recomputed), and their bounds hold their entries.
    #[test]
    fn blended_tables_interpolate_between_the_loads() {
        let at = tables_with_fuel;
        let (a, b) = (at(20.0), at(21.0));
        assert!(a.same_layout(&b));
        let mut out = at(50.0);
        a.blend_into(&b, 0.0, &mut out);
        let bits = |t: &Tables| {
            let mut v: Vec<u64> = t
                .fwd
                .iter()
                .flat_map(|e| e.val.into_iter().chain(e.dif))
                .map(f64::to_bits)
                .collect();
            v.extend(
                t.bwd
                    .iter()
                    .flat_map(|e| e.val.into_iter().chain(e.dif))
                    .map(f64::to_bits),
            );
            v.extend(t.work.iter().flatten().map(|x| x.to_bits()));
            v.extend(t.fwd_floor.iter().flatten().map(|x| x.to_bits()));
            v
        };
        assert_eq!(bits(&out), bits(&a));
        assert_eq!(out.decel_nonnegative, a.decel_nonnegative);
        a.blend_into(&b, 1.0, &mut out);
        for (o, e) in out.fwd.iter().zip(&b.fwd) {
            for q in 0..5 {
                assert!((o.val[q] - e.val[q]).abs() <= 1e-12 * e.val[q].abs().max(1.0));
            }
        }
        a.blend_into(&b, 0.25, &mut out);
        assert!((out.envelope().mass_kg() - (a.envelope().mass_kg() + 0.25)).abs() < 1e-9);
        for k in 0..out.fwd.len() {
            for q in 0..5 {
                let (x, y) = (a.fwd[k].val[q], b.fwd[k].val[q]);
                assert!(
                    (out.fwd[k].val[q] - (0.75 * x + 0.25 * y)).abs() <= 1e-12 * x.abs().max(1.0)
                );
            }
            let hi = |q: usize| out.fwd[k].val[q].max(out.fwd[k].val[q] + out.fwd[k].dif[q]);
            assert!(out.fwd_floor[k][0] >= hi(4) && out.fwd_floor[k][1] >= hi(3).max(1.0));
        }
    }

    /// The tables of the shipped car's envelope with `fuel_kg` on board.
    fn tables_with_fuel(fuel_kg: f64) -> Tables {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cars/porsche_997_gt3_cup.toml");
        let car = crate::vehicle::Car::from_file(&path).unwrap();
        Tables::new(&Envelope::new(&car.with_fuel_kg(fuel_kg).unwrap()))
    }

    /// The tables of the car's envelope with 30 kg of fuel, built once for the property tests.
    fn gt3() -> &'static Tables {
        static ENV: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
        ENV.get_or_init(|| tables_with_fuel(30.0))
    }

    /// The bound holds along a braking profile (a cap falling at 10 m/s² from 50 m/s) and not where the cap
    /// falls slower than drag can slow the car, so the property test below is not vacuous.
    #[test]
    fn forward_step_holds_along_a_braking_profile_only() {
        let tab = gt3().pass_tables(1.0, 1.0);
        let u = 2500.0;
        assert!(tab.forward_step_reaches(u, u - 2.0 * 10.0, 0.0, 1.0));
        assert!(!tab.forward_step_reaches(u, u - 2.0 * 0.1, 0.0, 1.0));
        // Downhill, gravity alone cannot slow the car: a level or rising cap holds.
        assert!(tab.forward_step_reaches(u, u, -3.0, 1.0));
    }

    /// The traction pass's Heun step as the solver computes it: predictor clamped to the cap, corrector.
    #[allow(clippy::too_many_arguments)]
    fn heun_step(
        tab: &super::PassTables<'_>,
        u: f64,
        cap: f64,
        g_sin: f64,
        ds: f64,
        ka: f64,
        kb: f64,
        share: f64,
    ) -> (f64, bool) {
        let at = tab.forward_at(u);
        let a1 = at.accel_mps2(u, ka, g_sin, share, at.gear());
        let up = super::clamp_to_cap(u + a1 * (2.0 * ds), cap).0;
        let at = tab.forward_at(up);
        let a2 = at.accel_mps2(up, kb, g_sin, share, at.gear());
        super::clamp_to_cap(u + (a1 + a2) * ds, cap)
    }

    /// The hold's bound at its edge: with the cap exactly at the accepted threshold, at the nodes, the middle
    /// and both ends (`t = 1` included) of every cell of the table, on slopes up and down, and in the worst
    /// case the bound allows (lateral grip used up, `κ = 1`: the ellipse leaves nothing, `a = −load`), the
    /// real step still ends pinned at the cap. A bound short by a rounding (one node's value instead of the
    /// larger end of its cell, a missing `max(load, 0)`, `b` for `2b`) fails here.
    #[test]
    fn a_held_forward_step_at_the_threshold_ends_at_its_cap() {
        let env = gt3();
        let n = env.fwd.len();
        let mut held = 0;
        for traction in [1.0, 0.5] {
            let tab = env.pass_tables(traction, 1.0);
            for k in 0..n {
                let base = Envelope::DU_M2PS2 * k as f64;
                for u in [base, base + 2.0, base + 4.0, base + 4.0 - 1e-6, base + 1e-6] {
                    for g_sin in [-3.0, -0.4, 0.0, 0.3, 3.0] {
                        for ds in [0.25, 1.0, 3.0] {
                            let Some(cap) = tab.forward_step_floor(u, u, g_sin, ds) else {
                                continue;
                            };
                            // The threshold lies at or below u (b ≥ 0), so the bound's cell is u's.
                            if !(cap >= 0.0 && tab.forward_step_reaches(u, cap, g_sin, ds)) {
                                continue;
                            }
                            for (kappa, share) in [(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)] {
                                let (uj, pinned) =
                                    heun_step(&tab, u, cap, g_sin, ds, kappa, kappa, share);
                                assert!(
                                    pinned && uj == cap,
                                    "u {u} cap {cap} g sin {g_sin} ds {ds} κ {kappa} share {share}"
                                );
                                held += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(held > 100_000, "{held}");
    }

    proptest! {
        /// Whenever [`super::PassTables::forward_step_reaches`] says so, the traction pass's Heun step (as the
        /// solver computes it: predictor clamped to the cap, corrector) ends at the cap, whatever the
        /// curvature at either end, the drive share (an upshift) and the driver's shares.
        #[test]
        fn a_held_forward_step_ends_at_its_cap(
            u in 0.0f64..6400.0,
            drop in -50.0f64..60.0,
            g_sin in -3.0f64..3.0,
            ka in 0.0f64..0.05,
            kb in 0.0f64..0.05,
            share in 0.0f64..=1.0,
            traction in 0.5f64..=1.0,
            ds in prop::sample::select(vec![0.25, 0.5, 1.0, 2.0]),
        ) {
            let tab = gt3().pass_tables(traction, 1.0);
            let cap = (u - drop * ds).max(0.0);
            if tab.forward_step_reaches(u, cap, g_sin, ds) {
                let (uj, pinned) = heun_step(&tab, u, cap, g_sin, ds, ka, kb, share);
                prop_assert!(pinned && uj == cap, "u {} cap {}", u, cap);
            }
        }
    }
}
