//! `lapsim validate`: the car against real laps. Runs the car (a flying lap on the path the options ask for)
//! on every circuit of a real-laps file and prints the predicted against the real lap, the error in per cent,
//! and the speeds at named points against the published ones, so that a pattern shows at a glance.
//!
//! The shipped files (`tracks/real/`) are a development set: they are for finding where the model is wrong
//! and why, never for fitting a parameter to a lap time.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{lap_tracks, say};
use crate::app::args::ValidateArgs;
use crate::app::output::write_atomic;
use crate::error::{Error, Result};
use crate::laptime::format_lap_time;
use crate::solver::{LapSolver, Start, Telemetry};
use crate::track::reader::read_text;
use crate::track::Centerline;
use crate::vehicle::{Car, Envelope};

/// A real lap: the circuit, its track file (relative to the real-laps file) and the time.
#[derive(Debug, Clone, Deserialize)]
struct RealLap {
    circuit: String,
    track_file: PathBuf,
    pole_s: f64,
    year: u32,
    series: String,
    driver: String,
}

/// A published speed at a named point: the stretch of the lap where it lies and what it describes.
#[derive(Debug, Clone, Deserialize)]
struct RealSpeed {
    circuit: String,
    track_file: PathBuf,
    point: String,
    from_m: f64,
    to_m: f64,
    statistic: String,
    relation: String,
    published_kmh: f64,
}

/// Reads a CSV with `#` comments and a header row into records, naming the file and line of a bad one.
fn read_records<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = read_text(path)?;
    let name = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().cloned().map_err(|e| Error::Track {
        source_name: name.clone(),
        message: format!("no header row: {e}"),
    })?;
    reader
        .deserialize()
        .map(|r| {
            r.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                // Name the column, not csv's index of it.
                let message = match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => {
                        let column = err
                            .field()
                            .and_then(|f| headers.get(f as usize))
                            .unwrap_or("?");
                        format!("column `{column}`: {}", err.kind())
                    }
                    _ => e.to_string(),
                };
                Error::TrackLine {
                    source_name: name.clone(),
                    line,
                    message,
                }
            })
        })
        .collect()
}

/// The flying lap of `car` on the track file at `path` with the command's geometry and line options.
fn lap(a: &ValidateArgs, car: &Car, path: &Path) -> Result<Telemetry> {
    let centerline = Centerline::from_file(path)?;
    let (track, _) = lap_tracks(car, &centerline, &a.geometry, &a.line)?;
    let env = Envelope::new(car);
    let mut s = LapSolver::new(&track, &env);
    s.solve(Start::Flying)?;
    s.telemetry()
}

/// One circuit's prediction against its real lap.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// The circuit.
    pub circuit: String,
    /// The real lap (s).
    pub real_s: f64,
    /// The predicted lap (s).
    pub predicted_s: f64,
    /// The predicted top speed (km/h).
    pub top_kmh: f64,
}

impl Prediction {
    /// (predicted − real) / real, in per cent: positive when the model is slow.
    pub fn error_pct(&self) -> f64 {
        100.0 * (self.predicted_s - self.real_s) / self.real_s
    }
}

/// `lapsim validate`: the table of real against predicted laps and speeds; writes `validate.csv`.
pub fn validate(a: &ValidateArgs) -> Result<Vec<Prediction>> {
    let car = Car::from_file(&a.car)?;
    let base = |file: &Path| file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let laps: Vec<RealLap> = read_records(&a.laps)?;
    if laps.is_empty() {
        return Err(Error::Track {
            source_name: a.laps.display().to_string(),
            message: "no real laps".into(),
        });
    }
    let mut out = format!(
        "{} against real laps ({}; a development set: find where the model is wrong, never fit to it)\n\
         {:<12} {:>9} {:>9} {:>8}  {:>9}  {}\n",
        car.params().name,
        a.laps.display(),
        "circuit",
        "real",
        "lapsim",
        "error",
        "top km/h",
        "real lap"
    );
    let mut predictions = Vec::new();
    for r in &laps {
        let t = lap(a, &car, &base(&a.laps).join(&r.track_file))?;
        let p = Prediction {
            circuit: r.circuit.clone(),
            real_s: r.pole_s,
            predicted_s: t.summary.lap.lap_time_s,
            top_kmh: t.summary.v_max_mps * 3.6,
        };
        out += &format!(
            "{:<12} {:>9} {:>9} {:>+7.2}%  {:>9.1}  {} {} pole, {}\n",
            p.circuit,
            format_lap_time(p.real_s),
            format_lap_time(p.predicted_s),
            p.error_pct(),
            p.top_kmh,
            r.year,
            r.series,
            r.driver
        );
        predictions.push(p);
    }
    let mut speed_rows = Vec::new();
    if let Some(speeds) = &a.speeds {
        let points: Vec<RealSpeed> = read_records(speeds)?;
        out += &format!(
            "\nspeeds at named points ({})\n{:<12} {:<26} {:>10} {:>10}\n",
            speeds.display(),
            "circuit",
            "point",
            "published",
            "lapsim"
        );
        for p in &points {
            let t = lap(a, &car, &base(speeds).join(&p.track_file))?;
            let inside = t
                .s_m
                .iter()
                .zip(&t.v_mps)
                .filter(|(s, _)| (p.from_m..=p.to_m).contains(*s))
                .map(|(_, v)| v * 3.6);
            let v = match p.statistic.as_str() {
                "max" => inside.fold(f64::NEG_INFINITY, f64::max),
                "min" => inside.fold(f64::INFINITY, f64::min),
                other => {
                    return Err(Error::Parameter {
                        source_name: speeds.display().to_string(),
                        field: "statistic".into(),
                        value: other.into(),
                        message: "must be `max` or `min`".into(),
                    })
                }
            };
            if !v.is_finite() {
                return Err(Error::Parameter {
                    source_name: speeds.display().to_string(),
                    field: format!("{} {}: from_m, to_m", p.circuit, p.point),
                    value: format!("{}..{}", p.from_m, p.to_m),
                    message: "no point of the lap lies in that stretch".into(),
                });
            }
            out += &format!(
                "{:<12} {:<26} {:>10} {:>10.1}\n",
                p.circuit,
                p.point,
                format!("{} {}", p.relation, p.published_kmh),
                v
            );
            speed_rows.push((p.clone(), v));
        }
    }
    say(&out);
    let csv = a.out.join("validate.csv");
    write_atomic(&csv, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["kind", "circuit", "what", "real", "lapsim", "error_pct"])?;
        for p in &predictions {
            c.write_record([
                "lap_s".to_string(),
                p.circuit.clone(),
                "pole".into(),
                format!("{:.3}", p.real_s),
                format!("{:.3}", p.predicted_s),
                format!("{:.2}", p.error_pct()),
            ])?;
        }
        for (p, v) in &speed_rows {
            c.write_record([
                "speed_kmh".to_string(),
                p.circuit.clone(),
                format!("{} ({} {})", p.point, p.statistic, p.relation),
                format!("{:.1}", p.published_kmh),
                format!("{v:.1}"),
                format!("{:.2}", 100.0 * (v - p.published_kmh) / p.published_kmh),
            ])?;
        }
        c.flush()
    })?;
    say(&format!("  wrote {}\n", csv.display()));
    Ok(predictions)
}
