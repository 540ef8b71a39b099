//! Periodic smoothing of a closed curve sampled at a uniform step: the Whittaker–Henderson smoother.
//!
//! For samples `y` on a closed loop, the smoothed `z` minimises `Σ (y_i − z_i)² + λ Σ (Δ² z_i)²` with the
//! cyclic second difference `Δ² z_i = z_{i−1} − 2 z_i + z_{i+1}`. It is the discrete form of the cubic
//! smoothing spline (penalty `∫ z''² ds`); the solution is `(I + λ DᵀD) z = y`, a cyclic pentadiagonal,
//! symmetric positive-definite system, solved here by the cyclic band Cholesky factor of [`super::banded`]
//! (the wrap-around only fills the last two rows, so the factor stays O(n)).
//!
//! Its frequency response is `H(ω) = 1 / (1 + λ (2 − 2 cos ω)²) ≈ 1 / (1 + λ ω⁴)`, so the half-power point lies at
//! the wavelength `L_c = 2π h λ^{1/4}` for a step `h`. lapsim sets the smoothing by this *cutoff wavelength in
//! metres*, `λ = (L_c / (2π h))⁴`, so the geometry does not change when the step is refined.
//!
//! References: E. T. Whittaker, "On a new method of graduation", Proc. Edinburgh Math. Soc. 41 (1923);
//! P. H. C. Eilers, "A perfect smoother", Anal. Chem. 75 (2003) 3631–3636.

use super::banded::CyclicFactor;
use crate::error::{Error, Result};

/// A factorised periodic Whittaker smoother for `n` samples.
pub struct PeriodicSmoother {
    factor: CyclicFactor,
    n: usize,
}

impl PeriodicSmoother {
    /// The penalty λ that puts the half-power cutoff at `cutoff_wavelength_m` for samples `step_m` apart.
    pub fn lambda_for(cutoff_wavelength_m: f64, step_m: f64) -> f64 {
        (cutoff_wavelength_m / (std::f64::consts::TAU * step_m)).powi(4)
    }

    /// Factorises `I + λ DᵀD` for `n ≥ 5` samples on a loop.
    pub fn new(n: usize, lambda: f64) -> Result<Self> {
        if n < 5 || !(lambda.is_finite() && lambda >= 0.0) {
            return Err(Error::Numerics(format!(
                "smoother needs at least 5 samples and a finite λ ≥ 0 (got n = {n}, λ = {lambda})"
            )));
        }
        // Entry (i, j) of I + λ DᵀD by cyclic distance: 1 + 6λ, −4λ, λ.
        let entry = |i: usize, j: usize| {
            let d = i.abs_diff(j).min(n - i.abs_diff(j));
            match d {
                0 => 1.0 + 6.0 * lambda,
                1 => -4.0 * lambda,
                2 => lambda,
                _ => 0.0,
            }
        };
        let fail =
            || Error::Numerics("smoother factorisation failed: not positive definite".into());
        let factor = CyclicFactor::factor(n, entry).ok_or_else(fail)?;
        Ok(Self { factor, n })
    }

    /// Smooths several columns of `n` samples each at once.
    ///
    /// Each column's mean is taken out before the solve and put back after: the smoother passes a constant
    /// unchanged, and the constant is the system's weakest mode (weighted by 1 against the penalty), where
    /// rounding in a large coordinate (a circuit a few kilometres from its origin) would otherwise grow by
    /// the penalty's condition number.
    pub fn smooth(&self, columns: &[&[f64]]) -> Vec<Vec<f64>> {
        columns
            .iter()
            .map(|col| {
                assert_eq!(col.len(), self.n, "column length must match the smoother");
                let mean = col.iter().sum::<f64>() / self.n as f64;
                let mut b: Vec<f64> = col.iter().map(|v| v - mean).collect();
                self.factor.solve(&mut b);
                b.iter_mut().for_each(|v| *v += mean);
                b
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sinusoid is scaled by the analytic frequency response H(ω) = 1/(1 + λ(2 − 2cos ω)²).
    #[test]
    fn sinusoid_is_scaled_by_the_frequency_response() {
        let n = 400;
        let lambda = 50.0;
        let k = 7.0; // cycles around the loop
        let w = std::f64::consts::TAU * k / n as f64;
        let y: Vec<f64> = (0..n).map(|i| (w * i as f64).sin()).collect();
        let s = PeriodicSmoother::new(n, lambda).unwrap();
        let z = &s.smooth(&[&y])[0];
        let h = 1.0 / (1.0 + lambda * (2.0 - 2.0 * w.cos()).powi(2));
        for i in 0..n {
            assert!((z[i] - h * y[i]).abs() < 1e-10, "i={i}");
        }
    }

    /// Far from the origin the smoother gives what it gives near it, shifted: 5,000 km of offset changes the
    /// result by less than a micrometre (the constant is taken out before the solve).
    #[test]
    fn offset_does_not_cost_precision() {
        let n = 2000;
        let y: Vec<f64> = (0..n)
            .map(|i| {
                30.0 * (std::f64::consts::TAU * 3.0 * i as f64 / n as f64).sin() + (i % 7) as f64
            })
            .collect();
        let far: Vec<f64> = y.iter().map(|v| v + 5e6).collect();
        let s = PeriodicSmoother::new(n, PeriodicSmoother::lambda_for(20.0, 0.25)).unwrap();
        let (a, b) = (&s.smooth(&[&y])[0], &s.smooth(&[&far])[0]);
        for (p, q) in a.iter().zip(b) {
            assert!((q - 5e6 - p).abs() < 1e-6, "{p} vs {}", q - 5e6);
        }
    }

    #[test]
    fn constants_pass_unchanged() {
        for n in [5, 6, 20] {
            let s = PeriodicSmoother::new(n, 1e4).unwrap();
            let z = &s.smooth(&[&vec![3.5; n]])[0];
            assert!(z.iter().all(|v| (v - 3.5).abs() < 1e-9), "n = {n}");
        }
    }
}
