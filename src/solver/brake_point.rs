//! The braking points located inside their cells (issue 14).
//!
//! Where a straight ends, the profile leaves the traction curve for the braking curve. The two curves cross
//! between two grid points, and the chord `2 ds / (v_i + v_j)` over that cell cuts the tent's peak: the cell's
//! time is too long by up to `θ(1−θ) ds² (a + b) / v³`-order (`a` the acceleration, `b` the deceleration,
//! `θ` where the crossing falls in the cell). How much depends on where the crossing falls, so it moves
//! with any car parameter that shifts the braking point: a stair pattern in the lap time of the braking
//! share, measured at 0.24 ms peak to peak at 2 m (docs/ENGINEERING.md, "the fourth session").
//!
//! Both curves are known at the cell's ends: the braking profile at both (`u_bwd`), and the traction curve at
//! the cell's start and, one cell further on, by extrapolating its last cell's rise. Each is linear in
//! `u = v²` over a cell to second order (`du/ds = 2a` with `a` slowly varying: the Heun step's own model), so
//! they cross at `θ = d₀ / (d₀ + d₁)` of the cell (`d₀`, `d₁` the gaps between them at its ends), and the
//! cell's time is the two constant-acceleration pieces either side of the peak. The error of the linear
//! curves is `O(ds² u'')` in the peak, where the chord's was `O(ds u')`.

/// The cells that hold a located braking point, found afresh for each profile.
#[derive(Debug, Default)]
pub(super) struct BrakePoints {
    /// The cells of the last solved lap with a located braking point: the cell's first point and its time
    /// (s), in the order of the points.
    pub active: Vec<(usize, f64)>,
}

impl BrakePoints {
    /// Finds the braking points of the profile `u` (m²/s², capped by the braking profile `u_bwd`, which the
    /// limits `u_lim` cap), records their cells and times in `active`, and returns the lap time's correction:
    /// their times less the chords of the speeds `v` (m/s) over a step `ds` (m).
    pub fn locate(&mut self, u: &[f64], u_bwd: &[f64], u_lim: &[f64], v: &[f64], ds: f64) -> f64 {
        self.active.clear();
        let active = &mut self.active;
        scan(u, u_bwd, u_lim, v, ds, |i, t| active.push((i, t)))
    }

    /// [`Self::locate`]'s correction alone, for a profile that is not the solved lap's (a grid start's).
    pub fn correction(u: &[f64], u_bwd: &[f64], u_lim: &[f64], v: &[f64], ds: f64) -> f64 {
        scan(u, u_bwd, u_lim, v, ds, |_, _| {})
    }
}

/// The located braking points of a profile (see [`BrakePoints::locate`]): each cell's first point and time
/// to `record`; returns the lap time's correction.
fn scan(
    u: &[f64],
    u_bwd: &[f64],
    u_lim: &[f64],
    v: &[f64],
    ds: f64,
    mut record: impl FnMut(usize, f64),
) -> f64 {
    let n = u.len();
    // One length for all (the bounds checks in the loop go).
    let (u_bwd, u_lim, v) = (&u_bwd[..n], &u_lim[..n], &v[..n]);
    let mut correction = 0.0;
    // A cell (i, i + 1) with the cell before it: the cells at the lap's ends keep their chords.
    for i in 1..n.saturating_sub(1) {
        let j = i + 1;
        // On the braking profile at j (held at it, bit for bit), below it at i: a few cells a lap. The two
        // tests without a branch between them (half the points are held at the braking profile).
        if !((u[j] == u_bwd[j]) & (u[i] < u_bwd[i])) {
            continue;
        }
        // The braking profile free of the limits at both ends (a limit is a corner's, where the curves
        // through it are its own).
        if !(u_bwd[j] < u_lim[j] && u_bwd[i] < u_lim[i]) {
            continue;
        }
        // The traction curve over the cell before, free of both caps.
        let k = i - 1;
        if u[k] >= u_bwd[k] {
            continue;
        }
        let rise = u[i] - u[k];
        let (f0, f1) = (u[i], u[i] + rise);
        let (b0, b1) = (u_bwd[i], u_bwd[j]);
        let (d0, d1) = (b0 - f0, f1 - b1);
        // The extrapolated traction curve must reach the braking profile inside the cell.
        if !(d0 > 0.0 && d1 > 0.0) {
            continue;
        }
        let theta = d0 / (d0 + d1);
        let peak = (f0 + theta * rise).sqrt();
        let time = 2.0 * theta * ds / (v[i] + peak) + 2.0 * (1.0 - theta) * ds / (peak + v[j]);
        correction += time - 2.0 * ds / (v[i] + v[j]);
        record(i, time);
    }
    correction
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Constant acceleration `a` up to a braking point, constant deceleration `b` after it: the located
    /// cell's time is the exact time of the two pieces, wherever the point falls in the cell, while the
    /// chord's error depends on where it falls.
    #[test]
    fn a_braking_point_between_two_constant_accelerations_is_exact() {
        let (a, b, ds, n) = (4.0, 12.0, 2.0, 40);
        for &s_peak in &[40.3, 40.5, 40.9, 41.7] {
            let u_peak: f64 = 900.0;
            let trac = |s: f64| u_peak - 2.0 * a * (s_peak - s);
            let brake = |s: f64| u_peak - 2.0 * b * (s - s_peak);
            let s: Vec<f64> = (0..n).map(|i| i as f64 * ds).collect();
            let u_bwd: Vec<f64> = s.iter().map(|&x| brake(x)).collect();
            let u: Vec<f64> = s.iter().map(|&x| trac(x).min(brake(x))).collect();
            let u_lim = vec![f64::INFINITY; n];
            let v: Vec<f64> = u.iter().map(|x| x.sqrt()).collect();
            let mut bp = BrakePoints::default();
            let correction = bp.locate(&u, &u_bwd, &u_lim, &v, ds);
            assert_eq!(bp.active.len(), 1);
            let (i, time) = bp.active[0];
            // Exact: the time at constant acceleration from v_i to the peak, then to v_{i+1}.
            let vp = u_peak.sqrt();
            let exact = (vp - v[i]) / a + (vp - v[i + 1]) / b;
            assert!((time - exact).abs() < 1e-12, "{time} against {exact}");
            let chord = 2.0 * ds / (v[i] + v[i + 1]);
            assert!((correction - (time - chord)).abs() < 1e-15);
            assert!(chord > time, "the chord cuts the peak, so it is slow");
        }
    }
}
