//! `lapsim line`: the racing line a car drives on a track (the one `run --line` computes), as CSV that
//! `run --line-file` reads back.

use std::path::PathBuf;

use super::weekend::line_name;
use super::{say, track_name, with_flags, TRACK_AND_LINE_FLAGS};
use crate::app::args::LineArgs;
use crate::app::output::write_line_csv;
use crate::error::{Error, Result};
use crate::line::{path_track, LinePath, RacingLine};
use crate::track::{Centerline, Track};
use crate::vehicle::Car;

/// `lapsim line`: computes the line, prints its length and ∫κ² against the centreline's, writes
/// `<track>__<car>_line.csv`; returns the path written.
pub fn line(a: &LineArgs) -> Result<PathBuf> {
    let path = a.line.path();
    if !matches!(
        path,
        LinePath::MinimumTime(_) | LinePath::MinimumCurvature(_)
    ) {
        return Err(Error::Option {
            option: "--line".into(),
            value: line_name(&path),
            message: "`line` computes a racing line: --line optimal or min-curvature".into(),
        });
    }
    let car = Car::from_file(&a.car)?;
    let centerline = Centerline::from_file(&a.track)?;
    let options = a.geometry.options();
    let started = std::time::Instant::now();
    let (track, line) = path_track(&centerline, &path, &car, options)
        .map_err(|e| with_flags(e, TRACK_AND_LINE_FLAGS))?;
    let elapsed = started.elapsed();
    let line: RacingLine =
        line.ok_or_else(|| Error::Internal("a computed path without its line".into()))?;
    let centre = Track::new(&centerline, options)?;
    let integral = |t: &Track| t.curvature_1pm().iter().map(|k| k * k).sum::<f64>() * t.step_m();
    let what = format!(
        "the {} of {} for the {} ({:.3} m wide, {:.2} m margin, {} m grid)",
        line_name(&path),
        track_name(&a.track),
        car.params().name,
        car.params().chassis.width_m,
        a.line.margin_m,
        a.line.line_grid_m
    );
    say(&format!(
        "{what}: {} iterations in {:.0} ms\n",
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
    let file = a.out.join(format!(
        "{}__{}_line.csv",
        track_name(&a.track),
        car.short_name()
    ));
    write_line_csv(&file, &line, &what)?;
    say(&format!("  wrote {}\n", file.display()));
    Ok(file)
}
