//! `lapsim run`: one lap of a car on a track, with its telemetry CSV, JSON record, speed trace and map.

use std::path::PathBuf;

use serde::Serialize;

use super::{lap_tracks, say, track_name};
use crate::app::args::{LapInputs, RunArgs};
use crate::app::output::{write_json, write_telemetry_csv};
use crate::app::{plot, report};
use crate::error::Result;
use crate::line::LinePath;
use crate::solver::{LapSolver, LapSummary, PERIODIC_TOLERANCE_MPS};
use crate::track::{Centerline, Track, TrackOptions};
use crate::vehicle::{Car, CarParams, Envelope};

/// Loads the car of `inputs`, the centreline track (for the edges of maps) and the lap track.
pub fn load(inputs: &LapInputs) -> Result<(Car, Track, Track)> {
    let car = Car::from_file(&inputs.car)?;
    let centerline = Centerline::from_file(&inputs.track)?;
    let (track, centre) = lap_tracks(&car, &centerline, &inputs.geometry, &inputs.line)?;
    Ok((car, centre, track))
}

/// Everything a run used and produced: enough to reproduce it.
#[derive(Debug, Serialize)]
pub struct RunRecord<'a> {
    /// lapsim version.
    pub lapsim_version: &'static str,
    /// The command line's inputs.
    pub inputs: &'a LapInputs,
    /// The car as read and validated.
    pub car: &'a CarParams,
    /// Track geometry as built.
    pub track: TrackRecord,
    /// Solver settings.
    pub solver: SolverRecord,
    /// Results.
    pub summary: &'a LapSummary,
}

/// The track as the solver saw it.
#[derive(Debug, Serialize)]
pub struct TrackRecord {
    /// Source file.
    pub file: String,
    /// Options used.
    pub options: TrackOptions,
    /// Points (= segments).
    pub points: usize,
    /// Actual step (m).
    pub step_m: f64,
    /// Smoothed loop length (m).
    pub length_m: f64,
    /// Surveyed polyline length (m).
    pub polyline_length_m: f64,
    /// Whether elevations were given.
    pub has_elevation: bool,
}

/// Fixed solver settings.
#[derive(Debug, Serialize)]
pub struct SolverRecord {
    /// Step of the envelope table in squared speed (m²/s²).
    pub envelope_du_m2ps2: f64,
    /// Flying-lap periodicity tolerance (m/s).
    pub periodic_tolerance_mps: f64,
    /// Integration scheme.
    pub scheme: &'static str,
}

fn track_record(track: &Track) -> TrackRecord {
    TrackRecord {
        file: track.source_name().into(),
        options: track.options(),
        points: track.len(),
        step_m: track.step_m(),
        length_m: track.length_m(),
        polyline_length_m: track.polyline_length_m(),
        has_elevation: track.has_elevation(),
    }
}

/// `lapsim run`: solves, prints the report and writes the files; returns the paths written.
pub fn run(a: &RunArgs) -> Result<Vec<PathBuf>> {
    let (car, centre, track) = load(&a.inputs)?;
    let env = Envelope::new(&car);
    let mut solver = LapSolver::new(&track, &env);
    solver.solve(a.inputs.start.into())?;
    let tel = solver.telemetry()?;
    let title = format!(
        "{} — {} ({})",
        car.params().name,
        track_name(&a.inputs.track),
        match a.inputs.line.path() {
            LinePath::Centreline => "centreline".to_string(),
            LinePath::MinimumCurvature(_) => "minimum-curvature line".to_string(),
            LinePath::MinimumTime(_) => "minimum-time line".to_string(),
            LinePath::File(f) => format!("line {}", f.display()),
        }
    );
    say(&report::lap_report(&title, &tel));

    // Runs with other options write beside the default run, not over it.
    let i = &a.inputs;
    let stem = format!(
        "{}__{}{}{}{}",
        track_name(&i.track),
        car.short_name(),
        i.line.name_suffix(),
        i.geometry.name_suffix(),
        if i.start == crate::app::args::StartArg::Standing {
            "__standing"
        } else {
            ""
        }
    );
    let csv_path = a.out.join(format!("{stem}.csv"));
    let json_path = a.out.join(format!("{stem}.json"));
    write_telemetry_csv(&csv_path, &tel)?;
    let record = RunRecord {
        lapsim_version: env!("CARGO_PKG_VERSION"),
        inputs: &a.inputs,
        car: car.params(),
        track: track_record(&track),
        solver: SolverRecord {
            envelope_du_m2ps2: Envelope::DU_M2PS2,
            periodic_tolerance_mps: PERIODIC_TOLERANCE_MPS,
            scheme:
                "QSS forward/backward passes, Heun in v², exact constant-acceleration segment times",
        },
        summary: &tel.summary,
    };
    write_json(&json_path, &record)?;
    let mut written = vec![csv_path, json_path];
    if !a.no_plot {
        let png = a.out.join(format!("{stem}_speed.png"));
        plot::speed_trace(&png, &title, &tel)?;
        written.push(png);
        let map = a.out.join(format!("{stem}_map.png"));
        plot::track_map(&map, &title, &centre, &tel)?;
        written.push(map);
    }
    for p in &written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(written)
}
