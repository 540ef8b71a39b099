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
    pub mu0: f64,
    /// Load sensitivity k (≥ 0).
    pub k: f64,
    /// Nominal wheel load Fz₀ (N).
    pub fz0_n: f64,
}

impl AxleLaw {
    /// Axle load (two wheels) at which the law peaks (N); infinite without load sensitivity.
    fn peak_load_n(&self) -> f64 {
        if self.k > 0.0 {
            self.fz0_n * (1.0 + self.k) / self.k
        } else {
            f64::INFINITY
        }
    }

    /// Grip of the axle carrying `fz_axle_n` (N).
    pub fn grip_n(&self, fz_axle_n: f64) -> f64 {
        let (k, fz0) = (self.k, self.fz0_n);
        let fw = (0.5 * fz_axle_n).max(0.0);
        let fw = if k > 0.0 {
            fw.min(fz0 * (1.0 + k) / (2.0 * k))
        } else {
            fw
        };
        2.0 * self.mu0 * fw * (1.0 - k * (fw - fz0) / fz0)
    }

    /// Coefficients `[a, b, c]` of the grip `a + b x + c x²` of an axle loaded `f0 + s x`, on the piece of the
    /// law that holds at `x`. With `F = f0 + s x`: `G = μ₀ (1 + k) F − μ₀ k F² / (2 Fz₀)` between no load and
    /// the peak load, `G(peak)` above it, 0 below.
    fn piece(&self, f0: f64, s: f64, x: f64) -> [f64; 3] {
        let load = f0 + s * x;
        if load <= 0.0 {
            [0.0, 0.0, 0.0]
        } else if load >= self.peak_load_n() {
            [self.grip_n(load), 0.0, 0.0]
        } else {
            self.quadratic_piece(f0, s)
        }
    }

    /// [`Self::piece`] between no load and the peak load: the law's quadratic in the load.
    #[inline]
    fn quadratic_piece(&self, f0: f64, s: f64) -> [f64; 3] {
        let (m, k, fz0) = (self.mu0, self.k, self.fz0_n);
        [
            m * (1.0 + k) * f0 - m * k * f0 * f0 / (2.0 * fz0),
            s * (m * (1.0 + k) - m * k * f0 / fz0),
            -m * k * s * s / (2.0 * fz0),
        ]
    }
}

/// Most axles a fixed point involves.
const MAX_AXLES: usize = 2;

/// The fixed point `x ≥ 0` of `x = Σ_i G(f0_i + s_i x)` over `axles = [(f0_i, s_i), ...]` (loads in N, `s_i`
/// the load transferred per newton of `x`), where the right-hand side grows slower than `x` (a contraction,
/// which validation guarantees through `μ h / L < 1`); 0 if the axles carry no grip at `x = 0`.
///
/// `x − Σ G` increases, so it changes sign once; its breakpoints (where an axle unloads or reaches its peak)
/// are evaluated in order to find the piece holding the root, and there the quadratic is solved in its
/// cancellation-free form (Press et al., *Numerical Recipes*, 3rd ed., §5.6).
pub(crate) fn fixed_point(law: &AxleLaw, axles: &[(f64, f64)]) -> f64 {
    debug_assert!(axles.len() <= MAX_AXLES);
    // The usual case first (every node of the shipped car's table): every axle between no load and its
    // peak at x = 0, and the root before the first breakpoint, so on the quadratic piece at 0. The same
    // solve as the search below makes there (the piece's coefficients, the bracket [0, first breakpoint]);
    // anything else, or a root at the breakpoint, takes the search.
    let peak = law.peak_load_n();
    let mut first = f64::INFINITY;
    let mut abc = [0.0; 3];
    let mut inside = true;
    for &(f0, s) in axles {
        inside &= f0 > 0.0 && f0 < peak;
        if s != 0.0 {
            for load in [0.0, peak] {
                let x = (load - f0) / s;
                if x > 0.0 && x < first {
                    first = x;
                }
            }
        }
        let p = law.quadratic_piece(f0, s);
        abc = [abc[0] + p[0], abc[1] + p[1], abc[2] + p[2]];
    }
    if inside && abc[0] > 0.0 {
        let r = quadratic_root_in(abc[2], abc[1] - 1.0, abc[0], 0.0, first);
        if r < first {
            return r;
        }
    }
    fixed_point_search(law, axles)
}

/// [`fixed_point`] by its pieces, in any case.
fn fixed_point_search(law: &AxleLaw, axles: &[(f64, f64)]) -> f64 {
    let rhs = |x: f64| {
        let mut sum = 0.0;
        for &(f0, s) in axles {
            sum += law.grip_n(f0 + s * x);
        }
        sum
    };
    if rhs(0.0) <= 0.0 {
        return 0.0;
    }
    // Breakpoints in (0, ∞), sorted (insertion into at most four), then +∞ closing the last piece.
    let peak = law.peak_load_n();
    let mut breaks = [f64::INFINITY; 2 * MAX_AXLES + 1];
    let mut n = 0;
    for &(f0, s) in axles {
        if s != 0.0 {
            for load in [0.0, peak] {
                let x = (load - f0) / s;
                if x > 0.0 && x.is_finite() {
                    let mut i = n;
                    while i > 0 && breaks[i - 1] > x {
                        breaks[i] = breaks[i - 1];
                        i -= 1;
                    }
                    breaks[i] = x;
                    n += 1;
                }
            }
        }
    }
    let mut lo = 0.0;
    for &hi in &breaks[..=n] {
        // The root is in [lo, hi] if x − Σ G ≥ 0 at hi (always on the last, unbounded piece).
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
        let mut abc = [0.0; 3];
        for &(f0, s) in axles {
            let p = law.piece(f0, s, mid);
            abc = [abc[0] + p[0], abc[1] + p[1], abc[2] + p[2]];
        }
        return quadratic_root_in(abc[2], abc[1] - 1.0, abc[0], lo, hi);
    }
    unreachable!("the last piece is unbounded and always holds the root")
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

    /// The closed form (its usual case and its search by pieces) agrees with bisection to 1e-12 relative on
    /// every shape of the law: quadratic (traction on one axle), capped at the peak (high load sensitivity),
    /// an axle unloading completely (heavy transfer), no load sensitivity, and two axles moving in opposite
    /// directions (braking, all-wheel traction).
    #[test]
    fn closed_form_matches_bisection() {
        for &(mu0, k) in &[(1.6, 0.1), (1.9, 0.3), (1.2, 0.0), (2.5, 0.45)] {
            let law = AxleLaw {
                mu0,
                k,
                fz0_n: 3500.0,
            };
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
                        // The quadratic piece at 0 where it holds the root, and the search by pieces.
                        for got in [fixed_point(&law, axles), fixed_point_search(&law, axles)] {
                            let rel = (got - want).abs() / want.max(1.0);
                            assert!(rel <= 1e-12, "μ {mu0} k {k} {axles:?}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }

    /// No grip at no transfer: no capacity.
    #[test]
    fn no_load_no_grip() {
        let law = AxleLaw {
            mu0: 1.5,
            k: 0.1,
            fz0_n: 3500.0,
        };
        assert_eq!(fixed_point(&law, &[(0.0, -0.3)]), 0.0);
        assert_eq!(fixed_point(&law, &[(-10.0, 0.3), (0.0, -0.3)]), 0.0);
    }
}
