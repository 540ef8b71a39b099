//! The gradient of the lap time over a line's lateral offsets, by a reverse (adjoint) sweep of a
//! quasi-steady-state lap on the line's own optimisation grid.
//!
//! The lap here is the solver's model on the grid polyline `p_i = r_i + α_i n_i`: corner limits
//! `u_lim(|κ_i|)` (the [`CornerTable`] of the car), a forward pass `F_{i+1} = min(u_lim,i+1, Φ_f(F_i, |κ_i|,
//! L_i))` and a backward pass `B_i = min(u_lim,i, Φ_b(B_{i+1}, |κ_{i+1}|, L_i))` in the squared speed `u = v²`,
//! `u_i = min(F_i, B_i)` and the lap time `T = Σ 2 L_i / (√u_i + √u_{i+1})`, with `L_i = |p_{i+1} − p_i|`
//! and `κ_i` the discrete curvature of three points. A step `Φ` uses the envelope's capacities at its start
//! (the force law of [`crate::vehicle::envelope`]); the tyres' share of the friction ellipse is solved at
//! its end ([`implicit_ellipse_end`], as the solver does near the lateral limit), because the explicit
//! share has `∂a/∂u → ∞` at the limit, which the adjoint would multiply along a whole corner exit. The
//! shift dwell and the solver's finer step are left out, so this lap is a model of the solver's lap for its
//! derivative, not a replacement: the minimum-time search judges every line it keeps by the solver itself
//! ([`super::min_time`]).
//!
//! Reverse mode (the discrete adjoint of the passes; e.g. A. Griewank and A. Walther, *Evaluating
//! Derivatives*, SIAM 2008, ch. 3): each `min` routes the adjoint to its active branch, each step passes
//! `∂Φ/∂u` back along its pass, and the curvatures and lengths collect `∂Φ/∂κ` and `∂Φ/∂L`; the chain to the
//! offsets is the curvature's three-point Jacobian and `∂L_i/∂α = ∓ t_i · n`. The partial derivatives of one
//! step and of the corner limit are central differences (relative step 1e-6) of that step alone: a few
//! evaluations of the force law per node (the cost of a handful of laps), against one lap per node for finite
//! differences of the lap time.
//! The lap is piecewise smooth (the tables are interpolated linearly), so the gradient is that of the piece
//! the line is on; `tests/line.rs` checks it against differences of the lap.

use super::min_curvature::curvature_and_jacobian;
use super::reference::Reference;
use crate::solver::{CornerTable, Tables};
use crate::vehicle::envelope::implicit_ellipse_end;
use crate::vehicle::{Envelope, G_MPS2};

/// Relative step of the central differences of a step in `u`.
const DU_REL: f64 = 1e-6;
/// Relative step of the central differences of a step and of the corner limit in `|κ|`.
const DK_REL: f64 = 1e-6;
/// Smallest curvature step of those differences (1/m): straights have `κ ≈ 0`.
const DK_MIN: f64 = 1e-9;
/// Relative step of the central differences in a step's length.
const DL_REL: f64 = 1e-6;

/// The lap on the optimisation grid and its gradient over the offsets, with buffers for repeated use.
#[derive(Debug, Clone)]
pub struct LapGradient<'a> {
    tables: &'a Tables,
    corner: CornerTable,
    x: Vec<f64>,
    y: Vec<f64>,
    kappa: Vec<f64>,
    jac: Vec<[f64; 3]>,
    len: Vec<f64>,
    /// `g Δz` of each segment (m²/s²): the grade's term `2 L g sin θ = 2 g Δz` does not depend on the length.
    g_dz: Vec<f64>,
    u_lim: Vec<f64>,
    f: Vec<f64>,
    b: Vec<f64>,
    f_limited: Vec<bool>,
    b_limited: Vec<bool>,
    u_bar: Vec<f64>,
    kappa_bar: Vec<f64>,
    len_bar: Vec<f64>,
    f_bar: Vec<f64>,
    b_bar: Vec<f64>,
    u_lim_bar: Vec<f64>,
}

impl<'a> LapGradient<'a> {
    /// A gradient evaluator for the car of `tables`.
    pub fn new(tables: &'a Tables) -> Self {
        Self {
            tables,
            corner: CornerTable::new(tables.envelope()),
            x: Vec::new(),
            y: Vec::new(),
            kappa: Vec::new(),
            jac: Vec::new(),
            len: Vec::new(),
            g_dz: Vec::new(),
            u_lim: Vec::new(),
            f: Vec::new(),
            b: Vec::new(),
            f_limited: Vec::new(),
            b_limited: Vec::new(),
            u_bar: Vec::new(),
            kappa_bar: Vec::new(),
            len_bar: Vec::new(),
            f_bar: Vec::new(),
            b_bar: Vec::new(),
            u_lim_bar: Vec::new(),
        }
    }

    /// The lap time (s) of the line with offsets `alpha` on `reference`, and its gradient `∂T/∂α` (s/m)
    /// into `grad` when given.
    pub fn lap(&mut self, reference: &Reference, alpha: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let n = reference.len();
        self.resize(n);
        let (rx, ry, nx, ny) = (&reference.x_m, &reference.y_m, &reference.nx, &reference.ny);
        for i in 0..n {
            self.x[i] = rx[i] + alpha[i] * nx[i];
            self.y[i] = ry[i] + alpha[i] * ny[i];
        }
        curvature_and_jacobian(
            &self.x,
            &self.y,
            nx,
            ny,
            None,
            &mut self.kappa,
            Some(&mut self.jac),
        );
        for i in 0..n {
            let j = (i + 1) % n;
            self.len[i] = (self.x[j] - self.x[i]).hypot(self.y[j] - self.y[i]);
            self.g_dz[i] = match &reference.z_m {
                Some(z) => G_MPS2 * (z[j] - z[i]),
                None => 0.0,
            };
        }
        for i in 0..n {
            self.u_lim[i] = u_lim_at(&self.corner, self.kappa[i].abs());
        }
        // Both passes start at the slowest corner, where the periodic speed is its limit: no pass can
        // arrive there slower (every other limit is higher and a car at a corner limit can hold it — true
        // unless a grade is steeper than the car can climb at that speed, which no circuit has).
        let i0 = (0..n)
            .min_by(|&a, &b| self.u_lim[a].total_cmp(&self.u_lim[b]))
            .unwrap_or(0);
        let env = self.tables.envelope();
        self.f[i0] = self.u_lim[i0];
        self.f_limited[i0] = true;
        for k in 1..n {
            let (p, j) = ((i0 + k - 1) % n, (i0 + k) % n);
            let next = forward_step(
                env,
                self.f[p],
                self.kappa[p].abs(),
                self.len[p],
                self.g_dz[p],
            );
            self.f_limited[j] = next >= self.u_lim[j];
            self.f[j] = if self.f_limited[j] {
                self.u_lim[j]
            } else {
                next.max(0.0)
            };
        }
        self.b[i0] = self.u_lim[i0];
        self.b_limited[i0] = true;
        for k in 1..n {
            let (j, q) = ((i0 + n - k) % n, (i0 + n - k + 1) % n);
            let next = backward_step(
                env,
                self.b[q],
                self.kappa[q].abs(),
                self.len[j],
                self.g_dz[j],
            );
            self.b_limited[j] = next >= self.u_lim[j];
            self.b[j] = if self.b_limited[j] {
                self.u_lim[j]
            } else {
                next
            };
        }
        let speed = |f: &[f64], b: &[f64], i: usize| f[i].min(b[i]).max(1e-6).sqrt();
        let mut time = 0.0;
        for i in 0..n {
            let j = (i + 1) % n;
            time += 2.0 * self.len[i] / (speed(&self.f, &self.b, i) + speed(&self.f, &self.b, j));
        }
        let Some(grad) = grad else {
            return time;
        };

        // Reverse sweep. ∂T/∂u_i and ∂T/∂L_i from the time sum.
        self.u_bar.iter_mut().for_each(|v| *v = 0.0);
        self.kappa_bar.iter_mut().for_each(|v| *v = 0.0);
        self.len_bar.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            let j = (i + 1) % n;
            let (vi, vj) = (speed(&self.f, &self.b, i), speed(&self.f, &self.b, j));
            let sum = vi + vj;
            self.len_bar[i] += 2.0 / sum;
            let dt_dsum = -2.0 * self.len[i] / (sum * sum);
            self.u_bar[i] += dt_dsum * 0.5 / vi;
            self.u_bar[j] += dt_dsum * 0.5 / vj;
        }
        // Each point's speed is the lower of its passes: the adjoint goes to that pass.
        let (f_bar, b_bar, u_lim_bar) = (&mut self.f_bar, &mut self.b_bar, &mut self.u_lim_bar);
        for v in [&mut *f_bar, &mut *b_bar, &mut *u_lim_bar] {
            v.iter_mut().for_each(|v| *v = 0.0);
        }
        for i in 0..n {
            if self.f[i] <= self.b[i] {
                f_bar[i] = self.u_bar[i];
            } else {
                b_bar[i] = self.u_bar[i];
            }
        }
        // The forward pass, backwards.
        for k in (1..n).rev() {
            let (p, j) = ((i0 + k - 1) % n, (i0 + k) % n);
            if self.f_limited[j] {
                u_lim_bar[j] += f_bar[j];
                continue;
            }
            let gs = self.g_dz[p];
            let [du, dk, dl] = partials(
                |u, k, l| forward_step(env, u, k, l, gs),
                [self.f[p], self.kappa[p].abs(), self.len[p]],
            );
            f_bar[p] += f_bar[j] * du;
            self.kappa_bar[p] += f_bar[j] * dk * self.kappa[p].signum();
            self.len_bar[p] += f_bar[j] * dl;
        }
        u_lim_bar[i0] += f_bar[i0];
        // The backward pass, backwards.
        for k in (1..n).rev() {
            let (j, q) = ((i0 + n - k) % n, (i0 + n - k + 1) % n);
            if self.b_limited[j] {
                u_lim_bar[j] += b_bar[j];
                continue;
            }
            let gs = self.g_dz[j];
            let [du, dk, dl] = partials(
                |u, k, l| backward_step(env, u, k, l, gs),
                [self.b[q], self.kappa[q].abs(), self.len[j]],
            );
            b_bar[q] += b_bar[j] * du;
            self.kappa_bar[q] += b_bar[j] * dk * self.kappa[q].signum();
            self.len_bar[j] += b_bar[j] * dl;
        }
        u_lim_bar[i0] += b_bar[i0];
        // Corner limits to curvature.
        for (i, &bar) in u_lim_bar.iter().enumerate() {
            if bar != 0.0 {
                let k = self.kappa[i].abs();
                let dk = (DK_REL * k).max(DK_MIN);
                let lo = (k - dk).max(0.0);
                let du_dk =
                    (u_lim_at(&self.corner, k + dk) - u_lim_at(&self.corner, lo)) / (k + dk - lo);
                self.kappa_bar[i] += bar * du_dk * self.kappa[i].signum();
            }
        }
        // Curvatures and lengths to offsets.
        grad[..n].iter_mut().for_each(|g| *g = 0.0);
        for i in 0..n {
            let (a, b) = ((i + n - 1) % n, (i + 1) % n);
            grad[a] += self.kappa_bar[i] * self.jac[i][0];
            grad[i] += self.kappa_bar[i] * self.jac[i][1];
            grad[b] += self.kappa_bar[i] * self.jac[i][2];
            // L_i = |p_{i+1} − p_i|: ∂L/∂α_i = −t·n_i, ∂L/∂α_{i+1} = t·n_{i+1}, t the unit chord.
            let (tx, ty) = (
                (self.x[b] - self.x[i]) / self.len[i].max(1e-12),
                (self.y[b] - self.y[i]) / self.len[i].max(1e-12),
            );
            grad[i] -= self.len_bar[i] * (tx * nx[i] + ty * ny[i]);
            grad[b] += self.len_bar[i] * (tx * nx[b] + ty * ny[b]);
        }
        time
    }

    fn resize(&mut self, n: usize) {
        for v in [
            &mut self.x,
            &mut self.y,
            &mut self.kappa,
            &mut self.len,
            &mut self.g_dz,
            &mut self.u_lim,
            &mut self.f,
            &mut self.b,
            &mut self.u_bar,
            &mut self.kappa_bar,
            &mut self.len_bar,
            &mut self.f_bar,
            &mut self.b_bar,
            &mut self.u_lim_bar,
        ] {
            v.resize(n, 0.0);
        }
        self.jac.resize(n, [0.0; 3]);
        self.f_limited.resize(n, false);
        self.b_limited.resize(n, false);
    }
}

/// Corner-limit squared speed at curvature magnitude `k` (m²/s²).
fn u_lim_at(corner: &CornerTable, k: f64) -> f64 {
    let v = corner.speed_mps(k, 1.0, 1.0);
    v * v
}

/// The squared speed at the end of a forward step of length `l` (m) from `u` on curvature `k` with
/// `g_dz = g Δz` over the step (so `g sin θ = g_dz / l`): the engine's acceleration explicit (smooth in `u`), the tyres' limit through the
/// friction ellipse solved at the step's end ([`implicit_ellipse_end`], capacities at the start), the lower of
/// the two. Implicit in the ellipse because its explicit form has `∂a/∂u → ∞` at the lateral limit, which an
/// adjoint multiplies along a whole corner exit.
fn forward_step(env: &Envelope, u: f64, k: f64, l: f64, g_dz: f64) -> f64 {
    let e = env.at_u(u);
    let load = e.resist_mps2 + g_dz / l.max(1e-9);
    let engine = u + 2.0 * l * (e.drive_mps2 - load * e.rot_ratio);
    let tyre = implicit_ellipse_end(
        u - 2.0 * l * load,
        2.0 * l * e.ax_traction_mps2,
        k * e.inv_ay_max_s2pm,
    );
    engine.min(tyre).max(0.0)
}

/// The squared speed at the start of a braking step of length `l` (m) that ends at `u`: the backward pass's
/// step, implicit in the ellipse like [`forward_step`].
fn backward_step(env: &Envelope, u: f64, k: f64, l: f64, g_dz: f64) -> f64 {
    let e = env.at_u(u);
    implicit_ellipse_end(
        u + 2.0 * (l * e.resist_mps2 + g_dz),
        2.0 * l * e.ax_brake_mps2,
        k * e.inv_ay_max_s2pm,
    )
}

/// Central differences of a step `f(u, κ, L)` in each argument (`κ ≥ 0`).
fn partials(f: impl Fn(f64, f64, f64) -> f64, [u, k, l]: [f64; 3]) -> [f64; 3] {
    let du = DU_REL * u.max(1.0);
    let u_lo = (u - du).max(0.0);
    let dk = (DK_REL * k).max(DK_MIN);
    let k_lo = (k - dk).max(0.0);
    let dl = DL_REL * l.max(1e-3);
    [
        (f(u + du, k, l) - f(u_lo, k, l)) / (u + du - u_lo),
        (f(u, k + dk, l) - f(u, k_lo, l)) / (k + dk - k_lo),
        (f(u, k, l + dl) - f(u, k, l - dl)) / (2.0 * dl),
    ]
}
