//! Look-ups in uniform tables: the cell of a position (without a float-to-integer conversion), kept
//! branches for predictable clamps, and plain linear interpolation in an increasing table.

/// The cell of a table position `x`: `(k, t)` with `x = k + t`, `0 ≤ t ≤ 1`, `k` the integer nearest
/// `x − ½` (ties to even, so `k` is `⌊x⌋`, or `x − 1` when `x` is an odd integer). Adding `2⁵² − ½` rounds
/// `x − ½` to an integer held in the low bits of the sum (the "magic number" rounding of Hacker's Delight,
/// §17-4): five instructions against a conversion to integer whose saturating semantics (NaN to 0, clamped
/// range) take nine. For `0 ≤ x < 2⁵¹`; below `x = ¼` it gives `k = −1` (with `t = x + ½`), and a NaN, an
/// infinite or a negative `x` an index past any table, so callers check `k` against the table length (or
/// use [`cell_from_zero`]).
///
/// At an odd integer `x` the interpolation `v_k + 1 · (v_{k+1} − v_k)` is `v_{k+1}` exactly wherever
/// neighbouring nodes lie within a factor of two (Sterbenz: the difference is exact, and so is the sum), so
/// the tables give the floor's value bit for bit (tested at every node of the car's tables); the one field
/// that is not interpolated, the best gear, is taken from the next node at `t = 1`.
#[inline(always)]
pub fn cell(x: f64) -> (i64, f64) {
    cell_of(x, 1.0)
}

/// [`cell`] of `x = u / step` for a power-of-two `step`, bit for bit: `(u + step (2⁵² − ½))` holds the cell
/// in its low bits just the same (all scaled by the power of two), one multiply fewer on the way from `u` to
/// the table entry (the passes' loop-carried chain), and `t = (u − step k) / step` is exact as `x − k` is.
#[inline(always)]
pub fn cell_of(u: f64, step: f64) -> (i64, f64) {
    debug_assert!(
        step > 0.0 && step.to_bits() & ((1 << 52) - 1) == 0,
        "step must be a power of two"
    );
    const M: f64 = 4_503_599_627_370_496.0; // 2^52
    let y = u + step * (M - 0.5);
    // y − step M is exact (Sterbenz): step times the rounded u / step − ½.
    let k = (y.to_bits() as i64).wrapping_sub((step * M).to_bits() as i64);
    (k, (u - (y - step * M)) * (1.0 / step))
}

/// [`cell`] of a position `x ≥ 0` (not NaN), with `k ≥ 0`.
#[inline(always)]
pub fn cell_from_zero(x: f64) -> (usize, f64) {
    let (k, t) = cell(x);
    if k >= 0 {
        (k as usize, t)
    } else {
        (0, x)
    }
}

/// Keeps a branch a branch. The solver's clamps and minima have outcomes that persist along the track
/// (pinned or not, engine- or tyre-limited), so the processor predicts them, and the result of the predicted
/// arm does not wait for the comparison (or for the other arm's operands, such as the square root of the tyre
/// limit while the car is engine-limited). The compiler would turn such a branch into a select (`minsd`,
/// `maxsd`, `cmov`), which waits for both; this empty barrier in one arm cannot be executed unconditionally,
/// so the branch stays.
#[inline(always)]
pub fn keep_branch() {
    std::hint::black_box(());
}

/// Linear interpolation in a strictly increasing table `xs` with values `ys`, clamped at both ends.
pub fn interp(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let n = xs.len();
    if x <= xs[0] {
        return ys[0];
    }
    if x >= xs[n - 1] {
        return ys[n - 1];
    }
    let k = xs.partition_point(|&v| v <= x) - 1;
    let t = (x - xs[k]) / (xs[k + 1] - xs[k]);
    ys[k] + t * (ys[k + 1] - ys[k])
}

/// [`interp`] from a remembered segment: `cursor` holds the segment of the previous look-up and walks to
/// `x`'s, the one [`interp`]'s search finds (the last node at or below `x`), so the value is the same bit for
/// bit (for any `x` but NaN, where this gives NaN and the search panics). For look-ups in increasing (or
/// slowly changing) order, where the walk is a step or none: tabulating a curve at rising speeds.
pub fn interp_walk(xs: &[f64], ys: &[f64], x: f64, cursor: &mut usize) -> f64 {
    let n = xs.len();
    if x <= xs[0] {
        return ys[0];
    }
    if x >= xs[n - 1] {
        return ys[n - 1];
    }
    // Here xs[0] < x < xs[n − 1]: the segment k has xs[k] ≤ x < xs[k + 1], 0 ≤ k ≤ n − 2.
    let mut k = (*cursor).min(n - 2);
    while xs[k] > x {
        k -= 1;
    }
    while xs[k + 1] <= x {
        k += 1;
    }
    *cursor = k;
    let t = (x - xs[k]) / (xs[k + 1] - xs[k]);
    ys[k] + t * (ys[k + 1] - ys[k])
}

#[cfg(test)]
mod tests {
    use super::{cell, cell_from_zero, cell_of, interp, interp_walk};
    use proptest::prelude::*;

    /// `cell` splits a position into a node and a fraction with `x = k + t` exactly, `0 ≤ t ≤ 1`, and `k` the
    /// floor of `x` (or one below it when `x` is an integer).
    fn check(x: f64) {
        let (k, t) = cell(x);
        assert_eq!(k as f64 + t, x, "x = {x}");
        assert!((0.0..=1.0).contains(&t), "x = {x}: t = {t}");
        let fl = x.floor() as i64;
        assert!(
            k == fl || (x == x.floor() && k == fl - 1),
            "x = {x}: k = {k}"
        );
    }

    #[test]
    fn cell_edges() {
        for x in [
            0.3,
            0.5,
            0.75,
            1.0,
            1.5,
            2.0,
            3.0,
            2.5 + 1e-12,
            1600.0 - 1e-9,
            1e12 + 0.5,
        ] {
            check(x);
        }
        // Below ¼ the node is −1, which no table holds; `cell_from_zero` gives node 0.
        assert_eq!(cell(0.0).0, -1);
        assert_eq!(cell(0.2).0, -1);
        assert_eq!(cell_from_zero(0.0), (0, 0.0));
        assert_eq!(cell_from_zero(0.2), (0, 0.2));
        // NaN and huge positions land past any table (callers compare k with the table's length).
        assert!(cell(f64::NAN).0 as u64 > 1 << 40);
        assert!(cell(f64::INFINITY).0 as u64 > 1 << 40);
    }

    proptest! {
        #[test]
        fn cell_is_floor(x in 0.25f64..1e9) {
            check(x);
            check(x.floor());
        }

        /// The walk from any cursor gives the search's value bit for bit, at the nodes, between them and
        /// beyond the ends, in any order of look-ups.
        #[test]
        fn interp_walk_is_interp(
            gaps in proptest::collection::vec(0.01f64..1000.0, 1..12),
            ys in proptest::collection::vec(-500.0f64..500.0, 13),
            xs_at in proptest::collection::vec(-0.2f64..1.2, 1..40),
            start in 0usize..20,
        ) {
            let mut xs = vec![100.0];
            for g in &gaps {
                xs.push(xs[xs.len() - 1] + g);
            }
            let ys = &ys[..xs.len()];
            let (lo, span) = (xs[0], xs[xs.len() - 1] - xs[0]);
            let mut cursor = start;
            let mut probes: Vec<f64> = xs_at.iter().map(|f| lo + f * span).collect();
            probes.extend(xs.iter().copied());
            for x in probes {
                let (a, b) = (interp(&xs, ys, x), interp_walk(&xs, ys, x, &mut cursor));
                prop_assert_eq!(a.to_bits(), b.to_bits(), "x = {}", x);
            }
        }

        /// Scaling by the table step (a power of two) changes nothing, bit for bit.
        #[test]
        fn cell_of_is_cell_of_the_position(u in 0.0f64..1e7, e in -3i32..4) {
            let step = 2f64.powi(e);
            for u in [u, u.floor(), (u / step).floor() * step] {
                let ((k, t), (k1, t1)) = (cell(u / step), cell_of(u, step));
                prop_assert_eq!(k, k1);
                if k >= 0 {
                    prop_assert_eq!(t.to_bits(), t1.to_bits(), "u = {}, step = {}", u, step);
                }
            }
        }
    }
}
