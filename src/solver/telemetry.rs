//! Per-point telemetry of a solved lap and its summary.

use serde::Serialize;

use super::passes::{self, DriveState, Forward, SegmentRecord};
use super::{Lap, LapSolver};
use crate::error::{Error, Result};
use crate::track::Track;
use crate::vehicle::G_MPS2;

/// Per-point channels of a solved lap. Point `i` opens segment `i`; `ax_mps2`, `throttle` and `brake` describe
/// that segment (constant acceleration), the others the point itself.
#[derive(Debug, Clone, Serialize)]
pub struct Telemetry {
    /// Distance from the line (m).
    pub s_m: Vec<f64>,
    /// Position (m).
    pub x_m: Vec<f64>,
    /// Position (m).
    pub y_m: Vec<f64>,
    /// Signed path curvature (1/m), positive left.
    pub curvature_1pm: Vec<f64>,
    /// Speed (m/s).
    pub v_mps: Vec<f64>,
    /// Longitudinal acceleration over the segment (m/s²).
    pub ax_mps2: Vec<f64>,
    /// Lateral acceleration v²κ (m/s²), positive to the left.
    pub ay_mps2: Vec<f64>,
    /// Gear engaged over the segment, as the solver's traction pass chose it.
    pub gear: Vec<u8>,
    /// Engine speed (rpm).
    pub engine_rpm: Vec<f64>,
    /// Drive force over the segment as a share of the full-load drive force (0–1; 0 through a shift without
    /// drive).
    pub throttle: Vec<f64>,
    /// Braking force over the segment as a share of the driver's straight-line braking capacity (0–1).
    pub brake: Vec<f64>,
    /// Time at the point since the line (s).
    pub t_s: Vec<f64>,
    /// The summary.
    pub summary: LapSummary,
}

/// Key figures of a lap.
#[derive(Debug, Clone, Serialize)]
pub struct LapSummary {
    /// The lap.
    pub lap: Lap,
    /// Track length (m).
    pub length_m: f64,
    /// Mean speed (m/s).
    pub v_mean_mps: f64,
    /// Highest speed (m/s) and where (m).
    pub v_max_mps: f64,
    /// Where the highest speed is reached (m).
    pub v_max_s_m: f64,
    /// Lowest speed (m/s), excluding a standing start's first point.
    pub v_min_mps: f64,
    /// Sector times (s).
    pub sector_times_s: Vec<f64>,
    /// The slowest corners: local speed minima (s_m, v_mps), slowest first, at most 5.
    pub slowest_corners: Vec<(f64, f64)>,
}

impl Telemetry {
    /// The telemetry of the solver's last lap (`lap`), whose traction pass started at `anchor` at squared
    /// speed `u0` in state `st0`. Gears and drive shares are recorded by replaying that pass
    /// ([`passes::replay_forward`]: the solver's own steps and shift rule, not a re-derivation); the pedals
    /// are the forces each segment's acceleration needs, as shares of the maximum forces:
    ///
    /// - throttle: the drive force over the full-load drive force in that gear, from
    ///   `(m + m_rot) a = F_drive − R − m g sin θ`, at most the share of the segment with the drive engaged
    ///   (0 through a shift without drive); at a steady cornering limit it is what balances drag, not 1;
    /// - brake: the braking force over the driver's straight-line braking capacity, from
    ///   `m a = −F_brake − R − m g sin θ` (1 on a straight at the limit, less when trail braking);
    /// - between the two (the car slows, but not faster than drag and gravity slow it): coasting, both 0.
    pub(super) fn new(
        solver: &LapSolver<'_>,
        lap: Lap,
        anchor: usize,
        u0: f64,
        st0: DriveState,
    ) -> Result<Self> {
        let track = solver.track;
        let env = solver.tables.envelope();
        let n = track.len();
        let ds = track.step_m();
        let v = solver.ws.v.clone();
        let next_v = |i: usize| if i + 1 == n { solver.v_end } else { v[i + 1] };
        let mut record = vec![SegmentRecord::default(); n];
        let mut replayed = vec![0.0; n];
        let data = pass_data!(solver, &solver.ws.u_bwd);
        passes::replay_forward(
            &Forward { start: anchor, n },
            &data,
            &mut replayed,
            &mut record,
            u0,
            st0,
        );
        // The replay is the solved pass, bit for bit (the passes are deterministic, and the chunked pass is
        // its sequential reference's): anything else is a bug, not a telemetry to report.
        if !replayed
            .iter()
            .zip(&v)
            .all(|(u, v)| u.sqrt().to_bits() == v.to_bits())
        {
            return Err(Error::Internal(
                "the telemetry's replay of the traction pass differs from the solved lap".into(),
            ));
        }
        let t_s = point_times_s(
            &v,
            solver.v_end,
            ds,
            &solver.ws.apex.active,
            &solver.ws.brake.active,
            [&solver.ws.kinks.active, &solver.ws.brake_kinks.active],
        );
        let mut ax = Vec::with_capacity(n);
        let mut throttle = Vec::with_capacity(n);
        let mut brake = Vec::with_capacity(n);
        let mut rpm = Vec::with_capacity(n);
        let mut ay = Vec::with_capacity(n);
        #[allow(clippy::needless_range_loop)] // several channels share the index
        for i in 0..n {
            let (vi, vj) = (v[i], next_v(i));
            let a = (vj * vj - vi * vi) / (2.0 * ds);
            ax.push(a);
            ay.push(vi * vi * track.curvature_1pm()[i]);
            let node = env.at(vi).with_shares(solver.shares);
            let load = node.resist_mps2 + G_MPS2 * track.gradient()[i];
            let r = record[i];
            let drive = a + load * node.rot_ratio;
            if drive > 0.0 {
                let full = node.drive_mps2;
                throttle.push(if full > 0.0 {
                    (drive / full).clamp(0.0, r.drive_share)
                } else {
                    0.0
                });
                brake.push(0.0);
            } else {
                throttle.push(0.0);
                let braking = -a - load;
                brake.push(if braking > 0.0 && node.ax_brake_mps2 > 0.0 {
                    (braking / node.ax_brake_mps2).min(1.0)
                } else {
                    0.0
                });
            }
            rpm.push(env.engine_rpm(vi, r.gear));
        }
        let gears = record.iter().map(|r| r.gear).collect();
        let sector_times_s = sector_times(track, &t_s, lap.lap_time_s);
        let (imax, vmax) =
            v.iter().enumerate().fold(
                (0, f64::MIN),
                |acc, (i, &x)| if x > acc.1 { (i, x) } else { acc },
            );
        let skip = usize::from(lap.start == super::Start::Standing);
        let vmin = v[skip..].iter().copied().fold(f64::INFINITY, f64::min);
        let summary = LapSummary {
            lap,
            length_m: track.length_m(),
            v_mean_mps: track.length_m() / lap.lap_time_s,
            v_max_mps: vmax,
            v_max_s_m: track.s_m()[imax],
            v_min_mps: vmin,
            sector_times_s,
            slowest_corners: slowest_corners(track.s_m(), &v, skip, 5),
        };
        Ok(Self {
            s_m: track.s_m().to_vec(),
            x_m: track.x_m().to_vec(),
            y_m: track.y_m().to_vec(),
            curvature_1pm: track.curvature_1pm().to_vec(),
            v_mps: v,
            ax_mps2: ax,
            ay_mps2: ay,
            gear: gears,
            engine_rpm: rpm,
            throttle,
            brake,
            t_s,
            summary,
        })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.s_m.len()
    }
    /// Never true for a solved lap.
    pub fn is_empty(&self) -> bool {
        self.s_m.is_empty()
    }
}

/// Local minima of a closed speed trace `v` over distances `s` at least 100 m apart, slowest first, at most
/// `count`, the first `skip` points left out (a standing start).
pub fn slowest_corners(s: &[f64], v: &[f64], skip: usize, count: usize) -> Vec<(f64, f64)> {
    let n = v.len();
    let mut minima: Vec<(f64, f64)> = (skip.max(1)..n)
        .filter(|&i| v[i] <= v[i - 1] && v[i] < v[(i + 1) % n])
        .map(|i| (s[i], v[i]))
        .collect();
    minima.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out: Vec<(f64, f64)> = Vec::new();
    let len = s[n - 1] + (s[1] - s[0]);
    for m in minima {
        let far = out.iter().all(|o| {
            let d = (o.0 - m.0).abs();
            d.min(len - d) > 100.0
        });
        if far {
            out.push(m);
        }
        if out.len() == count {
            break;
        }
    }
    out
}

/// The time at each point of a speed profile `v` (m/s; `v_end` after the last point), from 0 at the first:
/// `t_{i+1} = t_i + 2 ds / (v_i + v_{i+1})`, except across the located apexes the lap followed (`apex_cells`:
/// the cell's first point and its time, in the order of the points; [`super::apex`]), its located braking
/// points (`brake_cells`, the same; [`super::brake_point`]) and the cells taken through the points inside
/// them that a pass recorded, the traction pass's and the braking pass's (`kink_cells`, the same;
/// [`super::kink`]).
pub(super) fn point_times_s(
    v: &[f64],
    v_end: f64,
    ds: f64,
    apex_cells: &[(usize, f64)],
    brake_cells: &[(usize, f64)],
    kink_cells: [&[(usize, f64)]; 2],
) -> Vec<f64> {
    let n = v.len();
    let mut t = 0.0;
    let mut cells = apex_cells.iter().peekable();
    let mut brakes = brake_cells.iter().peekable();
    let mut kinks = kink_cells[0].iter().peekable();
    let mut brake_kinks = kink_cells[1].iter().peekable();
    (0..n)
        .map(|i| {
            let t_i = t;
            // A followed apex cell is held at its caps at both ends, a braking point's cell at its end, a
            // kinked cell at neither (its step's end was not clamped): never two of them (the lap time counts
            // each once).
            debug_assert!(
                usize::from(cells.peek().is_some_and(|c| c.0 == i))
                    + usize::from(brakes.peek().is_some_and(|c| c.0 == i))
                    + usize::from(kinks.peek().is_some_and(|c| c.0 == i))
                    + usize::from(brake_kinks.peek().is_some_and(|c| c.0 == i))
                    <= 1
            );
            t += match cells
                .next_if(|c| c.0 == i)
                .or_else(|| brakes.next_if(|c| c.0 == i))
                .or_else(|| kinks.next_if(|c| c.0 == i))
                .or_else(|| brake_kinks.next_if(|c| c.0 == i))
            {
                Some(&(_, dt)) => dt,
                None => {
                    let vj = if i + 1 == n { v_end } else { v[i + 1] };
                    2.0 * ds / (v[i] + vj)
                }
            };
            t_i
        })
        .collect()
}

/// Each sector's time from the times at the points `t_s` and the lap time (the last sector ends at the line).
pub(super) fn sector_times(track: &Track, t_s: &[f64], lap_time_s: f64) -> Vec<f64> {
    track
        .sectors()
        .iter()
        .map(|r| {
            let t1 = if r.end == t_s.len() {
                lap_time_s
            } else {
                t_s[r.end]
            };
            t1 - t_s[r.start]
        })
        .collect()
}
