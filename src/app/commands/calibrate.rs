//! `lapsim calibrate`: one grip scale that makes the lap match a reference time (a user's tool: the shipped
//! car file is not tuned with it).

use super::run::load;
use super::{say, with_flags};
use crate::app::args::CalibrateArgs;
use crate::error::{Error, Result};
use crate::laptime::{format_lap_time, parse_lap_time};
use crate::solver::{LapSolver, Start};
use crate::track::Track;
use crate::vehicle::{Car, CarParams, Envelope, MAX_MU};

/// Lap time of `params` (scaled) on `track`.
fn lap_time_with(params: &CarParams, source: &str, track: &Track, start: Start) -> Result<f64> {
    let car = Car::new(params.clone(), source)?;
    let env = Envelope::new(&car);
    Ok(LapSolver::new(track, &env).solve(start)?.lap_time_s)
}

/// `lapsim calibrate`: bisection on a grip scale `k` multiplying both friction coefficients until the lap
/// matches the target within 1 ms. Returns `k`.
pub fn calibrate(a: &CalibrateArgs) -> Result<f64> {
    let target =
        parse_lap_time(&a.target).map_err(|e| with_flags(e, &[("lap time", "--target")]))?;
    let (car, _, track) = load(&a.inputs)?;
    let start: Start = a.inputs.start.into();
    let base = car.params().clone();
    let scaled = |k: f64| {
        let mut p = base.clone();
        p.tyres.mu_longitudinal_ratio *= k;
        p.tyres.mu_lateral_ratio *= k;
        p
    };
    let mu_top = base
        .tyres
        .mu_longitudinal_ratio
        .max(base.tyres.mu_lateral_ratio);
    let (mut lo, mut hi) = (0.2, (MAX_MU / mu_top).min(3.0) * 0.999);
    let src = car.source_name().to_string();
    let t_lo = lap_time_with(&scaled(lo), &src, &track, start)?;
    let t_hi = lap_time_with(&scaled(hi), &src, &track, start)?;
    if !(t_hi..=t_lo).contains(&target) {
        return Err(Error::Option {
            option: "--target".into(),
            value: a.target.clone(),
            message: format!(
                "out of reach: grip scales {lo:.2}–{hi:.2} give {} to {}",
                format_lap_time(t_hi),
                format_lap_time(t_lo)
            ),
        });
    }
    let t_base = lap_time_with(&base, &src, &track, start)?;
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let t = lap_time_with(&scaled(mid), &src, &track, start)?;
        if t > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if (t - target).abs() < 5e-4 {
            break;
        }
    }
    let k = 0.5 * (lo + hi);
    let p = scaled(k);
    say(&format!(
        "{} on {}: {} with the car file; target {}\n",
        base.name,
        track.name(),
        format_lap_time(t_base),
        format_lap_time(target)
    ));
    say(&format!(
        "grip scale {k:.4}: mu_longitudinal_ratio {:.4}, mu_lateral_ratio {:.4} (lap {})\n",
        p.tyres.mu_longitudinal_ratio,
        p.tyres.mu_lateral_ratio,
        format_lap_time(lap_time_with(&p, &src, &track, start)?)
    ));
    say("(a user's fit: the shipped car file is not tuned with it)\n");
    Ok(k)
}
