//! Track geometry: a closed centreline resampled to a uniform arc-length step, smoothed, with heading,
//! curvature, widths and gradient at every point.
//!
//! Pipeline: [`Centerline`] (validated survey points) → periodic cubic spline through them in the chord
//! length ([`crate::numerics::spline`]) → sampled on a fixed [`SMOOTHING_GRID_M`] grid and smoothed by a
//! periodic Whittaker smoother with a cutoff wavelength in metres ([`crate::numerics::smooth`]) → a spline
//! through the smoothed points, sampled exactly at a uniform arc-length step with its own heading and
//! curvature `κ = (x'y'' − y'x'') / (x'² + y'²)^{3/2}`, each point's cell carrying the spline's curvature peak
//! for its corner limit (`interpolated`). A line (no smoothing) skips the smoother: its own spline is sampled.
//! The path does not depend on the step, so the lap converges as the step shrinks.
//!
//! Survey points are noisy, and a polyline through them has all its curvature at the vertices: raw finite
//! differences give spikes that would ruin a quasi-steady-state lap. The smoother removes wavelengths shorter
//! than [`TrackOptions::smoothing_wavelength_m`] (default 20 m, four times the 5 m survey spacing of the
//! racetrack-database) while a hairpin of 15 m radius — an arc ~50 m long, a full-circle wavelength of ~94 m —
//! keeps its radius within 0.2 %.
//!
//! Sign conventions: curvature is positive for a left turn (counter-clockwise); `heading_rad` is measured from
//! the x axis; `gradient` is sin θ of the slope, positive uphill.

pub mod centerline;
mod interpolated;
pub mod reader;

pub use centerline::Centerline;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::numerics::smooth::PeriodicSmoother;
use crate::numerics::spline;

/// Shortest allowed step (m): finer than this only costs memory.
pub const MIN_STEP_M: f64 = 0.01;
/// Most points a track may have (memory and time stay bounded: 2 million points is 0.01 m on 20 km).
pub const MAX_POINTS: usize = 2_000_000;
/// Grid on which a centreline is smoothed (m), whatever the lap step: the path is then the same at every
/// step. A quarter of a 1 m step, so that the cubic spline through the smoothed points has small
/// curvature kinks at its knots and few of them fall on the lap's points (on a 1 m grid every point of a 1 m
/// lap sat on one: 9.4 ms slow); 1/80 of the default 20 m wavelength. For wavelengths above 20 m the grid
/// grows with them ([`SMOOTHING_POINTS_PER_WAVELENGTH`]).
pub const SMOOTHING_GRID_M: f64 = 0.25;
/// Most smoothing-grid points per cutoff wavelength: the grid is `max(SMOOTHING_GRID_M, λ_c / 80)`, which
/// keeps the smoother's penalty `(λ_c / 2πh)⁴` at ~2.6e4 at most. A finer grid for a long wavelength (a 5 km
/// one on 0.25 m) would make the system numerically singular (its constant mode is weighted by 1 against a
/// penalty of ~1e16) without changing what it keeps.
pub const SMOOTHING_POINTS_PER_WAVELENGTH: f64 = 80.0;
/// Longest allowed step (m): coarser steps cannot represent a hairpin.
pub const MAX_STEP_M: f64 = 10.0;

/// Sub-steps from a located apex to each of the points either side of it ([`Apex`]).
pub const APEX_SUBSTEPS: usize = 6;

/// The geometry around one corner apex between the points, from the spline: what the solver needs to place the
/// apex where it is, not at the nearest point (`solver::apex`). The apex is an exact local maximum of `|κ|`
/// (see [`Track::apex_exact`]); its point is the one whose cell holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Apex {
    /// The point whose cell holds the peak.
    pub point: usize,
    /// Arc length of the peak from that point (m), within half a step either way.
    pub offset_m: f64,
    /// `|κ|` (1/m) at the peak and at [`APEX_SUBSTEPS`] equal steps from it back to the point before it (the
    /// last is that point's).
    pub entry_abs_kappa_1pm: [f64; APEX_SUBSTEPS + 1],
    /// `|κ|` (1/m) at the peak and at equal steps from it on to the point after it.
    pub exit_abs_kappa_1pm: [f64; APEX_SUBSTEPS + 1],
    /// `|κ|` (1/m) at the middle of the cell before the peak's cell (from the point before the point before
    /// the peak to that point) and of the cell after it.
    pub cells_mid_abs_kappa_1pm: [f64; 2],
}

impl Apex {
    /// The point before the peak (the point itself when the peak is at or after it), on a loop of `n` points;
    /// the point after it is the next one.
    pub fn point_before(&self, n: usize) -> usize {
        if self.offset_m >= 0.0 {
            self.point
        } else {
            (self.point + n - 1) % n
        }
    }
}

/// How a [`Centerline`] is turned into a [`Track`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrackOptions {
    /// Arc-length step between points (m). Default: `1.4`, the coarsest step measured at which the laps, the
    /// lap's aliasing over a car parameter and the qualifying gaps all stay at least as close to the converged
    /// solution (a 0.05 m step; aliasing and gaps against 0.25 m) as they were at the 1 m default before the
    /// located apexes, switch cells, braking points and timed cells (issue 14; README, "Convergence in the
    /// step").
    pub step_m: f64,
    /// Half-power cutoff wavelength of the periodic smoother (m); 0 disables smoothing. Default: `20.0`.
    pub smoothing_wavelength_m: f64,
}

impl Default for TrackOptions {
    fn default() -> Self {
        Self {
            step_m: 1.4,
            smoothing_wavelength_m: 20.0,
        }
    }
}

/// A closed loop of `n` points at a uniform arc-length step, ready for the solver. Segment `i` runs from
/// point `i` to point `(i + 1) % n`; there are as many segments as points.
#[derive(Debug, Clone, Serialize)]
pub struct Track {
    name: String,
    source_name: String,
    options: TrackOptions,
    step_m: f64,
    length_m: f64,
    polyline_length_m: f64,
    has_elevation: bool,
    s_m: Vec<f64>,
    x_m: Vec<f64>,
    y_m: Vec<f64>,
    heading_rad: Vec<f64>,
    curvature_1pm: Vec<f64>,
    w_right_m: Vec<f64>,
    w_left_m: Vec<f64>,
    z_m: Vec<f64>,
    gradient: Vec<f64>,
    /// Per point: the curvature of its corner limit (see [`Track::apex_curvature_1pm`]).
    apex_curvature_1pm: Vec<f64>,
    /// Per point: its cell's curvature peak is exact (see [`Track::apex_exact`]).
    apex_exact: Vec<bool>,
    /// The geometry around each exact peak (see [`Track::apexes`]).
    apexes: Vec<Apex>,
    /// Index where each sector after the first starts; empty: three equal thirds.
    sector_starts: Vec<usize>,
}

impl Track {
    /// Resamples, smooths and differentiates a centreline.
    pub fn new(centerline: &Centerline, options: TrackOptions) -> Result<Self> {
        let poly_len = centerline.polyline_length_m();
        let opt_err = |option: &str, value: f64, message: String| Error::Option {
            option: option.into(),
            value: value.to_string(),
            message,
        };
        let step = options.step_m;
        if !(step.is_finite() && step > 0.0) {
            return Err(opt_err(
                "step_m",
                step,
                "must be a positive number of metres".into(),
            ));
        }
        if step > poly_len {
            return Err(opt_err(
                "step_m",
                step,
                format!("longer than the track ({poly_len:.1} m)"),
            ));
        }
        if !(MIN_STEP_M..=MAX_STEP_M).contains(&step) || step > poly_len / 10.0 {
            return Err(opt_err(
                "step_m",
                step,
                format!(
                    "must lie between {MIN_STEP_M} m and {} m for this {poly_len:.1} m track",
                    MAX_STEP_M.min(poly_len / 10.0)
                ),
            ));
        }
        if poly_len / step > MAX_POINTS as f64 {
            return Err(opt_err(
                "step_m",
                step,
                format!(
                    "would make {:.0} points on this {poly_len:.1} m track; at most {MAX_POINTS}",
                    poly_len / step
                ),
            ));
        }
        let wl = options.smoothing_wavelength_m;
        if !(wl.is_finite() && (0.0..=poly_len / 4.0).contains(&wl)) {
            return Err(opt_err(
                "smoothing_wavelength_m",
                wl,
                format!(
                    "must lie between 0 m and a quarter of the track ({:.1} m)",
                    poly_len / 4.0
                ),
            ));
        }

        // 1. A periodic cubic spline through the points in their chord length.
        let n = ((poly_len / step).round() as usize).max(centerline::MIN_POINTS);
        let m = centerline.len();
        let mut s_raw = Vec::with_capacity(m + 1);
        s_raw.push(0.0);
        for i in 0..m {
            let j = (i + 1) % m;
            let d = (centerline.x_m()[j] - centerline.x_m()[i])
                .hypot(centerline.y_m()[j] - centerline.y_m()[i]);
            s_raw.push(s_raw[i] + d);
        }
        let closed = |v: &[f64]| {
            let mut c = v.to_vec();
            c.push(v[0]);
            c
        };
        // Positions and elevation through a periodic cubic spline in the chord length (no vertex kinks to
        // alias against the grid); widths linearly.
        let mut cols: Vec<&[f64]> = vec![centerline.x_m(), centerline.y_m()];
        if let Some(z) = centerline.z_m() {
            cols.push(z);
        }
        let sp = spline::PeriodicSpline::new(&s_raw[..m], poly_len, &cols)?;
        let has_z = centerline.z_m().is_some();
        let degenerate = |s_m: f64| {
            Error::Track {
            source_name: centerline.source_name().into(),
            message: format!(
                "the path degenerates near s = {s_m:.1} m (the loop folds onto itself or has a cusp)"
            ),
        }
        };
        // 2. The path: the spline itself (no smoothing: a line driven as given), or the spline through its
        // samples smoothed on a fixed grid. 3. Sampled exactly at a uniform arc-length step.
        let (p, chord) = if wl == 0.0 {
            let p = interpolated::sample(&sp, has_z, n);
            let chord = p.t.clone();
            (p, chord)
        } else {
            // The smoothing grid does not follow the lap step, so that the path (and the lap) converges as
            // the step shrinks.
            let grid_m = SMOOTHING_GRID_M.max(wl / SMOOTHING_POINTS_PER_WAVELENGTH);
            let ns = ((poly_len / grid_m).round() as usize).max(centerline::MIN_POINTS);
            let hs = poly_len / ns as f64;
            let grid: Vec<f64> = (0..ns).map(|k| k as f64 * hs).collect();
            let raw = sp.sample(&grid);
            let smoother = PeriodicSmoother::new(ns, PeriodicSmoother::lambda_for(wl, hs))?;
            let smoothed = smoother.smooth(&raw.iter().map(Vec::as_slice).collect::<Vec<_>>());
            let (xs, ys) = (&smoothed[0], &smoothed[1]);
            let mut t2 = Vec::with_capacity(ns + 1);
            t2.push(0.0);
            for i in 0..ns {
                let j = (i + 1) % ns;
                let d = (xs[j] - xs[i]).hypot(ys[j] - ys[i]);
                if d < 1e-9 {
                    return Err(degenerate(i as f64 * hs));
                }
                t2.push(t2[i] + d);
            }
            let sp2 = spline::PeriodicSpline::new(
                &t2[..ns],
                t2[ns],
                &smoothed.iter().map(Vec::as_slice).collect::<Vec<_>>(),
            )?;
            let p = interpolated::sample(&sp2, has_z, n);
            // Each sample's parameter on the input's spline (for the widths): linear between the grid's.
            let mut grid_closed = grid;
            grid_closed.push(poly_len);
            let chord = resample(&t2, &grid_closed, &p.t);
            (p, chord)
        };
        if let Some(s) = p.degenerate_at_m {
            return Err(degenerate(s));
        }
        // 4. Widths along the input's parameter, gradient from the elevation.
        let h2 = p.length_m / n as f64;
        let (z_m, has_elevation) = match p.z_m {
            Some(z) => (z, true),
            None => (vec![0.0; n], false),
        };
        let gradient = (0..n)
            .map(|i| {
                let slope = (z_m[(i + 1) % n] - z_m[i]) / h2;
                slope / (1.0 + slope * slope).sqrt()
            })
            .collect();
        let name = std::path::Path::new(centerline.source_name())
            .file_stem()
            .map_or_else(
                || centerline.source_name().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
        Ok(Self {
            name,
            source_name: centerline.source_name().into(),
            options,
            step_m: h2,
            length_m: p.length_m,
            polyline_length_m: poly_len,
            has_elevation,
            s_m: (0..n).map(|k| k as f64 * h2).collect(),
            x_m: p.x_m,
            y_m: p.y_m,
            heading_rad: p.heading_rad,
            curvature_1pm: p.curvature_1pm,
            apex_curvature_1pm: p.apex_curvature_1pm,
            apex_exact: p.apex_exact,
            apexes: p.apexes,
            w_right_m: resample(&s_raw, &closed(centerline.w_right_m()), &chord),
            w_left_m: resample(&s_raw, &closed(centerline.w_left_m()), &chord),
            z_m,
            gradient,
            sector_starts: Vec::new(),
        })
    }

    /// Short name (the file stem), used in output file names.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file the centreline came from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
    /// The options it was built with.
    pub fn options(&self) -> TrackOptions {
        self.options
    }
    /// Number of points (= number of segments).
    pub fn len(&self) -> usize {
        self.s_m.len()
    }
    /// Never true for a constructed track.
    pub fn is_empty(&self) -> bool {
        self.s_m.is_empty()
    }
    /// The actual uniform step (m): the requested one adjusted so a whole number of steps closes the loop.
    pub fn step_m(&self) -> f64 {
        self.step_m
    }
    /// Loop length of the smoothed centreline (m).
    pub fn length_m(&self) -> f64 {
        self.length_m
    }
    /// Loop length of the surveyed polyline (m).
    pub fn polyline_length_m(&self) -> f64 {
        self.polyline_length_m
    }
    /// Whether the file gave elevations (otherwise the track is flat).
    pub fn has_elevation(&self) -> bool {
        self.has_elevation
    }
    /// Arc length of each point from the start line (m).
    pub fn s_m(&self) -> &[f64] {
        &self.s_m
    }
    /// x of each point (m).
    pub fn x_m(&self) -> &[f64] {
        &self.x_m
    }
    /// y of each point (m).
    pub fn y_m(&self) -> &[f64] {
        &self.y_m
    }
    /// Heading of the direction of travel (rad from the x axis).
    pub fn heading_rad(&self) -> &[f64] {
        &self.heading_rad
    }
    /// Signed curvature (1/m), positive turning left.
    pub fn curvature_1pm(&self) -> &[f64] {
        &self.curvature_1pm
    }
    /// Per point, the curvature of its corner limit (1/m, signed): where the point's cell (the half-step
    /// either side) holds a local maximum of `|κ|` of the path between the points, that maximum
    /// ([`Track::apex_exact`]); elsewhere the point's own curvature. The speed limit of a cell is its lowest;
    /// the dynamics use [`Track::curvature_1pm`].
    pub fn apex_curvature_1pm(&self) -> &[f64] {
        &self.apex_curvature_1pm
    }
    /// Per point: whether [`Track::apex_curvature_1pm`] holds its cell's exact curvature peak (a local
    /// maximum of the path's spline, smoothed centreline or line alike); the solver takes them as the
    /// apexes' limits as they are instead of estimating the vertex between points.
    pub fn apex_exact(&self) -> &[bool] {
        &self.apex_exact
    }
    /// The geometry around each exact curvature peak ([`Apex`]), one per point flagged by
    /// [`Track::apex_exact`], in the order of their points.
    pub fn apexes(&self) -> &[Apex] {
        &self.apexes
    }
    /// Distance to the right edge (m).
    pub fn w_right_m(&self) -> &[f64] {
        &self.w_right_m
    }
    /// Distance to the left edge (m).
    pub fn w_left_m(&self) -> &[f64] {
        &self.w_left_m
    }
    /// Elevation (m); zeros without elevation data.
    pub fn z_m(&self) -> &[f64] {
        &self.z_m
    }
    /// sin of the slope of segment `i` (positive uphill).
    pub fn gradient(&self) -> &[f64] {
        &self.gradient
    }
    /// Index ranges of the sectors: three equal thirds of the lap (the racetrack-database files carry no
    /// sector lines), or those set by [`Self::with_sectors`].
    pub fn sectors(&self) -> Vec<std::ops::Range<usize>> {
        let n = self.len();
        let starts: Vec<usize> = if self.sector_starts.is_empty() {
            vec![n / 3, 2 * n / 3]
        } else {
            self.sector_starts.clone()
        };
        std::iter::once(0)
            .chain(starts.iter().copied())
            .zip(starts.iter().copied().chain(std::iter::once(n)))
            .map(|(a, b)| a..b)
            .collect()
    }

    /// The track with sector lines at the distances `boundaries_m` from the line along the lap (strictly
    /// increasing, inside the lap, at most 20): sectors run between them. Each line sits at the track point
    /// nearest its distance.
    pub fn with_sectors(mut self, boundaries_m: &[f64]) -> Result<Self> {
        let bad = |message: String| Error::Option {
            option: "sectors_m".into(),
            value: format!("{boundaries_m:?}"),
            message,
        };
        if boundaries_m.len() > 20 {
            return Err(bad("at most 20 sector lines".into()));
        }
        let mut starts = Vec::with_capacity(boundaries_m.len());
        for &b in boundaries_m {
            if !(b.is_finite() && b > 0.0 && b < self.length_m) {
                return Err(bad(format!(
                    "{b} m is not inside the {:.1} m lap",
                    self.length_m
                )));
            }
            let i = (b / self.step_m).round() as usize;
            if i == 0 || i >= self.len() {
                return Err(bad(format!(
                    "{b} m is within half a {:.2} m step of the start/finish line",
                    self.step_m
                )));
            }
            if starts.last().is_some_and(|&p| i <= p) {
                return Err(bad(format!(
                    "sector lines must increase by at least one {:.2} m step",
                    self.step_m
                )));
            }
            starts.push(i);
        }
        self.sector_starts = starts;
        Ok(self)
    }
}

/// Linear interpolation of `(s, v)` (s increasing, covering the grid) at the sorted points of `grid`.
fn resample(s: &[f64], v: &[f64], grid: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(grid.len());
    let mut k = 0;
    for &g in grid {
        while k + 2 < s.len() && s[k + 1] < g {
            k += 1;
        }
        let t = ((g - s[k]) / (s[k + 1] - s[k])).clamp(0.0, 1.0);
        out.push(v[k] + t * (v[k + 1] - v[k]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(r: f64, n: usize) -> Centerline {
        let (x, y): (Vec<f64>, Vec<f64>) = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                (r * a.cos(), r * a.sin())
            })
            .unzip();
        Centerline::new(
            "circle",
            x,
            y,
            vec![5.0; n],
            vec![5.0; n],
            None,
            (1..=n as u64).collect(),
        )
        .unwrap()
    }

    #[test]
    fn circle_has_constant_curvature_and_its_length() {
        let t = Track::new(&circle(50.0, 300), TrackOptions::default()).unwrap();
        let l = std::f64::consts::TAU * 50.0;
        assert!((t.length_m() - l).abs() / l < 1e-3);
        for k in t.curvature_1pm() {
            assert!((k - 0.02).abs() < 0.02 * 2e-3, "{k}");
        }
    }

    #[test]
    fn resample_interpolates_linearly() {
        let out = resample(&[0.0, 1.0, 3.0], &[0.0, 10.0, 30.0], &[0.0, 0.5, 2.0, 3.0]);
        assert_eq!(out, vec![0.0, 5.0, 20.0, 30.0]);
    }
}
