//! The racing line: a closed minimum-curvature line inside the track limits.
//!
//! The line is the centreline shifted sideways, `p_i = r_i + α_i n_i` (`n_i` the left normal of the smoothed
//! centreline, `α_i` positive to the left), with each offset bounded so the car stays on the track:
//! `−(w_right − b/2 − margin) ≤ α ≤ w_left − b/2 − margin` for a car of width `b`. It minimises the summed
//! squared curvature `Σ κ_i²` — the classic minimum-curvature line, which keeps the car's lateral demand
//! `v² κ` low so it can carry speed — with the discrete curvature of three consecutive points,
//! `κ_i = (d × d₂) / |d|³`, `d = (p_{i+1} − p_{i−1})/2`, `d₂ = p_{i+1} − 2 p_i + p_{i−1}`.
//!
//! `κ(α)` is non-linear, so it is linearised about the current line, `κ ≈ κ₀ + J δ` with `J` tridiagonal,
//! and each Gauss–Newton step solves the box-constrained QP `min ½‖κ₀ + J δ‖² + ½ μ‖δ‖²` on the offsets
//! ([`super::boxqp`]), with Levenberg–Marquardt damping `μ` that is raised whenever a step fails to lower
//! `Σ κ²`. It stops when `Σ κ²` settles; if it does not within [`LineOptions::max_iterations`] the
//! computation fails with an error rather than return an unconverged line.
//!
//! References: F. Braghin et al., "Race driver model", Computers & Structures 86 (2008) 1503–1516
//! (minimum-curvature line as a QP in lateral offsets); A. Heilmeier et al., "Minimum curvature trajectory
//! planning and control for an autonomous race car", Vehicle System Dynamics 58 (2020) 1497–1527 (the
//! linearise-and-iterate QP used by TUM's racing lines).

use std::path::Path;

use serde::Serialize;

use super::boxqp::{self, BoxQpError, CyclicBanded};
use super::{Centerline, Track};
use crate::error::{Error, Result};
use crate::report::write_atomic;

/// How the racing line is computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LineOptions {
    /// Spacing of the optimisation grid along the centreline (m). Default `2.0`: the line's curvature varies
    /// over tens of metres, and the optimised line is resampled to the lap step through a spline.
    pub grid_step_m: f64,
    /// Distance kept between the car's side and the track edge (m). Default `0.25`: drivers put the outer
    /// wheels on the edge line and use the kerbs; the database's widths come from satellite images with a
    /// resolution of a few decimetres.
    pub margin_m: f64,
    /// Most Gauss–Newton iterations. Default `100`.
    pub max_iterations: usize,
    /// Relative change of the objective below which the line has settled. Default `1e-8` (the lap time then
    /// changes by less than a microsecond).
    pub tolerance: f64,
    /// Weight ε of the path-length term `ε Σ |p_{i+1} − p_i|²` added to `Σ κ²` (1/m⁴). Default `0`: the pure
    /// minimum-curvature line. A positive ε trades curvature for a shorter path (Braghin et al. 2008); see
    /// [`minimum_time_line`].
    pub length_weight_1pm4: f64,
}

impl Default for LineOptions {
    fn default() -> Self {
        Self {
            grid_step_m: 2.0,
            margin_m: 0.25,
            max_iterations: 100,
            tolerance: 1e-8,
            length_weight_1pm4: 0.0,
        }
    }
}

/// A closed racing line on the optimisation grid.
#[derive(Debug, Clone, Serialize)]
pub struct RacingLine {
    /// Arc length of each node along the reference centreline (m).
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
    /// Distance from the line to the right edge along the centreline normal (m).
    pub w_right_m: Vec<f64>,
    /// Distance from the line to the left edge along the centreline normal (m).
    pub w_left_m: Vec<f64>,
    /// Lower and upper offset bounds (m).
    pub bounds_m: Vec<(f64, f64)>,
    /// Gauss–Newton iterations used.
    pub iterations: usize,
    /// Σ κ² of the line and of the reference centreline on the grid (1/m²).
    pub sum_kappa2: (f64, f64),
    /// Closed polyline length of the line and of the reference (m).
    pub length_m: (f64, f64),
}

/// Discrete curvature of the closed polyline `(x, y)` at every node, and its Jacobian with respect to offsets
/// along `(nx, ny)` (three entries per node: towards i−1, i, i+1).
fn curvature_and_jacobian(
    x: &[f64],
    y: &[f64],
    nx: &[f64],
    ny: &[f64],
    kappa: &mut [f64],
    jac: Option<&mut [[f64; 3]]>,
) {
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
        let l3 = l2 * l;
        kappa[i] = c / l3;
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
                j[i][k] = dc / l3 - 3.0 * c * dl / (l3 * l2);
            }
        }
    }
}

impl RacingLine {
    /// Computes the minimum-curvature line of `reference` (a centreline [`Track`] built at the grid step) for
    /// a car `car_width_m` wide.
    pub fn minimum_curvature(
        reference: &Track,
        car_width_m: f64,
        opt: &LineOptions,
    ) -> Result<Self> {
        let n = reference.len();
        let name = reference.source_name().to_string();
        let (rx, ry) = (reference.x_m(), reference.y_m());
        let nx: Vec<f64> = reference.heading_rad().iter().map(|h| -h.sin()).collect();
        let ny: Vec<f64> = reference.heading_rad().iter().map(|h| h.cos()).collect();
        let half = 0.5 * car_width_m + opt.margin_m;
        let mut lo = Vec::with_capacity(n);
        let mut hi = Vec::with_capacity(n);
        // Each node's bounds use the narrowest width of it and its neighbours: the line between two nodes is
        // interpolated, and survey widths can change by a metre within a few metres.
        let narrowest = |w: &[f64], i: usize| w[(i + n - 1) % n].min(w[i]).min(w[(i + 1) % n]);
        for i in 0..n {
            let (l, h) = (
                -(narrowest(reference.w_right_m(), i) - half),
                narrowest(reference.w_left_m(), i) - half,
            );
            if l > h {
                let (wr, wl) = (
                    narrowest(reference.w_right_m(), i),
                    narrowest(reference.w_left_m(), i),
                );
                return Err(Error::Track {
                    source_name: name,
                    message: format!(
                        "too narrow for the car at s = {:.1} m: {:.2} m wide (right {wr:.2} m, left {wl:.2} m), but \
                         a {car_width_m:.2} m car with {:.2} m margins needs {:.2} m",
                        reference.s_m()[i],
                        wr + wl,
                        opt.margin_m,
                        2.0 * half
                    ),
                });
            }
            lo.push(l);
            hi.push(h);
        }
        let mut alpha = vec![0.0; n];
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
        let length_term = |x: &[f64], y: &[f64]| {
            (0..n)
                .map(|i| (x[(i + 1) % n] - x[i]).powi(2) + (y[(i + 1) % n] - y[i]).powi(2))
                .sum::<f64>()
        };
        curvature_and_jacobian(&x, &y, &nx, &ny, &mut kappa, None);
        let sum_ref: f64 = kappa.iter().map(|k| k * k).sum();
        let mut obj = sum_ref + eps * length_term(&x, &y);
        let zeros = vec![0.0; n];
        let mut mu = 0.0;
        let mut converged = false;
        let mut iterations = 0;
        let mut trial = vec![0.0; n];
        let (mut tx, mut ty) = (x.clone(), y.clone());
        let mut tk = kappa.clone();
        for it in 1..=opt.max_iterations {
            iterations = it;
            curvature_and_jacobian(&x, &y, &nx, &ny, &mut kappa, Some(&mut jac));
            let mut h = CyclicBanded::zeros(n);
            let mut g = vec![0.0; n];
            for i in 0..n {
                let idx = [(i + n - 1) % n, i, (i + 1) % n];
                for a in 0..3 {
                    g[idx[a]] += jac[i][a] * kappa[i];
                    for b in a..3 {
                        h.add(idx[a], idx[b], jac[i][a] * jac[i][b]);
                    }
                }
            }
            if eps > 0.0 {
                // Path-length residuals √ε (p_{i+1} − p_i), linear in the offsets.
                for i in 0..n {
                    let j = (i + 1) % n;
                    let (dx, dy) = (x[j] - x[i], y[j] - y[i]);
                    g[i] -= eps * (nx[i] * dx + ny[i] * dy);
                    g[j] += eps * (nx[j] * dx + ny[j] * dy);
                    h.add(i, i, eps);
                    h.add(j, j, eps);
                    h.add(i, j, -eps * (nx[i] * nx[j] + ny[i] * ny[j]));
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
                let step = boxqp::solve(&hd, &g, &dlo, &dhi, &zeros, 1e-10, 200).map_err(|e| {
                    Error::Solver(format!(
                        "{name}: racing line: the quadratic programme failed ({})",
                        match e {
                            BoxQpError::InfeasibleBounds(i) =>
                                format!("crossed bounds at node {i}"),
                            BoxQpError::NotPositiveDefinite => "not positive definite".into(),
                            BoxQpError::NoConvergence(k) =>
                                format!("no convergence in {k} iterations"),
                        }
                    ))
                })?;
                for i in 0..n {
                    trial[i] = (alpha[i] + step.x[i]).clamp(lo[i], hi[i]);
                }
                place(&trial, &mut tx, &mut ty);
                curvature_and_jacobian(&tx, &ty, &nx, &ny, &mut tk, None);
                let new_obj: f64 =
                    tk.iter().map(|k| k * k).sum::<f64>() + eps * length_term(&tx, &ty);
                if new_obj <= obj {
                    let rel = (obj - new_obj) / obj.max(f64::MIN_POSITIVE);
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
            return Err(Error::Solver(format!(
                "{name}: the racing line did not settle in {} iterations (Σκ² still changing); raise \
                 max_iterations or coarsen the grid",
                opt.max_iterations
            )));
        }
        curvature_and_jacobian(&x, &y, &nx, &ny, &mut kappa, None);
        let poly = |x: &[f64], y: &[f64]| {
            (0..n)
                .map(|i| (x[(i + 1) % n] - x[i]).hypot(y[(i + 1) % n] - y[i]))
                .sum::<f64>()
        };
        Ok(Self {
            s_ref_m: reference.s_m().to_vec(),
            z_m: reference.has_elevation().then(|| reference.z_m().to_vec()),
            w_right_m: (0..n)
                .map(|i| reference.w_right_m()[i] + alpha[i])
                .collect(),
            w_left_m: (0..n).map(|i| reference.w_left_m()[i] - alpha[i]).collect(),
            bounds_m: lo.into_iter().zip(hi).collect(),
            length_m: (poly(&x, &y), poly(rx, ry)),
            sum_kappa2: (obj, sum_ref),
            x_m: x,
            y_m: y,
            offset_m: alpha,
            curvature_1pm: kappa,
            iterations,
        })
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

    /// Writes the line as CSV: `s_m, x_m, y_m, offset_m, curvature_1pm` (s along the line).
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let n = self.x_m.len();
        write_atomic(path, |w| {
            let mut c = csv::Writer::from_writer(w);
            c.write_record(["s_m", "x_m", "y_m", "offset_m", "curvature_1pm"])?;
            let mut s = 0.0;
            for i in 0..n {
                c.write_record([
                    format!("{s:.3}"),
                    format!("{:.3}", self.x_m[i]),
                    format!("{:.3}", self.y_m[i]),
                    format!("{:.4}", self.offset_m[i]),
                    format!("{:.6}", self.curvature_1pm[i]),
                ])?;
                let j = (i + 1) % n;
                s += (self.x_m[j] - self.x_m[i]).hypot(self.y_m[j] - self.y_m[i]);
            }
            c.flush()?;
            Ok(())
        })
    }
}

/// Which path the car drives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LinePath {
    /// The surveyed centreline.
    Centreline,
    /// The minimum-curvature line computed here.
    Optimal(LineOptions),
    /// The fastest blend of minimum curvature and a shorter path for this car ([`minimum_time_line`]).
    MinimumTime(LineOptions),
    /// A user's line: `x_m, y_m` points (the racetrack-database racing-line format) from this file.
    File(std::path::PathBuf),
}

/// A lap track for a path: the centreline itself, an optimised line, or a user's line, each resampled (and,
/// but for the optimised lines, smoothed) with `options`. The car's width bounds the line; the minimum-time
/// blend also laps the car. Returns the optimised line too when one was computed.
pub fn path_track(
    centerline: &Centerline,
    path: &LinePath,
    car: &crate::vehicle::Car,
    options: super::TrackOptions,
) -> Result<(Track, Option<RacingLine>)> {
    let car_width_m = car.params().chassis.width_m;
    match path {
        LinePath::Centreline => Ok((Track::new(centerline, options)?, None)),
        LinePath::MinimumTime(opt) => {
            check_line_options(opt)?;
            let env = crate::vehicle::Envelope::new(car);
            let (line, track, _, _) =
                minimum_time_line(centerline, car_width_m, options, opt, |t| {
                    Ok(crate::solver::LapSolver::new(t, &env)
                        .solve(crate::solver::Start::Flying)?
                        .lap_time_s)
                })?;
            Ok((track, Some(line)))
        }
        LinePath::Optimal(opt) => {
            check_line_options(opt)?;
            let reference = Track::new(
                centerline,
                super::TrackOptions {
                    step_m: opt.grid_step_m,
                    ..options
                },
            )?;
            let line = RacingLine::minimum_curvature(&reference, car_width_m, opt)?;
            let name = format!("{} (minimum-curvature line)", centerline.source_name());
            // The optimised line is already smooth; smoothing it again would pull it off its bounds.
            let track = Track::new(
                &line.to_centerline(&name)?,
                super::TrackOptions {
                    smoothing_wavelength_m: 0.0,
                    ..options
                },
            )?;
            Ok((track, Some(line)))
        }
        LinePath::File(file) => {
            let line = read_line_file(file, centerline)?;
            Ok((Track::new(&line, options)?, None))
        }
    }
}

fn check_line_options(opt: &LineOptions) -> Result<()> {
    // Below 1 m the curvature Hessian (∝ 1/h⁴) is too ill-conditioned for the QP's tolerance, and the line
    // gains nothing: its curvature varies over tens of metres.
    if !(opt.grid_step_m.is_finite() && (1.0..=10.0).contains(&opt.grid_step_m)) {
        return Err(Error::Option {
            option: "line grid_step_m".into(),
            value: opt.grid_step_m.to_string(),
            message: "must lie between 1 m and 10 m".into(),
        });
    }
    if !(opt.margin_m.is_finite() && opt.margin_m >= 0.0) {
        return Err(Error::Option {
            option: "line margin_m".into(),
            value: opt.margin_m.to_string(),
            message: "must be a distance ≥ 0 m".into(),
        });
    }
    Ok(())
}

/// Reads a user's line (`x_m, y_m`) and measures the track edges from it: each point is projected onto the
/// nearest segment of the centreline, whose widths, less the point's lateral offset, give the edges. A point
/// outside the track is an error.
pub fn read_line_file(path: &Path, centerline: &Centerline) -> Result<Centerline> {
    let name = path.display().to_string();
    let text = super::reader::read_text(path)?;
    let rows = super::reader::parse_rows(&name, &text, &[2])?;
    let (cx, cy) = (centerline.x_m(), centerline.y_m());
    let m = cx.len();
    let mut wr = Vec::with_capacity(rows.len());
    let mut wl = Vec::with_capacity(rows.len());
    let mut zs = Vec::with_capacity(rows.len());
    for r in &rows {
        let (px, py) = (r.values[0], r.values[1]);
        // Nearest centreline segment.
        let mut best = (f64::INFINITY, 0usize, 0.0f64, 0.0f64);
        for i in 0..m {
            let j = (i + 1) % m;
            let (dx, dy) = (cx[j] - cx[i], cy[j] - cy[i]);
            let l2 = dx * dx + dy * dy;
            let t = (((px - cx[i]) * dx + (py - cy[i]) * dy) / l2).clamp(0.0, 1.0);
            let (qx, qy) = (cx[i] + t * dx, cy[i] + t * dy);
            let d2 = (px - qx).powi(2) + (py - qy).powi(2);
            if d2 < best.0 {
                // Signed lateral offset: positive to the left of the direction of travel.
                let side = (dx * (py - cy[i]) - dy * (px - cx[i])).signum();
                best = (d2, i, t, side * d2.sqrt());
            }
        }
        let (_, i, t, off) = best;
        let j = (i + 1) % m;
        let lerp = |w: &[f64]| w[i] + t * (w[j] - w[i]);
        let (r_edge, l_edge) = (
            lerp(centerline.w_right_m()) + off,
            lerp(centerline.w_left_m()) - off,
        );
        if r_edge <= 0.0 || l_edge <= 0.0 {
            return Err(Error::TrackLine {
                source_name: name,
                line: r.line,
                message: format!(
                    "the point ({px}, {py}) lies {:.2} m off the centreline, outside the track of {}",
                    off.abs(),
                    centerline.source_name()
                ),
            });
        }
        wr.push(r_edge);
        wl.push(l_edge);
        if let Some(z) = centerline.z_m() {
            zs.push(lerp(z));
        }
    }
    Centerline::new(
        &name,
        rows.iter().map(|r| r.values[0]).collect(),
        rows.iter().map(|r| r.values[1]).collect(),
        wr,
        wl,
        centerline.z_m().map(|_| zs),
        rows.iter().map(|r| r.line).collect(),
    )
}

/// The fastest line of a family between minimum curvature and a shorter path: minimises the lap time of `lap`
/// over the length weight ε of [`LineOptions::length_weight_1pm4`] by golden-section search on
/// `ε ∈ [0, ε_max]`, where `ε_max` makes the length term as large as the centreline's curvature term. Each
/// evaluation computes a line and solves its lap. Returns the best line, its lap track, ε and the lap time.
///
/// Reference: F. Braghin et al., "Race driver model", Computers & Structures 86 (2008) 1503–1516 (the blend of
/// minimum curvature and shortest path, with the blend chosen by lap time).
pub fn minimum_time_line(
    centerline: &Centerline,
    car_width_m: f64,
    options: super::TrackOptions,
    base: &LineOptions,
    lap: impl Fn(&Track) -> Result<f64>,
) -> Result<(RacingLine, Track, f64, f64)> {
    let reference = Track::new(
        centerline,
        super::TrackOptions {
            step_m: base.grid_step_m,
            ..options
        },
    )?;
    let n = reference.len();
    let (x, y) = (reference.x_m(), reference.y_m());
    let length_sq: f64 = (0..n)
        .map(|i| (x[(i + 1) % n] - x[i]).powi(2) + (y[(i + 1) % n] - y[i]).powi(2))
        .sum();
    let kappa_sq: f64 = reference.curvature_1pm().iter().map(|k| k * k).sum();
    let eps_max = kappa_sq / length_sq;
    let eval = |eps: f64| -> Result<(f64, RacingLine, Track)> {
        let opt = LineOptions {
            length_weight_1pm4: eps,
            ..*base
        };
        let line = RacingLine::minimum_curvature(&reference, car_width_m, &opt)?;
        let name = format!("{} (minimum-time blend line)", centerline.source_name());
        let track = Track::new(
            &line.to_centerline(&name)?,
            super::TrackOptions {
                smoothing_wavelength_m: 0.0,
                ..options
            },
        )?;
        Ok((lap(&track)?, line, track))
    };
    // Golden-section search on ε; the lap time is unimodal in practice, and the best point seen is kept.
    let phi = (5.0_f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.0, eps_max);
    let mut best = eval(0.0)?;
    let mut best_eps = 0.0;
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let mut fc = eval(c)?;
    let mut fd = eval(d)?;
    for _ in 0..8 {
        if fc.0 < fd.0 {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = eval(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = eval(d)?;
        }
        for (e, f) in [(c, &fc), (d, &fd)] {
            if f.0 < best.0 {
                best = (f.0, f.1.clone(), f.2.clone());
                best_eps = e;
            }
        }
    }
    let (t, line, track) = best;
    Ok((line, track, best_eps, t))
}
