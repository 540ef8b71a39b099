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
//! The cell after the apex's cell (traction) and the one before it (braking) are therefore integrated in two
//! sub-steps with the spline's curvature at their middle, and their time is taken through the point between
//! the sub-steps (Simpson's rule: [`super::kink`]), where the profile bends. When the sub-steps came (1.25 m on
//! Oschersleben against a 0.05 m reference, their cells still timed by the chord), without them: the
//! centreline −0.48 ms, TUM's line +0.68 ms, the minimum-curvature line's pole lap +1.7 ms; with them −0.25,
//! −0.16 and +0.35 ms. Four sub-steps in the two cells either side were no closer and cost the field's lap
//! ~15 % of its wall time (`tests/convergence.rs`; docs/ENGINEERING.md, 1 December, the fifth session).
//!
//! The caps depend on the driver (his shares scale the braking, traction and lateral grip), so they are
//! computed for each solver; the geometry is the track's. Nothing here allocates once a solver's buffers
//! have held the track (room is reserved for all its apexes).

use super::passes::apex_curve;
use super::tables::PassTables;
use crate::track::{Apex, Track, APEX_SUBSTEPS};

/// How far either way an apex's limit must be the lowest for the apex to be located (m).
pub(super) const APEX_REACH_M: f64 = 5.0;

/// Sub-steps of the cells either side of an apex's cell.
pub(super) const CELL_SUBSTEPS: usize = 2;
const _: () = assert!(
    CELL_SUBSTEPS == 2,
    "the sub-stepped cells' time takes the point between two sub-steps"
);

/// The cell of a located apex: from the point before the apex to the next, with the caps the braking and
/// traction curves through the apex gave those two points, and the time along the two curves.
#[derive(Debug, Clone, Copy)]
pub(super) struct ApexCell {
    /// The apex's point (the one whose cell holds the peak).
    point: usize,
    /// The point before the apex.
    before: usize,
    /// Its cap: the braking curve from the apex (m²/s²).
    cap_before: f64,
    /// The cap of the point after the apex: the traction curve from the apex (m²/s²).
    cap_after: f64,
    /// The time from the point before to the point after along the two curves (s).
    time_s: f64,
}

impl ApexCell {
    /// Whether the profile `u` follows the two curves: held at both caps, bit for bit. Anywhere else (a
    /// speed cap below them, a lap that does not reach them) the cell keeps the chord.
    #[inline]
    fn followed(&self, u: &[f64]) -> bool {
        u[self.before] == self.cap_before && u[self.before + 1] == self.cap_after
    }
}

/// The cells next to the apexes that the passes integrate in sub-steps, and the located apexes' cells.
#[derive(Debug, Default)]
pub(super) struct ApexWork {
    /// Per point: 1 + the index in `kappa` of the cell the traction step from that point takes in sub-steps,
    /// 0 for none.
    pub exit: Vec<u32>,
    /// Per point: 1 + the index in `kappa` of the cell the braking step from that point (to the point before
    /// it) takes in sub-steps, 0 for none.
    pub entry: Vec<u32>,
    /// `|κ|` / grip share at the middle of each sub-stepped cell.
    pub kappa: Vec<f64>,
    /// The located apexes' cells whose caps are the curves through the apex (in the order of their points).
    pub cells: Vec<ApexCell>,
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
        let apexes = track.apexes();
        // Room for every apex, whichever of them a driver's limits put below the top speed: no allocation
        // once a solver's buffers have held this track.
        self.kappa.reserve(2 * apexes.len());
        self.marked.reserve(2 * apexes.len());
        self.cells.reserve(apexes.len());
        self.active.reserve(apexes.len());
        // 1. The curves of every apex from the limits as they are (an apex's limit is read before any
        // neighbour's caps are written), and its sub-stepped cells.
        // Only the apexes whose limit is the lowest within APEX_REACH_M either way: a line's small ripples of
        // curvature along a corner make many peaks (130 on the weekend's line, 106 below the top speed), of
        // which some 22 are corners' apexes.
        let reach = (APEX_REACH_M / h).ceil() as usize;
        for a in apexes {
            let i = a.point;
            let u_a = u_corner[i];
            if u_a >= top_m2ps2 {
                continue;
            }
            if (1..=reach.min(n / 2))
                .any(|k| u_corner[(i + k) % n] < u_a || u_corner[(i + n - k) % n] < u_a)
            {
                continue;
            }
            // The cell before the apex's (braking, from the point before the apex back to the one before it)
            // and the cell after it (traction, from the point after the apex on).
            let before = a.point_before(n);
            let [mid_before, mid_after] = a.cells_mid_abs_kappa_1pm;
            for (p, mid, exit) in [
                (before, mid_before, false),
                ((before + 1) % n, mid_after, true),
            ] {
                self.kappa.push(mid * inv_grip);
                let idx = self.kappa.len() as u32;
                if exit {
                    self.exit[p] = idx;
                } else {
                    self.entry[p] = idx;
                }
                self.marked.push(p);
            }
            let (before, b, tb, f, tf) = caps(a, n, h, tab, kappa_abs, g_sin, inv_grip, u_a);
            self.cells.push(ApexCell {
                point: i,
                before,
                cap_before: b,
                cap_after: f,
                time_s: tb + tf,
            });
        }
        // 2. The caps. The apex's own point held the apex's limit (its cell's peak curvature, not its own), so
        // the curve through the apex replaces it; the other point keeps the lesser of its own limit and the
        // curve's.
        for c in &self.cells {
            let after = (c.before + 1) % n;
            for (p, cap) in [(c.before, c.cap_before), (after, c.cap_after)] {
                u_corner[p] = if p == c.point {
                    cap
                } else {
                    u_corner[p].min(cap)
                };
            }
        }
        // 3. The cells whose caps are the two curves (a neighbour's own limit lower than the curve, or a second
        // apex within a step, leaves a cell to the chord), and not the cell into the line (the last segment of
        // a lap, which ends at the lap's end speed).
        let mut last = None;
        self.cells.retain(|c| {
            let keep = c.before + 1 < n
                && u_corner[c.before] == c.cap_before
                && u_corner[c.before + 1] == c.cap_after
                && last.is_none_or(|l| l < c.before);
            if keep {
                last = Some(c.before);
            }
            keep
        });
    }

    /// The cells of the located apexes that the profile `u` follows (held at both curves' caps, bit for bit:
    /// not at a lower speed cap), with their times, into `active`; returns the lap time's correction: their
    /// times less the chords `2 ds / (v_i + v_j)` of the speeds `v`. The correction switches on and off where
    /// a lap starts or stops holding both caps (a car parameter crossing that point moves the lap by a few
    /// microseconds at 1 m).
    pub fn follow(&mut self, u: &[f64], v: &[f64], ds: f64) -> f64 {
        self.active.clear();
        let mut correction = 0.0;
        for c in &self.cells {
            if c.followed(u) {
                let p = c.before;
                self.active.push((p, c.time_s));
                correction += c.time_s - 2.0 * ds / (v[p] + v[p + 1]);
            }
        }
        correction
    }

    /// [`Self::follow`]'s correction alone, for a profile that is not the solved lap's (a grid start's).
    pub fn correction(&self, u: &[f64], v: &[f64], ds: f64) -> f64 {
        self.cells
            .iter()
            .filter(|c| c.followed(u))
            .map(|c| c.time_s - 2.0 * ds / (v[c.before] + v[c.before + 1]))
            .sum()
    }
}

/// The caps of the points either side of apex `a` for a driver: the braking curve from the apex's limit
/// `u_a` back to the point before it and the traction curve on to the point after, each in
/// [`APEX_SUBSTEPS`] sub-steps with the spline's curvature. Returns the point before the apex, its cap
/// (m²/s²) and the time along the braking curve (s), and the same of the traction curve to the next point.
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
) -> (usize, f64, f64, f64, f64) {
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
    (before, b, tb, f, tf)
}
