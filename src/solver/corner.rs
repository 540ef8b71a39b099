//! Corner-limit speeds: the highest steady speed at each curvature, by bisection on the envelope
//! ([`corner_speed_mps`], once per car and track), or from a table against curvature and traction share that
//! serves every driver of a field ([`CornerTable`], [`LogCurvature`]).

use crate::numerics::root::{bisect, illinois};
use crate::numerics::table::cell_from_zero;
use crate::track::Track;
use crate::vehicle::Envelope;

/// Corner-limit speeds of an envelope tabulated against curvature (log-spaced) and against the driver's
/// traction share (which sets how much of the ellipse is needed to balance drag: up to 0.2 % of the speed at
/// 280 km/h). The table holds the lateral acceleration at the limit, `y = v² κ`, which varies slowly (with
/// the downforce) where grip limits, so linear interpolation in `ln κ` is accurate; the limit is then
/// `u = v² = y / κ`, and beyond the tightest tabulated radius `y` is held (grip-limited, aero negligible:
/// `v ∝ κ^(−1/2)`). For a driver using a share `g` of the lateral grip, the lateral limit
/// `v² κ = g a_y,max(v)` is the unscaled one at `κ / g`, so one table per fuel load serves every driver
/// ([`CornerTable::speed_mps`], [`CornerTable::fill_u`]).
#[derive(Debug, Clone)]
pub struct CornerTable {
    log_k0: f64,
    dlog_k: f64,
    /// `y[s * POINTS + i] = v² κ` at traction share `TRACTION_SHARES[s]` and curvature index `i` (m/s²).
    y: Vec<f64>,
    /// Per traction share: how many segments of the table, from the gentlest curvature, give a limit above
    /// the top speed anywhere inside them (so a look-up there would return the top speed).
    fast_segments: [usize; CornerTable::TRACTION_SHARES.len()],
    pub(super) top_mps: f64,
}

impl CornerTable {
    /// Smallest and largest curvature tabulated (1/m): a 10 km radius (grip never limits) to a 2 m one.
    pub const K_RANGE: (f64, f64) = (1e-4, 0.5);
    /// Table size in curvature.
    pub const POINTS: usize = 1024;
    /// Traction shares tabulated (interpolated linearly in 1/t between, clamped outside). A field's drivers use
    /// 0.85–1 of the traction, times the tyres' state (0.9 on an out-lap) and their lap-to-lap scatter, so
    /// shares down to ~0.7 occur; the rows reach 0.5, every 0.05.
    pub const TRACTION_SHARES: [f64; 11] =
        [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];

    /// Tabulates the corner-limit speed of `env`.
    pub fn new(env: &Envelope) -> Self {
        let (k0, k1) = Self::K_RANGE;
        let (log_k0, log_k1) = (k0.ln(), k1.ln());
        let dlog_k = (log_k1 - log_k0) / (Self::POINTS - 1) as f64;
        let y: Vec<f64> = Self::TRACTION_SHARES
            .iter()
            .flat_map(|&t| {
                // The tabulated shares are constants in (0, 1]: scaling cannot fail.
                let e = env.with_shares(1.0, t, 1.0).unwrap_or_else(|_| env.clone());
                (0..Self::POINTS)
                    .map(|i| {
                        let k = (log_k0 + i as f64 * dlog_k).exp();
                        // Searched well beyond the table's top: where the limit meets the top speed the
                        // tabulated curve must not have a kink (from the cap of the search) in the same segment.
                        let v = corner_speed_below(&e, k, 2.0 * e.v_table_max_mps());
                        v * v * k
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        // A segment [i, i + 1) is fast if both its nodes' limits `u = y / κ` exceed the top speed squared (with
        // a margin for rounding): inside it, `y` is interpolated linearly and `κ` grows exponentially, so
        // `u(x) ≥ min(u_i, u_{i+1}) ((1 − f) κ_i + f κ_{i+1}) / κ(x) ≥ min(u_i, u_{i+1})` (the chord of a convex
        // function lies above it), and every look-up there is capped to the top speed.
        let top2 = env.top_speed_mps() * env.top_speed_mps();
        let u_node = |row: &[f64], i: usize| row[i] / (log_k0 + i as f64 * dlog_k).exp();
        let fast_segments = std::array::from_fn(|s| {
            let row = &y[s * Self::POINTS..(s + 1) * Self::POINTS];
            (0..Self::POINTS - 1)
                .take_while(|&i| u_node(row, i).min(u_node(row, i + 1)) >= top2 * (1.0 + 1e-9))
                .count()
        });
        Self {
            log_k0,
            dlog_k,
            y,
            fast_segments,
            top_mps: env.top_speed_mps(),
        }
    }

    /// Writes into `out` the table `(1 − w)·self + w·other` (`w` in [0, 1]) of two envelopes of one car at two
    /// fuel loads: `v² κ` and the top speed interpolated linearly, so the limits at a load between them. A
    /// segment is fast ([`Self::speed_mps`] skips it) only where it is in both: there the interpolated
    /// `u = y / κ` is at least the interpolation of the squared top speeds, itself at least the square of the
    /// interpolated top speed (convexity). `out`'s buffer is reused.
    pub fn blend_into(&self, other: &CornerTable, w: f64, out: &mut CornerTable) {
        out.log_k0 = self.log_k0;
        out.dlog_k = self.dlog_k;
        out.y.resize(self.y.len(), 0.0);
        for ((o, &a), &b) in out.y.iter_mut().zip(&self.y).zip(&other.y) {
            *o = a + w * (b - a);
        }
        out.fast_segments =
            std::array::from_fn(|s| self.fast_segments[s].min(other.fast_segments[s]));
        out.top_mps = crate::vehicle::envelope::blend(self.top_mps, other.top_mps, w);
    }

    /// The rows and weight of a traction share: rows `s` and `s + 1`, weight `w` on the second.
    fn traction_rows(traction_share: f64) -> (usize, f64) {
        let ts = &Self::TRACTION_SHARES;
        let t = traction_share.clamp(ts[0], ts[ts.len() - 1]);
        let s = ts.partition_point(|&v| v <= t).clamp(1, ts.len() - 1) - 1;
        // Linear in 1/t: where the traction limits a corner, the tyres must leave `resist / (t a_x)` of the
        // ellipse for drag, so the limit moves with 1/t far more linearly than with t.
        (s, (1.0 / t - 1.0 / ts[s]) / (1.0 / ts[s + 1] - 1.0 / ts[s]))
    }

    /// The rows of traction shares `s` and `s + 1`.
    fn rows(&self, s: usize) -> (&[f64], &[f64]) {
        let p = Self::POINTS;
        (
            &self.y[s * p..(s + 1) * p],
            &self.y[(s + 1) * p..(s + 2) * p],
        )
    }

    /// `v² κ` at table position `x ≥ 0` (clamped to the last node) between rows `r0` and `r1`.
    #[inline(always)]
    fn y_at(r0: &[f64], r1: &[f64], w: f64, x: f64) -> f64 {
        // Plain comparisons (x is never NaN here), so selects rather than `f64::min`'s NaN handling.
        let last = (Self::POINTS - 1) as f64 - 1e-9;
        let x = if x < last { x } else { last };
        let (i, f) = cell_from_zero(x);
        let y0 = r0[i] + f * (r0[i + 1] - r0[i]);
        let y1 = r1[i] + f * (r1[i + 1] - r1[i]);
        y0 + w * (y1 - y0)
    }

    /// Corner-limit speed at curvature magnitude `kappa_abs` for a driver using `grip_share` of the lateral
    /// grip and `traction_share` of the traction (m/s).
    pub fn speed_mps(&self, kappa_abs: f64, grip_share: f64, traction_share: f64) -> f64 {
        let k = kappa_abs / grip_share;
        if k <= Self::K_RANGE.0 {
            return self.top_mps;
        }
        let (s, w) = Self::traction_rows(traction_share);
        let (r0, r1) = self.rows(s);
        let x = (k.ln() - self.log_k0) / self.dlog_k;
        let y = Self::y_at(r0, r1, w, x);
        (y / k).sqrt().min(self.top_mps)
    }

    /// Corner-limit squared speeds (m²/s²) along a track for a driver using `grip_share` and `traction_share`:
    /// `v² = (v² κ)(κ / g) · g / κ` with `ln |κ|` and `1 / |κ|` precomputed ([`LogCurvature`]). Capped at the
    /// top speed. A multiply-add, two interpolations and two multiplies a point.
    pub fn fill_u(
        &self,
        curvature: &LogCurvature,
        grip_share: f64,
        traction_share: f64,
        out_m2ps2: &mut [f64],
    ) {
        self.fill_u_with(curvature, grip_share, traction_share, out_m2ps2, true);
    }

    /// [`Self::fill_u`], with or without skipping the look-up on the fast segments (the same result).
    fn fill_u_with(
        &self,
        curvature: &LogCurvature,
        grip_share: f64,
        traction_share: f64,
        out_m2ps2: &mut [f64],
        skip_fast: bool,
    ) {
        let (s, w) = Self::traction_rows(traction_share);
        let (r0, r1) = self.rows(s);
        let inv_dlog = 1.0 / self.dlog_k;
        // x = (ln|κ| − ln g − ln κ0) / Δ.
        let offset = -(grip_share.ln() + self.log_k0) * inv_dlog;
        let top2 = self.top_mps * self.top_mps;
        // Below this position the limit is above the top speed (see `fast_segments`): no look-up.
        let x_fast = if skip_fast {
            self.fast_segments[s].min(self.fast_segments[s + 1]) as f64
        } else {
            0.0
        };
        for ((u, &lk), &ik) in out_m2ps2
            .iter_mut()
            .zip(&curvature.log_abs)
            .zip(&curvature.inv_abs)
        {
            let x = lk * inv_dlog + offset;
            *u = if x >= x_fast && x > 0.0 {
                let u = Self::y_at(r0, r1, w, x) * ik * grip_share;
                if u < top2 {
                    u
                } else {
                    top2
                }
            } else {
                top2
            };
        }
    }
}

/// `ln |κ|` and `1 / |κ|` of the corner-limit curvature at each point of a track
/// ([`Track::apex_curvature_1pm`]; −∞ and ∞ on a straight): where each point falls in a [`CornerTable`]
/// and the factor from `v² κ` to `v²`, computed once per track rather than once per lap.
#[derive(Debug, Clone)]
pub struct LogCurvature {
    log_abs: Vec<f64>,
    inv_abs: Vec<f64>,
    /// Length of the track it was computed for (m), to check it is used with that track.
    pub(super) length_m: f64,
}

impl LogCurvature {
    /// The log-curvature of `track`.
    pub fn new(track: &Track) -> Self {
        let k = track.apex_curvature_1pm();
        Self {
            log_abs: k.iter().map(|k| k.abs().ln()).collect(),
            inv_abs: k.iter().map(|k| 1.0 / k.abs()).collect(),
            length_m: track.length_m(),
        }
    }
    /// Number of points.
    pub fn len(&self) -> usize {
        self.log_abs.len()
    }
    /// Whether it has no points.
    pub fn is_empty(&self) -> bool {
        self.log_abs.is_empty()
    }
}

/// Corner-limit speed for a curvature magnitude `kappa_abs` (1/m): the highest speed at which the lateral
/// demand fits the tyres and the ellipse leaves the tyres enough to balance drag and rolling resistance; the
/// top speed where grip never limits.
pub fn corner_speed_mps(env: &Envelope, kappa_abs: f64) -> f64 {
    corner_speed_below(env, kappa_abs, env.top_speed_mps())
}

/// The grip limit of [`corner_speed_mps`] searched up to `v_top` (the top speed, or higher for a table that
/// must not have a kink where the limit meets the top speed): `v_top` if the car holds that, else the root of
/// [`spare_mps2`] between rest and `v_top`, to 1e-9 m/s, on the side where it holds.
fn corner_speed_below(env: &Envelope, kappa_abs: f64, v_top: f64) -> f64 {
    let spare = |v: f64| spare_mps2(env, kappa_abs, v);
    let f_top = spare(v_top);
    if f_top >= 0.0 {
        return v_top;
    }
    let f_0 = spare(0.0);
    if f_0 <= 0.0 {
        return 0.0;
    }
    illinois(spare, (0.0, f_0), (v_top, f_top), 1e-9, 200).0
}

/// The corner-limit speeds of every curvature of a track (m/s): the same limits as [`corner_speed_mps`] to its
/// 1e-9 m/s precision, found in a few evaluations. At a node of the envelope table the limit is closed-form:
/// the ellipse leaves the traction to balance the resistance up to the lateral acceleration
/// `y = a_y,max √(1 − (R / a_x)²)`, so the car holds `u = v²` at curvature `κ` exactly where `u κ ≤ y`. The
/// table cell where `u κ − y` changes sign is found by walking from the previous point's cell (curvature
/// changes little from one point to the next); in it the root of the interpolated envelope's spare traction is
/// started from the chord of `u κ − y` and polished by [`illinois`] from a tight bracket. Where the node test
/// and the interpolated envelope disagree by rounding, the plain search decides. (Should the spare traction
/// change sign more than once below the top speed, which the force law of a car with `R` and `a_x` growing
/// alike with speed does not produce, this finds the crossing nearest the previous point's.)
pub(super) fn corner_speeds_mps(env: &Envelope, curvature_1pm: &[f64]) -> Vec<f64> {
    corner_speeds_mps_with(env, curvature_1pm, true)
}

/// [`corner_speeds_mps`], with or without galloping to the cell where `u κ − y` increases at every node
/// (the same cells as the walk there, so the same limits).
fn corner_speeds_mps_with(env: &Envelope, curvature_1pm: &[f64], gallop: bool) -> Vec<f64> {
    let v_top = env.top_speed_mps();
    // Nodes up to the one above the top speed's cell: the limit, when below the top speed, lies among them.
    let (k_top, _) = env.position_u(v_top * v_top);
    let y: Vec<f64> = env.nodes()[..=k_top + 1]
        .iter()
        .map(|n| {
            let q = n.resist_mps2 / n.ax_traction_mps2;
            if q <= 1.0 {
                n.ay_max_mps2 * (1.0 - q * q).sqrt()
            } else {
                // The tyres cannot balance the resistance even without lateral demand.
                f64::NEG_INFINITY
            }
        })
        .collect();
    // The largest rise of `y` from one node to the next. Where `du κ` exceeds it, with room for rounding,
    // `u κ − y` increases from node to node, so its sign changes once: the cell is found by galloping from
    // the previous point's and bisecting, the walk's cell in a dozen tests instead of one a cell. Elsewhere,
    // or in a table with a node whose tyres cannot balance the resistance, the walk.
    let dy_max = if gallop && y.iter().all(|v| v.is_finite()) {
        y.windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::NEG_INFINITY, f64::max)
    } else {
        f64::INFINITY
    };
    let k_holds_top = holds_top_speed_up_to(env, v_top);
    let mut cell = 0;
    curvature_1pm
        .iter()
        .map(|&k| {
            let k = k.abs();
            if k <= k_holds_top || spare_mps2(env, k, v_top) >= 0.0 {
                return v_top;
            }
            corner_speed_in_cell(env, &y, k, &mut cell, dy_max)
                .unwrap_or_else(|| corner_speed_below(env, k, v_top))
        })
        .collect()
}

/// A curvature up to which the car holds its top speed (−∞ if it holds it nowhere): at every `κ ≤` it,
/// `spare_mps2(env, κ, v_top) ≥ 0`, bit for bit the decision of that test, which [`corner_speeds_mps`]
/// therefore skips on the straights (a third of its evaluations on Oschersleben's centreline). The spare
/// traction at a fixed speed falls with the curvature operation by operation: `u κ`, the usage `r`, `r²`,
/// `1 − r²`, its root, the product with the capacity and the resistance's difference are each monotone
/// in their argument, and rounding to nearest keeps that. So one curvature where the test passes vouches for
/// every lower one; the bisection finds the largest to 1e-15 relative.
fn holds_top_speed_up_to(env: &Envelope, v_top: f64) -> f64 {
    let holds = |k: f64| spare_mps2(env, k, v_top) >= 0.0;
    if !holds(0.0) {
        return f64::NEG_INFINITY;
    }
    // A 1 m radius at the top speed: past any tyre.
    if holds(1.0) {
        return 1.0;
    }
    bisect(holds, (0.0, 1.0), 60).0
}

/// The corner-limit speed at `kappa_abs` inside the envelope-table cell where `u κ − y` changes sign (node
/// limits `y`, see [`corner_speeds_mps`]), searched from `cell` (updated); `None` if the node test and the
/// interpolated envelope disagree (rounding at a node) or there is no sign change. `dy_max`: the largest
/// rise of `y` between two nodes, above which `du κ` makes `u κ − y` increasing (then [`gallop_cell`]).
fn corner_speed_in_cell(
    env: &Envelope,
    y: &[f64],
    kappa_abs: f64,
    cell: &mut usize,
    dy_max: f64,
) -> Option<f64> {
    let du = Envelope::DU_M2PS2;
    let h = |j: usize| j as f64 * du * kappa_abs - y[j];
    let mut c = (*cell).min(y.len() - 2);
    // Rounding moves `h` by ~1e-14 at these magnitudes (m/s²): a rise of 1e-9 a node keeps it increasing.
    if du * kappa_abs > dy_max + 1e-9 {
        c = gallop_cell(h, c, y.len())?;
    } else if h(c) > 0.0 {
        while c > 0 && h(c) > 0.0 {
            c -= 1;
        }
        if h(c) > 0.0 {
            return None;
        }
    } else {
        while c + 2 < y.len() && h(c + 1) <= 0.0 {
            c += 1;
        }
        if h(c + 1) <= 0.0 {
            return None;
        }
    }
    *cell = c;
    let (h0, h1) = (h(c), h(c + 1));
    let (u_lo, u_hi) = (c as f64 * du, (c + 1) as f64 * du);
    let spare = |u: f64| spare_u(env, kappa_abs, u);
    let u0 = u_lo + du * (-h0 / (h1 - h0));
    let f0 = spare(u0);
    // A bracket of the root around the chord's estimate, widened until the sign changes (within the cell).
    let mut step = 1e-6 * du;
    let (lo, hi) = if f0 > 0.0 {
        let (mut lo, mut f_lo) = (u0, f0);
        loop {
            let x = (lo + step).min(u_hi);
            let f = spare(x);
            if f <= 0.0 {
                break ((lo, f_lo), (x, f));
            }
            if x >= u_hi {
                return None;
            }
            (lo, f_lo) = (x, f);
            step *= 16.0;
        }
    } else {
        let (mut hi, mut f_hi) = (u0, f0);
        loop {
            let x = (hi - step).max(u_lo);
            let f = spare(x);
            if f > 0.0 {
                break ((x, f), (hi, f_hi));
            }
            if x <= u_lo {
                return None;
            }
            (hi, f_hi) = (x, f);
            step *= 16.0;
        }
    };
    // 1e-9 m/s in speed is 2 v 1e-9 in u.
    let width = 2.0 * u0.max(du).sqrt() * 1e-9;
    Some(illinois(spare, lo, hi, width, 200).0.sqrt())
}

/// The walk's cell where `h` is increasing: the last node `j ≤ len − 2` with `h(j) ≤ 0 < h(j + 1)`, found by
/// doubling steps from `c` until the sign changes, then bisecting; `None` where the walk finds none
/// (`h(0) > 0`, or `h(len − 1) ≤ 0`). Where `h` increases its sign changes once, so this is the cell the walk
/// from `c` ends on.
fn gallop_cell(h: impl Fn(usize) -> f64, c: usize, len: usize) -> Option<usize> {
    // A bracket h(lo) ≤ 0 < h(hi).
    let (mut lo, mut hi);
    let mut step = 1;
    if h(c) > 0.0 {
        hi = c;
        loop {
            if hi == 0 {
                return None;
            }
            let probe = hi.saturating_sub(step);
            if h(probe) <= 0.0 {
                lo = probe;
                break;
            }
            hi = probe;
            step *= 2;
        }
    } else {
        lo = c;
        loop {
            if lo == len - 1 {
                return None;
            }
            let probe = (lo + step).min(len - 1);
            if h(probe) > 0.0 {
                hi = probe;
                break;
            }
            lo = probe;
            step *= 2;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if h(mid) <= 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// [`spare_mps2`] at squared speed `u`.
fn spare_u(env: &Envelope, kappa_abs: f64, u: f64) -> f64 {
    let node = env.at_u(u);
    let ay = u * kappa_abs;
    let r = ay * node.inv_ay_max_s2pm;
    let usable = if r < 1.0 {
        node.ellipse_share(ay)
    } else {
        1.0 - r
    };
    node.ax_traction_mps2 * usable - node.resist_mps2
}

/// The traction the ellipse leaves at curvature `kappa_abs` and speed `v`, less the resistance (m/s²):
/// positive where the car can hold the speed inside the lateral limit. Beyond the limit it keeps falling with
/// the usage r (so that a car without resistance is held exactly to r < 1): continuous in v.
fn spare_mps2(env: &Envelope, kappa_abs: f64, v: f64) -> f64 {
    spare_u(env, kappa_abs, v * v)
}

/// Moves each discrete apex to the corner's true apex between the points: a discrete minimum of the corner
/// limits `u` (squared speeds around a closed loop, one per point) is lowered to the vertex of the parabola
/// through it and its two neighbours, and its curvature `kappa` raised to the vertex of its own parabola, so
/// that the point carries the apex's limit and the curvature that makes it one (the car leaves it with the
/// acceleration of the apex, not with grip to spare). The nearest sample of the limit is too fast by
/// `u'' δ² / 2` for an apex `δ` from the point (up to half a step); without this the lap's apex error is
/// second order in the step but large and erratic in it (it depends on where the points fall). No
/// allocation: the original neighbour values are carried along. Points that carry their cell's exact peak
/// curvature (`exact`, see [`Track::apex_exact`]) already hold the apex's limit and stay, with their own
/// curvature for the dynamics: there the kinked peak of a spline would otherwise put the car at full lateral
/// use on the point, whose square-root exit the step under-integrates (measured: 5 ms slow at 1 m; see
/// `track::interpolated`).
pub(super) fn refine_apexes(u: &mut [f64], kappa: &mut [f64], exact: &[bool]) {
    let n = u.len();
    if n < 3 {
        return;
    }
    let (first, last) = (u[0], u[n - 1]);
    let (kfirst, klast) = (kappa[0], kappa[n - 1]);
    let (mut prev, mut kprev) = (last, klast);
    for i in 0..n {
        let (b, c) = (u[i], if i + 1 < n { u[i + 1] } else { first });
        let (kb, kc) = (kappa[i], if i + 1 < n { kappa[i + 1] } else { kfirst });
        let d2 = prev - 2.0 * b + c;
        // Strictly below the point before: of two equal samples at a minimum, only the first is lowered.
        if b < prev && b <= c && d2 > 0.0 && !exact[i] {
            u[i] = b - (c - prev) * (c - prev) / (8.0 * d2);
            let kd2 = kprev - 2.0 * kb + kc;
            if kb >= kprev && kb >= kc && kd2 < 0.0 {
                kappa[i] = kb - (kc - kprev) * (kc - kprev) / (8.0 * kd2);
            }
        }
        prev = b;
        kprev = kb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skipping the look-up on the fast segments of the corner table changes nothing, bit for bit, over
    /// every curvature from a straight to a hairpin and a range of shares; and it does skip.
    #[test]
    fn corner_table_fast_segments_are_exact() {
        let car = crate::vehicle::Car::from_toml_str(
            "gt3",
            include_str!("../../cars/porsche_997_gt3_cup.toml"),
        )
        .unwrap();
        let env = Envelope::new(&car);
        let table = CornerTable::new(&env);
        // Interpolating a row at t = 1 from the cell below gives the next node exactly (what makes the table
        // cell of an odd integer position, `envelope::cell`, agree with a floor bit for bit).
        let bad: Vec<usize> = table
            .y
            .chunks(CornerTable::POINTS)
            .flat_map(|row| row.windows(2).enumerate())
            .filter(|(_, w)| (w[0] + 1.0 * (w[1] - w[0])).to_bits() != w[1].to_bits())
            .map(|(i, _)| i)
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert!(
            table.fast_segments.iter().all(|&n| n > 100),
            "{:?}",
            table.fast_segments
        );
        let kappa: Vec<f64> = (0..20_000)
            .map(|i| {
                if i % 997 == 0 {
                    0.0
                } else {
                    1e-5 * (1e5_f64).powf(i as f64 / 20_000.0)
                }
            })
            .collect();
        let curvature = LogCurvature {
            log_abs: kappa.iter().map(|k| k.ln()).collect(),
            inv_abs: kappa.iter().map(|k| 1.0 / k).collect(),
            length_m: 0.0,
        };
        let (mut a, mut b) = (vec![0.0; kappa.len()], vec![0.0; kappa.len()]);
        for (g, t) in [
            (1.0, 1.0),
            (0.97, 0.93),
            (0.85, 0.86),
            (0.6, 0.5),
            (0.99, 0.875),
        ] {
            table.fill_u_with(&curvature, g, t, &mut a, true);
            table.fill_u_with(&curvature, g, t, &mut b, false);
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "shares {g} {t}"
            );
        }
    }

    /// The track's corner limits (node test, chord, polished in the cell) equal the plain search's to its
    /// 1e-9 m/s precision along a track-like curvature sequence (smooth corners, kinks, straights, a hairpin),
    /// for the shipped car and for one with five times its downforce (limits that rise steeply with speed).
    #[test]
    fn track_corner_limits_equal_the_plain_search() {
        let text = include_str!("../../cars/porsche_997_gt3_cup.toml");
        let winged = text.replace("downforce_area_m2 = 0.90", "downforce_area_m2 = 4.50");
        assert_ne!(text, winged);
        let kappa: Vec<f64> = (0..6000)
            .map(|i| {
                let s = i as f64;
                let corner = 0.5 * (1.0 + (s / 97.0).sin()) * 0.08 * (s / 1500.0).cos().powi(2);
                match i % 700 {
                    0..=49 => 0.0,
                    50..=59 => 0.4,
                    _ => corner + 1e-3 * ((i % 13) as f64 - 6.0).signum() * 1e-2,
                }
            })
            .collect();
        for car_text in [text, winged.as_str()] {
            let car = crate::vehicle::Car::from_toml_str("car", car_text).unwrap();
            let env = Envelope::new(&car);
            let fast = corner_speeds_mps(&env, &kappa);
            // The gallop finds the walk's cells: the same limits bit for bit.
            let walked = corner_speeds_mps_with(&env, &kappa, false);
            assert!(fast
                .iter()
                .zip(&walked)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
            let mut limited = 0;
            for (&k, &v) in kappa.iter().zip(&fast) {
                let plain = corner_speed_mps(&env, k.abs());
                assert!((v - plain).abs() <= 2e-9, "κ {k}: {v} vs {plain}");
                limited += usize::from(v < env.top_speed_mps());
            }
            assert!(limited > 3000, "{limited} limited points");
        }
    }

    /// The top-speed bound vouches for every lower curvature: the test passes at it, at the thousand
    /// curvatures just below it (one bit apart) and at a thousand spread down to straight, and fails just
    /// above it (the largest, to rounding), for the shipped car and for one with five times its downforce.
    #[test]
    fn the_top_speed_bound_is_the_tests_decision() {
        let text = include_str!("../../cars/porsche_997_gt3_cup.toml");
        let winged = text.replace("downforce_area_m2 = 0.90", "downforce_area_m2 = 4.50");
        assert_ne!(text, winged);
        for car_text in [text, winged.as_str()] {
            let car = crate::vehicle::Car::from_toml_str("car", car_text).unwrap();
            let env = Envelope::new(&car);
            let v_top = env.top_speed_mps();
            let k_ok = holds_top_speed_up_to(&env, v_top);
            assert!(k_ok > 1e-4 && k_ok < 0.05, "{k_ok}");
            let holds = |k: f64| spare_mps2(&env, k, v_top) >= 0.0;
            let mut k = k_ok;
            for _ in 0..1000 {
                assert!(holds(k), "κ {k}");
                k = f64::from_bits(k.to_bits() - 1);
            }
            for i in 0..=1000 {
                let k = k_ok * f64::from(i) / 1000.0;
                assert!(holds(k), "κ {k}");
            }
            assert!(!holds(k_ok * (1.0 + 1e-12)));
        }
    }

    /// The gallop ends on the walk's cell for increasing sequences, from every start, including those with
    /// no sign change (all above or all at or below 0).
    #[test]
    fn gallop_finds_the_walks_cell() {
        let walk = |h: &dyn Fn(usize) -> f64, mut c: usize, len: usize| -> Option<usize> {
            if h(c) > 0.0 {
                while c > 0 && h(c) > 0.0 {
                    c -= 1;
                }
                (h(c) <= 0.0).then_some(c)
            } else {
                while c + 2 < len && h(c + 1) <= 0.0 {
                    c += 1;
                }
                (h(c + 1) > 0.0).then_some(c)
            }
        };
        for len in [2usize, 3, 5, 17, 100] {
            for zero in 0..=len + 1 {
                // Increasing, crossing 0 between nodes `zero − 1` and `zero` (0 at `zero` itself).
                let h = move |j: usize| j as f64 - zero as f64;
                for c in 0..len - 1 {
                    assert_eq!(
                        gallop_cell(h, c, len),
                        walk(&h, c, len),
                        "len {len}, zero {zero}, from {c}"
                    );
                }
            }
        }
    }

    /// A discrete minimum of samples of a parabola is lowered to the parabola's vertex exactly, wherever the
    /// vertex falls between the points; other points, and minima of a straight run, stay.
    #[test]
    fn refine_apexes_finds_the_vertex() {
        for offset in [0.0, 0.1, 0.37, 0.5] {
            let (s0, c, u0) = (50.0 + offset, 0.8, 300.0);
            let mut u: Vec<f64> = (0..100)
                .map(|i| {
                    let x = i as f64 - s0;
                    // A parabola near the vertex, flat (the top speed) far from it.
                    (u0 + c * x * x).min(900.0)
                })
                .collect();
            let orig = u.clone();
            super::refine_apexes(&mut u, &mut vec![0.0; 100], &[false; 100]);
            let imin = (0..100)
                .min_by(|&a, &b| orig[a].total_cmp(&orig[b]))
                .unwrap();
            assert!(
                (u[imin] - u0).abs() < 1e-9,
                "offset {offset}: {} vs {u0}",
                u[imin]
            );
            for i in (0..100).filter(|&i| i != imin) {
                assert_eq!(u[i], orig[i], "offset {offset}: point {i} moved");
            }
        }
    }
}
