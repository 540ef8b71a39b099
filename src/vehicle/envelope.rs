//! The car's performance envelope as a function of speed (a GGV table), computed once per car.
//!
//! Each [`EnvelopeNode`] holds the capacities at one speed, as accelerations (force / mass): the pure lateral,
//! traction and braking limits of the tyres, the full-load drive in the best gear, and the resistances. The
//! solver combines them at each point with the friction ellipse
//! `(a_x,tyre / a_x,max)² + (a_y / a_y,max)² ≤ 1`; lateral demand leaves `e = √(1 − (a_y/a_y,max)²)` of the
//! longitudinal capacity (Pacejka, *Tire and Vehicle Dynamics*, §1.3).
//!
//! The table is uniform in the *square* of the speed, `u = v²`, [`Envelope::DU_M2PS2`] apart, linearly
//! interpolated: the solver integrates `du/ds = 2 a` and looks the envelope up without a square root in its
//! loop-carried chain. It replaces a root-find per point per lap with one multiply-add per field. The grid is
//! finest in speed where the car is fast (dv = du / 2v: 0.025 m/s at 80 m/s, 0.2 m/s at 10 m/s).

use serde::Serialize;

use super::{Car, Shares, G_MPS2};

/// Capacities at one speed. Accelerations in m/s².
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EnvelopeNode {
    /// Pure lateral tyre capacity / mass.
    pub ay_max_mps2: f64,
    /// 1 / `ay_max_mps2` (s²/m), so the solver multiplies instead of dividing.
    pub inv_ay_max_s2pm: f64,
    /// Pure longitudinal capacity of the driven tyres / mass.
    pub ax_traction_mps2: f64,
    /// Pure braking capacity of all tyres / mass.
    pub ax_brake_mps2: f64,
    /// Full-load drive force in the best gear / (mass + rotating mass).
    pub drive_mps2: f64,
    /// mass / (mass + rotating mass) in the best gear.
    pub rot_ratio: f64,
    /// (Drag + rolling resistance) / mass.
    pub resist_mps2: f64,
    /// Best gear (as a number, so the node interpolates as a whole; read it from the lower node).
    pub gear: f64,
}

impl EnvelopeNode {
    /// Share of the longitudinal capacity left by a lateral acceleration `ay_mps2` (friction ellipse); 0 at or
    /// beyond the lateral limit.
    #[inline]
    pub fn ellipse_share(&self, ay_mps2: f64) -> f64 {
        // Branch-free: in a corner the ratio hovers around 1 and a branch would be mispredicted.
        let u = ay_mps2 * self.inv_ay_max_s2pm;
        (1.0 - u * u).max(0.0).sqrt()
    }

    /// Largest forward acceleration (m/s²) with lateral demand `ay_mps2` on a slope `sin_theta` (uphill
    /// positive). `drive_share` is the share of time the drive is engaged (1 except during an upshift).
    /// Engine-limited: `(m + m_rot) a = F_drive − R − m g sin θ`; tyre-limited: `m a = F_tyre − R − m g sin θ`.
    #[inline]
    pub fn accel_mps2(&self, ay_mps2: f64, sin_theta: f64, drive_share: f64) -> f64 {
        let load = self.resist_mps2 + G_MPS2 * sin_theta;
        let engine = drive_share * self.drive_mps2 - load * self.rot_ratio;
        let tyre = self.ax_traction_mps2 * self.ellipse_share(ay_mps2) - load;
        engine.min(tyre)
    }

    /// Largest deceleration (m/s², positive) with lateral demand `ay_mps2` on a slope `sin_theta`: the tyres'
    /// braking share of the ellipse plus drag, rolling resistance and gravity (the brakes slow the rotating parts).
    #[inline]
    pub fn decel_mps2(&self, ay_mps2: f64, sin_theta: f64) -> f64 {
        self.ax_brake_mps2 * self.ellipse_share(ay_mps2) + self.resist_mps2 + G_MPS2 * sin_theta
    }

    /// The node of a driver using `s` of the tyres' capacities (lateral, traction, braking scale; drive and
    /// resistance do not).
    pub fn with_shares(&self, s: Shares) -> Self {
        Self {
            ay_max_mps2: self.ay_max_mps2 * s.grip(),
            inv_ay_max_s2pm: self.inv_ay_max_s2pm / s.grip(),
            ax_traction_mps2: self.ax_traction_mps2 * s.traction(),
            ax_brake_mps2: self.ax_brake_mps2 * s.brake(),
            ..*self
        }
    }

    #[inline]
    fn lerp(&self, o: &Self, t: f64) -> Self {
        let l = |a: f64, b: f64| a + t * (b - a);
        Self {
            ay_max_mps2: l(self.ay_max_mps2, o.ay_max_mps2),
            inv_ay_max_s2pm: l(self.inv_ay_max_s2pm, o.inv_ay_max_s2pm),
            ax_traction_mps2: l(self.ax_traction_mps2, o.ax_traction_mps2),
            ax_brake_mps2: l(self.ax_brake_mps2, o.ax_brake_mps2),
            drive_mps2: l(self.drive_mps2, o.drive_mps2),
            rot_ratio: l(self.rot_ratio, o.rot_ratio),
            resist_mps2: l(self.resist_mps2, o.resist_mps2),
            // The node at or below (t = 1 is the next node: an integer position, see `cell`).
            gear: if t < 1.0 { self.gear } else { o.gear },
        }
    }
}

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

/// The tabulated envelope of one car.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    nodes: Vec<EnvelopeNode>,
    #[serde(skip)]
    fwd: Vec<ForwardEntry>,
    #[serde(skip)]
    bwd: Vec<BackwardEntry>,
    /// `[1/rot_ratio, its difference to the next node, resist, its difference]` per node.
    #[serde(skip)]
    work: Vec<[f64; 4]>,
    /// Every interpolation of the braking table's braking and resistance accelerations is ≥ 0 (see
    /// [`decel_nonnegative`]). Scaling the table by a share ≥ 0 ([`Envelope::with_shares`]) keeps it true:
    /// rounding is monotone and symmetric.
    #[serde(skip)]
    decel_nonnegative: bool,
    /// Per forward-table cell `k`: bounds on the resistance and on `max(rot_ratio, 1)` over every
    /// interpolation in cells `0..=k` (empty if the table's capacities can interpolate below 0); see
    /// [`forward_floor`].
    #[serde(skip)]
    fwd_floor: Vec<[f64; 2]>,
    x_max: f64,
    u_table_max_m2ps2: f64,
    top_speed_mps: f64,
    mass_kg: f64,
    dynamic_radius_m: f64,
    overall_ratios: Vec<f64>,
    launch_rpm: f64,
    shift_time_s: f64,
}

impl Envelope {
    /// Step of the table in squared speed (m²/s²).
    pub const DU_M2PS2: f64 = 4.0;

    /// Tabulates a car's envelope from rest to its rev-limited top speed (plus two steps beyond, where the top
    /// gear's drive is extrapolated).
    pub fn new(car: &Car) -> Self {
        let v_rev = car.rev_limited_speed_mps();
        let n = (v_rev * v_rev / Self::DU_M2PS2).ceil() as usize + 3;
        let nodes: Vec<EnvelopeNode> = (0..n)
            .map(|k| car.envelope_node((k as f64 * Self::DU_M2PS2).sqrt()))
            .collect();
        let u_table_max_m2ps2 = (n - 1) as f64 * Self::DU_M2PS2;
        let p = car.params();
        let f = |e: &EnvelopeNode| {
            [
                e.inv_ay_max_s2pm,
                e.ax_traction_mps2,
                e.drive_mps2,
                e.rot_ratio,
                e.resist_mps2,
            ]
        };
        let b = |e: &EnvelopeNode| [e.inv_ay_max_s2pm, e.ax_brake_mps2, e.resist_mps2];
        let next = |k: usize| &nodes[(k + 1).min(n - 1)];
        let fwd: Vec<ForwardEntry> = (0..n)
            .map(|k| {
                let (v, w) = (f(&nodes[k]), f(next(k)));
                ForwardEntry {
                    val: v,
                    dif: std::array::from_fn(|q| w[q] - v[q]),
                    gear: nodes[k].gear as u8,
                    gear_next: next(k).gear as u8,
                }
            })
            .collect();
        let bwd: Vec<BackwardEntry> = (0..n)
            .map(|k| {
                let (v, w) = (b(&nodes[k]), b(next(k)));
                BackwardEntry {
                    val: v,
                    dif: std::array::from_fn(|q| w[q] - v[q]),
                }
            })
            .collect();
        let decel_nonnegative = decel_nonnegative(&bwd);
        let fwd_floor = forward_floor(&fwd);
        let work = (0..n)
            .map(|k| {
                let (a, b) = (&nodes[k], next(k));
                [
                    1.0 / a.rot_ratio,
                    1.0 / b.rot_ratio - 1.0 / a.rot_ratio,
                    a.resist_mps2,
                    b.resist_mps2 - a.resist_mps2,
                ]
            })
            .collect();
        let mut env = Self {
            fwd,
            bwd,
            work,
            decel_nonnegative,
            fwd_floor,
            x_max: (n - 1) as f64 - 1e-9,
            nodes,
            u_table_max_m2ps2,
            top_speed_mps: 0.0,
            mass_kg: car.mass_kg(),
            dynamic_radius_m: p.tyres.dynamic_radius_m,
            overall_ratios: (1..=p.driveline.gear_ratios.len() as u8)
                .map(|g| car.overall_ratio(g))
                .collect(),
            launch_rpm: p.engine.launch_rpm,
            shift_time_s: p.driveline.shift_time_s,
        };
        env.top_speed_mps = env.find_top_speed(v_rev);
        env
    }

    /// The node at squared speed `u = v²` (linear interpolation in u; clamped to the table).
    #[inline]
    pub fn at_u(&self, u_m2ps2: f64) -> EnvelopeNode {
        let (k, t) = self.position_u(u_m2ps2);
        self.nodes[k].lerp(&self.nodes[k + 1], t)
    }

    /// Table position of squared speed `u`: node index and fraction, clamped to the table, with selects
    /// (for look-ups off the passes' loop-carried chains; the passes use [`Self::locate`]'s kept branches).
    #[inline(always)]
    fn position_u(&self, u_m2ps2: f64) -> (usize, f64) {
        let x = u_m2ps2 * (1.0 / Self::DU_M2PS2);
        let x = if x > self.x_max { self.x_max } else { x };
        let x = if x >= 0.0 { x } else { 0.0 };
        cell_from_zero(x)
    }

    /// Table position of squared speed `u`: node index and fraction, clamped to the table.
    #[inline(always)]
    fn locate(&self, u_m2ps2: f64) -> (usize, f64) {
        let x = u_m2ps2 * (1.0 / Self::DU_M2PS2);
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
    /// `g_sin = g sin θ` (m/s²) and drive engaged for `share` of the segment: the hot-loop form of
    /// [`EnvelopeNode::accel_mps2`], with the same arithmetic.
    #[inline(always)]
    pub fn forward_accel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64, share: f64) -> f64 {
        self.forward_at(u_m2ps2)
            .accel_mps2(u_m2ps2, kappa_abs, g_sin, share)
    }

    /// Largest deceleration (m/s², positive) at squared speed `u`: the hot-loop form of
    /// [`EnvelopeNode::decel_mps2`].
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
            env: self,
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
            env: self,
            fast: &self.work[..self.work.len().saturating_sub(2)],
        }
    }

    /// [`Self::work_terms_at_u`] with the position clamped to the table.
    #[cold]
    #[inline(never)]
    fn work_terms_cold(&self, u_m2ps2: f64) -> (f64, f64) {
        let (k, t) = self.position_u(u_m2ps2);
        let e = &self.work[k];
        (e[0] + t * e[1], e[2] + t * e[3])
    }
    /// Best gear at squared speed `u` (that of the table node at or below it).
    #[inline(always)]
    pub fn gear_u(&self, u_m2ps2: f64) -> u8 {
        self.forward_at(u_m2ps2).gear()
    }

    /// The node at speed `v`.
    #[inline]
    pub fn at(&self, v_mps: f64) -> EnvelopeNode {
        self.at_u(v_mps * v_mps)
    }

    /// The envelope of a driver who uses the shares `grip`, `traction` and `brake` (each in (0, 1]) of the
    /// tyres' lateral, traction and braking capacity: those capacities scale by the shares, drive and
    /// resistance do not. The same table as [`Envelope::new`] of `Car::with_shares` (capacities are linear in
    /// the shares), without re-solving the load-transfer fixed points: a copy and three multiplies a node.
    /// (The solver does not need the copy: [`crate::solver::LapSolver::for_driver`] applies the shares in
    /// the passes.)
    ///
    /// Shares outside (0, 1] are an error: the passes rely on capacities that stay non-negative.
    pub fn with_shares(&self, grip: f64, traction: f64, brake: f64) -> crate::Result<Self> {
        let s = Shares::new(grip, traction, brake)?;
        let mut e = self.clone();
        for n in &mut e.nodes {
            *n = n.with_shares(s);
        }
        for f in &mut e.fwd {
            f.val[0] /= grip;
            f.dif[0] /= grip;
            f.val[1] *= traction;
            f.dif[1] *= traction;
        }
        for b in &mut e.bwd {
            b.val[0] /= grip;
            b.dif[0] /= grip;
            b.val[1] *= brake;
            b.dif[1] *= brake;
        }
        Ok(e)
    }

    /// Top speed on a level straight (m/s): where the drive just balances drag and rolling resistance, or the
    /// rev limit in top gear, whichever comes first.
    pub fn top_speed_mps(&self) -> f64 {
        self.top_speed_mps
    }

    fn find_top_speed(&self, v_rev: f64) -> f64 {
        let net = |v: f64| self.at(v).accel_mps2(0.0, 0.0, 1.0);
        if net(v_rev - 1e-9) > 0.0 {
            return v_rev;
        }
        // The highest speed where the net force changes sign from positive to negative, on a 0.1 m/s scan.
        let (mut lo, mut hi) = (0.0, v_rev);
        let dv = 0.1;
        let steps = (v_rev / dv).ceil() as usize;
        for k in (0..steps).rev() {
            let v = k as f64 * dv;
            if net(v) > 0.0 {
                lo = v;
                hi = (v + dv).min(v_rev);
                break;
            }
        }
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if net(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Highest speed the table covers (m/s).
    pub fn v_table_max_mps(&self) -> f64 {
        self.u_table_max_m2ps2.sqrt()
    }
    /// Total mass the envelope was built for (kg).
    pub fn mass_kg(&self) -> f64 {
        self.mass_kg
    }
    /// Upshift time without drive (s).
    pub fn shift_time_s(&self) -> f64 {
        self.shift_time_s
    }
    /// Number of gears.
    pub fn gears(&self) -> u8 {
        self.overall_ratios.len() as u8
    }
    /// Best gear at speed `v` (1-based).
    #[inline]
    pub fn gear_at(&self, v_mps: f64) -> u8 {
        self.at(v_mps).gear as u8
    }
    /// Engine speed in `gear` at road speed `v`, with clutch slip at launch in first gear (rpm).
    pub fn engine_rpm(&self, v_mps: f64, gear: u8) -> f64 {
        let rpm = v_mps / self.dynamic_radius_m * self.overall_ratios[usize::from(gear) - 1] * 60.0
            / std::f64::consts::TAU;
        if gear == 1 {
            rpm.max(self.launch_rpm)
        } else {
            rpm
        }
    }
    /// The table's nodes, from 0 m²/s² in steps of [`Self::DU_M2PS2`].
    pub fn nodes(&self) -> &[EnvelopeNode] {
        &self.nodes
    }
}

/// Whether every interpolation `val + t dif` (`0 ≤ t < 1`) of the braking and resistance accelerations of the
/// braking table is ≥ 0: true when `val ≥ 0` and `val + dif ≥ 0` at every node (the rounded `t dif` lies
/// between `dif` and 0, and rounding is monotone).
fn decel_nonnegative(bwd: &[BackwardEntry]) -> bool {
    bwd.iter()
        .all(|e| (1..3).all(|q| e.val[q] >= 0.0 && -e.dif[q] <= e.val[q]))
}

/// Per forward-table cell `k`, upper bounds `[R, F]` on the resistance `resist` and on `max(rot_ratio, 1)`
/// over every interpolation `val + t dif` (`0 ≤ t ≤ 1`) in cells `0..=k` (a rounded interpolation lies between
/// `val` and `val + dif`: rounding is monotone). They bound how fast the traction pass can lose speed below
/// `u`: with the traction, drive and ratio fields ≥ 0 (else the table is empty: no bound), the forward
/// acceleration `min(share·drive − load·rot, traction·e − load)` is at least `−max(load, load·rot)`, and so
/// `a ≥ −max(R + g sin θ, 0)·F` ([`PassTables::forward_step_reaches`]). The shares scale only the capacity
/// fields, so the bounds hold for every driver.
fn forward_floor(fwd: &[ForwardEntry]) -> Vec<[f64; 2]> {
    let hi = |e: &ForwardEntry, q: usize| {
        let end = e.val[q] + e.dif[q];
        if e.val[q] > end {
            e.val[q]
        } else {
            end
        }
    };
    let nonnegative = fwd
        .iter()
        .all(|e| (1..4).all(|q| e.val[q] >= 0.0 && e.val[q] + e.dif[q] >= 0.0));
    if !nonnegative {
        return Vec::new();
    }
    let (mut r, mut f) = (f64::NEG_INFINITY, 1.0_f64);
    fwd.iter()
        .map(|e| {
            r = r.max(hi(e, 4));
            f = f.max(hi(e, 3));
            [r, f]
        })
        .collect()
}

/// The envelope's hot-loop tables, borrowed by one pass of the solver (held in registers rather than reloaded
/// through the envelope after every store).
#[derive(Clone, Copy)]
pub(crate) struct PassTables<'a> {
    env: &'a Envelope,
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
            }
        } else {
            ForwardAt {
                traction: self.traction,
                ..self.env.forward_at_cold(u_m2ps2)
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
                ..self.env.braking_at_cold(u_m2ps2)
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

    /// Upshift time without drive (s).
    #[inline(always)]
    pub(crate) fn shift_time_s(&self) -> f64 {
        self.env.shift_time_s
    }

    /// Whether every deceleration the braking table gives is at least `g sin θ`: its braking and resistance
    /// accelerations interpolate to ≥ 0 (see [`decel_nonnegative`]), and the friction-ellipse share is ≥ 0.
    #[inline(always)]
    pub(crate) fn decel_at_least_g_sin(&self) -> bool {
        self.env.decel_nonnegative
    }
}

/// The table of [`Envelope::work_terms_at_u`], borrowed for a loop.
#[derive(Clone, Copy)]
pub(crate) struct WorkTable<'a> {
    env: &'a Envelope,
    /// Entries of the nodes below the last two: there the position never needs clamping.
    fast: &'a [[f64; 4]],
}

impl WorkTable<'_> {
    /// [`Envelope::work_terms_at_u`]: below the last two nodes (every speed up to the top speed) one
    /// comparison proves the cell inside the table ([`cell_of`], as in the passes); elsewhere a cold path
    /// clamps. The same values, bit for bit.
    #[inline(always)]
    pub(crate) fn at(&self, u_m2ps2: f64) -> (f64, f64) {
        let (k, t) = cell_of(u_m2ps2, Envelope::DU_M2PS2);
        if (k as u64) < self.fast.len() as u64 {
            let e = &self.fast[k as usize];
            (e[0] + t * e[1], e[2] + t * e[3])
        } else {
            self.env.work_terms_cold(u_m2ps2)
        }
    }

    /// Positive drive force over a segment from `u_i` to `u_j` (squared speeds) on a slope `g_sin` (N):
    /// `m (a / rot_ratio + resist + g sin θ)` with `a = (u_j − u_i) / 2ds` (`inv_2ds = 1 / 2ds`) and the
    /// table's `1 / rot_ratio` and `resist` at `u_i` (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2);
    /// 0 when braking or coasting.
    #[inline(always)]
    pub(crate) fn drive_force_n(&self, u_i: f64, u_j: f64, g_sin: f64, inv_2ds: f64) -> f64 {
        let (inv_rot_ratio, resist) = self.at(u_i);
        let f = self.env.mass_kg * ((u_j - u_i) * inv_2ds * inv_rot_ratio + resist + g_sin);
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

    /// [`Envelope::forward_accel_mps2`] at this table position of `u`.
    ///
    /// The minimum of the engine and tyre limits (and the friction ellipse's clamp) are branches: the solver
    /// stays engine- or tyre-limited for long stretches, so the processor predicts them, and while the car is
    /// engine-limited the result does not wait for the square root of the tyre limit.
    #[inline(always)]
    pub(crate) fn accel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64, share: f64) -> f64 {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        let load = f(4) + g_sin;
        let engine = share * f(2) - load * f(3);
        let r = u_m2ps2 * kappa_abs * f(0);
        // (capacity × share) first: off the chain through the square root, and exact for a share of 1.
        let tyre = f(1) * self.traction * ellipse_share(r) - load;
        // f64::min(engine, tyre) for numbers.
        if engine < tyre {
            engine
        } else {
            keep_branch();
            tyre
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
    /// [`Envelope::braking_decel_mps2`] at this table position of `u`.
    #[inline(always)]
    pub(crate) fn decel_mps2(&self, u_m2ps2: f64, kappa_abs: f64, g_sin: f64) -> f64 {
        let (e, t) = (self.e, self.t);
        let f = |q: usize| e.val[q] + t * e.dif[q];
        let r = u_m2ps2 * kappa_abs * f(0);
        f(1) * self.brake * ellipse_share(r) + f(2) + g_sin
    }
}

/// The cell of a table position `x`: `(k, t)` with `x = k + t`, `0 ≤ t ≤ 1`, `k` the integer nearest
/// `x − ½` (ties to even, so `k` is `⌊x⌋`, or `x − 1` when `x` is an odd integer). Adding `2⁵² − ½` rounds
/// `x − ½` to an integer held in the low bits of the sum (the "magic number" rounding of Hacker's Delight,
/// §17-4): five instructions against a conversion to integer whose saturating semantics (NaN to 0, clamped
/// range) take nine. For `0 ≤ x < 2⁵¹`; below `x = ¼` it gives `k = −1` (with `t = x + ½`), and a NaN, an
/// infinite or a negative `x` an index past any table, so callers check `k` against the table length (or
/// use [`cell_from_zero`]).
///
/// At an odd integer `x` the interpolation `v_k + 1 · (v_{k+1} − v_k)` is `v_{k+1}` exactly wherever
/// neighbouring nodes lie within a factor of two (Sterbenz: the difference is exact, and so is the sum), so
/// the tables give the floor's value bit for bit (tested at every node of the car's tables); the one field
/// that is not interpolated, the best gear, is taken from the next node at `t = 1`.
#[inline(always)]
pub(crate) fn cell(x: f64) -> (i64, f64) {
    cell_of(x, 1.0)
}

/// [`cell`] of `x = u / step` for a power-of-two `step`, bit for bit: `(u + step (2⁵² − ½))` holds the cell
/// in its low bits just the same (all scaled by the power of two), one multiply fewer on the way from `u` to
/// the table entry (the passes' loop-carried chain), and `t = (u − step k) / step` is exact as `x − k` is.
#[inline(always)]
pub(crate) fn cell_of(u: f64, step: f64) -> (i64, f64) {
    debug_assert!(
        step > 0.0 && step.to_bits() & ((1 << 52) - 1) == 0,
        "step must be a power of two"
    );
    const M: f64 = 4_503_599_627_370_496.0; // 2^52
    let y = u + step * (M - 0.5);
    // y − step M is exact (Sterbenz): step times the rounded u / step − ½.
    let k = (y.to_bits() as i64).wrapping_sub((step * M).to_bits() as i64);
    (k, (u - (y - step * M)) * (1.0 / step))
}

/// [`cell`] of a position `x ≥ 0` (not NaN), with `k ≥ 0`.
#[inline(always)]
pub(crate) fn cell_from_zero(x: f64) -> (usize, f64) {
    let (k, t) = cell(x);
    if k >= 0 {
        (k as usize, t)
    } else {
        (0, x)
    }
}

/// Keeps a branch a branch. The solver's clamps and minima have outcomes that persist along the track
/// (pinned or not, engine- or tyre-limited), so the processor predicts them, and the result of the predicted
/// arm does not wait for the comparison (or for the other arm's operands, such as the square root of the tyre
/// limit while the car is engine-limited). The compiler would turn such a branch into a select (`minsd`,
/// `maxsd`, `cmov`), which waits for both; this empty barrier in one arm cannot be executed unconditionally,
/// so the branch stays.
#[inline(always)]
pub(crate) fn keep_branch() {
    std::hint::black_box(());
}

/// `√max(1 − r², 0)`: the longitudinal share the friction ellipse leaves at a lateral usage `r`.
#[inline(always)]
fn ellipse_share(r: f64) -> f64 {
    let q = 1.0 - r * r;
    if q > 0.0 {
        q.sqrt()
    } else {
        keep_branch();
        0.0
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
    use super::{cell, cell_from_zero, cell_of};
    use proptest::prelude::*;

    /// `cell` splits a position into a node and a fraction with `x = k + t` exactly, `0 ≤ t ≤ 1`, and `k` the
    /// floor of `x` (or one below it when `x` is an integer).
    fn check(x: f64) {
        let (k, t) = cell(x);
        assert_eq!(k as f64 + t, x, "x = {x}");
        assert!((0.0..=1.0).contains(&t), "x = {x}: t = {t}");
        let fl = x.floor() as i64;
        assert!(
            k == fl || (x == x.floor() && k == fl - 1),
            "x = {x}: k = {k}"
        );
    }

    #[test]
    fn cell_edges() {
        for x in [
            0.3,
            0.5,
            0.75,
            1.0,
            1.5,
            2.0,
            3.0,
            2.5 + 1e-12,
            1600.0 - 1e-9,
            1e12 + 0.5,
        ] {
            check(x);
        }
        // Below ¼ the node is −1, which no table holds; `cell_from_zero` gives node 0.
        assert_eq!(cell(0.0).0, -1);
        assert_eq!(cell(0.2).0, -1);
        assert_eq!(cell_from_zero(0.0), (0, 0.0));
        assert_eq!(cell_from_zero(0.2), (0, 0.2));
        // NaN and huge positions land past any table (callers compare k with the table's length).
        assert!(cell(f64::NAN).0 as u64 > 1 << 40);
        assert!(cell(f64::INFINITY).0 as u64 > 1 << 40);
    }

    /// At every node of the car's tables, the interpolation from the cell below at `t = 1` is the node
    /// itself, bit for bit (gear included): so `cell`'s choice of the cell below at odd integer positions
    /// changes no result against a floor.
    #[test]
    fn tables_at_t_one_give_the_next_node_exactly() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cars/porsche_997_gt3_cup.toml");
        let car = crate::vehicle::Car::from_file(&path).unwrap();
        for fuel_kg in [0.0, 30.0, 60.0] {
            let env = super::Envelope::new(&car.with_fuel_kg(fuel_kg).unwrap());
            let n = env.nodes.len();
            for k in 0..n - 1 {
                let (f, g) = (&env.fwd[k], &env.fwd[k + 1]);
                let at = super::ForwardAt {
                    e: f,
                    t: 1.0,
                    traction: 1.0,
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
                let (a, b) = (env.nodes[k].lerp(&env.nodes[k + 1], 1.0), &env.nodes[k + 1]);
                assert_eq!(a, *b, "node {k}");
            }
        }
    }

    /// The car's envelope with 30 kg of fuel, built once for the property tests.
    fn gt3() -> &'static super::Envelope {
        static ENV: std::sync::OnceLock<super::Envelope> = std::sync::OnceLock::new();
        ENV.get_or_init(|| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("cars/porsche_997_gt3_cup.toml");
            let car = crate::vehicle::Car::from_file(&path).unwrap();
            super::Envelope::new(&car.with_fuel_kg(30.0).unwrap())
        })
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
        let a1 = tab.forward_at(u).accel_mps2(u, ka, g_sin, share);
        let up = super::clamp_to_cap(u + a1 * (2.0 * ds), cap).0;
        let a2 = tab.forward_at(up).accel_mps2(up, kb, g_sin, share);
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
                let base = super::Envelope::DU_M2PS2 * k as f64;
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

        #[test]
        fn cell_is_floor(x in 0.25f64..1e9) {
            check(x);
            check(x.floor());
        }

        /// Scaling by the table step (a power of two) changes nothing, bit for bit.
        #[test]
        fn cell_of_is_cell_of_the_position(u in 0.0f64..1e7, e in -3i32..4) {
            let step = 2f64.powi(e);
            for u in [u, u.floor(), (u / step).floor() * step] {
                let ((k, t), (k1, t1)) = (cell(u / step), cell_of(u, step));
                prop_assert_eq!(k, k1);
                if k >= 0 {
                    prop_assert_eq!(t.to_bits(), t1.to_bits(), "u = {}, step = {}", u, step);
                }
            }
        }
    }
}
