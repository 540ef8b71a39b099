//! Bracketed root finding: plain bisection of a predicate's change, and regula falsi with the Illinois
//! modification (Dowell & Jarratt, "A modified regula falsi method for computing the root of an equation",
//! BIT 11, 1971). The latter is superlinear on smooth functions and never leaves its bracket (a bisection step
//! whenever the secant would), so it keeps bisection's guarantee at a fraction of its evaluations.

/// Plain bisection of `[lo, hi]` for `iterations` halvings, where `low_side(x)` says whether `x` lies on `lo`'s
/// side of the change (that side moves to the midpoint `(lo + hi) / 2`, the other side otherwise); returns
/// the final `(lo, hi)`. For a change of a predicate rather than a root of a function: the best gear's, the
/// top speed's, a test passing.
pub fn bisect(
    mut low_side: impl FnMut(f64) -> bool,
    (mut lo, mut hi): (f64, f64),
    iterations: usize,
) -> (f64, f64) {
    for _ in 0..iterations {
        let mid = 0.5 * (lo + hi);
        if low_side(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, hi)
}

/// Shrinks a bracket `[lo, hi]` of a sign change of `f` (`f(lo) > 0 ≥ f(hi)`, given as `f_lo`, `f_hi`) until
/// it is at most `width` wide or `f(hi) = 0`; returns the final `(lo, hi)` with `f(lo) > 0 ≥ f(hi)`, or
/// `(x, x)` when it met an exact root `x` (so that `lo` is always a point where `f ≥ 0` within `width` of the
/// root: an exact root can be met far from the other end, which then says nothing about the root).
/// At most `max_evals` evaluations (a guard; the caller's precision is normally reached long before).
pub fn illinois(
    mut f: impl FnMut(f64) -> f64,
    (mut lo, mut f_lo): (f64, f64),
    (mut hi, mut f_hi): (f64, f64),
    width: f64,
    max_evals: usize,
) -> (f64, f64) {
    debug_assert!(f_lo > 0.0 && f_hi <= 0.0);
    // The end that moved last: +1 the upper, −1 the lower (Illinois halves the other end's value).
    let mut last = 0;
    for _ in 0..max_evals {
        if f_hi == 0.0 || hi - lo <= width {
            break;
        }
        let secant = (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
        let x = if secant > lo && secant < hi {
            secant
        } else {
            0.5 * (lo + hi)
        };
        let fx = f(x);
        if fx > 0.0 {
            (lo, f_lo) = (x, fx);
            if last == -1 {
                f_hi *= 0.5;
            }
            last = -1;
        } else {
            (hi, f_hi) = (x, fx);
            if last == 1 {
                f_lo *= 0.5;
            }
            last = 1;
        }
    }
    if f_hi == 0.0 {
        (hi, hi)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::{bisect, illinois};
    use std::cell::Cell;

    /// Each halving keeps the change between its ends: after n of them the bracket is 2⁻ⁿ of the start and
    /// holds √2 for the predicate x² < 2, whichever side the start's ends are given on.
    #[test]
    fn bisection_keeps_the_change_between_its_ends() {
        for n in [0, 1, 10, 40] {
            let (lo, hi) = bisect(|x| x * x < 2.0, (0.0, 2.0), n);
            assert!(lo * lo < 2.0 && hi * hi >= 2.0, "{n}: {lo} {hi}");
            assert_eq!(hi - lo, 2.0 * 0.5f64.powi(n as i32));
        }
        // A predicate true above the change: `hi` moves up to it.
        let (lo, hi) = bisect(|x| x * x >= 2.0, (2.0, 0.0), 50);
        assert!((lo - 2f64.sqrt()).abs() < 1e-14 && (hi - 2f64.sqrt()).abs() < 1e-14);
    }

    /// A named test function and its root.
    type Case = (&'static str, fn(f64) -> f64, f64);

    /// Smooth, kinked and flat-sided functions: the bracket ends on the root within the width and keeps the
    /// signs; smooth sides take a fraction of bisection's evaluations, a strong kink about as many.
    #[test]
    fn shrinks_onto_the_root_quickly() {
        let cases: [Case; 4] = [
            ("cubic", |x| 2.0 - x * x * x, 2f64.cbrt()),
            (
                "kink",
                |x| {
                    if x < 1.0 {
                        3.0 * (1.0 - x)
                    } else {
                        0.2 * (1.0 - x)
                    }
                },
                1.0,
            ),
            ("flat below", |x| (0.7 - x).max(-0.1), 0.7),
            (
                "sqrt",
                |x| (1.0 - x * x).max(0.0).sqrt() - 0.3,
                (1.0f64 - 0.09).sqrt(),
            ),
        ];
        for (name, f, root) in cases {
            let calls = Cell::new(0);
            let g = |x: f64| {
                calls.set(calls.get() + 1);
                f(x)
            };
            let (lo, hi) = illinois(g, (0.0, f(0.0)), (2.0, f(2.0)), 1e-12, 200);
            assert!(
                (f(lo) > 0.0 || (lo == hi && f(lo) == 0.0)) && f(hi) <= 0.0,
                "{name}: signs"
            );
            assert!(
                lo <= root + 1e-12 && hi >= root - 1e-12,
                "{name}: [{lo}, {hi}] vs {root}"
            );
            assert!(hi - lo <= 1e-12, "{name}: width {}", hi - lo);
            // Bisection needs log2(2 / 1e-12) ≈ 41 halvings; a strong kink (slopes 15:1) costs the secant
            // about as many, smooth sides far fewer.
            let budget = if name == "kink" { 50 } else { 20 };
            assert!(calls.get() <= budget, "{name}: {} evaluations", calls.get());
            println!("{name}: {} evaluations", calls.get());
        }
    }
}
