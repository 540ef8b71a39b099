//! Cholesky factorisation of a symmetric positive-definite *cyclic* band matrix with half bandwidth 2
//! (non-zeros where the cyclic index distance is at most 2), in O(n).
//!
//! In natural order the wrap-around entries only fill the last two rows of the factor, so `L` is stored as
//! a band (columns `i−2..=i` of row `i`) for rows `0..n−2` plus two dense border rows. This is the system of
//! every Newton step of the racing-line QP: a hand-written factor of this one shape is ~10× faster than a
//! general sparse Cholesky with its symbolic analysis, and the QP factorises it dozens of times.
//!
//! Reference: G. H. Golub & C. F. Van Loan, *Matrix Computations*, 4th ed. (2013), §4.3 (band Cholesky) and
//! §4.2 (bordered systems).

/// The factor `L` of `A = L Lᵀ`.
#[derive(Debug, Clone)]
pub struct CyclicBandCholesky {
    n: usize,
    /// `band[i] = [L[i][i−2], L[i][i−1], L[i][i]]` for `i < n − 2`.
    band: Vec<[f64; 3]>,
    /// `border[r][j] = L[n−2+r][j]` for `j < n − 2`.
    border: [Vec<f64>; 2],
    /// `tail = [[L[n−2][n−2], 0], [L[n−1][n−2], L[n−1][n−1]]]`.
    tail: [[f64; 2]; 2],
}

impl CyclicBandCholesky {
    /// Factorises the `n × n` matrix with entries `a(i, j)` (called only for `i ≥ j` within the cyclic band).
    /// Returns `None` if the matrix is not positive definite. Needs `n ≥ 6`.
    #[allow(clippy::needless_range_loop)] // band indices p relate three arrays; ranges read as the algebra
    pub fn factor(n: usize, a: impl Fn(usize, usize) -> f64) -> Option<Self> {
        assert!(n >= 6, "cyclic band factor needs n ≥ 6");
        let m = n - 2;
        let within = |i: usize, j: usize| {
            let d = i.abs_diff(j);
            d <= 2 || n - d <= 2
        };
        let get = |i: usize, j: usize| if within(i, j) { a(i, j) } else { 0.0 };
        let mut band = vec![[0.0; 3]; m];
        let mut border = [vec![0.0; m], vec![0.0; m]];
        for j in 0..m {
            // Off-diagonal band entries of row j (columns j−2, j−1).
            for (slot, k) in [(0usize, j.wrapping_sub(2)), (1, j.wrapping_sub(1))] {
                if k >= j {
                    continue; // k < 0
                }
                // L[j][k] = (A[j][k] − Σ_{p<k} L[j][p] L[k][p]) / L[k][k]
                let mut s = get(j, k);
                for p in j.saturating_sub(2)..k {
                    s -= band_at(&band, j, p) * band_at(&band, k, p);
                }
                band[j][slot] = s / band[k][2];
            }
            let mut d = get(j, j);
            for p in j.saturating_sub(2)..j {
                d -= band_at(&band, j, p).powi(2);
            }
            if d.is_nan() || d <= 0.0 {
                return None;
            }
            band[j][2] = d.sqrt();
            // Border rows: L[r][j] = (A[r][j] − Σ_{p<j} L[r][p] L[j][p]) / L[j][j].
            for (r, row) in border.iter_mut().enumerate() {
                let mut s = get(m + r, j);
                for p in j.saturating_sub(2)..j {
                    s -= row[p] * band_at(&band, j, p);
                }
                row[j] = s / band[j][2];
            }
        }
        let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
        let d0 = get(m, m) - dot(&border[0], &border[0]);
        if d0.is_nan() || d0 <= 0.0 {
            return None;
        }
        let l00 = d0.sqrt();
        let l10 = (get(m + 1, m) - dot(&border[1], &border[0])) / l00;
        let d1 = get(m + 1, m + 1) - dot(&border[1], &border[1]) - l10 * l10;
        if d1.is_nan() || d1 <= 0.0 {
            return None;
        }
        Some(Self {
            n,
            band,
            border,
            tail: [[l00, 0.0], [l10, d1.sqrt()]],
        })
    }

    /// Solves `A x = b` in place.
    #[allow(clippy::needless_range_loop)] // as in `factor`
    pub fn solve(&self, b: &mut [f64]) {
        let (n, m) = (self.n, self.n - 2);
        // L y = b
        for i in 0..m {
            let mut s = b[i];
            for p in i.saturating_sub(2)..i {
                s -= band_at(&self.band, i, p) * b[p];
            }
            b[i] = s / self.band[i][2];
        }
        for r in 0..2 {
            let mut s = b[m + r];
            s -= self.border[r]
                .iter()
                .zip(&b[..m])
                .map(|(l, y)| l * y)
                .sum::<f64>();
            if r == 1 {
                s -= self.tail[1][0] * b[m];
            }
            b[m + r] = s / self.tail[r][r];
        }
        // Lᵀ x = y
        b[n - 1] /= self.tail[1][1];
        b[m] = (b[m] - self.tail[1][0] * b[n - 1]) / self.tail[0][0];
        for i in (0..m).rev() {
            let mut s = b[i] - self.border[0][i] * b[m] - self.border[1][i] * b[m + 1];
            for q in i + 1..(i + 3).min(m) {
                s -= band_at(&self.band, q, i) * b[q];
            }
            b[i] = s / self.band[i][2];
        }
    }
}

/// `L[i][p]` for `p ∈ i−2..i` from the band storage.
#[inline]
fn band_at(band: &[[f64; 3]], i: usize, p: usize) -> f64 {
    band[i][p + 2 - i]
}

/// A factor of a symmetric positive-definite cyclic band matrix of any size: [`CyclicBandCholesky`] from six
/// rows, a dense Cholesky factor below (where the band wraps onto itself). The spline's and the smoother's
/// systems go through it.
pub enum CyclicFactor {
    /// Six rows or more.
    Band(CyclicBandCholesky),
    /// Fewer than six rows.
    Dense(nalgebra::Cholesky<f64, nalgebra::Dyn>),
}

impl CyclicFactor {
    /// Factorises the `n × n` matrix with the symmetric entries `a(i, j)` (zero outside the cyclic band of
    /// half bandwidth 2); `None` if it is not positive definite.
    pub fn factor(n: usize, a: impl Fn(usize, usize) -> f64) -> Option<Self> {
        if n >= 6 {
            CyclicBandCholesky::factor(n, a).map(Self::Band)
        } else {
            nalgebra::DMatrix::from_fn(n, n, a)
                .cholesky()
                .map(Self::Dense)
        }
    }

    /// Solves `A x = b` in place.
    pub fn solve(&self, b: &mut [f64]) {
        match self {
            Self::Band(f) => f.solve(b),
            Self::Dense(f) => {
                let x = f.solve(&nalgebra::DVector::from_column_slice(b));
                b.copy_from_slice(x.as_slice());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Factor and solve against a dense reference on a random-ish SPD cyclic pentadiagonal matrix.
    #[test]
    fn solves_like_a_dense_cholesky() {
        for n in [6, 7, 12, 50] {
            let a = |i: usize, j: usize| {
                let d = i.abs_diff(j).min(n - i.abs_diff(j));
                match d {
                    0 => 7.0 + (i % 3) as f64,
                    1 => -2.0 - 0.1 * ((i + j) % 5) as f64,
                    2 => 0.7,
                    _ => 0.0,
                }
            };
            let dense = nalgebra::DMatrix::from_fn(n, n, |i, j| a(i.max(j), i.min(j)));
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let expected = dense
                .clone()
                .cholesky()
                .unwrap()
                .solve(&nalgebra::DVector::from_vec(b.clone()));
            let f = CyclicBandCholesky::factor(n, a).unwrap();
            let mut x = b.clone();
            f.solve(&mut x);
            for i in 0..n {
                assert!(
                    (x[i] - expected[i]).abs() < 1e-12,
                    "n={n} i={i}: {} vs {}",
                    x[i],
                    expected[i]
                );
            }
        }
    }

    #[test]
    fn indefinite_matrix_is_refused() {
        assert!(CyclicBandCholesky::factor(8, |i, j| if i == j { -1.0 } else { 0.0 }).is_none());
    }
}
