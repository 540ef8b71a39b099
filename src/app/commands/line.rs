//! `lapsim line`: the minimum-curvature racing line of a car on a track, as CSV.

use std::path::PathBuf;

use super::{say, track_name, with_flags};
use crate::app::args::LineArgs;
use crate::app::output::write_line_csv;
use crate::error::{Error, Result};
use crate::line::{path_track, LineOptions, LinePath, RacingLine};
use crate::track::{Centerline, Track, TrackOptions};
use crate::vehicle::Car;

/// `lapsim line`: computes the line, prints its length and Σκ² against the centreline's, writes
/// `<track>__<car>_line.csv`; returns the path written.
pub fn line(a: &LineArgs) -> Result<PathBuf> {
    let car = Car::from_file(&a.car)?;
    let centerline = Centerline::from_file(&a.track)?;
    let opt = LineOptions {
        grid_step_m: a.grid_m,
        margin_m: a.margin_m,
        ..LineOptions::default()
    };
    let started = std::time::Instant::now();
    let flags = [
        ("smoothing_wavelength_m", "--smoothing-m"),
        ("grid_step_m", "--grid-m"),
        ("margin_m", "--margin-m"),
    ];
    let (track, line) = path_track(
        &centerline,
        &LinePath::MinimumCurvature(opt),
        &car,
        TrackOptions {
            step_m: 1.0,
            smoothing_wavelength_m: a.smoothing_m,
        },
    )
    .map_err(|e| with_flags(e, &flags))?;
    let elapsed = started.elapsed();
    let line: RacingLine =
        line.ok_or_else(|| Error::Internal("a minimum-curvature path without its line".into()))?;
    let centre = Track::new(
        &centerline,
        TrackOptions {
            step_m: 1.0,
            smoothing_wavelength_m: a.smoothing_m,
        },
    )?;
    let integral = |t: &Track| t.curvature_1pm().iter().map(|k| k * k).sum::<f64>() * t.step_m();
    say(&format!(
        "minimum-curvature line of {} for {} ({:.3} m wide, {:.2} m margin), {} iterations in {:.0} ms\n",
        track_name(&a.track),
        car.params().name,
        car.params().chassis.width_m,
        opt.margin_m,
        line.iterations,
        elapsed.as_secs_f64() * 1e3
    ));
    say(&format!(
        "  length      {:.1} m (centreline {:.1} m)\n  ∫κ² ds      {:.4} 1/m (centreline {:.4} 1/m)\n",
        track.length_m(),
        centre.length_m(),
        integral(&track),
        integral(&centre)
    ));
    let path = a.out.join(format!(
        "{}__{}_line.csv",
        track_name(&a.track),
        car.short_name()
    ));
    write_line_csv(&path, &line)?;
    say(&format!("  wrote {}\n", path.display()));
    Ok(path)
}
