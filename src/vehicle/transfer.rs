//! The longitudinal load-transfer fixed points in closed form.
//!
//! A tyre's force depends on its load and, through the load transfer `ΔFz = Fx h / L`, the load depends on the
//! force: the capacity is the fixed point `x = Σ_axles G(Fz_i + s_i x)` with `s_i = ±h/L` (see the module
//! documentation of [`crate::vehicle`]). The axle law `G` of the linear load-sensitive tyre is quadratic in the
//! load between no load and the load of its peak, zero below and constant above, so the right-hand side is
//! piecewise quadratic in `x` with at most two breakpoints an axle: the fixed point is the root of a quadratic
//! on the piece where `x − Σ G` changes sign. This replaces an iterative search (bracketing and regula falsi,
//! ~10 evaluations a capacity) that dominated the cost of tabulating a car's envelope.

/// The per-wheel tyre law `f(Fz_w) = μ₀ Fz_w (1 − k (Fz_w − Fz₀)/Fz₀)`, held at its peak above
/// `Fz* = Fz₀ (1 + k) / (2k)` and zero without load, applied to an axle of two wheels sharing its load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxleLaw {
    /// Peak friction coefficient μ₀.
    mu0: f64,
    /// Load sensitivity k (≥ 0).
    k: f64,
    /// Nominal wheel load Fz₀ (N).
    fz0_n: f64,
    /// Wheel load of the peak, `Fz*` (N; infinite without load sensitivity), worked out once.
    wheel_peak_n: f64,
    /// Axle load of the peak (N; infinite without load sensitivity), worked out once.
    peak_n: f64,
}

impl AxleLaw {
    /// The law with peak coefficient `mu0`, load sensitivity `k` and nominal wheel load `fz0_n` (N).
    pub fn new(mu0: f64, k: f64, fz0_n: f64) -> Self {
        let (wheel_peak_n, peak_n) = if k > 0.0 {
            (fz0_n * (1.0 + k) / (2.0 * k), fz0_n * (1.0 + k) / k)
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        Self {
            mu0,
            k,
            fz0_n,
            wheel_peak_n,
            peak_n,
        }
    }

    /// Axle load (two wheels) at which the law peaks (N); infinite without load sensitivity.
    #[inline]
    fn peak_load_n(&self) -> f64 {
        self.peak_n
    }

    /// Grip of the axle carrying `fz_axle_n` (N).
    #[inline]
    pub fn grip_n(&self, fz_axle_n: f64) -> f64 {
        let (k, fz0) = (self.k, self.fz0_n);
        // Held at the peak's wheel load (`min` with an infinite one, without load sensitivity, keeps `fw`).
        let fw = (0.5 * fz_axle_n).max(0.0).min(self.wheel_peak_n);
        2.0 * self.mu0 * fw * (1.0 - k * (fw - fz0) / fz0)
    }

    /// Coefficients `[a, b, c]` of the grip `a + b x + c x²` of an axle loaded `f0 + s x`, on the piece of the
    /// law that holds at `x`. With `F = f0 + s x`: `G = μ₀ (1 + k) F − μ₀ k F² / (2 Fz₀)` between no load and
    /// the peak load, `G(peak)` above it, 0 below.
    #[inline]
    fn piece(&self, f0: f64, s: f64, x: f64) -> [f64; 3] {
        let load = f0 + s * x;
        if load <= 0.0 {
            [0.0, 0.0, 0.0]
        } else if load >= self.peak_load_n() {
            [self.grip_n(load), 0.0, 0.0]
        } else {
            let (m, k, fz0) = (self.mu0, self.k, self.fz0_n);
            [
                m * (1.0 + k) * f0 - m * k * f0 * f0 / (2.0 * fz0),
                s * (m * (1.0 + k) - m * k * f0 / fz0),
                -m * k * s * s / (2.0 * fz0),
            ]
        }
    }
}

/// Most axles a fixed point involves.
const MAX_AXLES: usize = 2;

/// The fixed point `x ≥ 0` of `x = Σ_i G(f0_i + s_i x)` over `axles = [(f0_i, s_i), ...]` (loads in N, `s_i`
/// the load transferred per newton of `x`), where the right-hand side grows slower than `x` (a contraction,
/// which validation guarantees through `μ h / L < 1`); 0 if the axles carry no grip at `x = 0`.
///
/// `x − Σ G` increases, so it changes sign once; its breakpoints (where an axle unloads or reaches its peak)
/// are taken in order to find the piece holding the root, and there the quadratic is solved in its
/// cancellation-free form (Press et al., *Numerical Recipes*, 3rd ed., §5.6).
///
/// Each piece's quadratic is solved before `x − Σ G` is tested at the piece's end: a root a billionth of the
/// end short of it settles the piece without the test. The slope of `x − Σ G` is at least `1 − 0.9`
/// (validation keeps `μ (1 + k) h / L` below 0.9), so such a root, rounded by a few ulps, leaves the test
/// positive by ~1e-10 of the end: it would have chosen this piece, and the result is the test-first search's
/// bit for bit (`tests::test_first`). The test is evaluated only nearer than that, which at every node of the
/// shipped car's table it is not: the first piece's root is found without evaluating the grip at its end.
pub(crate) fn fixed_point(law: &AxleLaw, axles: &[(f64, f64)]) -> f64 {
    debug_assert!(axles.len() <= MAX_AXLES);
    if grip_sum(law, axles, 0.0) <= 0.0 {
        return 0.0;
    }
    // Where each axle unloads and where it reaches its peak: the pieces' ends, taken in order (a repeated
    // end would only repeat its test).
    let peak = law.peak_load_n();
    let mut ends = [f64::INFINITY; 2 * MAX_AXLES];
    for (i, &(f0, s)) in axles.iter().enumerate() {
        if s != 0.0 {
            ends[2 * i] = (0.0 - f0) / s;
            ends[2 * i + 1] = (peak - f0) / s;
        }
    }
    let mut lo = 0.0;
    loop {
        // The next end above `lo` (+∞ closing the last piece).
        let hi = ends
            .iter()
            .fold(f64::INFINITY, |m, &x| if x > lo && x < m { x } else { m });
        let mid = if hi.is_finite() {
            0.5 * (lo + hi)
        } else {
            lo + 1.0
        };
        let [a, b, c] = piece_sum(law, axles, mid);
        let r = quadratic_root_in(c, b - 1.0, a, lo, hi);
        // The last, unbounded piece always holds the root.
        if !hi.is_finite() || r < hi * (1.0 - 1e-9) {
            return r;
        }
        let g_hi = hi - grip_sum(law, axles, hi);
        if g_hi == 0.0 {
            return hi;
        }
        if g_hi > 0.0 {
            return r;
        }
        lo = hi;
    }
}

/// `Σ G(f0_i + s_i x)`: the axles' grip at `x`.
#[inline]
fn grip_sum(law: &AxleLaw, axles: &[(f64, f64)], x: f64) -> f64 {
    let mut sum = 0.0;
    for &(f0, s) in axles {
        sum += law.grip_n(f0 + s * x);
    }
    sum
}

/// The coefficients `[a, b, c]` of `Σ G` on the piece holding `x` ([`AxleLaw::piece`] summed).
#[inline]
fn piece_sum(law: &AxleLaw, axles: &[(f64, f64)], x: f64) -> [f64; 3] {
    let mut abc = [0.0; 3];
    for &(f0, s) in axles {
        let p = law.piece(f0, s, x);
        abc = [abc[0] + p[0], abc[1] + p[1], abc[2] + p[2]];
    }
    abc
}

/// The root of `a x² + b x + c` in `[lo, hi]` (where it changes sign), clamped into it against rounding.
fn quadratic_root_in(a: f64, b: f64, c: f64, lo: f64, hi: f64) -> f64 {
    let x = if a == 0.0 {
        -c / b
    } else {
        let disc = (b * b - 4.0 * a * c).max(0.0);
        let q = -0.5 * (b + b.signum() * disc.sqrt());
        let (r1, r2) = (q / a, c / q);
        let dist = |r: f64| {
            if r < lo {
                lo - r
            } else if r > hi {
                r - hi
            } else {
                0.0
            }
        };
        if dist(r1) <= dist(r2) {
            r1
        } else {
            r2
        }
    };
    x.clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The breakpoints in (0, ∞) where an axle unloads or reaches its peak, sorted (insertion into at most four),
    /// then +∞ closing the last piece; and how many there are before it.
    fn breakpoints(law: &AxleLaw, axles: &[(f64, f64)]) -> ([f64; 2 * MAX_AXLES + 1], usize) {
        let peak = law.peak_load_n();
        let mut breaks = [f64::INFINITY; 2 * MAX_AXLES + 1];
        let mut n = 0;
        let mut insert = |x: f64| {
            if x > 0.0 && x.is_finite() {
                let mut i = n;
                while i > 0 && breaks[i - 1] > x {
                    breaks[i] = breaks[i - 1];
                    i -= 1;
                }
                breaks[i] = x;
                n += 1;
            }
        };
        for &(f0, s) in axles {
            if s != 0.0 {
                // Where the axle unloads, and where it reaches its peak.
                insert((0.0 - f0) / s);
                insert((peak - f0) / s);
            }
        }
        (breaks, n)
    }

    /// The search by pieces testing `x − Σ G` at each piece's end before solving on it (how [`fixed_point`]
    /// worked before it solved first): the reference it must equal bit for bit.
    fn test_first(law: &AxleLaw, axles: &[(f64, f64)]) -> f64 {
        let rhs = |x: f64| grip_sum(law, axles, x);
        if rhs(0.0) <= 0.0 {
            return 0.0;
        }
        let (breaks, n) = breakpoints(law, axles);
        let mut lo = 0.0;
        for &hi in &breaks[..=n] {
            if hi.is_finite() {
                let g_hi = hi - rhs(hi);
                if g_hi == 0.0 {
                    return hi;
                }
                if g_hi < 0.0 {
                    lo = hi;
                    continue;
                }
            }
            let mid = if hi.is_finite() {
                0.5 * (lo + hi)
            } else {
                lo + 1.0
            };
            let [a, b, c] = piece_sum(law, axles, mid);
            return quadratic_root_in(c, b - 1.0, a, lo, hi);
        }
        unreachable!("the last piece is unbounded and always holds the root")
    }

    /// Bisection to the last bit on `x − Σ G`, the independent reference.
    fn bisect(law: &AxleLaw, axles: &[(f64, f64)]) -> f64 {
        let g = |x: f64| {
            x - axles
                .iter()
                .map(|&(f0, s)| law.grip_n(f0 + s * x))
                .sum::<f64>()
        };
        let (mut lo, mut hi) = (0.0, 1e7);
        for _ in 0..400 {
            let mid = 0.5 * (lo + hi);
            if g(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The closed form (solving first, and the test-first reference) agrees with bisection to 1e-12 relative on
    /// every shape of the law: quadratic (traction on one axle), capped at the peak (high load sensitivity),
    /// an axle unloading completely (heavy transfer), no load sensitivity, and two axles moving in opposite
    /// directions (braking, all-wheel traction).
    #[test]
    fn closed_form_matches_bisection() {
        for &(mu0, k) in &[(1.6, 0.1), (1.9, 0.3), (1.2, 0.0), (2.5, 0.45)] {
            let law = AxleLaw::new(mu0, k, 3500.0);
            for &(f, r) in &[
                (5000.0, 9000.0),
                (3000.0, 14000.0),
                (800.0, 400.0),
                (12000.0, 2500.0),
            ] {
                // Transfers up to validation's limit μ₀ (1 + k) h / L < 0.9.
                for frac in [0.0, 0.1, 0.5, 1.0] {
                    let c = frac * 0.899 / (mu0 * (1.0 + k));
                    let cases: [&[(f64, f64)]; 5] = [
                        &[(r, c)],
                        &[(f, -c)],
                        &[(f, -c), (r, c)],
                        &[(f, c), (r, -c)],
                        &[(f, 0.0)],
                    ];
                    for axles in cases {
                        let want = bisect(&law, axles);
                        // Solving each piece first, and testing its end first.
                        for got in [fixed_point(&law, axles), test_first(&law, axles)] {
                            let rel = (got - want).abs() / want.max(1.0);
                            assert!(rel <= 1e-12, "μ {mu0} k {k} {axles:?}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }

    /// Solving each piece first gives the test-first search's result bit for bit: at seeded random laws and
    /// loads, and where the root crosses the first breakpoint (found by bisection in an axle's static load,
    /// then the 64 loads either side one bit apart), for one and two axles, traction and braking, with and
    /// without load sensitivity. (An earlier shortcut kept any root below the breakpoint, without the
    /// billionth's margin: a last-bit difference within an ulp of the breakpoint, found by a review.)
    #[test]
    fn solving_first_is_the_test_first_search() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let first_break = |law: &AxleLaw, axles: &[(f64, f64)]| {
            let mut first = f64::INFINITY;
            for &(f0, s) in axles {
                for load in [0.0, law.peak_load_n()] {
                    let x = (load - f0) / s;
                    if x > 0.0 && x < first {
                        first = x;
                    }
                }
            }
            first
        };
        let mut crossings = 0;
        for trial in 0..300 {
            let mu0 = 0.05 + 2.95 * next();
            let k = if trial % 7 == 0 { 0.0 } else { 0.5 * next() };
            let law = AxleLaw::new(mu0, k, 500.0 + 9500.0 * next());
            let c = 0.9 * next() / (mu0 * (1.0 + k));
            let other = 100.0 + 39_900.0 * next();
            let make = |t: f64| -> Vec<(f64, f64)> {
                match trial % 6 {
                    0 => vec![(t, c)],
                    1 => vec![(t, -c)],
                    2 => vec![(t, -c), (other, c)],
                    3 => vec![(other, -c), (t, c)],
                    4 => vec![(t, c), (other, -c)],
                    _ => vec![(other, c), (t, -c)],
                }
            };
            let same = |t: f64| {
                let ax = make(t);
                let (a, b) = (fixed_point(&law, &ax), test_first(&law, &ax));
                assert_eq!(a.to_bits(), b.to_bits(), "{law:?} {ax:?}: {a} vs {b}");
            };
            // The root less the first breakpoint changes sign where the root leaves the first piece.
            let d = |t: f64| {
                let ax = make(t);
                test_first(&law, &ax) - first_break(&law, &ax)
            };
            let top = if k > 0.0 {
                1.2 * law.peak_load_n()
            } else {
                1e6
            };
            let (mut t0, mut d0) = (1e-6 * top, d(1e-6 * top));
            for i in 1..=32 {
                let t1 = 1e-6 * top + (top - 1e-6 * top) * f64::from(i) / 32.0;
                same(t1);
                let d1 = d(t1);
                if d0.is_finite() && d1.is_finite() && (d0 < 0.0) != (d1 < 0.0) {
                    crossings += 1;
                    let (mut lo, mut hi) = (t0, t1);
                    for _ in 0..100 {
                        let mid = 0.5 * (lo + hi);
                        if (d(mid) < 0.0) == (d0 < 0.0) {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let mut x = f64::from_bits(lo.to_bits() - 64);
                    for _ in 0..129 {
                        same(x);
                        x = f64::from_bits(x.to_bits() + 1);
                    }
                }
                (t0, d0) = (t1, d1);
            }
        }
        assert!(crossings > 50, "{crossings} crossings");
    }

    /// No grip at no transfer: no capacity.
    #[test]
    fn no_load_no_grip() {
        let law = AxleLaw::new(1.5, 0.1, 3500.0);
        assert_eq!(fixed_point(&law, &[(0.0, -0.3)]), 0.0);
        assert_eq!(fixed_point(&law, &[(-10.0, 0.3), (0.0, -0.3)]), 0.0);
    }
}
