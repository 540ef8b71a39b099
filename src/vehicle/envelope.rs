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
//!
//! The force law lives here once ([`forward_accel_mps2`], [`braking_decel_mps2`]): the node methods and the
//! solver's hot-loop tables (the solver's `tables` module) both call it.

use serde::Serialize;

use super::{Car, Shares, G_MPS2, MAX_GEARS};
use crate::numerics::root::bisect;
use crate::numerics::table::{cell_from_zero, keep_branch};

/// `√max(1 − r², 0)`: the longitudinal share the friction ellipse leaves at a lateral usage `r = a_y / a_y,max`
/// (0 at or beyond the lateral limit). A branch, not a select: in a corner the usage stays on one side of 1
/// for long stretches (see [`keep_branch`]).
#[inline(always)]
pub fn ellipse_share(r: f64) -> f64 {
    let q = 1.0 - r * r;
    if q > 0.0 {
        q.sqrt()
    } else {
        keep_branch();
        0.0
    }
}

/// The force law in the direction of travel: the largest forward acceleration (m/s²) from the capacities at
/// one speed (accelerations, as in [`EnvelopeNode`]), with lateral demand `ay_mps2`, `g_sin = g sin θ` (m/s²,
/// uphill positive) and the drive engaged for `drive_share` of the segment (1 except during an upshift).
/// Engine-limited: `(m + m_rot) a = F_drive − R − m g sin θ`; tyre-limited: `m a = F_tyre − R − m g sin θ`
/// (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2; Pacejka, §1.3 for the ellipse). The minimum is a
/// branch: a car stays engine- or tyre-limited for long stretches, and while it is engine-limited the result
/// does not wait for the square root of the tyre limit.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn forward_accel_mps2(
    inv_ay_max_s2pm: f64,
    ax_traction_mps2: f64,
    drive_mps2: f64,
    rot_ratio: f64,
    resist_mps2: f64,
    ay_mps2: f64,
    g_sin: f64,
    drive_share: f64,
) -> f64 {
    forward_accel_limit_mps2(
        inv_ay_max_s2pm,
        ax_traction_mps2,
        drive_mps2,
        rot_ratio,
        resist_mps2,
        ay_mps2,
        g_sin,
        drive_share,
    )
    .0
}

/// [`forward_accel_mps2`], whether the tyres (not the engine) set it, and the other side's limit (m/s²):
/// where the limit changes side within a step, the acceleration has a kink there, which the step locates
/// from the two sides' limits at its ends (`solver::passes`, the switch cell).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn forward_accel_limit_mps2(
    inv_ay_max_s2pm: f64,
    ax_traction_mps2: f64,
    drive_mps2: f64,
    rot_ratio: f64,
    resist_mps2: f64,
    ay_mps2: f64,
    g_sin: f64,
    drive_share: f64,
) -> (f64, bool, f64) {
    let load = resist_mps2 + g_sin;
    let engine = drive_share * drive_mps2 - load * rot_ratio;
    // With the drive engaged for a share of the segment, the tyres can pass on only what the drive gives
    // them meanwhile: the tyre limit for that share, coasting for the rest (exactly the full limit at 1).
    let full = ax_traction_mps2 * ellipse_share(ay_mps2 * inv_ay_max_s2pm) - load;
    let tyre = if drive_share == 1.0 {
        full
    } else {
        keep_branch();
        drive_share * full - (1.0 - drive_share) * (load * rot_ratio)
    };
    // f64::min(engine, tyre) for numbers.
    if engine < tyre {
        (engine, false, tyre)
    } else {
        keep_branch();
        (tyre, true, engine)
    }
}

/// The force law when braking: the largest deceleration (m/s², positive) from the capacities at one speed,
/// with lateral demand `ay_mps2` and `g_sin = g sin θ`: the tyres' braking share of the ellipse plus drag,
/// rolling resistance and gravity (the brakes slow the rotating parts too, so no effective mass).
#[inline(always)]
pub fn braking_decel_mps2(
    inv_ay_max_s2pm: f64,
    ax_brake_mps2: f64,
    resist_mps2: f64,
    ay_mps2: f64,
    g_sin: f64,
) -> f64 {
    ax_brake_mps2 * ellipse_share(ay_mps2 * inv_ay_max_s2pm) + resist_mps2 + g_sin
}

/// Lateral usage `r = a_y / a_y,max` above which a step's end is solved implicitly
/// ([`implicit_ellipse_end`]): there `∂a/∂u ∝ r / √(1 − r²)` grows without bound, and an explicit predictor's
/// error, multiplied by it, dominates the step. The factor `r / √(1 − r²)` is 1 at `r ≈ 0.7` (2.1 at 0.9):
/// above it the implicit end is taken. At 0.9 the explicit steps between 0.7 and 0.9 left the corner
/// exits' speeds ~1.5–2 mm/s fast at 1 m (the hairpin at 1,990 m on the centreline, against 0.05 m) once the
/// switch cells were integrated across their kink, and the centreline 1.8 ms fast; at 0.7 the laps at 2 m and 1 m are within
/// 0.2 ms of 0.05 m (docs/ENGINEERING.md, 1 December, the fourth session).
pub const IMPLICIT_USAGE: f64 = 0.7;

/// The end `u` of a trapezoidal step through the friction ellipse, solved exactly: the root `u ≥ b` of
/// `u = b + w √max(1 − (q u)², 0)`, with `b` the start plus every explicit term, `w = ds × capacity` (the
/// tyres' traction or braking capacity, as an acceleration) and `q = κ / a_y,max` (so that `q u = r`).
///
/// Near the lateral limit the longitudinal share `√(1 − r²)` of the ellipse is not Lipschitz in `u`, so
/// Heun's corrector, evaluated at an explicit predictor, loses its order there (a corner's entry and exit,
/// where the car leaves the limit curve); the implicit trapezoidal rule keeps it. With the capacity frozen
/// over the step the equation squares to `(1 + w²q²) u² − 2 b u + b² − w² = 0`, whose larger root is the one
/// with `u ≥ b` (the square root is non-negative). If `q b ≥ 1` the ellipse is saturated at every `u ≥ b`:
/// the root is `b` itself.
#[inline]
pub fn implicit_ellipse_end(b: f64, w: f64, q: f64) -> f64 {
    let qb = q * b;
    if qb >= 1.0 {
        return b;
    }
    let (w2, q2) = (w * w, q * q);
    let den = 1.0 + w2 * q2;
    // Discriminant / 4 = w² (1 + w² q² − q² b²) > 0 for q b < 1.
    let disc = w2 * (den - qb * qb);
    (b + disc.sqrt()) / den
}

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
        ellipse_share(ay_mps2 * self.inv_ay_max_s2pm)
    }

    /// Largest forward acceleration (m/s²) with lateral demand `ay_mps2` on a slope `sin_theta` (uphill
    /// positive). `drive_share` is the share of time the drive is engaged (1 except during an upshift).
    /// Engine-limited: `(m + m_rot) a = F_drive − R − m g sin θ`; tyre-limited: `m a = F_tyre − R − m g sin θ`.
    #[inline]
    pub fn accel_mps2(&self, ay_mps2: f64, sin_theta: f64, drive_share: f64) -> f64 {
        forward_accel_mps2(
            self.inv_ay_max_s2pm,
            self.ax_traction_mps2,
            self.drive_mps2,
            self.rot_ratio,
            self.resist_mps2,
            ay_mps2,
            G_MPS2 * sin_theta,
            drive_share,
        )
    }

    /// Largest deceleration (m/s², positive) with lateral demand `ay_mps2` on a slope `sin_theta`: the tyres'
    /// braking share of the ellipse plus drag, rolling resistance and gravity (the brakes slow the rotating parts).
    #[inline]
    pub fn decel_mps2(&self, ay_mps2: f64, sin_theta: f64) -> f64 {
        braking_decel_mps2(
            self.inv_ay_max_s2pm,
            self.ax_brake_mps2,
            self.resist_mps2,
            ay_mps2,
            G_MPS2 * sin_theta,
        )
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
    pub(crate) fn lerp(&self, o: &Self, t: f64) -> Self {
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
/// The tabulated envelope of one car.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    nodes: Vec<EnvelopeNode>,
    x_max: f64,
    u_table_max_m2ps2: f64,
    top_speed_mps: f64,
    mass_kg: f64,
    dynamic_radius_m: f64,
    overall_ratios: Vec<f64>,
    launch_rpm: f64,
    shift_time_s: f64,
    /// Per gear (index 0 unused): its drive terms where the table's best gear may be another (see
    /// [`GearBand`]).
    gear_bands: Vec<GearBand>,
    /// Per gear (index 0 unused): the squared speed at which the best gear becomes a higher one, where the car
    /// in that gear starts its upshift (infinite for the top gear); exact, not a node.
    upshift_u_m2ps2: [f64; MAX_GEARS + 1],
    /// Per gear: the gear its upshift goes to (the best gear just above its upshift point).
    upshift_to: [u8; MAX_GEARS + 1],
}

/// One gear's drive terms `[drive, rot_ratio]` (see [`Car::drive_terms`]) at the nodes `first..` around the
/// speeds where it is the best gear: below them down to [`GEAR_BAND_BELOW_SPEED_SHARE`] of their lowest speed
/// (at least [`GEAR_BAND_NODES`] nodes), above them [`GEAR_BAND_NODES`] nodes. So a car in that gear gets
/// its own drive where the table holds another gear's: after an upshift, whose loss of drive puts the car back below the crossover in its new
/// gear; in the cell across a crossover, where the best gear's drive jumps (upshifts at the limiter); and out
/// of a corner taken in the higher of two gears (see `solver::passes`, the departure's gear).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GearBand {
    /// Node of the first entry.
    pub first: usize,
    /// `[drive, rot_ratio]` per node from `first`.
    pub terms: Vec<[f64; 2]>,
}

/// Nodes a gear's band reaches beyond the nodes where it is the best, on both sides: 64 m²/s², more than an
/// upshift's loss of drive takes below the crossover (0.1 s × ~1–3 m/s² × 2v ≈ 4–15 m²/s² on the shipped car)
/// and than a step's predictor overshoots it before the upshift (2 a ds: ~25 m²/s² at 2 m).
pub const GEAR_BAND_NODES: usize = 16;

/// How far a gear's band reaches below the speed from which it is the best, as a share of that speed: down
/// to half of it (half the engine speed of the crossover, 4,200 rpm for the shipped car). A car leaving a
/// corner limit below the crossover of gear `g` may take gear `g + 1` instead, when that is faster (it saves
/// the upshift's time without drive soon after the apex; see `solver::passes`, the departure's gear); it is a
/// candidate where this band covers its speed. For the shipped car at Oschersleben the higher gear was taken
/// down to 66 % of the crossover's speed (a tyre-limited exit, where the lower gear's extra pull is unused).
pub const GEAR_BAND_BELOW_SPEED_SHARE: f64 = 0.5;

impl Envelope {
    /// Step of the table in squared speed (m²/s²).
    pub const DU_M2PS2: f64 = 4.0;

    /// Tabulates a car's envelope from rest to its rev-limited top speed (plus two steps beyond, where the top
    /// gear's drive is extrapolated).
    pub fn new(car: &Car) -> Self {
        let v_rev = car.rev_limited_speed_mps();
        let n = (v_rev * v_rev / Self::DU_M2PS2).ceil() as usize + 3;
        let nodes = car.envelope_nodes(n, Self::DU_M2PS2);
        let u_table_max_m2ps2 = (n - 1) as f64 * Self::DU_M2PS2;
        let p = car.params();
        let mut env = Self {
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
            gear_bands: Vec::new(),
            upshift_u_m2ps2: [f64::INFINITY; MAX_GEARS + 1],
            upshift_to: [0; MAX_GEARS + 1],
        };
        env.top_speed_mps = env.find_top_speed(v_rev);
        env.gear_bands = gear_bands(car, &env.nodes);
        (env.upshift_u_m2ps2, env.upshift_to) = upshift_points(car, &env.nodes);
        env
    }

    /// The drive terms `[drive, rot_ratio]` of `gear` at table position `(k, t)` (node and fraction), where
    /// its band covers the cell; `None` outside it.
    #[inline]
    pub fn gear_terms(&self, gear: u8, k: usize, t: f64) -> Option<[f64; 2]> {
        let b = self.gear_bands.get(usize::from(gear))?;
        let i = k.checked_sub(b.first)?;
        let (a, c) = (b.terms.get(i)?, b.terms.get(i + 1)?);
        Some([a[0] + t * (c[0] - a[0]), a[1] + t * (c[1] - a[1])])
    }

    /// The squared speed at which a car in `gear` starts its upshift: where the best gear becomes a higher
    /// one (infinite in the top gear).
    pub fn upshift_u_m2ps2(&self, gear: u8) -> f64 {
        self.upshift_u_m2ps2[usize::from(gear).min(MAX_GEARS)]
    }

    /// The gear an upshift from `gear` goes to: the best gear just above its upshift point (`gear` itself
    /// in the top gear).
    pub fn upshift_to(&self, gear: u8) -> u8 {
        self.upshift_to[usize::from(gear).min(MAX_GEARS)].max(gear)
    }

    /// The node at squared speed `u = v²` (linear interpolation in u; clamped to the table).
    #[inline]
    pub fn at_u(&self, u_m2ps2: f64) -> EnvelopeNode {
        let (k, t) = self.position_u(u_m2ps2);
        self.nodes[k].lerp(&self.nodes[k + 1], t)
    }

    /// Table position of squared speed `u`: node index and fraction, clamped to the table, with selects.
    #[inline(always)]
    pub fn position_u(&self, u_m2ps2: f64) -> (usize, f64) {
        let x = u_m2ps2 * (1.0 / Self::DU_M2PS2);
        let x = if x > self.x_max { self.x_max } else { x };
        let x = if x >= 0.0 { x } else { 0.0 };
        cell_from_zero(x)
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
    /// (The solver does not need the copy: its `LapSolver::for_driver` applies the shares in the passes.)
    ///
    /// Shares outside (0, 1] are an error: the passes rely on capacities that stay non-negative.
    pub fn with_shares(&self, grip: f64, traction: f64, brake: f64) -> crate::Result<Self> {
        let s = Shares::new(grip, traction, brake)?;
        let mut e = self.clone();
        for n in &mut e.nodes {
            *n = n.with_shares(s);
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
        bisect(|v| net(v) > 0.0, (lo, hi), 60).0
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

    /// Whether `other` lays out its table as this one does: the same nodes, the same best gear at each
    /// node, the same gear bands and upshifts. The envelopes of one car at two fuel loads always do (the best
    /// gear is the one with the largest wheel force, [`Car::best_drive`], whatever the mass); only then does
    /// [`Self::blend_into`] interpolate like for like.
    pub fn same_layout(&self, other: &Envelope) -> bool {
        self.nodes.len() == other.nodes.len()
            && self.overall_ratios == other.overall_ratios
            && self.upshift_to == other.upshift_to
            && self.gear_bands.len() == other.gear_bands.len()
            && self
                .gear_bands
                .iter()
                .zip(&other.gear_bands)
                .all(|(a, b)| a.first == b.first && a.terms.len() == b.terms.len())
            && self
                .nodes
                .iter()
                .zip(&other.nodes)
                .all(|(a, b)| a.gear == b.gear)
    }

    /// Writes into `out` the envelope `(1 − w)·self + w·other`, every value interpolated linearly (`w` in
    /// [0, 1]; the layout, gears and constants are `self`'s): the envelope at a fuel load between those of two
    /// envelopes of the same layout ([`Self::same_layout`]). Every field is a smooth function of the mass, so
    /// the interpolation's error is second order in the loads' gap (see `session::oracle`). `out`'s buffers
    /// are reused: no allocation once they have the size.
    pub fn blend_into(&self, other: &Envelope, w: f64, out: &mut Envelope) {
        debug_assert!(self.same_layout(other));
        // Plain loops (no branch a value: they vectorise); the values are finite.
        let lerp = |a: f64, b: f64| a + w * (b - a);
        out.nodes.resize(self.nodes.len(), self.nodes[0]);
        for ((o, a), b) in out.nodes.iter_mut().zip(&self.nodes).zip(&other.nodes) {
            *o = EnvelopeNode {
                ay_max_mps2: lerp(a.ay_max_mps2, b.ay_max_mps2),
                inv_ay_max_s2pm: lerp(a.inv_ay_max_s2pm, b.inv_ay_max_s2pm),
                ax_traction_mps2: lerp(a.ax_traction_mps2, b.ax_traction_mps2),
                ax_brake_mps2: lerp(a.ax_brake_mps2, b.ax_brake_mps2),
                drive_mps2: lerp(a.drive_mps2, b.drive_mps2),
                rot_ratio: lerp(a.rot_ratio, b.rot_ratio),
                resist_mps2: lerp(a.resist_mps2, b.resist_mps2),
                gear: a.gear,
            };
        }
        out.x_max = self.x_max;
        out.u_table_max_m2ps2 = self.u_table_max_m2ps2;
        out.top_speed_mps = blend(self.top_speed_mps, other.top_speed_mps, w);
        out.mass_kg = blend(self.mass_kg, other.mass_kg, w);
        out.dynamic_radius_m = self.dynamic_radius_m;
        out.overall_ratios.clone_from(&self.overall_ratios);
        out.launch_rpm = self.launch_rpm;
        out.shift_time_s = self.shift_time_s;
        out.gear_bands
            .resize_with(self.gear_bands.len(), GearBand::default);
        for ((o, a), b) in out
            .gear_bands
            .iter_mut()
            .zip(&self.gear_bands)
            .zip(&other.gear_bands)
        {
            o.first = a.first;
            o.terms.resize(a.terms.len(), [0.0; 2]);
            for ((t, x), y) in o.terms.iter_mut().zip(&a.terms).zip(&b.terms) {
                *t = [lerp(x[0], y[0]), lerp(x[1], y[1])];
            }
        }
        for g in 0..=MAX_GEARS {
            out.upshift_u_m2ps2[g] = blend(self.upshift_u_m2ps2[g], other.upshift_u_m2ps2[g], w);
        }
        out.upshift_to = self.upshift_to;
    }
}

/// `(1 − w) a + w b` as `a + w (b − a)`, and `a` itself where both are equal (constants stay exact, and two
/// infinite upshift points stay infinite).
#[inline]
pub(crate) fn blend(a: f64, b: f64, w: f64) -> f64 {
    if a == b {
        a
    } else {
        a + w * (b - a)
    }
}

/// Each gear's [`GearBand`], from the car's exact drive in that gear.
fn gear_bands(car: &Car, nodes: &[EnvelopeNode]) -> Vec<GearBand> {
    let n = nodes.len();
    let gears = car.params().driveline.gear_ratios.len() as u8;
    let mut bands = vec![GearBand::default(); usize::from(gears) + 1];
    // Each band's speeds rise, so the torque curve is walked, not searched (the same values).
    let mut torque = car.torque_walk();
    // Per gear, the first and last node where it is the best.
    let mut spans = [None::<(usize, usize)>; MAX_GEARS + 1];
    for (k, node) in nodes.iter().enumerate() {
        let span = &mut spans[usize::from(node.gear as u8)];
        *span = Some(span.map_or((k, k), |(first, _)| (first, k)));
    }
    for g in 1..=gears {
        let best = |k: &usize| nodes[*k].gear as u8;
        let Some((first, last)) = spans[usize::from(g)] else {
            continue;
        };
        let share2 = GEAR_BAND_BELOW_SPEED_SHARE * GEAR_BAND_BELOW_SPEED_SHARE;
        let lo = ((first as f64 * share2) as usize).min(first.saturating_sub(GEAR_BAND_NODES));
        let hi = (last + 1 + GEAR_BAND_NODES).min(n - 1);
        bands[usize::from(g)] = GearBand {
            first: lo,
            // Where the gear is the best, the node already holds its terms (the same computation).
            terms: (lo..=hi)
                .map(|k| {
                    if best(&k) == g {
                        [nodes[k].drive_mps2, nodes[k].rot_ratio]
                    } else {
                        let v = (k as f64 * Envelope::DU_M2PS2).sqrt();
                        car.drive_terms(&car.drive_in_gear_with(v, g, &mut torque))
                    }
                })
                .collect(),
        };
    }
    bands
}

/// Per gear, the exact squared speed where the best gear becomes a higher one: bisection on the car's
/// [`Car::best_drive`] inside the cell of the table where the nodes' best gear passes it.
fn upshift_points(
    car: &Car,
    nodes: &[EnvelopeNode],
) -> ([f64; MAX_GEARS + 1], [u8; MAX_GEARS + 1]) {
    let mut out = [f64::INFINITY; MAX_GEARS + 1];
    let mut to = [0u8; MAX_GEARS + 1];
    let top = car.params().driveline.gear_ratios.len() as u8;
    // The bisection's speeds stay inside one cell: the torque curve is walked, not searched (the same values).
    let mut torque = car.torque_walk();
    for (g, (u, to)) in out.iter_mut().zip(to.iter_mut()).enumerate() {
        let mut above = |v: f64| {
            car.best_drive_with(v, &mut torque)
                .is_none_or(|d| usize::from(d.gear) > g)
        };
        if let Some(k) = nodes.iter().position(|e| e.gear > g as f64) {
            *u = if k == 0 {
                0.0
            } else {
                let cell = (
                    ((k - 1) as f64 * Envelope::DU_M2PS2).sqrt(),
                    (k as f64 * Envelope::DU_M2PS2).sqrt(),
                );
                // 32 halvings of a cell (~0.07 m/s wide at 100 km/h): ~2e-11 m/s.
                let (_, hi) = bisect(|v| !above(v), cell, 32);
                hi * hi
            };
            *to = car.best_drive(u.sqrt()).map_or(top, |d| d.gear);
        }
    }
    (out, to)
}

#[cfg(test)]
mod tests {
    use super::{Car, Envelope};

    /// The force law has one definition: a node's accelerations are the law's, and the node's minimum of the
    /// engine and tyre limits is the smaller of the two (engine-limited on a straight at speed, tyre-limited
    /// at the lateral limit).
    #[test]
    fn node_methods_are_the_force_law() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cars/porsche_997_gt3_cup.toml");
        let car = crate::vehicle::Car::from_file(&path).unwrap();
        let env = super::Envelope::new(&car);
        for v in [5.0, 20.0, 40.0, 60.0, 75.0] {
            let n = env.at(v);
            for ay in [0.0, 5.0, 0.999 * n.ay_max_mps2] {
                let load = n.resist_mps2 + super::G_MPS2 * 0.02;
                let engine = n.drive_mps2 - load * n.rot_ratio;
                // The node interpolates 1/a_y,max itself (the table's field), not 1/(interpolated a_y,max).
                let e = (1.0 - (ay * n.inv_ay_max_s2pm).powi(2)).sqrt();
                let tyre = n.ax_traction_mps2 * e - load;
                let a = n.accel_mps2(ay, 0.02, 1.0);
                assert!((a - engine.min(tyre)).abs() < 1e-9, "v {v} ay {ay}");
                let d = n.decel_mps2(ay, 0.02);
                let b = n.ax_brake_mps2 * e + load;
                assert!((d - b).abs() < 1e-9, "v {v} ay {ay}");
            }
            assert_eq!(n.ellipse_share(2.0 * n.ay_max_mps2), 0.0);
        }
    }

    /// The table is the exact envelope at its nodes, bit for bit: the batch that walks the torque curve
    /// ([`Car::envelope_nodes`]) gives what [`Car::envelope_node`] gives at each node's speed, for the
    /// shipped car, whose first gear slips below the launch speed over its first ~100 nodes.
    #[test]
    fn table_nodes_are_the_exact_envelope() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let car =
            crate::vehicle::Car::from_file(&root.join("cars/porsche_997_gt3_cup.toml")).unwrap();
        let env = super::Envelope::new(&car);
        assert!(env.nodes().len() > 1000);
        for (k, n) in env.nodes().iter().enumerate() {
            let v = (k as f64 * super::Envelope::DU_M2PS2).sqrt();
            assert_eq!(
                format!("{n:?}"),
                format!("{:?}", car.envelope_node(v)),
                "node {k}"
            );
        }
    }

    /// The implicit ellipse step is the root of its equation: checked against bisection of
    /// `g(u) = u − b − w √max(1 − (q u)², 0)`, which increases in `u`, over starts below, near and beyond the
    /// lateral limit and capacities from a crawl to a stop.
    #[test]
    fn implicit_ellipse_end_is_the_root() {
        let g =
            |u: f64, b: f64, w: f64, q: f64| u - b - w * (1.0 - (q * u).powi(2)).max(0.0).sqrt();
        for q in [1e-4, 1e-3, 0.01, 0.05] {
            for w in [0.0, 0.5, 10.0, 40.0] {
                for frac in [0.0, 0.3, 0.9, 0.99, 0.9999, 1.0, 1.2] {
                    let b = frac / q;
                    let u = super::implicit_ellipse_end(b, w, q);
                    // Bisection on [b, max(b, 1/q)]: g(b) ≤ 0, g(1/q) = 1/q − b ≥ 0 when b ≤ 1/q.
                    let (mut lo, mut hi) = (b, b.max(1.0 / q));
                    for _ in 0..200 {
                        let mid = 0.5 * (lo + hi);
                        if g(mid, b, w, q) > 0.0 {
                            hi = mid;
                        } else {
                            lo = mid;
                        }
                    }
                    let tol = 1e-9 * (1.0 + b.abs() + w);
                    assert!(u >= b - tol, "q {q} w {w} b {b}: u {u} below b");
                    assert!(
                        (u - lo).abs() < tol,
                        "q {q} w {w} b {b}: u {u}, bisection {lo}"
                    );
                }
            }
        }
    }

    /// Each gear's upshift point is where the car's best gear becomes a higher one (to the bisection's
    /// resolution), no later than the table's node rule, and the upshift goes to the gear that is best just
    /// above it; the top gear has none.
    #[test]
    fn upshift_points_are_the_best_gear_crossovers() {
        let car =
            Car::from_toml_str("gt3", include_str!("../../cars/porsche_997_gt3_cup.toml")).unwrap();
        let env = Envelope::new(&car);
        let gears = env.gears();
        for g in 1..gears {
            let u = env.upshift_u_m2ps2(g);
            let v = u.sqrt();
            let below = car.best_drive(v * (1.0 - 1e-9)).unwrap().gear;
            let above = car.best_drive(v * (1.0 + 1e-9)).map_or(gears, |d| d.gear);
            assert!(
                below <= g && above > g,
                "gear {g}: {below} below, {above} above {v} m/s"
            );
            assert_eq!(env.upshift_to(g), above);
            let node = env
                .nodes()
                .iter()
                .position(|e| e.gear > f64::from(g))
                .unwrap();
            assert!(u <= node as f64 * Envelope::DU_M2PS2);
        }
        assert!(env.upshift_u_m2ps2(gears).is_infinite());
    }

    /// A gear's band holds that gear's own drive terms, exactly at the nodes and linear between them, also
    /// where the table's best gear is another (across the crossover, and below it in the higher gear).
    #[test]
    fn gear_terms_are_the_engaged_gears_drive() {
        let car =
            Car::from_toml_str("gt3", include_str!("../../cars/porsche_997_gt3_cup.toml")).unwrap();
        let env = Envelope::new(&car);
        let mut other = 0;
        for g in 1..=env.gears() {
            for (k, node) in env.nodes().iter().enumerate() {
                let Some(t0) = env.gear_terms(g, k, 0.0) else {
                    continue;
                };
                let v = (k as f64 * Envelope::DU_M2PS2).sqrt();
                assert_eq!(
                    t0,
                    car.drive_terms(&car.drive_in_gear(v, g)),
                    "gear {g} node {k}"
                );
                let (t1, mid) = (
                    env.gear_terms(g, k, 1.0).unwrap(),
                    env.gear_terms(g, k, 0.5).unwrap(),
                );
                for q in 0..2 {
                    assert!((mid[q] - 0.5 * (t0[q] + t1[q])).abs() <= 1e-12 * t0[q].abs().max(1.0));
                }
                other += usize::from(node.gear != f64::from(g));
            }
        }
        assert!(
            other > 100,
            "{other} nodes of a gear that is not the best there"
        );
    }
}
