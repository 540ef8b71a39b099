//! A path driven as given (a racing line, or a centreline once smoothed): the periodic cubic spline through
//! its points, sampled exactly at a uniform arc-length step, with its exact curvature, and each cell's
//! curvature peak carried by the cell's point as the curvature of its corner limit.
//!
//! Why exact: a line's spline has a curvature that is continuous but kinked at its knots (the second
//! derivative of a cubic spline is piecewise linear), and a corner's peak curvature usually sits on a knot.
//! Curvature from finite differences of the samples rounds such a peak off by O(h), and samples on a grid
//! that does not meet the knot miss it by O(h): the lap was first-order in the step (TUM's Oschersleben line
//! 30 ms fast at 1 m). Here the curvature at every point is the spline's own (`κ = (x'y'' − y'x'') / |r'|³`),
//! the arc length is integrated (Gauss–Legendre), and every local maximum of `|κ|` along the spline (at a knot
//! or between knots; as resolved by samples at every knot and at most 1 m apart, refined by golden section)
//! is found and given to the point whose cell (the half-step either side) holds it as the
//! curvature of its corner limit, flagged so the solver takes it as the apex's exact limit instead of
//! estimating a vertex between points. The point keeps its own curvature for the dynamics (the lateral
//! demand of the steps either side): the geometry stays exact, only the cell's speed limit is its lowest.

use super::{Apex, APEX_SUBSTEPS};
use crate::numerics::spline::PeriodicSpline;

/// Gauss–Legendre nodes and weights on [−1, 1], five points (exact for polynomials of degree 9; Abramowitz &
/// Stegun, table 25.4).
const GL5: [(f64, f64); 5] = [
    (0.0, 0.568_888_888_888_888_9),
    (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
    (-0.906_179_845_938_664, 0.236_926_885_056_189_1),
    (0.906_179_845_938_664, 0.236_926_885_056_189_1),
];

/// Spacing of the samples of `|κ|` in the search for its local maxima (m of the parameter, at least one a
/// knot segment: every knot is sampled).
const PEAK_SPACING_M: f64 = 1.0;

/// Golden-section iterations refining a maximum: the bracket (two samples, ≲ 2 knot spacings) shrinks by
/// 0.618 each, to ~1e-8 of it in 40.
const GOLDEN_ITERATIONS: usize = 40;

/// The exact samples of a path.
pub(super) struct Sampled {
    /// Spline parameter (chord length of the input points) of each sample.
    pub t: Vec<f64>,
    pub x_m: Vec<f64>,
    pub y_m: Vec<f64>,
    pub z_m: Option<Vec<f64>>,
    pub heading_rad: Vec<f64>,
    pub curvature_1pm: Vec<f64>,
    /// The curvature of the point's corner limit: its cell's peak where the cell holds a local maximum of
    /// `|κ|`, else the point's own.
    pub apex_curvature_1pm: Vec<f64>,
    /// The cell holds a local maximum of `|κ|`, carried by `apex_curvature_1pm`.
    pub apex_exact: Vec<bool>,
    /// The geometry around each exact peak ([`Apex`]), in the order of their points.
    pub apexes: Vec<Apex>,
    /// Arc length of the loop (m).
    pub length_m: f64,
    /// Where the path degenerates, if it does: the arc length (m) of the first sample whose `|r'|` vanishes
    /// (below 1e-9) or whose curvature is not finite (a cusp of the spline).
    pub degenerate_at_m: Option<f64>,
}

/// The spline of a path with its geometry along the parameter.
struct Path<'a> {
    sp: &'a PeriodicSpline,
}

impl Path<'_> {
    /// `(x', y', x'', y'')` at `t` in segment `k`.
    fn derivatives(&self, k: usize, t: f64) -> [f64; 4] {
        let [_, x1, x2] = self.sp.eval(0, k, t);
        let [_, y1, y2] = self.sp.eval(1, k, t);
        [x1, y1, x2, y2]
    }

    fn speed(&self, k: usize, t: f64) -> f64 {
        let [x1, y1, ..] = self.derivatives(k, t);
        (x1 * x1 + y1 * y1).sqrt()
    }

    fn curvature(&self, k: usize, t: f64) -> f64 {
        curvature_of(self.derivatives(k, t))
    }

    /// Arc length from `a` to `b` within segment `k` (Gauss–Legendre: `|r'|` is the square root of a smooth
    /// quartic there).
    fn arc(&self, k: usize, a: f64, b: f64) -> f64 {
        let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
        GL5.iter()
            .map(|&(x, w)| w * self.speed(k, mid + half * x))
            .sum::<f64>()
            * half
    }

    /// `|κ|` at a parameter anywhere on the loop (wrapped into it), with its segment found from `hint`.
    fn abs_curvature_at(&self, t: f64, hint: &mut usize) -> f64 {
        let t = self.wrap(t);
        *hint = self.sp.segment_of(t, *hint);
        self.curvature(*hint, t).abs()
    }

    /// The parameter at arc length `s` (m from the first knot) in segment `k` (`s_knot[k] ≤ s ≤ s_knot[k + 1]`,
    /// the knots' arc lengths): Newton on the arc length from the segment's start, `s(t) − s = 0`, `s' = |r'|`.
    fn param_at(&self, s_knot: &[f64], k: usize, s: f64) -> f64 {
        let (t0, h) = self.sp.segment_span(k);
        let target = s - s_knot[k];
        let mut t = t0 + h * target / (s_knot[k + 1] - s_knot[k]);
        let mut at = self.arc(k, t0, t);
        for _ in 0..8 {
            let dt = (target - at) / self.speed(k, t);
            let t_new = (t + dt).clamp(t0, t0 + h);
            at += self.arc(k, t, t_new);
            t = t_new;
            if dt.abs() <= 1e-13 * h {
                break;
            }
        }
        t
    }

    /// `|κ|` at arc length `s` anywhere on the loop (wrapped into `[0, length)`; `s_knot` as in
    /// [`Self::param_at`], closed by the loop's length).
    fn abs_curvature_at_s(&self, s_knot: &[f64], s: f64) -> f64 {
        let length = s_knot[s_knot.len() - 1];
        let s = s.rem_euclid(length);
        let m = s_knot.len() - 1;
        let k = (s_knot.partition_point(|&x| x <= s).max(1) - 1).min(m - 1);
        self.curvature(k, self.param_at(s_knot, k, s)).abs()
    }

    fn wrap(&self, t: f64) -> f64 {
        let (t0, p) = (self.sp.knots()[0], self.sp.period());
        t0 + (t - t0).rem_euclid(p)
    }
}

/// Samples the spline `sp` (columns x, y and, if `has_z`, z) at `n` points a uniform arc length apart,
/// starting at its first knot.
pub(super) fn sample(sp: &PeriodicSpline, has_z: bool, n: usize) -> Sampled {
    let path = Path { sp };
    let m = sp.knots().len();
    // Arc length at each knot.
    let mut s_knot = Vec::with_capacity(m + 1);
    s_knot.push(0.0);
    for k in 0..m {
        let (t0, h) = sp.segment_span(k);
        s_knot.push(s_knot[k] + path.arc(k, t0, t0 + h));
    }
    let length_m = s_knot[m];
    let step = length_m / n as f64;

    let mut out = Sampled {
        t: Vec::with_capacity(n),
        x_m: Vec::with_capacity(n),
        y_m: Vec::with_capacity(n),
        z_m: has_z.then(|| Vec::with_capacity(n)),
        heading_rad: Vec::with_capacity(n),
        curvature_1pm: Vec::with_capacity(n),
        apex_curvature_1pm: Vec::new(),
        apex_exact: vec![false; n],
        apexes: Vec::new(),
        length_m,
        degenerate_at_m: None,
    };
    let mut k = 0;
    for i in 0..n {
        let s = i as f64 * step;
        while k + 1 < m && s_knot[k + 1] <= s {
            k += 1;
        }
        let t = path.param_at(&s_knot, k, s);
        let [x1, y1, x2, y2] = path.derivatives(k, t);
        out.t.push(t);
        out.x_m.push(sp.eval(0, k, t)[0]);
        out.y_m.push(sp.eval(1, k, t)[0]);
        if let Some(z) = &mut out.z_m {
            z.push(sp.eval(2, k, t)[0]);
        }
        let kappa = curvature_of([x1, y1, x2, y2]);
        if out.degenerate_at_m.is_none() && (x1.hypot(y1) < 1e-9 || !kappa.is_finite()) {
            out.degenerate_at_m = Some(s);
        }
        out.heading_rad.push(y1.atan2(x1));
        out.curvature_1pm.push(kappa);
    }

    out.apex_curvature_1pm = out.curvature_1pm.clone();
    // Every local maximum of |κ| along the loop: samples per segment (knots included), each discrete
    // maximum refined by golden section between its neighbouring samples, then given to its cell's point.
    let ts: Vec<f64> = (0..m)
        .flat_map(|k| {
            let (t0, h) = sp.segment_span(k);
            let q = (h / PEAK_SPACING_M).ceil().max(1.0) as usize;
            (0..q).map(move |j| t0 + h * j as f64 / q as f64)
        })
        .collect();
    let q = ts.len();
    let mut hint = 0;
    let vals: Vec<f64> = ts
        .iter()
        .map(|&t| path.abs_curvature_at(t, &mut hint))
        .collect();
    let period = sp.period();
    // The arc length of the peak each exact point carries.
    let mut peak_s = vec![f64::NAN; n];
    for j in 0..q {
        let (p, nx) = ((j + q - 1) % q, (j + 1) % q);
        if !(vals[j] > vals[p] && vals[j] >= vals[nx]) {
            continue;
        }
        // The bracket [t_p, t_nx], unwrapped across the loop's closure.
        let mut a = ts[p];
        let mut b = ts[nx];
        if a > ts[j] {
            a -= period;
        }
        if b < ts[j] {
            b += period;
        }
        let (t_found, k_found) = golden_max(|t| path.abs_curvature_at(t, &mut hint), a, b);
        // The search's best, or the sample if it is higher (the search only shrinks onto the maximum).
        let t_peak = if k_found > vals[j] {
            path.wrap(t_found)
        } else {
            ts[j]
        };
        let kseg = sp.segment_of(t_peak, hint);
        let (t0, _) = sp.segment_span(kseg);
        let s_peak = s_knot[kseg] + path.arc(kseg, t0, t_peak);
        let i = ((s_peak / step).round() as usize) % n;
        let kappa = path.curvature(kseg, t_peak);
        if kappa.abs() > out.apex_curvature_1pm[i].abs() {
            out.apex_curvature_1pm[i] = kappa;
            out.apex_exact[i] = true;
            peak_s[i] = s_peak;
        }
    }
    out.apexes = (0..n)
        .filter(|&i| out.apex_exact[i])
        .map(|i| {
            apex_geometry(
                &path,
                &s_knot,
                i,
                step,
                peak_s[i],
                out.apex_curvature_1pm[i],
            )
        })
        .collect();
    out
}

/// The geometry the solver's located apex needs around the exact peak carried by point `i` (at arc length
/// `s_peak`, curvature `kappa_peak`), from the spline itself: the peak's offset from the point, `|κ|` on
/// [`APEX_SUBSTEPS`] equal steps from the peak back to the point before it and on to the point after it, and
/// at the middle of the cells either side of the peak's cell.
fn apex_geometry(
    path: &Path<'_>,
    s_knot: &[f64],
    i: usize,
    step: f64,
    s_peak: f64,
    kappa_peak: f64,
) -> Apex {
    let length = s_knot[s_knot.len() - 1];
    let s_i = i as f64 * step;
    let mut offset_m = s_peak - s_i;
    if offset_m > 0.5 * length {
        offset_m -= length;
    } else if offset_m < -0.5 * length {
        offset_m += length;
    }
    // The points either side of the peak, as offsets from point i.
    let before = if offset_m >= 0.0 { 0.0 } else { -step };
    let after = before + step;
    let m = APEX_SUBSTEPS as f64;
    let k_at = |x: f64| path.abs_curvature_at_s(s_knot, s_i + x);
    let mut entry = [kappa_peak.abs(); APEX_SUBSTEPS + 1];
    let mut exit = entry;
    for k in 1..=APEX_SUBSTEPS {
        let f = k as f64 / m;
        entry[k] = k_at(offset_m + f * (before - offset_m));
        exit[k] = k_at(offset_m + f * (after - offset_m));
    }
    let cells = [k_at(before - 0.5 * step), k_at(after + 0.5 * step)];
    Apex {
        point: i,
        offset_m,
        entry_abs_kappa_1pm: entry,
        exit_abs_kappa_1pm: exit,
        cells_mid_abs_kappa_1pm: cells,
    }
}

/// Signed curvature from `(x', y', x'', y'')`: `(x'y'' − y'x'') / (x'² + y'²)^{3/2}`.
fn curvature_of([x1, y1, x2, y2]: [f64; 4]) -> f64 {
    let q = x1 * x1 + y1 * y1;
    (x1 * y2 - y1 * x2) / (q * q.sqrt())
}

/// The maximum of a unimodal `f` on `[a, b]` by golden-section search: `(argmax, max)`.
fn golden_max(mut f: impl FnMut(f64) -> f64, mut a: f64, mut b: f64) -> (f64, f64) {
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let mut c = b - r * (b - a);
    let mut d = a + r * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..GOLDEN_ITERATIONS {
        if fc > fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    if fc > fd {
        (c, fc)
    } else {
        (d, fd)
    }
}
