//! Monte Carlo statistics of a field over repeated sessions with derived seeds: pole, top-15, win and
//! podium shares, mean and spread of the position and the gap.

use serde::Serialize;

use super::qualifying::QualifyingResult;
use super::race::RaceResult;
use crate::field::Field;

/// Per-driver statistics over Monte Carlo runs.
#[derive(Debug, Clone, Serialize)]
pub struct DriverStats {
    /// Car number.
    pub number: u32,
    /// Driver.
    pub name: String,
    /// Share of runs on pole.
    pub p_pole: f64,
    /// Share of runs in the top 15 of qualifying part 1.
    pub p_top15: f64,
    /// Share of runs won (`None` for qualifying alone: no race was run).
    pub p_win: Option<f64>,
    /// Share of runs on the podium (`None` for qualifying alone).
    pub p_podium: Option<f64>,
    /// Mean and standard deviation of the position.
    pub position_mean_sd: (f64, f64),
    /// Mean and standard deviation of the gap to the leader (s).
    pub gap_mean_sd_s: (f64, f64),
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 {
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v.sqrt())
}

/// Per-driver statistics of qualifying runs `qs` and, when a race followed each, of the races `rs`.
pub fn stats(
    field: &Field,
    qs: &[QualifyingResult],
    rs: Option<&[RaceResult]>,
) -> Vec<DriverStats> {
    let runs = qs.len() as f64;
    (0..field.entries.len())
        .map(|k| {
            let e = &field.entries[k];
            let qpos: Vec<f64> = qs
                .iter()
                .map(|q| {
                    q.grid
                        .iter()
                        .position(|g| g.entry == k)
                        .map_or(f64::NAN, |p| p as f64 + 1.0)
                })
                .collect();
            let p_pole = qs.iter().filter(|q| q.grid[0].entry == k).count() as f64 / runs;
            let p_top15 = qs.iter().filter(|q| q.part2[k].is_some()).count() as f64 / runs;
            let (p_win, p_podium, pos, gap) = match rs {
                Some(rs) => {
                    let pos: Vec<f64> = rs
                        .iter()
                        .map(|r| {
                            r.classification
                                .iter()
                                .position(|c| c.entry == k)
                                .map_or(f64::NAN, |p| p as f64 + 1.0)
                        })
                        .collect();
                    let gap: Vec<f64> = rs
                        .iter()
                        .map(|r| {
                            let w = r.classification[0].total_s;
                            r.classification
                                .iter()
                                .find(|c| c.entry == k)
                                .map_or(f64::NAN, |c| c.total_s - w)
                        })
                        .collect();
                    (
                        Some(pos.iter().filter(|&&p| p == 1.0).count() as f64 / runs),
                        Some(pos.iter().filter(|&&p| p <= 3.0).count() as f64 / runs),
                        pos,
                        gap,
                    )
                }
                None => {
                    let gap: Vec<f64> = qs
                        .iter()
                        .map(|q| {
                            q.grid
                                .iter()
                                .find(|g| g.entry == k)
                                .map_or(f64::NAN, |g| g.gap_to_pole_s)
                        })
                        .collect();
                    (None, None, qpos.clone(), gap)
                }
            };
            DriverStats {
                number: e.number,
                name: e.name.clone(),
                p_pole,
                p_top15,
                p_win,
                p_podium,
                position_mean_sd: mean_sd(&pos),
                gap_mean_sd_s: mean_sd(&gap),
            }
        })
        .collect()
}
