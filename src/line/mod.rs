//! Racing lines: the path the car drives. They sit above the solver, since the minimum-time line laps the car.
//!
//! - [`Reference`] ([`reference`](mod@reference)): the unfolded reference curve of the line's offsets, with the track edges
//!   measured along its normals;
//! - [`RacingLine::minimum_curvature`] ([`min_curvature`]): the closed line inside the track limits that
//!   minimises ∫κ² ds, by Gauss–Newton with a box-constrained QP per step;
//! - [`minimum_time_line`] ([`min_time`]): the line that laps this car fastest in the solver (the default);
//! - [`read_line_file`] ([`file`](mod@file)): a user's line;
//! - [`path_track`]: the lap [`Track`] of any of these, or of the centreline ([`LinePath`]).

pub mod file;
pub mod gradient;
pub mod min_curvature;
pub mod min_time;
pub mod reference;

use serde::Serialize;

pub use file::read_line_file;
pub use min_curvature::RacingLine;
pub use min_time::{minimum_time_line, MinimumTimeLine};
pub use reference::Reference;

use crate::error::{Error, Result};
use crate::solver::Tables;
use crate::track::{Centerline, Track, TrackOptions};
use crate::vehicle::{Car, Envelope};

/// How the racing line is computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LineOptions {
    /// Spacing of the optimisation grid along the centreline (m). Default `2.0`: the line's curvature varies
    /// over tens of metres, and the optimised line is resampled to the lap step through a spline.
    pub grid_step_m: f64,
    /// Distance kept between the car's side and the track edge (m). Default `0.25`: drivers put the outer
    /// wheels on the edge line and use the kerbs; the database's widths come from satellite images with a
    /// resolution of a few decimetres.
    pub margin_m: f64,
    /// Most Gauss–Newton iterations. Default `100`.
    pub max_iterations: usize,
    /// Relative change of the objective below which the line has settled. Default `1e-8` (the lap time then
    /// changes by less than a microsecond).
    pub tolerance: f64,
    /// Weight ε of the path-length term `ε Σ |p_{i+1} − p_i|²` added to `Σ κ_i² l_i / h` (∫κ² ds over the grid
    /// step `h`) (1/m⁴). Default `0`: the pure
    /// minimum-curvature line. A positive ε trades curvature for a shorter path (Braghin et al. 2008); see
    /// [`minimum_time_line`].
    pub length_weight_1pm4: f64,
}

impl Default for LineOptions {
    fn default() -> Self {
        Self {
            grid_step_m: 2.0,
            margin_m: 0.25,
            max_iterations: 100,
            tolerance: 1e-8,
            length_weight_1pm4: 0.0,
        }
    }
}

/// Which path the car drives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LinePath {
    /// The surveyed centreline.
    Centreline,
    /// The minimum-curvature line computed here.
    MinimumCurvature(LineOptions),
    /// The line that laps this car fastest, by a search judged by the solver's lap time
    /// ([`minimum_time_line`]).
    MinimumTime(LineOptions),
    /// A user's line: `x_m, y_m` points (the racetrack-database racing-line format, or what `lapsim line`
    /// writes) from this file, driven as given (not smoothed).
    File(std::path::PathBuf),
}

/// A lap track for a path: the centreline itself, an optimised line, or a user's line, each resampled (and,
/// but for the optimised lines, smoothed) with `options`. The car's width bounds the line; the minimum-time
/// line also laps the car. Returns the optimised line too when one was computed.
pub fn path_track(
    centerline: &Centerline,
    path: &LinePath,
    car: &Car,
    options: TrackOptions,
) -> Result<(Track, Option<RacingLine>)> {
    let car_width_m = car.params().chassis.width_m;
    match path {
        LinePath::Centreline => Ok((Track::new(centerline, options)?, None)),
        LinePath::MinimumTime(opt) => {
            check_line_options(opt)?;
            let tables = Tables::new(&Envelope::new(car));
            let best = minimum_time_line(centerline, car_width_m, options, opt, &tables)?;
            Ok((best.track, Some(best.line)))
        }
        LinePath::MinimumCurvature(opt) => {
            check_line_options(opt)?;
            let reference = Reference::new(
                centerline,
                options,
                opt.grid_step_m,
                0.5 * car_width_m + opt.margin_m,
            )?;
            let line = RacingLine::minimum_curvature(&reference, car_width_m, opt)?;
            let name = format!("{} (minimum-curvature line)", centerline.source_name());
            let track = line.to_track(&name, options)?;
            Ok((track, Some(line)))
        }
        LinePath::File(file) => {
            // A line is a path, driven as given: its curvature is what the file says. Smoothing it would
            // flatter it (TUM's Oschersleben line laps 0.22 s faster smoothed at 20 m than as given), and the
            // line `lapsim line` writes would not drive as computed. The smoother is for surveyed
            // centrelines.
            let line = read_line_file(file, centerline)?;
            let options = TrackOptions {
                smoothing_wavelength_m: 0.0,
                ..options
            };
            Ok((Track::new(&line, options)?, None))
        }
    }
}

fn check_line_options(opt: &LineOptions) -> Result<()> {
    // Below 1 m the curvature Hessian (∝ 1/h⁴) is too ill-conditioned for the QP's tolerance, and the line
    // gains nothing: its curvature varies over tens of metres.
    if !(opt.grid_step_m.is_finite() && (1.0..=10.0).contains(&opt.grid_step_m)) {
        return Err(Error::Option {
            option: "grid_step_m".into(),
            value: opt.grid_step_m.to_string(),
            message: "must lie between 1 m and 10 m".into(),
        });
    }
    if !(opt.margin_m.is_finite() && opt.margin_m >= 0.0) {
        return Err(Error::Option {
            option: "margin_m".into(),
            value: opt.margin_m.to_string(),
            message: "must be a distance ≥ 0 m".into(),
        });
    }
    Ok(())
}
