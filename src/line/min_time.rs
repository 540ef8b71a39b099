//! The minimum-time blend: the fastest line for this car in the family between minimum curvature and a
//! shorter path.

use super::{LineOptions, RacingLine};
use crate::error::Result;
use crate::track::{Centerline, Track, TrackOptions};

/// The fastest line of a family between minimum curvature and a shorter path: minimises the lap time of `lap`
/// over the length weight ε of [`LineOptions::length_weight_1pm4`] by golden-section search on
/// `ε ∈ [0, ε_max]`, where `ε_max` makes the length term as large as the centreline's curvature term. Each
/// evaluation computes a line and solves its lap. Returns the best line, its lap track, ε and the lap time.
///
/// Reference: F. Braghin et al., "Race driver model", Computers & Structures 86 (2008) 1503–1516 (the blend of
/// minimum curvature and shortest path, with the blend chosen by lap time).
pub fn minimum_time_line(
    centerline: &Centerline,
    car_width_m: f64,
    options: TrackOptions,
    base: &LineOptions,
    lap: impl Fn(&Track) -> Result<f64>,
) -> Result<(RacingLine, Track, f64, f64)> {
    let reference = Track::new(
        centerline,
        TrackOptions {
            step_m: base.grid_step_m,
            ..options
        },
    )?;
    let n = reference.len();
    let (x, y) = (reference.x_m(), reference.y_m());
    let length_sq: f64 = (0..n)
        .map(|i| (x[(i + 1) % n] - x[i]).powi(2) + (y[(i + 1) % n] - y[i]).powi(2))
        .sum();
    let kappa_sq: f64 = reference.curvature_1pm().iter().map(|k| k * k).sum();
    let eps_max = kappa_sq / length_sq;
    let eval = |eps: f64| -> Result<(f64, RacingLine, Track)> {
        let opt = LineOptions {
            length_weight_1pm4: eps,
            ..*base
        };
        let line = RacingLine::minimum_curvature(&reference, car_width_m, &opt)?;
        let name = format!("{} (minimum-time blend line)", centerline.source_name());
        let track = line.to_track(&name, options)?;
        Ok((lap(&track)?, line, track))
    };
    // Golden-section search on ε; the lap time is unimodal in practice, and the best point seen is kept.
    let phi = (5.0_f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.0, eps_max);
    let mut best = eval(0.0)?;
    let mut best_eps = 0.0;
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let mut fc = eval(c)?;
    let mut fd = eval(d)?;
    for _ in 0..8 {
        if fc.0 < fd.0 {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = eval(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = eval(d)?;
        }
        for (e, f) in [(c, &fc), (d, &fd)] {
            if f.0 < best.0 {
                best = (f.0, f.1.clone(), f.2.clone());
                best_eps = e;
            }
        }
    }
    let (t, line, track) = best;
    Ok((line, track, best_eps, t))
}
