//! The command line's arguments (clap): the commands and the option groups they share.
//!
//! One definition of each option: the track geometry (`--step-m`, `--smoothing-m`) and the path driven
//! (`--line`, `--line-file`, `--line-grid-m`, `--margin-m`) are groups that every command takes, flattened
//! into its arguments (and, for the JSON records, into the same keys).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::line::{LineOptions, LinePath};
use crate::solver::Start;
use crate::track::TrackOptions;

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
    Qualifying(QualifyingArgs),
    /// Qualifying, then the race from that grid: the classification and race pace.
    Race(RaceArgs),
    /// Overlay two or more laps (lapsim telemetry, or measured laps with s_m and v_mps columns) with a
    /// time-delta panel and tables of the sector and corner differences.
    Compare(CompareArgs),
    /// Laps of variants of the car: vary fields of the car file by their TOML path (`--set PATH=FROM:TO:N`
    /// or `--set PATH=V1,V2,...`; several `--set` give the full product).
    Sweep(SweepArgs),
    /// Join the part files of a sharded sweep (`lapsim sweep --shard K/N`) into the single-process result.
    Merge(MergeArgs),
    /// The values of fields of the car file (the final drive, the gear ratios) that minimise the lap,
    /// within bounds and constraints (Nelder–Mead); writes the optimised car file.
    Optimise(OptimiseArgs),
    /// Lap-time sensitivity to every numeric field of the car (±1 %), in engineers' units where they apply,
    /// with a tornado chart.
    Sensitivity(SensitivityArgs),
    /// The car against real laps: predicted against real lap and error on each circuit of a real-laps file,
    /// and the speeds at named points.
    Validate(ValidateArgs),
    /// Field files: `lapsim field fit` fits the drivers' skills from an earlier event's qualifying results.
    Field(FieldArgs),
    /// The shipped Oschersleben 2007 event end to end: the lap, qualifying, the race, every chart, and
    /// output/weekend.md. What plain `lapsim` does.
    Weekend(WeekendArgs),
}

/// How the centreline is turned into a track: the options of [`TrackOptions`] as flags.
#[derive(Debug, Clone, Args, Serialize)]
pub struct GeometryArgs {
    /// Arc-length step between track points (m).
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = TrackOptions::default().step_m,
        value_name = "M"
    )]
    pub step_m: f64,
    /// Cutoff wavelength of the centreline smoother (m); 0 = no smoothing.
    #[arg(
        long,
        allow_negative_numbers = true,
        default_value_t = TrackOptions::default().smoothing_wavelength_m,
        value_name = "M"
    )]
    pub smoothing_m: f64,
    /// Sector lines: distances from the line along the lap (m), comma-separated; default: three equal thirds.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "M,M,...",
        allow_negative_numbers = true
    )]
    pub sectors_m: Vec<f64>,
}

impl GeometryArgs {
    /// What these flags change from the defaults, for file names (`""` for the defaults).
    pub fn name_suffix(&self) -> String {
        let d = Self::default();
        let mut s = String::new();
        if self.step_m != d.step_m {
            s += &format!("__step{}m", self.step_m);
        }
        if self.smoothing_m != d.smoothing_m {
            s += &format!("__smoothing{}m", self.smoothing_m);
        }
        if !self.sectors_m.is_empty() {
            let cuts: Vec<String> = self.sectors_m.iter().map(f64::to_string).collect();
            s += &format!("__sectors{}", cuts.join("-"));
        }
        s
    }

    /// The track options these flags give.
    pub fn options(&self) -> TrackOptions {
        TrackOptions {
            step_m: self.step_m,
            smoothing_wavelength_m: self.smoothing_m,
        }
    }
}

impl Default for GeometryArgs {
    fn default() -> Self {
        let o = TrackOptions::default();
        Self {
            step_m: o.step_m,
            smoothing_m: o.smoothing_wavelength_m,
            sectors_m: Vec::new(),
        }
    }
}

/// The path driven: a computed line, the centreline, or a line from a file.
#[derive(Debug, Clone, Args, Serialize)]
pub struct LineChoice {
    /// The path driven: the minimum-time line for this car (default), the pure minimum-curvature line, or
    /// the centreline.
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

impl Default for LineChoice {
    fn default() -> Self {
        let o = LineOptions::default();
        Self {
            line: LineArg::Optimal,
            line_file: None,
            line_grid_m: o.grid_step_m,
            margin_m: o.margin_m,
        }
    }
}

impl LineChoice {
    /// What these flags change from the defaults, for file names (`""` for the defaults): the line, or the
    /// line file's stem, and the line grid and margin.
    pub fn name_suffix(&self) -> String {
        let d = Self::default();
        let mut s = String::new();
        match (&self.line_file, self.line) {
            (Some(f), _) => {
                let stem = f
                    .file_stem()
                    .map_or_else(|| "file".into(), |x| x.to_string_lossy().into_owned());
                s += &format!("__line-{stem}");
            }
            (None, LineArg::Optimal) => {}
            (None, LineArg::MinCurvature) => s += "__min-curvature",
            (None, LineArg::Centreline) => s += "__centreline",
        }
        if self.line_file.is_none() && self.line != LineArg::Centreline {
            if self.line_grid_m != d.line_grid_m {
                s += &format!("__grid{}m", self.line_grid_m);
            }
            if self.margin_m != d.margin_m {
                s += &format!("__margin{}m", self.margin_m);
            }
        }
        s
    }

    /// The path these flags ask for: the one mapping from the command line's choice to a [`LinePath`].
    pub fn path(&self) -> LinePath {
        let opt = LineOptions {
            grid_step_m: self.line_grid_m,
            margin_m: self.margin_m,
            ..LineOptions::default()
        };
        match (&self.line_file, self.line) {
            (Some(f), _) => LinePath::File(f.clone()),
            (None, LineArg::Centreline) => LinePath::Centreline,
            (None, LineArg::MinCurvature) => LinePath::MinimumCurvature(opt),
            (None, LineArg::Optimal) => LinePath::MinimumTime(opt),
        }
    }
}

/// The path choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
pub enum LineArg {
    /// Minimum-time line: from the minimum-curvature line, every candidate judged by this car's lap time.
    Optimal,
    /// The pure minimum-curvature line inside the track limits.
    MinCurvature,
    /// The surveyed centreline.
    Centreline,
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
    /// Track geometry.
    #[command(flatten)]
    #[serde(flatten)]
    pub geometry: GeometryArgs,
    /// Flying (periodic) lap or standing start.
    #[arg(long, value_enum, default_value_t = StartArg::Flying)]
    pub start: StartArg,
    /// The path driven.
    #[command(flatten)]
    #[serde(flatten)]
    pub line: LineChoice,
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

/// `lapsim line`.
#[derive(Debug, Clone, Args)]
pub struct LineArgs {
    /// Car file (TOML): its width bounds the line, and the minimum-time line laps it.
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Track geometry (the lap track the line is checked on).
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The line to compute: `optimal` (what `run` drives by default) or `min-curvature`.
    #[command(flatten)]
    pub line: LineChoice,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Lap files (CSV with a header row naming s_m and v_mps, and t_s if known); the first is the reference.
    #[arg(value_name = "LAPS", required = true, num_args = 2..)]
    pub laps: Vec<PathBuf>,
    /// Sector lines: distances along the first lap (m); default: three equal thirds.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "M,M,...",
        allow_negative_numbers = true
    )]
    pub sectors_m: Vec<f64>,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim sweep`.
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// Car file (TOML): the base car.
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// A varied field: `PATH=FROM:TO:N` (N values) or `PATH=V1,V2,...`, e.g. `mass.car_kg=1100:1250:16`,
    /// `driveline.gear_ratios[5]=0.8,0.9`. Repeat for a grid.
    #[arg(
        long,
        required = true,
        value_name = "PATH=VALUES",
        allow_hyphen_values = true
    )]
    pub set: Vec<String>,
    /// Track geometry.
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (computed once for the base car, and held fixed, unless --reoptimise-line).
    #[command(flatten)]
    pub line: LineChoice,
    /// Compute the racing line for each variant instead of holding the base car's fixed.
    #[arg(long)]
    pub reoptimise_line: bool,
    /// Compute only slice K of N of the variants (K from 0, as SLURM_ARRAY_TASK_ID) and write a part file
    /// for `lapsim merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The part files written by `lapsim sweep --shard K/N`, one per shard.
    #[arg(required = true, value_name = "PARTS")]
    pub parts: Vec<PathBuf>,
    /// Directory for the merged results (sweep.csv and the chart).
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim optimise`.
#[derive(Debug, Clone, Args)]
pub struct OptimiseArgs {
    /// Car file (TOML): the start.
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// A field to optimise: a number (`driveline.final_drive_ratio`) or an array of numbers, every element
    /// (`driveline.gear_ratios`). Repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub vary: Vec<String>,
    /// Bounds of a varied field, an array (each element) or one element: `PATH=LO:HI`; default ±25 % of
    /// the start.
    #[arg(long, value_name = "PATH=LO:HI", allow_hyphen_values = true)]
    pub bound: Vec<String>,
    /// Most Nelder–Mead iterations per run (a run restarts from its best point while it gains).
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub max_iterations: u64,
    /// Compute the racing line for each evaluated car instead of holding the base car's fixed (a line
    /// search per lap: slow).
    #[arg(long)]
    pub reoptimise_line: bool,
    /// Track geometry.
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (computed once for the base car, and held fixed, unless --reoptimise-line).
    #[command(flatten)]
    pub line: LineChoice,
    /// Directory for the optimised car file.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim sensitivity`.
#[derive(Debug, Clone, Args)]
pub struct SensitivityArgs {
    /// Car file (TOML).
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Track geometry.
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (computed once for the base car, and held fixed).
    #[command(flatten)]
    pub line: LineChoice,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Car file (TOML).
    #[arg(
        long,
        default_value = "cars/porsche_997_gt3_cup.toml",
        value_name = "FILE"
    )]
    pub car: PathBuf,
    /// Real laps (CSV: circuit, track_file relative to it, pole_s, year, series, driver, note).
    #[arg(
        long,
        default_value = "tracks/real/997_cup_poles.csv",
        value_name = "FILE"
    )]
    pub laps: PathBuf,
    /// Published speeds at named points (CSV; see tracks/real/997_cup_speeds.csv).
    #[arg(long, value_name = "FILE")]
    pub speeds: Option<PathBuf>,
    /// Track geometry.
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven.
    #[command(flatten)]
    pub line: LineChoice,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// What every session command (`qualifying`, `race`) takes.
#[derive(Debug, Clone, Args, Serialize)]
pub struct SessionArgs {
    /// Field file (TOML): the entries and their skills, and the car file.
    #[arg(long, value_name = "FILE")]
    pub field: PathBuf,
    /// Track file (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Track geometry.
    #[command(flatten)]
    #[serde(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (as for `run`).
    #[command(flatten)]
    #[serde(flatten)]
    pub line: LineChoice,
    /// Seed of the random streams (lap-to-lap scatter, slips).
    #[arg(long, default_value_t = 2007, allow_negative_numbers = true)]
    pub seed: u64,
    /// Monte Carlo repetitions with derived seeds (1 = a single weekend).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub runs: u64,
    /// Directory for the results.
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
}

/// `lapsim qualifying`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct QualifyingArgs {
    /// Field, track, line and Monte Carlo options.
    #[command(flatten)]
    #[serde(flatten)]
    pub session: SessionArgs,
}

/// `lapsim race`.
#[derive(Debug, Clone, Args, Serialize)]
pub struct RaceArgs {
    /// Field, track, line and Monte Carlo options.
    #[command(flatten)]
    #[serde(flatten)]
    pub session: SessionArgs,
    /// Car numbers to draw in the race chart (lap times and gaps to the leader); default: the top five.
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub drivers: Vec<u32>,
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
    /// Track geometry.
    #[command(flatten)]
    #[serde(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (as for `run`).
    #[command(flatten)]
    #[serde(flatten)]
    pub line: LineChoice,
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
            geometry: GeometryArgs::default(),
            line: LineChoice::default(),
            seed: 2007,
            out: "output".into(),
        }
    }
}

/// `lapsim field`.
#[derive(Debug, Clone, Args)]
pub struct FieldArgs {
    /// What to do with a field file.
    #[command(subcommand)]
    pub command: FieldCommand,
}

/// `lapsim field` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum FieldCommand {
    /// Fit each driver's grip share from an earlier event's qualifying results (times or gaps where
    /// published, positions where not) and write the field file with them.
    Fit(FieldFitArgs),
}

/// `lapsim field fit`.
#[derive(Debug, Clone, Args)]
pub struct FieldFitArgs {
    /// Qualifying results (CSV: position, driver, best_s, gap_s[, note]; times or gaps may be empty).
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,
    /// Track file of the event the results come from (CSV).
    #[arg(long, value_name = "FILE")]
    pub track: PathBuf,
    /// Car file (TOML): the skills are shares of its capacities.
    #[arg(long, value_name = "FILE")]
    pub car: PathBuf,
    /// The field file whose entries are fitted (its rules, entries and other skills are kept).
    #[arg(
        long,
        default_value = "cars/carrera_cup_2007_oschersleben.toml",
        value_name = "FILE"
    )]
    pub field: PathBuf,
    /// The field file to write (may be the --field file itself).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Grip share of the pole-sitter: the anchor of the fitted shares (the gaps fix only the spread).
    #[arg(long, allow_negative_numbers = true, default_value_t = crate::session::fit::DEFAULT_POLE_GRIP_SHARE, value_name = "SHARE")]
    pub pole_grip_share: f64,
    /// Prior gap per position for drivers without a time, in per cent of the lap.
    #[arg(long, allow_negative_numbers = true, default_value_t = crate::session::fit::DEFAULT_PRIOR_STEP_PCT, value_name = "PCT")]
    pub prior_step_pct: f64,
    /// Track geometry.
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// The path driven (as for `run`).
    #[command(flatten)]
    pub line: LineChoice,
}
