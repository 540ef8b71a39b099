//! The located apex: each corner's slowest point where the track's spline puts it, not at the nearest point.
//!
//! A corner limit is lowest at a peak of `|κ|`. The track gives each cell's exact peak to the point whose cell
//! holds it ([`Track::apex_exact`]); that point used to carry the apex's limit, so the apex moved by up to half
//! a step. That is a first-order error of the lap in the step (moving an apex by `δ` changes the lap by about
//! `δ (1/v_exit − 1/v_entry)`), and since it depends on where the points fall it aliases: two drivers whose
//! corners differ slightly get different errors. The point also kept its own curvature for the dynamics, so the
//! car left it with grip to spare (up to 0.03 m/s too fast after a hairpin at 1 m, carried along the whole
//! straight: the lap on the minimum-curvature line was 1 ms fast at 1 m).
//!
//! Here the apex stays where it is ([`Apex`]). The braking curve into it and the traction curve out of it are
//! integrated from the apex's own limit, with the spline's curvature on [`APEX_SUBSTEPS`] sub-steps, to the
//! points either side, whose limits they become: the passes meet the apex through them. The time across
//! the apex's cell is taken along those two curves when the lap follows them (pinned at both caps), instead
//! of the chord `2 ds / (v_i + v_j)`, which assumes a constant acceleration across a V-shaped profile.
//!
//! Next to the apex the longitudinal grip comes back as the curvature falls (`√(1 − r²)` of the friction
//! ellipse, which changes fastest near the lateral limit), and at a spline's kinked peak it grows like the
//! square root of the distance: one trapezoidal step with the curvature at its two ends under-integrates it.
//! The two cells after the apex (traction) and the two before it (braking) are therefore integrated in four
//! sub-steps with the spline's curvature at their quarter points. Measured on Oschersleben at 1 m against a
//! 0.05 m reference: the centreline −0.42 → +0.11 ms, TUM's line −1.00 → +0.09 ms; at 2 m −6.7 → −0.45 and
//! −0.4 → +0.6 ms (`tests/convergence.rs`; docs/ENGINEERING.md, 1 December, the located apex).
//!
//! The caps depend on the driver (his shares scale the braking, traction and lateral grip), so they are
//! computed for each solver; the geometry is the track's. Nothing here allocates once the buffers have held
//! a track this size.

use super::passes::apex_curve;
use super::tables::PassTables;
use crate::track::{Apex, Track, APEX_SUBSTEPS};

/// Sub-steps of a cell next to an apex.
pub(super) const CELL_SUBSTEPS: usize = 4;

/// The cells next to the apexes that the passes integrate in sub-steps, and the located apexes' cells.
#[derive(Debug, Default)]
pub(super) struct ApexWork {
    /// Per point: 1 + the index in `kappa` of the cell the traction step from that point takes in sub-steps,
    /// 0 for none.
    pub exit: Vec<u32>,
    /// Per point: 1 + the index in `kappa` of the cell the braking step from that point (to the point before
    /// it) takes in sub-steps, 0 for none.
    pub entry: Vec<u32>,
    /// `|κ|` / grip share at a cell's quarter, half and three-quarter points, in the order of travel.
    pub kappa: Vec<[f64; 3]>,
    /// Per located apex: the point before it and the time from that point to the next along the braking and
    /// traction curves through the apex (s).
    pub cells: Vec<(usize, f64)>,
    /// The cells of `cells` the last solved lap followed (pinned at both caps), with their times.
    pub active: Vec<(usize, f64)>,
    /// The points whose `exit` or `entry` is set.
    marked: Vec<usize>,
}

impl ApexWork {
    /// Sizes the per-point buffers to `n` points, cleared: only the entries the last solver set, unless
    /// the size changes (a solver's buffers are reused lap after lap on the same track).
    pub fn reset(&mut self, n: usize) {
        if self.exit.len() == n && self.entry.len() == n {
            for &p in &self.marked {
                self.exit[p] = 0;
                self.entry[p] = 0;
            }
        } else {
            self.exit.clear();
            self.exit.resize(n, 0);
            self.entry.clear();
            self.entry.resize(n, 0);
        }
        self.marked.clear();
        self.kappa.clear();
        self.cells.clear();
        self.active.clear();
    }

    /// The located apexes of `track` for a driver: for each apex whose limit `u_corner[apex.point]` is below
    /// the top speed (`top_m2ps2`), the caps of the points either side written into `u_corner`, its cell's
    /// time, and the sub-stepped cells around it. `kappa_abs` and `inv_grip` scale the curvature to the
    /// driver's grip share (`|κ| / g`), `g_sin` is each segment's `g sin θ`, `tab` the driver's tables.
    #[allow(clippy::too_many_arguments)]
    pub fn locate(
        &mut self,
        track: &Track,
        tab: &PassTables<'_>,
        kappa_abs: &[f64],
        g_sin: &[f64],
        inv_grip: f64,
        top_m2ps2: f64,
        u_corner: &mut [f64],
    ) {
        let n = track.len();
        self.reset(n);
        if n < 5 {
            return;
        }
        let h = track.step_m();
        for a in track.apexes() {
            let i = a.point;
            let u_a = u_corner[i];
            if u_a >= top_m2ps2 {
                continue;
            }
            // The two cells after the apex's point (traction) and the two before it (braking).
            for (c, q) in a.cells_abs_kappa_1pm.iter().enumerate() {
                let cell = (i + n + c - 2) % n;
                self.kappa.push(q.map(|k| k * inv_grip));
                let idx = self.kappa.len() as u32;
                let p = if c >= 2 {
                    self.exit[cell] = idx;
                    cell
                } else {
                    self.entry[(cell + 1) % n] = idx;
                    (cell + 1) % n
                };
                self.marked.push(p);
            }
            let (before, after, b, tb, f, tf) = caps(a, n, h, tab, kappa_abs, g_sin, inv_grip, u_a);
            u_corner[before] = if before == i {
                b
            } else {
                u_corner[before].min(b)
            };
            u_corner[after] = if after == i {
                f
            } else {
                u_corner[after].min(f)
            };
            // The cell into the line is the last segment of a lap (it ends at the lap's end speed): left to
            // the chord; so is a second peak in a cell already taken (two peaks within a step).
            if before + 1 < n && self.cells.last().is_none_or(|c| c.0 < before) {
                self.cells.push((before, tb + tf));
            }
        }
    }

    /// The cells of the located apexes that the profile `u` follows (pinned at both caps `u_lim`), with
    /// their times, into `active`; returns the lap time's correction: their times less the chords
    /// `2 ds / (v_i + v_j)` of the speeds `v`.
    pub fn follow(&mut self, u: &[f64], u_lim: &[f64], v: &[f64], ds: f64) -> f64 {
        self.active.clear();
        let mut correction = 0.0;
        for &(p, t) in &self.cells {
            if u[p] == u_lim[p] && u[p + 1] == u_lim[p + 1] {
                self.active.push((p, t));
                correction += t - 2.0 * ds / (v[p] + v[p + 1]);
            }
        }
        correction
    }

    /// [`Self::follow`]'s correction alone, for a profile that is not the solved lap's (a grid start's).
    pub fn correction(&self, u: &[f64], u_lim: &[f64], v: &[f64], ds: f64) -> f64 {
        self.cells
            .iter()
            .filter(|&&(p, _)| u[p] == u_lim[p] && u[p + 1] == u_lim[p + 1])
            .map(|&(p, t)| t - 2.0 * ds / (v[p] + v[p + 1]))
            .sum()
    }
}

/// The caps of the points either side of apex `a` for a driver: the braking curve from the apex's limit
/// `u_a` back to the point before it and the traction curve on to the point after, each in
/// [`APEX_SUBSTEPS`] sub-steps with the spline's curvature. Returns the two points, the caps (m²/s²) and the
/// time along each curve (s).
#[allow(clippy::too_many_arguments)]
fn caps(
    a: &Apex,
    n: usize,
    h: f64,
    tab: &PassTables<'_>,
    kappa_abs: &[f64],
    g_sin: &[f64],
    inv_grip: f64,
    u_a: f64,
) -> (usize, usize, f64, f64, f64, f64) {
    let before = a.point_before(n);
    let after = (before + 1) % n;
    let to_before = if a.offset_m >= 0.0 {
        a.offset_m
    } else {
        h + a.offset_m
    };
    let to_after = h - to_before;
    let scaled = |k: &[f64; APEX_SUBSTEPS + 1]| k.map(|x| x * inv_grip);
    let mut entry = scaled(&a.entry_abs_kappa_1pm);
    let mut exit = scaled(&a.exit_abs_kappa_1pm);
    // The points' own curvatures as the solver holds them, so that the curves end on the points' dynamics.
    entry[APEX_SUBSTEPS] = kappa_abs[before];
    exit[APEX_SUBSTEPS] = kappa_abs[after];
    let g = g_sin[before];
    let (b, tb) = apex_curve(tab, u_a, &entry, g, to_before, true);
    let (f, tf) = apex_curve(tab, u_a, &exit, g, to_after, false);
    (before, after, b, tb, f, tf)
}
