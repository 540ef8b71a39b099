//! The minimum-curvature line: a closed line inside the track limits that minimises ∫κ² ds.
//!
//! The line is the reference shifted sideways, `p_i = r_i + α_i n_i` (`r_i`, `n_i` the points and left
//! normals of the unfolded [`Reference`], `α_i` positive to the left), with each offset bounded so the car
//! stays on the track: `−(w_right − b/2 − margin) ≤ α ≤ w_left − b/2 − margin` for a car of width `b`, the
//! widths measured along the reference's normals. It minimises the squared curvature integrated along the
//! line, `Σ κ_i² l_i` — the classic minimum-curvature line, which keeps the car's lateral demand `v² κ` low
//! so it can carry speed — with the discrete curvature of three consecutive points,
//! `κ_i = (d × d₂) / |d|³`, `d = (p_{i+1} − p_{i−1})/2`, `d₂ = p_{i+1} − 2 p_i + p_{i−1}`, and the line's
//! local spacing `l_i = |d|`. The spacing matters: nodes are equally spaced on the reference but crowd on
//! the inside of a bend, and a plain `Σ κ_i²` charged the inside of a hairpin several times over.
//!
//! The residual `ρ_i = κ_i √(l_i / h)` is non-linear, so it is linearised about the current line,
//! `ρ ≈ ρ₀ + J δ` with `J` tridiagonal, and each Gauss–Newton step solves the box-constrained QP
//! `min ½‖ρ₀ + J δ‖² + ½ μ‖δ‖²` on the offsets ([`crate::numerics::boxqp`]), with Levenberg–Marquardt
//! damping `μ` that is raised whenever a step fails to lower the objective or its QP does not settle. It
//! stops when the objective settles; if it does not within [`LineOptions::max_iterations`] the computation
//! fails with an error rather than return an unconverged line.
//!
//! References: F. Braghin et al., "Race driver model", Computers & Structures 86 (2008) 1503–1516
//! (minimum-curvature line as a QP in lateral offsets); A. Heilmeier et al., "Minimum curvature trajectory
//! planning and control for an autonomous race car", Vehicle System Dynamics 58 (2020) 1497–1527 (the
//! linearise-and-iterate QP used by TUM's racing lines).

use serde::Serialize;

use super::reference::Reference;
use super::LineOptions;
use crate::error::{Error, Result};
use crate::numerics::boxqp::{self, BoxQpError, CyclicBanded};
use crate::track::{Centerline, Track, TrackOptions};

/// A closed racing line on the optimisation grid.
#[derive(Debug, Clone, Serialize)]
pub struct RacingLine {
    /// Arc length of each node along the reference (m).
    pub s_ref_m: Vec<f64>,
    /// Elevation of each node (m): the reference's at the same arc length; `None` on a flat track.
    pub z_m: Option<Vec<f64>>,
    /// Line position (m).
    pub x_m: Vec<f64>,
    /// Line position (m).
    pub y_m: Vec<f64>,
    /// Lateral offset from the centreline, positive to the left (m).
    pub offset_m: Vec<f64>,
    /// Discrete curvature of the line at each node (1/m).
    pub curvature_1pm: Vec<f64>,
    /// Distance from the line to the right edge along the reference's normal (m), shortened where the normal
    /// crosses the edge obliquely ([`Reference`]).
    pub w_right_m: Vec<f64>,
    /// Distance from the line to the left edge along the reference's normal (m), shortened like `w_right_m`.
    pub w_left_m: Vec<f64>,
    /// Lower and upper offset bounds (m).
    pub bounds_m: Vec<(f64, f64)>,
    /// Gauss–Newton iterations used.
    pub iterations: usize,
    /// Σ κ² over the grid nodes of the line and of the reference (1/m²).
    pub sum_kappa2: (f64, f64),
    /// Closed polyline length of the line and of the reference (m).
    pub length_m: (f64, f64),
}

/// Discrete curvature of the closed polyline `(x, y)` at every node, weighted for the line's arc length:
/// `ρ_i = κ_i √(l_i / h)` with `l_i = |p_{i+1} − p_{i−1}| / 2` the line's local spacing and `h` the
/// reference's, so `h Σ ρ_i² = Σ κ_i² l_i ≈ ∫ κ² ds` along the line itself. Without the weight the sum would
/// count the nodes, and nodes crowd on the inside of a bend (spacing `h (1 − α κ_ref)`), which penalises the
/// inside of a hairpin up to several times over and drove the line round the outside. With `h = None` it is
/// the plain curvature `κ_i = (d × d₂) / |d|³`. Also the Jacobian with respect to offsets along `(nx, ny)`
/// (three entries per node: towards i−1, i, i+1).
pub(super) fn curvature_and_jacobian(
    x: &[f64],
    y: &[f64],
    nx: &[f64],
    ny: &[f64],
    h: Option<f64>,
    kappa: &mut [f64],
    jac: Option<&mut [[f64; 3]]>,
) {
    // ρ = (d × d₂) / |d|^p / √h with p = 3 (curvature) or 5/2 (length-weighted).
    let (p, scale) = match h {
        Some(h) => (2.5, 1.0 / h.sqrt()),
        None => (3.0, 1.0),
    };
    let n = x.len();
    let cross = |a: (f64, f64), b: (f64, f64)| a.0 * b.1 - a.1 * b.0;
    let mut jac = jac;
    for i in 0..n {
        let (a, b) = ((i + n - 1) % n, (i + 1) % n);
        let d = ((x[b] - x[a]) * 0.5, (y[b] - y[a]) * 0.5);
        let dd = (x[b] - 2.0 * x[i] + x[a], y[b] - 2.0 * y[i] + y[a]);
        let c = cross(d, dd);
        let l2 = d.0 * d.0 + d.1 * d.1;
        let l = l2.sqrt();
        let lp = l.powf(p) / scale;
        kappa[i] = c / lp;
        if let Some(j) = jac.as_deref_mut() {
            // ∂d and ∂d₂ for offsets at a, i, b.
            let dd_d = [
                (-0.5 * nx[a], -0.5 * ny[a]),
                (0.0, 0.0),
                (0.5 * nx[b], 0.5 * ny[b]),
            ];
            let dd_dd = [(nx[a], ny[a]), (-2.0 * nx[i], -2.0 * ny[i]), (nx[b], ny[b])];
            for k in 0..3 {
                let dc = cross(dd_d[k], dd) + cross(d, dd_dd[k]);
                let dl = d.0 * dd_d[k].0 + d.1 * dd_d[k].1;
                j[i][k] = dc / lp - p * c * dl / (lp * l2);
            }
        }
    }
}
impl RacingLine {
    /// Computes the minimum-curvature line over `reference` (the unfolded reference of the offsets on the
    /// optimisation grid, [`Reference::new`]) for a car `car_width_m` wide.
    pub fn minimum_curvature(
        reference: &Reference,
        car_width_m: f64,
        opt: &LineOptions,
    ) -> Result<Self> {
        Self::optimise(reference, car_width_m, opt, None, None, None)
    }

    /// Minimises `Σ w_i κ_i² l_i + ε Σ c_i |p_{i+1} − p_i|²` over the offsets inside the bounds, from the
    /// offsets `start` (zero when `None`) with node weights `weights` (`w`) and segment weights
    /// `length_weights` (`c`), all one when `None`. The weighted form is the path
    /// update of the minimum-time line ([`super::min_time`]).
    pub fn optimise(
        reference: &Reference,
        car_width_m: f64,
        opt: &LineOptions,
        weights: Option<&[f64]>,
        length_weights: Option<&[f64]>,
        start: Option<&[f64]>,
    ) -> Result<Self> {
        let n = reference.len();
        let name = reference.source_name.clone();
        let (rx, ry) = (&reference.x_m[..], &reference.y_m[..]);
        let (nx, ny) = (&reference.nx[..], &reference.ny[..]);
        let (lo, hi) = Self::offset_bounds(reference, car_width_m, opt.margin_m)?;
        let unit = vec![1.0; n];
        let h_ref = reference
            .s_m
            .get(1)
            .copied()
            .unwrap_or(1.0)
            .max(f64::MIN_POSITIVE);
        let wgt = weights.unwrap_or(&unit);
        let mut alpha: Vec<f64> = match start {
            Some(a) => (0..n).map(|i| a[i].clamp(lo[i], hi[i])).collect(),
            None => vec![0.0; n],
        };
        let (mut x, mut y) = (rx.to_vec(), ry.to_vec());
        let mut kappa = vec![0.0; n];
        let mut jac = vec![[0.0; 3]; n];
        let place = |alpha: &[f64], x: &mut [f64], y: &mut [f64]| {
            for i in 0..n {
                x[i] = rx[i] + alpha[i] * nx[i];
                y[i] = ry[i] + alpha[i] * ny[i];
            }
        };
        let eps = opt.length_weight_1pm4;
        let lw = length_weights.unwrap_or(&unit);
        let length_term = |x: &[f64], y: &[f64]| {
            (0..n)
                .map(|i| {
                    lw[i] * ((x[(i + 1) % n] - x[i]).powi(2) + (y[(i + 1) % n] - y[i]).powi(2))
                })
                .sum::<f64>()
        };
        let weighted = |k: &[f64]| k.iter().zip(wgt).map(|(k, w)| w * k * k).sum::<f64>();
        place(&alpha, &mut x, &mut y);
        curvature_and_jacobian(&x, &y, nx, ny, Some(h_ref), &mut kappa, None);
        let mut obj = weighted(&kappa) + eps * length_term(&x, &y);
        let zeros = vec![0.0; n];
        let mut mu = 0.0;
        let mut converged = false;
        // Relative change of the objective at the last accepted step (what the tolerance compares).
        let mut last_rel = f64::INFINITY;
        let mut iterations = 0;
        let mut trial = vec![0.0; n];
        let (mut tx, mut ty) = (x.clone(), y.clone());
        let mut tk = kappa.clone();
        for it in 1..=opt.max_iterations {
            iterations = it;
            curvature_and_jacobian(&x, &y, nx, ny, Some(h_ref), &mut kappa, Some(&mut jac));
            let mut h = CyclicBanded::zeros(n);
            let mut g = vec![0.0; n];
            for i in 0..n {
                let idx = [(i + n - 1) % n, i, (i + 1) % n];
                let w = wgt[i];
                for a in 0..3 {
                    g[idx[a]] += w * jac[i][a] * kappa[i];
                    for b in a..3 {
                        h.add(idx[a], idx[b], w * jac[i][a] * jac[i][b]);
                    }
                }
            }
            if eps > 0.0 {
                // Path-length residuals √ε (p_{i+1} − p_i), linear in the offsets.
                for i in 0..n {
                    let j = (i + 1) % n;
                    let e = eps * lw[i];
                    let (dx, dy) = (x[j] - x[i], y[j] - y[i]);
                    g[i] -= e * (nx[i] * dx + ny[i] * dy);
                    g[j] += e * (nx[j] * dx + ny[j] * dy);
                    h.add(i, i, e);
                    h.add(j, j, e);
                    h.add(i, j, -e * (nx[i] * nx[j] + ny[i] * ny[j]));
                }
            }
            let mean_diag = h.diag.iter().map(|d| d[0]).sum::<f64>() / n as f64;
            if mu == 0.0 {
                mu = 1e-6 * mean_diag;
            }
            let dlo: Vec<f64> = (0..n).map(|i| lo[i] - alpha[i]).collect();
            let dhi: Vec<f64> = (0..n).map(|i| hi[i] - alpha[i]).collect();
            // Levenberg–Marquardt: raise the damping until the step lowers Σκ².
            let mut accepted = false;
            for _ in 0..30 {
                let mut hd = h.clone();
                for d in hd.diag.iter_mut() {
                    d[0] += mu;
                }
                // A QP that does not settle in its budget (an ill-conditioned step) is treated like a step
                // that fails to lower the objective: more damping, which conditions the next QP better.
                let step = match boxqp::solve(&hd, &g, &dlo, &dhi, &zeros, 1e-10, 200) {
                    Ok(step) => step,
                    Err(BoxQpError::NoConvergence(_)) => {
                        mu *= 10.0;
                        continue;
                    }
                    Err(reason) => {
                        return Err(Error::LineQp {
                            source_name: name.clone(),
                            reason,
                        })
                    }
                };
                for i in 0..n {
                    trial[i] = (alpha[i] + step.x[i]).clamp(lo[i], hi[i]);
                }
                place(&trial, &mut tx, &mut ty);
                curvature_and_jacobian(&tx, &ty, nx, ny, Some(h_ref), &mut tk, None);
                let new_obj: f64 = weighted(&tk) + eps * length_term(&tx, &ty);
                if new_obj <= obj {
                    let rel = (obj - new_obj) / obj.max(f64::MIN_POSITIVE);
                    last_rel = rel;
                    alpha.copy_from_slice(&trial);
                    x.copy_from_slice(&tx);
                    y.copy_from_slice(&ty);
                    obj = new_obj;
                    mu = (mu / 3.0).max(1e-12 * mean_diag);
                    accepted = true;
                    if rel < opt.tolerance {
                        converged = true;
                    }
                    break;
                }
                mu *= 10.0;
            }
            if !accepted {
                // No step lowers Σκ² any more: a local minimum to machine precision.
                converged = true;
            }
            if converged {
                break;
            }
        }
        if !converged {
            return Err(Error::LineNotConverged {
                source_name: name,
                iterations: opt.max_iterations,
                residual: last_rel,
            });
        }
        Ok(Self::from_offsets(reference, lo, hi, alpha, iterations))
    }

    /// Lower and upper offset bounds (m) of a car `car_width_m` wide keeping `margin_m` from each edge, or the
    /// error naming `s` where the track is too narrow for it.
    pub fn offset_bounds(
        reference: &Reference,
        car_width_m: f64,
        margin_m: f64,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let n = reference.len();
        let (w_right, w_left) = (&reference.w_right_m[..], &reference.w_left_m[..]);
        let half = 0.5 * car_width_m + margin_m;
        let mut lo = Vec::with_capacity(n);
        let mut hi = Vec::with_capacity(n);
        // Each node's bounds use the narrowest width of it and its neighbours: the line between two nodes is
        // interpolated, and survey widths can change by a metre within a few metres.
        let narrowest = |w: &[f64], i: usize| w[(i + n - 1) % n].min(w[i]).min(w[(i + 1) % n]);
        for i in 0..n {
            let (l, h) = (-(narrowest(w_right, i) - half), narrowest(w_left, i) - half);
            if l > h {
                let (wr, wl) = (narrowest(w_right, i), narrowest(w_left, i));
                return Err(Error::Track {
                    source_name: reference.source_name.clone(),
                    message: format!(
                        "too narrow for the car at s = {:.1} m: {:.2} m wide (right {wr:.2} m, left {wl:.2} m), but \
                         a {car_width_m:.2} m car with {margin_m:.2} m margins needs {:.2} m",
                        reference.s_m[i],
                        wr + wl,
                        2.0 * half
                    ),
                });
            }
            lo.push(l);
            hi.push(h);
        }
        Ok((lo, hi))
    }

    /// The line of offsets `alpha` on `reference`, inside the bounds `lo`, `hi` (from
    /// [`Self::offset_bounds`]), after `iterations` of an optimisation.
    pub fn from_offsets(
        reference: &Reference,
        lo: Vec<f64>,
        hi: Vec<f64>,
        alpha: Vec<f64>,
        iterations: usize,
    ) -> Self {
        let n = reference.len();
        let (rx, ry) = (&reference.x_m[..], &reference.y_m[..]);
        let (nx, ny) = (&reference.nx[..], &reference.ny[..]);
        let (w_right, w_left) = (&reference.w_right_m[..], &reference.w_left_m[..]);
        let x: Vec<f64> = (0..n).map(|i| rx[i] + alpha[i] * nx[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| ry[i] + alpha[i] * ny[i]).collect();
        let mut kappa = vec![0.0; n];
        curvature_and_jacobian(rx, ry, nx, ny, None, &mut kappa, None);
        let sum_ref: f64 = kappa.iter().map(|k| k * k).sum();
        curvature_and_jacobian(&x, &y, nx, ny, None, &mut kappa, None);
        let poly = |x: &[f64], y: &[f64]| {
            (0..n)
                .map(|i| (x[(i + 1) % n] - x[i]).hypot(y[(i + 1) % n] - y[i]))
                .sum::<f64>()
        };
        Self {
            s_ref_m: reference.s_m.clone(),
            z_m: reference.z_m.clone(),
            w_right_m: (0..n).map(|i| w_right[i] + alpha[i]).collect(),
            w_left_m: (0..n).map(|i| w_left[i] - alpha[i]).collect(),
            bounds_m: lo.into_iter().zip(hi).collect(),
            length_m: (poly(&x, &y), poly(rx, ry)),
            sum_kappa2: (kappa.iter().map(|k| k * k).sum(), sum_ref),
            x_m: x,
            y_m: y,
            offset_m: alpha,
            curvature_1pm: kappa,
            iterations,
        }
    }

    /// The lap track of the line, resampled at `options.step_m` and named `name`. Not smoothed again: the
    /// optimised line is already smooth, and smoothing it would pull it off its bounds.
    pub fn to_track(&self, name: &str, options: TrackOptions) -> Result<Track> {
        Track::new(
            &self.to_centerline(name)?,
            TrackOptions {
                smoothing_wavelength_m: 0.0,
                ..options
            },
        )
    }

    /// The line as a centreline (its points, with the track edges measured from it), ready to be built into
    /// a [`Track`] at the lap step.
    pub fn to_centerline(&self, source_name: &str) -> Result<Centerline> {
        let n = self.x_m.len();
        Centerline::new(
            source_name,
            self.x_m.clone(),
            self.y_m.clone(),
            self.w_right_m.clone(),
            self.w_left_m.clone(),
            self.z_m.clone(),
            (1..=n as u64).collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::curvature_and_jacobian;

    /// The Jacobian of the length-weighted residual `ρ_i = κ_i √(l_i/h)` (and of the plain curvature) agrees
    /// with central finite differences of the residual on an irregular closed polyline with skewed normals.
    #[test]
    fn jacobian_matches_finite_differences() {
        let n = 12;
        let (mut x, mut y, mut nx, mut ny) = (vec![], vec![], vec![], vec![]);
        for i in 0..n {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let r = 30.0 + 4.0 * (3.0 * a).sin();
            x.push(r * a.cos());
            y.push(0.7 * r * a.sin());
            let t = a + 0.2 * (2.0 * a).cos();
            nx.push(t.cos());
            ny.push(t.sin());
        }
        for h in [Some(15.0), None] {
            let mut rho = vec![0.0; n];
            let mut jac = vec![[0.0; 3]; n];
            curvature_and_jacobian(&x, &y, &nx, &ny, h, &mut rho, Some(&mut jac));
            let d = 1e-6;
            for k in 0..n {
                let (mut xp, mut yp, mut xm, mut ym) = (x.clone(), y.clone(), x.clone(), y.clone());
                xp[k] += d * nx[k];
                yp[k] += d * ny[k];
                xm[k] -= d * nx[k];
                ym[k] -= d * ny[k];
                let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
                curvature_and_jacobian(&xp, &yp, &nx, &ny, h, &mut rp, None);
                curvature_and_jacobian(&xm, &ym, &nx, &ny, h, &mut rm, None);
                // Node k enters residuals k−1 (as its i+1), k (as i) and k+1 (as its i−1).
                for (i, slot) in [((k + n - 1) % n, 2), (k, 1), ((k + 1) % n, 0)] {
                    let fd = (rp[i] - rm[i]) / (2.0 * d);
                    let an = jac[i][slot];
                    assert!(
                        (fd - an).abs() < 1e-6 * (1.0 + an.abs()) + 1e-9,
                        "h {h:?}, residual {i}, offset {k}: analytic {an:.6e}, finite difference {fd:.6e}"
                    );
                }
            }
        }
    }
}
