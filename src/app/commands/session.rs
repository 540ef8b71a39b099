//! `lapsim qualifying` and `lapsim race`: the sessions of a field on a track, once or as a Monte Carlo study,
//! with tables on stdout, CSV/JSON under `--out` and a chart.

use super::{lap_tracks, say, track_name};
use crate::app::args::{QualifyingArgs, RaceArgs, SessionArgs};
use crate::app::output::{write_grid_csv, write_json, write_race_csvs};
use crate::app::plot;
use crate::app::report::{classification_table, grid_table, stats_table};
use crate::error::{Error, Result};
use crate::field::Field;
use crate::session::monte_carlo::{study, DriverStats};
use crate::session::QssOracle;
use crate::track::Centerline;
use crate::vehicle::Car;

/// Loads the field, its car and the track, and builds the lap oracle on the path the flags ask for.
pub fn load_session(a: &SessionArgs) -> Result<(Field, QssOracle)> {
    let field = Field::from_file(&a.field)?;
    let car = Car::from_file(&field.car_path)?;
    field.check_fuel(car.params().mass.fuel_tank_kg, &car.params().name)?;
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
    format!(
        "{}__{}{}{}",
        track_name(&a.track),
        field,
        a.line.name_suffix(),
        a.geometry.name_suffix()
    )
}

/// Progress of a study: a bar on a terminal; otherwise (a log, CI, a batch job) a plain line on stderr at
/// every tenth of the runs. Nothing for a single run.
fn progress(runs: u64, what: &str) -> impl Fn(u64) + Sync {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let bar = if runs > 1 && terminal {
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
    let what = what.to_string();
    let tenth = runs.div_ceil(10).max(1);
    let last_line = std::sync::atomic::AtomicU64::new(0);
    move |done: u64| {
        bar.set_position(done);
        if done >= runs {
            bar.finish_and_clear();
        }
        if runs > 1 && !terminal {
            let step = done / tenth;
            if step > last_line.swap(step, std::sync::atomic::Ordering::Relaxed) || done == runs {
                eprintln!("[lapsim] {what}: {done}/{runs} runs");
            }
        }
    }
}

/// Qualifying: one run (the grid) or Monte Carlo statistics.
pub fn qualifying(args: &QualifyingArgs) -> Result<Vec<DriverStats>> {
    let a = &args.session;
    check_runs(a)?;
    let (field, oracle) = load_session(a)?;
    let format = field.qualifying;
    let ((first, _), acc) = study(
        &field,
        &oracle,
        false,
        a.seed,
        a.runs,
        &progress(a.runs, "qualifying"),
    )?;
    let first = &first;
    let stem = stem(a);
    say(&format!("{} — qualifying, seed {}\n", field.event, a.seed));
    say(&grid_table(first));
    // The chart first: if it fails, no result is left half written beside it.
    let png = a.out.join(format!("{stem}_qualifying.png"));
    plot::field::qualifying_gaps(
        &png,
        &format!(
            "{} — qualifying gaps to pole (seed {})",
            field.event, a.seed
        ),
        first,
    )?;
    let csv = a.out.join(format!("{stem}_qualifying.csv"));
    write_grid_csv(&csv, first)?;
    let stats = acc.stats(&field);
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
    let (qformat, rformat) = (field.qualifying, field.race);
    let ((q, r), acc) = study(
        &field,
        &oracle,
        true,
        a.seed,
        a.runs,
        &progress(a.runs, "weekend"),
    )?;
    let r = r.ok_or_else(|| Error::Internal("a race study without its race".into()))?;
    let (q, r) = (&q, &r);
    let stem = stem(a);
    say(&format!(
        "{} — race ({}, standing start), seed {}\n",
        field.event,
        rformat.distance(),
        a.seed
    ));
    say(&classification_table(&field, r));
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
    // The chart first: if it fails, no result is left half written beside it.
    let mut written = write_race_csvs(&a.out, &stem, &field, r)?;
    written.push(png);
    let stats = acc.stats(&field);
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
