//! The command line: argument definitions (clap) and the commands they run.
//!
//! The binary (`src/main.rs`) only parses the arguments, calls [`execute`] and turns errors into a message and
//! a non-zero exit code.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::report::{self, format_lap_time};
use crate::solver::{LapSolver, LapSummary, Start};
use crate::track::line::{path_track, LineOptions, LinePath, RacingLine};
use crate::track::{Centerline, Track, TrackOptions};
use crate::vehicle::{Car, CarParams, Envelope, MAX_MU};

/// lapsim: quasi-steady-state lap-time simulation of a point-mass car on a circuit.
#[derive(Debug, Parser)]
#[command(name = "lapsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a subcommand, the whole Oschersleben 2007 weekend (`weekend`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one lap and write telemetry (CSV), a summary (JSON) and a speed trace (PNG).
    Run(RunArgs),
    /// Fit one grip scale (multiplying both friction coefficients) so the lap matches a reference time.
    Calibrate(CalibrateArgs),
    /// Compute the minimum-curvature racing line and write it as CSV.
    Line(LineArgs),
    /// Qualifying of a field in the 2007 Carrera Cup format: the grid.
    Qualifying(SessionArgs),
    /// Qualifying, then the race from that grid: the classification and race pace.
    Race(SessionArgs),
    /// The shipped Oschersleben 2007 event end to end: the lap, qualifying, the race, every chart, and
    /// output/weekend.md. What plain `lapsim` does.
    Weekend(WeekendArgs),
}

/// `lapsim weekend`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct WeekendArgs {
    /// Field file (TOML).
    #[arg(
        long,
        default_value = "cars/carrera_cup_2007_oschersleben.toml",
        value_name = "FILE"
    )]
    pub field: PathBuf,
    /// Track file (CSV).
    #[arg(long, default_value = "tracks/oschersleben.csv", value_name = "FILE")]
    pub track: PathBuf,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 2007, allow_negative_numbers = true)]
    pub seed: u64,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

impl Default for WeekendArgs {
    fn default() -> Self {
        Self {
            field: "cars/carrera_cup_2007_oschersleben.toml".into(),
            track: "tracks/oschersleben.csv".into(),
            seed: 2007,
            out: "output".into(),
        }
    }
}

/// `lapsim qualifying` and `lapsim race`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct SessionArgs {
    /// Field file (TOML): the entries and their skills, and the car file.
    #[arg(long, value_name = "FILE")]
    pub field: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Seed of the random streams (lap-to-lap scatter, slips).
    #[arg(long, default_value_t = 2007, allow_negative_numbers = true)]
    pub seed: u64,
    /// Monte Carlo repetitions with derived seeds (1 = a single weekend).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub runs: u64,
    /// The path driven (as for `run`).
    #[arg(long, value_enum, default_value_t = LineArg::Optimal)]
    pub line: LineArg,
    /// Arc-length step (m).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 1.0,
        value_name = "M"
    )]
    pub step_m: f64,
    /// Car numbers to draw in the race chart (lap times and gaps to the leader); default: the top five.
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub drivers: Vec<u32>,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim line`.
#[derive(Debug, Clone, Args)]
pub struct LineArgs {
    /// Car file (TOML): its width bounds the line.
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Optimisation grid (m).
    #[arg(long, allow_negative_numbers = true, default_value_t = LineOptions::default().grid_step_m, value_name = "M")]
    pub grid_m: f64,
    /// Gap kept between the car's side and the track edge (m).
    #[arg(long, allow_negative_numbers = true, default_value_t = LineOptions::default().margin_m, value_name = "M")]
    pub margin_m: f64,
    /// Cutoff wavelength of the centreline smoother (m).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 20.0,
        value_name = "M"
    )]
    pub smoothing_m: f64,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// The lap start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
pub enum StartArg {
    /// Periodic flying lap.
    Flying,
    /// From rest at the line.
    Standing,
}

impl From<StartArg> for Start {
    fn from(s: StartArg) -> Self {
        match s {
            StartArg::Flying => Start::Flying,
            StartArg::Standing => Start::Standing,
        }
    }
}

/// Inputs shared by every lap command.
#[derive(Debug, Clone, Args, Serialize)]
pub struct LapInputs {
    /// Car file (TOML).
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV: x_m, y_m, w_tr_right_m, w_tr_left_m[, z_m]).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Arc-length step between track points (m).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 1.0,
        value_name = "M"
    )]
    pub step_m: f64,
    /// Cutoff wavelength of the centreline smoother (m); 0 = no smoothing.
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = 20.0,
        value_name = "M"
    )]
    pub smoothing_m: f64,
    /// Flying (periodic) lap or standing start.
    #[arg(long, value_enum, default_value_t = StartArg::Flying)]
    pub start: StartArg,
    /// The path driven: the fastest blend of minimum curvature and a short path (default), the pure
    /// minimum-curvature line, or the centreline.
    #[arg(long, value_enum, default_value_t = LineArg::Optimal)]
    pub line: LineArg,
    /// Drive a line from a file instead (CSV `x_m, y_m`, the racetrack-database racing-line format).
    #[arg(long, value_name = "FILE")]
    pub line_file: Option<PathBuf>,
    /// Optimisation grid of the racing line (m).
    #[arg(long, allow_negative_numbers = true, default_value_t = LineOptions::default().grid_step_m, value_name = "M")]
    pub line_grid_m: f64,
    /// Gap kept between the car's side and the track edge on the racing line (m).
    #[arg(long, allow_negative_numbers = true, default_value_t = LineOptions::default().margin_m, value_name = "M")]
    pub margin_m: f64,
}

/// The path choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
pub enum LineArg {
    /// Minimum-time refinement: the blend of minimum curvature and path length that laps fastest.
    Optimal,
    /// The pure minimum-curvature line inside the track limits.
    MinCurvature,
    /// The surveyed centreline.
    Centreline,
}

impl LapInputs {
    /// The path these inputs ask for.
    pub fn path(&self) -> LinePath {
        match (&self.line_file, self.line) {
            (Some(f), _) => LinePath::File(f.clone()),
            (None, LineArg::Centreline) => LinePath::Centreline,
            (None, kind) => {
                let opt = LineOptions {
                    grid_step_m: self.line_grid_m,
                    margin_m: self.margin_m,
                    ..LineOptions::default()
                };
                if kind == LineArg::Optimal {
                    LinePath::MinimumTime(opt)
                } else {
                    LinePath::Optimal(opt)
                }
            }
        }
    }
}

/// `lapsim run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Car, track and lap options.
    #[command(flatten)]
    pub inputs: LapInputs,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Do not draw the speed-trace PNG.
    #[arg(long)]
    pub no_plot: bool,
}

/// `lapsim calibrate`.
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// Car, track and lap options.
    #[command(flatten)]
    pub inputs: LapInputs,
    /// Reference lap time, m:ss.sss (or seconds).
    #[arg(long, value_name = "M:SS.SSS")]
    pub target: String,
}

/// Runs a parsed command line, printing to stdout.
pub fn execute(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        return crate::weekend::weekend_command(&WeekendArgs::default()).map(|_| ());
    };
    match command {
        Command::Weekend(a) => crate::weekend::weekend_command(&a).map(|_| ()),
        Command::Run(a) => run(&a).map(|_| ()),
        Command::Calibrate(a) => calibrate(&a).map(|_| ()),
        Command::Line(a) => line(&a).map(|_| ()),
        Command::Qualifying(a) => crate::weekend::qualifying_command(&a).map(|_| ()),
        Command::Race(a) => crate::weekend::race_command(&a).map(|_| ()),
    }
}

/// Prints to stdout, ignoring a closed pipe (`lapsim run ... | head` must not panic).
pub(crate) fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Loads the car and the track of `inputs`.
pub fn load(inputs: &LapInputs) -> Result<(Car, Track)> {
    let (car, _, track) = load_with_centreline(inputs)?;
    Ok((car, track))
}

/// Loads the car, the centreline track (for the edges of maps) and the lap track of `inputs`.
pub fn load_with_centreline(inputs: &LapInputs) -> Result<(Car, Track, Track)> {
    let car = Car::from_file(&inputs.car)?;
    let centerline = Centerline::from_file(&inputs.track)?;
    let options = TrackOptions {
        step_m: inputs.step_m,
        smoothing_wavelength_m: inputs.smoothing_m,
    };
    let (track, _) = path_track(&centerline, &inputs.path(), &car, options)?;
    let centre = Track::new(&centerline, options)?;
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
    let (car, centre, track) = load_with_centreline(&a.inputs)?;
    let env = Envelope::new(&car);
    let mut solver = LapSolver::new(&track, &env);
    solver.solve(a.inputs.start.into())?;
    let tel = solver.telemetry()?;
    let title = format!(
        "{} — {} ({})",
        car.params().name,
        track_name(&a.inputs.track),
        match a.inputs.path() {
            LinePath::Centreline => "centreline".to_string(),
            LinePath::Optimal(_) => "minimum-curvature line".to_string(),
            LinePath::MinimumTime(_) => "minimum-time blend line".to_string(),
            LinePath::File(f) => format!("line {}", f.display()),
        }
    );
    say(&report::lap_report(&title, &tel));

    let stem = format!("{}__{}", track_name(&a.inputs.track), car.short_name());
    let csv_path = a.out.join(format!("{stem}.csv"));
    let json_path = a.out.join(format!("{stem}.json"));
    report::write_telemetry_csv(&csv_path, &tel)?;
    let record = RunRecord {
        lapsim_version: env!("CARGO_PKG_VERSION"),
        inputs: &a.inputs,
        car: car.params(),
        track: track_record(&track),
        solver: SolverRecord {
            envelope_du_m2ps2: Envelope::DU_M2PS2,
            periodic_tolerance_mps: crate::solver::PERIODIC_TOLERANCE_MPS,
            scheme:
                "QSS forward/backward passes, Heun in v², exact constant-acceleration segment times",
        },
        summary: &tel.summary,
    };
    report::write_json(&json_path, &record)?;
    let mut written = vec![csv_path, json_path];
    if !a.no_plot {
        let png = a.out.join(format!("{stem}_speed.png"));
        crate::plot::speed_trace(&png, &title, &tel)?;
        written.push(png);
        let map = a.out.join(format!("{stem}_map.png"));
        crate::plot::track_map(&map, &title, &centre, &tel)?;
        written.push(map);
    }
    for p in &written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(written)
}

/// Lap time of `params` (scaled) on `track`.
fn lap_time_with(params: &CarParams, source: &str, track: &Track, start: Start) -> Result<f64> {
    let car = Car::new(params.clone(), source)?;
    let env = Envelope::new(&car);
    Ok(LapSolver::new(track, &env).solve(start)?.lap_time_s)
}

/// `lapsim calibrate`: bisection on a grip scale `k` multiplying both friction coefficients until the lap
/// matches the target within 1 ms. Returns `k`.
pub fn calibrate(a: &CalibrateArgs) -> Result<f64> {
    let target = report::parse_lap_time(&a.target)?;
    let (car, track) = load(&a.inputs)?;
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
            option: "target".into(),
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
    let (track, line) = path_track(
        &centerline,
        &LinePath::Optimal(opt),
        &car,
        TrackOptions {
            step_m: 1.0,
            smoothing_wavelength_m: a.smoothing_m,
        },
    )?;
    let elapsed = started.elapsed();
    let line: RacingLine = line.ok_or_else(|| Error::Solver("no line computed".into()))?;
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
    line.write_csv(&path)?;
    say(&format!("  wrote {}\n", path.display()));
    Ok(path)
}

/// The file stem of a track path.
pub(crate) fn track_name(p: &std::path::Path) -> String {
    p.file_stem()
        .map_or_else(|| "track".into(), |s| s.to_string_lossy().into_owned())
}
