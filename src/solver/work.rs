//! The engine's work over a lap: the positive drive force each segment needed, over its length (what the
//! fuel burn of a session is computed from).

use super::LapSolver;
use crate::error::{Error, Result};

impl LapSolver<'_> {
    /// Σ of the positive drive force over the segments of a lap whose squared speed at point `p` is
    /// `to_u(x[p])`, ending at `u_end` (N): four independent sums (segment `p` in sum `p mod 4`), added in a
    /// fixed order. Each point's `u` is computed once.
    pub(super) fn force_sum_n(&self, x: &[f64], to_u: impl Fn(f64) -> f64, u_end: f64) -> f64 {
        let n = self.track.len();
        let inv_2ds = 1.0 / (2.0 * self.track.step_m());
        let (x, g) = (&x[..n], &self.ws.g_sin[..n]);
        let work = self.tables.work_table();
        let f = |u_i: f64, u_j: f64, g_i: f64| work.drive_force_n(u_i, u_j, g_i, inv_2ds);
        let mut acc = [0.0_f64; 4];
        let mut u0 = to_u(x[0]);
        // Chunk c holds the ends x[4c + 1 ..= 4c + 4] of segments 4c .. 4c + 3.
        let (xc, gc) = (x[1..].chunks_exact(4), g.chunks_exact(4));
        let full = xc.len() * 4;
        for (xs, gs) in xc.zip(gc) {
            for l in 0..4 {
                let u1 = to_u(xs[l]);
                acc[l] += f(u0, u1, gs[l]);
                u0 = u1;
            }
        }
        let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for p in full..n - 1 {
            let u1 = to_u(x[p + 1]);
            sum += f(u0, u1, g[p]);
            u0 = u1;
        }
        sum + f(u0, u_end, g[n - 1])
    }

    /// Work the engine delivered over the last solved lap (J): the drive force each segment needed, over its
    /// length, divided by the driveline efficiency. Drive force: `(m + m_rot) a + R + m g sin θ` where positive
    /// (Gillespie, *Fundamentals of Vehicle Dynamics*, ch. 2); braking and coasting burn nothing.
    pub fn engine_work_j(&self, driveline_efficiency: f64) -> Result<f64> {
        let lap = self.last.ok_or(Error::NoLapSolved)?;
        let ds = self.track.step_m();
        let force_sum = self.force_sum_n(&self.ws.v, |v| v * v, lap.v_end_mps * lap.v_end_mps);
        let work = force_sum * ds;
        Ok(work / driveline_efficiency)
    }
}
