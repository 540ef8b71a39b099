//! The reference of the line's offsets: a smooth closed curve whose normals do not fold inside the track, with
//! the track edges measured along those normals.
//!
//! Why: a line described as offsets `α` along the normals of the centreline folds over wherever the offset
//! towards the inside of a bend exceeds the centreline's radius of curvature (`α |κ| ≥ 1`): neighbouring
//! normals cross, the points of the line run backwards, and the optimiser sees a folded, absurdly curved
//! description of the inside of a hairpin and keeps away from it (the Norisring line swung round the outside
//! of both hairpins, 2329 m against 2260 m for TUM's line). So the reference is the centreline smoothed with
//! a longer wavelength — the least of 20, 40, 80, 160 and 320 m whose normals stay unfolded over the usable
//! width, `α |κ_ref| ≤ 0.8` on the inside of every bend — and any remaining inside bound is clipped to
//! `0.8 / |κ_ref|`. A smoother reference moves towards the inside of a bend, so its normals reach the apex.
//!
//! The edges are those of the track as lapsim defines it (the centreline built at 1 m with the caller's
//! smoothing, widths along its normals): the left edge `c + w_left n`, the right edge `c − w_right n`. Along
//! each reference normal the usable section is the stretch between the nearest right-edge crossing and the
//! nearest left-edge crossing on either side of the track's centre there, so every offset in the bounds lies
//! on the track. Where the survey widths exceed the centreline's radius the edge polyline itself has a small
//! loop (a swallowtail); the nearest crossing is then its inner branch, which is conservative.
//!
//! Reference for the crossing check of normals: A. Heilmeier et al., Vehicle System Dynamics 58 (2020)
//! 1497–1527 (TUM's preprocessing rejects a reference whose normals cross, and smooths it until they do not).

use crate::error::{Error, Result};
use crate::track::{Centerline, Track, TrackOptions};

/// Largest `α |κ_ref|` allowed on the inside of a bend: the line's local radius stays at least a fifth of the
/// reference's, far from the fold at 1.
pub const FOLD_RATIO: f64 = 0.8;

/// Sine of 85°: a normal crossing an edge at a steeper angle counts as square to it.
const SQUARE_SIN: f64 = 0.996;

/// Smoothing wavelengths (m) tried for the reference, shortest first.
const WAVELENGTHS_M: [f64; 5] = [20.0, 40.0, 80.0, 160.0, 320.0];

/// The reference curve of the offsets on the optimisation grid.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Name of the centreline's source.
    pub source_name: String,
    /// Arc length along the reference (m).
    pub s_m: Vec<f64>,
    /// Reference position (m).
    pub x_m: Vec<f64>,
    /// Reference position (m).
    pub y_m: Vec<f64>,
    /// Left unit normal.
    pub nx: Vec<f64>,
    /// Left unit normal.
    pub ny: Vec<f64>,
    /// Curvature of the reference (1/m).
    pub curvature_1pm: Vec<f64>,
    /// Signed distance along the normal from the reference to the right edge, positive when the edge lies to
    /// the right (m).
    pub w_right_m: Vec<f64>,
    /// Signed distance along the normal from the reference to the left edge, positive when the edge lies to
    /// the left (m).
    pub w_left_m: Vec<f64>,
    /// Elevation (m), `None` on a flat track.
    pub z_m: Option<Vec<f64>>,
    /// Smoothing wavelength the reference was built with (m).
    pub wavelength_m: f64,
}

impl Reference {
    /// The reference of a plain track: its own points, normals and widths (no re-measurement). Folds where the
    /// track is wider than its radius; used for synthetic tracks whose geometry is known not to fold.
    pub fn from_track(track: &Track) -> Self {
        Self {
            source_name: track.source_name().to_string(),
            s_m: track.s_m().to_vec(),
            x_m: track.x_m().to_vec(),
            y_m: track.y_m().to_vec(),
            nx: track.heading_rad().iter().map(|h| -h.sin()).collect(),
            ny: track.heading_rad().iter().map(|h| h.cos()).collect(),
            curvature_1pm: track.curvature_1pm().to_vec(),
            w_right_m: track.w_right_m().to_vec(),
            w_left_m: track.w_left_m().to_vec(),
            z_m: track.has_elevation().then(|| track.z_m().to_vec()),
            wavelength_m: track.options().smoothing_wavelength_m,
        }
    }

    /// Builds the unfolded reference of `centerline` at `grid_step_m` for a line whose centre keeps
    /// `half_m` (half the car's width plus the margin) from each edge. The track's edges are those of the
    /// centreline built with `options.smoothing_wavelength_m`.
    pub fn new(
        centerline: &Centerline,
        options: TrackOptions,
        grid_step_m: f64,
        half_m: f64,
    ) -> Result<Self> {
        let fine = Track::new(
            centerline,
            TrackOptions {
                step_m: 1.0_f64.min(grid_step_m),
                ..options
            },
        )?;
        let loop_m = fine.length_m();
        let mut last = None;
        for &wl in WAVELENGTHS_M.iter() {
            let wl = wl.max(options.smoothing_wavelength_m);
            if wl > loop_m / 4.0 {
                break;
            }
            let track = Track::new(
                centerline,
                TrackOptions {
                    step_m: grid_step_m,
                    smoothing_wavelength_m: wl,
                },
            )?;
            let reference = Self::measured(&track, &fine, half_m)?;
            let folds = reference.fold_excess(half_m);
            last = Some(reference);
            if folds <= 0.0 {
                break;
            }
        }
        let mut reference = match last {
            Some(r) => r,
            None => Self::measured(
                &Track::new(
                    centerline,
                    TrackOptions {
                        step_m: grid_step_m,
                        ..options
                    },
                )?,
                &fine,
                half_m,
            )?,
        };
        reference.clip_folds(half_m);
        Ok(reference)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.x_m.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.x_m.is_empty()
    }

    /// The inside bound of node `i` for a line keeping `half_m` from the edges: the usable offset towards the
    /// centre of the bend (m, ≥ 0 when usable).
    fn inside_reach_m(&self, i: usize, half_m: f64) -> f64 {
        if self.curvature_1pm[i] > 0.0 {
            self.w_left_m[i] - half_m
        } else {
            self.w_right_m[i] - half_m
        }
    }

    /// Largest `reach |κ| − FOLD_RATIO` over the nodes (≤ 0 when no normal folds within the usable width).
    fn fold_excess(&self, half_m: f64) -> f64 {
        (0..self.len())
            .map(|i| self.inside_reach_m(i, half_m) * self.curvature_1pm[i].abs() - FOLD_RATIO)
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Clips the inside width so the usable offset stays within `FOLD_RATIO / |κ|` (never below the outside
    /// bound: a section narrower than the car is reported by the optimiser with its position).
    fn clip_folds(&mut self, half_m: f64) {
        for i in 0..self.len() {
            let k = self.curvature_1pm[i].abs();
            if k <= 0.0 {
                continue;
            }
            let (inside, outside) = if self.curvature_1pm[i] > 0.0 {
                (&mut self.w_left_m[i], self.w_right_m[i])
            } else {
                (&mut self.w_right_m[i], self.w_left_m[i])
            };
            // Usable inside offset `inside − half` at most FOLD_RATIO/|κ|, but never below the outside bound.
            let cap = (FOLD_RATIO / k + half_m).max(2.0 * half_m - outside);
            *inside = inside.min(cap);
        }
    }

    /// The reference `track`'s points and normals, with the edges of `fine` measured along the normals. Where
    /// a normal crosses an edge obliquely (angle θ to the edge), the width is shortened by
    /// `half (1/sin θ − 1)` (θ at least 30°; within 5° of square counts as square), so a line keeping `half` from the edge along the normal keeps it
    /// square to the edge too.
    fn measured(track: &Track, fine: &Track, half_m: f64) -> Result<Self> {
        let mut r = Self::from_track(track);
        let n = r.len();
        let m = fine.len();
        let (cx, cy) = (fine.x_m(), fine.y_m());
        let fnx: Vec<f64> = fine.heading_rad().iter().map(|h| -h.sin()).collect();
        let fny: Vec<f64> = fine.heading_rad().iter().map(|h| h.cos()).collect();
        let edge = |k: usize, side: f64| {
            let k = k % m;
            let w = if side > 0.0 {
                fine.w_left_m()[k]
            } else {
                -fine.w_right_m()[k]
            };
            (cx[k] + w * fnx[k], cy[k] + w * fny[k])
        };
        let dist2 = |k: usize, px: f64, py: f64| (cx[k] - px).powi(2) + (cy[k] - py).powi(2);
        // The fine point matching node 0: the nearest of all; later nodes search near the last match.
        let mut k_prev = (0..m)
            .min_by(|&a, &b| dist2(a, r.x_m[0], r.y_m[0]).total_cmp(&dist2(b, r.x_m[0], r.y_m[0])))
            .unwrap_or(0);
        let advance = (track.step_m() / fine.step_m()).round() as isize;
        const SEARCH: isize = 30;
        const EDGE_WINDOW: isize = 60;
        for i in 0..n {
            let (px, py, nx, ny) = (r.x_m[i], r.y_m[i], r.nx[i], r.ny[i]);
            let guess = if i == 0 {
                k_prev as isize
            } else {
                k_prev as isize + advance
            };
            let wrap = |k: isize| k.rem_euclid(m as isize) as usize;
            let k_star = (guess - SEARCH..=guess + SEARCH)
                .map(wrap)
                .min_by(|&a, &b| dist2(a, px, py).total_cmp(&dist2(b, px, py)))
                .unwrap_or(0);
            k_prev = k_star;
            // The track's centre on this normal.
            let t_c = (cx[k_star] - px) * nx + (cy[k_star] - py) * ny;
            let mut left = f64::INFINITY;
            let mut right = f64::NEG_INFINITY;
            // Sine of the angle between the normal and the edge where it crosses: the distance kept from
            // an edge is measured square to the edge, so an oblique crossing takes `half / sin` along the
            // normal.
            let (mut sin_left, mut sin_right) = (1.0_f64, 1.0_f64);
            for side in [1.0, -1.0] {
                for k in (k_star as isize - EDGE_WINDOW)..(k_star as isize + EDGE_WINDOW) {
                    let (a, b) = (edge(wrap(k), side), edge(wrap(k + 1), side));
                    let (ex, ey) = (b.0 - a.0, b.1 - a.1);
                    let denom = nx * ey - ny * ex;
                    if denom.abs() < 1e-12 {
                        continue;
                    }
                    let (ax, ay) = (a.0 - px, a.1 - py);
                    let t = (ax * ey - ay * ex) / denom;
                    let u = (ax * ny - ay * nx) / denom;
                    if !(0.0..=1.0).contains(&u) {
                        continue;
                    }
                    // Square within 5° (a chord of the edge polyline is never exactly square to a normal).
                    let sin = (denom.abs() / ex.hypot(ey)).max(0.5);
                    let sin = if sin > SQUARE_SIN { 1.0 } else { sin };
                    if side > 0.0 && t > t_c && t < left {
                        left = t;
                        sin_left = sin;
                    } else if side < 0.0 && t < t_c && t > right {
                        right = t;
                        sin_right = sin;
                    }
                }
            }
            // No crossing in the window (the normal runs along an edge): the widths at the matched point.
            if !left.is_finite() {
                left = t_c + fine.w_left_m()[k_star];
            }
            if !right.is_finite() {
                right = t_c - fine.w_right_m()[k_star];
            }
            if !(left.is_finite() && right.is_finite()) {
                return Err(Error::Internal(format!(
                    "no track edge found along the reference normal at s = {:.1} m of {}",
                    r.s_m[i], r.source_name
                )));
            }
            r.w_left_m[i] = left - half_m * (1.0 / sin_left - 1.0);
            r.w_right_m[i] = -right - half_m * (1.0 / sin_right - 1.0);
        }
        Ok(r)
    }
}
