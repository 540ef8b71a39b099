//! `lapsim qualifying` and `lapsim race`: the sessions of a field on a track, once or as a Monte Carlo study,
//! with tables on stdout, CSV/JSON under `--out` and a chart.

use rayon::prelude::*;

use super::{lap_tracks, say, track_name};
use crate::app::args::{QualifyingArgs, RaceArgs, SessionArgs};
use crate::app::output::{write_grid_csv, write_json, write_race_csvs};
use crate::app::plot;
use crate::app::report::{classification_table, grid_table, stats_table};
use crate::error::{Error, Result};
use crate::field::Field;
use crate::session::monte_carlo::{stats, DriverStats};
use crate::session::qualifying::{self, QualifyingFormat, QualifyingResult};
use crate::session::race::{self, RaceFormat, RaceResult};
use crate::session::QssOracle;
use crate::track::Centerline;
use crate::vehicle::Car;

/// Loads the field, its car and the track, and builds the lap oracle on the path the flags ask for.
pub fn load_session(a: &SessionArgs) -> Result<(Field, QssOracle)> {
    let field = Field::from_file(&a.field)?;
    let car = Car::from_file(&field.car_path)?;
    let centerline = Centerline::from_file(&a.track)?;
    let (track, _) = lap_tracks(&car, &centerline, &a.geometry, &a.line)?;
    Ok((field, QssOracle::new(car, track)))
}

fn check_runs(a: &SessionArgs) -> Result<()> {
    if a.runs == 0 || a.runs > 100_000 {
        return Err(Error::Option {
            option: "--runs".into(),
            value: a.runs.to_string(),
            message: "must lie between 1 and 100000".into(),
        });
    }
    Ok(())
}

fn stem(a: &SessionArgs) -> String {
    let field = a
        .field
        .file_stem()
        .map_or_else(|| "field".into(), |s| s.to_string_lossy().into_owned());
    format!("{}__{}", track_name(&a.track), field)
}

fn progress(runs: u64, what: &str) -> indicatif::ProgressBar {
    let bar = if runs > 1 {
        indicatif::ProgressBar::new(runs)
    } else {
        indicatif::ProgressBar::hidden()
    };
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs, {eta} left")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// Qualifying: one run (the grid) or Monte Carlo statistics.
pub fn qualifying(args: &QualifyingArgs) -> Result<Vec<DriverStats>> {
    let a = &args.session;
    check_runs(a)?;
    let (field, oracle) = load_session(a)?;
    let format = QualifyingFormat::carrera_cup_2007(oracle.car().params().mass.fuel_kg);
    let bar = progress(a.runs, "qualifying");
    let results: Vec<QualifyingResult> = (0..a.runs)
        .into_par_iter()
        .map(|run| {
            let r = qualifying::qualifying(&field, &oracle, &format, a.seed, run);
            bar.inc(1);
            r
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let stem = stem(a);
    let first = &results[0];
    say(&format!("{} — qualifying, seed {}\n", field.event, a.seed));
    say(&grid_table(first));
    let csv = a.out.join(format!("{stem}_qualifying.csv"));
    write_grid_csv(&csv, first)?;
    let png = a.out.join(format!("{stem}_qualifying.png"));
    plot::field::qualifying_gaps(
        &png,
        &format!(
            "{} — qualifying gaps to pole (seed {})",
            field.event, a.seed
        ),
        first,
    )?;
    let stats = stats(&field, &results, None);
    let json = a.out.join(format!("{stem}_qualifying.json"));
    write_json(
        &json,
        &serde_json::json!({
            "lapsim_version": env!("CARGO_PKG_VERSION"),
            "inputs": args,
            "field": &field,
            "format": &format,
            "qualifying": first,
            "monte_carlo": if a.runs > 1 { Some(&stats) } else { None },
        }),
    )?;
    if a.runs > 1 {
        say(&stats_table(&stats, a.runs, false));
    }
    say(&format!(
        "  wrote {}\n  wrote {}\n",
        csv.display(),
        json.display()
    ));
    Ok(stats)
}

/// Qualifying, then the race from that grid: one run or Monte Carlo statistics.
pub fn race(args: &RaceArgs) -> Result<Vec<DriverStats>> {
    let a = &args.session;
    check_runs(a)?;
    let (field, oracle) = load_session(a)?;
    // The drivers of the race chart, checked before anything runs.
    let chosen: Vec<usize> = args
        .drivers
        .iter()
        .map(|n| {
            field
                .entries
                .iter()
                .position(|e| e.number == *n)
                .ok_or_else(|| Error::Option {
                    option: "--drivers".into(),
                    value: n.to_string(),
                    message: "no entry has this car number".into(),
                })
        })
        .collect::<Result<_>>()?;
    let qformat = QualifyingFormat::carrera_cup_2007(oracle.car().params().mass.fuel_kg);
    let rformat = RaceFormat::carrera_cup_2007();
    let bar = progress(a.runs, "weekend");
    let results: Vec<(QualifyingResult, RaceResult)> = (0..a.runs)
        .into_par_iter()
        .map(|run| {
            let q = qualifying::qualifying(&field, &oracle, &qformat, a.seed, run)?;
            let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
            let r = race::race(&field, &oracle, &rformat, &grid, a.seed, run)?;
            bar.inc(1);
            Ok((q, r))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let stem = stem(a);
    let (q, r) = &results[0];
    say(&format!(
        "{} — race ({} laps, standing start), seed {}\n",
        field.event, rformat.laps, a.seed
    ));
    say(&classification_table(&field, r));
    let mut written = write_race_csvs(&a.out, &stem, &field, r)?;
    let chosen: Vec<usize> = if chosen.is_empty() {
        r.classification.iter().take(5).map(|c| c.entry).collect()
    } else {
        chosen
    };
    let png = a.out.join(format!("{stem}_race.png"));
    plot::field::race_laps(
        &png,
        &format!("{} — race (seed {})", field.event, a.seed),
        &field,
        r,
        &chosen,
    )?;
    written.push(png);
    let qs: Vec<QualifyingResult> = results.iter().map(|x| x.0.clone()).collect();
    let rs: Vec<RaceResult> = results.iter().map(|x| x.1.clone()).collect();
    let stats = stats(&field, &qs, Some(&rs));
    let json = a.out.join(format!("{stem}_race.json"));
    write_json(
        &json,
        &serde_json::json!({
            "lapsim_version": env!("CARGO_PKG_VERSION"),
            "inputs": args,
            "field": &field,
            "qualifying_format": &qformat,
            "race_format": &rformat,
            "qualifying": q,
            "race": r,
            "monte_carlo": if a.runs > 1 { Some(&stats) } else { None },
        }),
    )?;
    written.push(json);
    if a.runs > 1 {
        say(&stats_table(&stats, a.runs, true));
    }
    for p in written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(stats)
}
