//! The weekend's commands: qualifying and race of a field on a track, single or Monte Carlo, with tables on
//! stdout and CSV/JSON under `output/`.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::cli::{say, track_name, LineArg, SessionArgs};
use crate::driver::Field;
use crate::error::{Error, Result};
use crate::report::{format_lap_time, write_atomic, write_json};
use crate::session::qualifying::{qualifying, QualifyingFormat, QualifyingResult};
use crate::session::race::{race, RaceFormat, RaceResult};
use crate::session::QssOracle;
use crate::track::line::{path_track, LineOptions, LinePath};
use crate::track::{Centerline, TrackOptions};
use crate::vehicle::Car;

/// Loads the field, its car and the track, and builds the lap oracle.
pub fn load_weekend(a: &SessionArgs) -> Result<(Field, QssOracle)> {
    let field = Field::from_file(&a.field)?;
    let car = Car::from_file(&field.car_path)?;
    let centerline = Centerline::from_file(&a.track)?;
    let path = match a.line {
        LineArg::Optimal => LinePath::MinimumTime(LineOptions::default()),
        LineArg::MinCurvature => LinePath::Optimal(LineOptions::default()),
        LineArg::Centreline => LinePath::Centreline,
    };
    let (track, _) = path_track(
        &centerline,
        &path,
        &car,
        TrackOptions {
            step_m: a.step_m,
            ..TrackOptions::default()
        },
    )?;
    Ok((field, QssOracle::new(car, track)))
}

fn check_runs(a: &SessionArgs) -> Result<()> {
    if a.runs == 0 || a.runs > 100_000 {
        return Err(Error::Option {
            option: "runs".into(),
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

/// The grid as an aligned table.
pub fn grid_table(q: &QualifyingResult) -> String {
    let mut out = format!(
        "{:>3}  {:>3}  {:<22} {:>9}  {:>7}  {:>7}  {:>4}\n",
        "pos", "no", "driver", "best", "to pole", "ahead", "part"
    );
    for g in &q.grid {
        out += &format!(
            "{:>3}  {:>3}  {:<22} {:>9}  {:>+7.3}  {:>+7.3}  {:>4}\n",
            g.position,
            g.number,
            g.name,
            format_lap_time(g.best_s),
            g.gap_to_pole_s,
            g.gap_ahead_s,
            g.part
        );
    }
    out
}

/// The classification as an aligned table.
pub fn classification_table(field: &Field, r: &RaceResult) -> String {
    let mut out = format!(
        "{:>3}  {:>3}  {:<22} {:>4}  {:>10}  {:>8}  {:>9}  {:>9}  {:>9}\n",
        "pos", "no", "driver", "grid", "total", "gap", "fastest", "mean", "median"
    );
    let winner = r.classification.first().map_or(0.0, |c| c.total_s);
    for (p, c) in r.classification.iter().enumerate() {
        let e = &field.entries[c.entry];
        let total = format!("{}:{:06.3}", (c.total_s / 60.0) as u64, c.total_s % 60.0);
        out += &format!(
            "{:>3}  {:>3}  {:<22} {:>4}  {:>10}  {:>+8.3}  {:>9}  {:>9}  {:>9}\n",
            p + 1,
            e.number,
            e.name,
            c.grid,
            total,
            c.total_s - winner,
            format_lap_time(c.fastest_s()),
            format_lap_time(c.mean_s()),
            format_lap_time(c.median_s())
        );
    }
    out
}

fn write_grid_csv(path: &std::path::Path, q: &QualifyingResult) -> Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record([
            "position",
            "number",
            "driver",
            "best_s",
            "gap_to_pole_s",
            "gap_ahead_s",
            "part",
        ])?;
        for g in &q.grid {
            c.write_record([
                g.position.to_string(),
                g.number.to_string(),
                g.name.clone(),
                format!("{:.3}", g.best_s),
                format!("{:.3}", g.gap_to_pole_s),
                format!("{:.3}", g.gap_ahead_s),
                g.part.to_string(),
            ])?;
        }
        c.flush()
    })
}

fn write_race_csvs(
    dir: &std::path::Path,
    stem: &str,
    field: &Field,
    r: &RaceResult,
) -> Result<Vec<PathBuf>> {
    let class = dir.join(format!("{stem}_race.csv"));
    let winner = r.classification.first().map_or(0.0, |c| c.total_s);
    write_atomic(&class, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record([
            "position",
            "number",
            "driver",
            "grid",
            "total_s",
            "gap_s",
            "fastest_s",
            "mean_s",
            "median_s",
        ])?;
        for (p, car) in r.classification.iter().enumerate() {
            let e = &field.entries[car.entry];
            c.write_record([
                (p + 1).to_string(),
                e.number.to_string(),
                e.name.clone(),
                car.grid.to_string(),
                format!("{:.3}", car.total_s),
                format!("{:.3}", car.total_s - winner),
                format!("{:.3}", car.fastest_s()),
                format!("{:.3}", car.mean_s()),
                format!("{:.3}", car.median_s()),
            ])?;
        }
        c.flush()
    })?;
    let laps = dir.join(format!("{stem}_race_laps.csv"));
    write_atomic(&laps, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["number", "driver", "lap", "time_s", "slip"])?;
        for car in &r.classification {
            let e = &field.entries[car.entry];
            for (k, l) in car.laps.iter().enumerate() {
                c.write_record([
                    e.number.to_string(),
                    e.name.clone(),
                    (k + 1).to_string(),
                    format!("{:.3}", l.time_s),
                    l.slip.to_string(),
                ])?;
            }
        }
        c.flush()
    })?;
    Ok(vec![class, laps])
}

/// Per-driver statistics over Monte Carlo runs.
#[derive(Debug, Clone, Serialize)]
pub struct DriverStats {
    /// Car number.
    pub number: u32,
    /// Driver.
    pub name: String,
    /// Share of runs on pole.
    pub p_pole: f64,
    /// Share of runs in the top 15 of qualifying part 1.
    pub p_top15: f64,
    /// Share of runs won (`None` for qualifying alone: no race was run).
    pub p_win: Option<f64>,
    /// Share of runs on the podium (`None` for qualifying alone).
    pub p_podium: Option<f64>,
    /// Mean and standard deviation of the position.
    pub position_mean_sd: (f64, f64),
    /// Mean and standard deviation of the gap to the leader (s).
    pub gap_mean_sd_s: (f64, f64),
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 {
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v.sqrt())
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
pub fn qualifying_command(a: &SessionArgs) -> Result<Vec<DriverStats>> {
    check_runs(a)?;
    let (field, oracle) = load_weekend(a)?;
    let format = QualifyingFormat::carrera_cup_2007(oracle.car().params().mass.fuel_kg);
    let bar = progress(a.runs, "qualifying");
    let results: Vec<QualifyingResult> = (0..a.runs)
        .into_par_iter()
        .map(|run| {
            let r = qualifying(&field, &oracle, &format, a.seed, run);
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
    crate::plot::field::qualifying_gaps(
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
            "inputs": a,
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
pub fn race_command(a: &SessionArgs) -> Result<Vec<DriverStats>> {
    check_runs(a)?;
    let (field, oracle) = load_weekend(a)?;
    // The drivers of the race chart, checked before anything runs.
    let chosen: Vec<usize> = a
        .drivers
        .iter()
        .map(|n| {
            field
                .entries
                .iter()
                .position(|e| e.number == *n)
                .ok_or_else(|| Error::Option {
                    option: "drivers".into(),
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
            let q = qualifying(&field, &oracle, &qformat, a.seed, run)?;
            let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
            let r = race(&field, &oracle, &rformat, &grid, a.seed, run)?;
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
    crate::plot::field::race_laps(
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
            "inputs": a,
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

fn stats(field: &Field, qs: &[QualifyingResult], rs: Option<&[RaceResult]>) -> Vec<DriverStats> {
    let runs = qs.len() as f64;
    (0..field.entries.len())
        .map(|k| {
            let e = &field.entries[k];
            let qpos: Vec<f64> = qs
                .iter()
                .map(|q| {
                    q.grid
                        .iter()
                        .position(|g| g.entry == k)
                        .map_or(f64::NAN, |p| p as f64 + 1.0)
                })
                .collect();
            let p_pole = qs.iter().filter(|q| q.grid[0].entry == k).count() as f64 / runs;
            let p_top15 = qs.iter().filter(|q| q.part2[k].is_some()).count() as f64 / runs;
            let (p_win, p_podium, pos, gap) = match rs {
                Some(rs) => {
                    let pos: Vec<f64> = rs
                        .iter()
                        .map(|r| {
                            r.classification
                                .iter()
                                .position(|c| c.entry == k)
                                .map_or(f64::NAN, |p| p as f64 + 1.0)
                        })
                        .collect();
                    let gap: Vec<f64> = rs
                        .iter()
                        .map(|r| {
                            let w = r.classification[0].total_s;
                            r.classification
                                .iter()
                                .find(|c| c.entry == k)
                                .map_or(f64::NAN, |c| c.total_s - w)
                        })
                        .collect();
                    (
                        Some(pos.iter().filter(|&&p| p == 1.0).count() as f64 / runs),
                        Some(pos.iter().filter(|&&p| p <= 3.0).count() as f64 / runs),
                        pos,
                        gap,
                    )
                }
                None => {
                    let gap: Vec<f64> = qs
                        .iter()
                        .map(|q| {
                            q.grid
                                .iter()
                                .find(|g| g.entry == k)
                                .map_or(f64::NAN, |g| g.gap_to_pole_s)
                        })
                        .collect();
                    (None, None, qpos.clone(), gap)
                }
            };
            DriverStats {
                number: e.number,
                name: e.name.clone(),
                p_pole,
                p_top15,
                p_win,
                p_podium,
                position_mean_sd: mean_sd(&pos),
                gap_mean_sd_s: mean_sd(&gap),
            }
        })
        .collect()
}

fn stats_table(stats: &[DriverStats], runs: u64, race: bool) -> String {
    let mut sorted: Vec<&DriverStats> = stats.iter().collect();
    sorted.sort_by(|a, b| a.position_mean_sd.0.total_cmp(&b.position_mean_sd.0));
    let mut out = format!(
        "Monte Carlo over {runs} runs ({}):\n{:>3}  {:<22} {:>6} {:>6} {:>6} {:>6}  {:>12}  {:>14}\n",
        if race { "race positions" } else { "grid positions" },
        "no",
        "driver",
        "pole",
        "top15",
        "win",
        "podium",
        "position",
        "gap (s)"
    );
    // Win and podium exist only when a race was run.
    let pct = |p: Option<f64>| p.map_or("–".to_string(), |p| format!("{:.1}%", 100.0 * p));
    for s in sorted {
        out += &format!(
            "{:>3}  {:<22} {:>5.1}% {:>5.1}% {:>6} {:>6}  {:>5.1} ± {:<4.1}  {:>6.2} ± {:<5.2}\n",
            s.number,
            s.name,
            100.0 * s.p_pole,
            100.0 * s.p_top15,
            pct(s.p_win),
            pct(s.p_podium),
            s.position_mean_sd.0,
            s.position_mean_sd.1,
            s.gap_mean_sd_s.0,
            s.gap_mean_sd_s.1
        );
    }
    out
}

/// A race time as m:ss.sss.
fn race_time(t_s: f64) -> String {
    format!("{}:{:06.3}", (t_s / 60.0) as u64, t_s % 60.0)
}

/// Tells the user what is happening (stderr, so stdout stays the report).
fn step(msg: &str) {
    eprintln!("[lapsim] {msg}");
}

/// The whole weekend: the lap on the line and on the centreline, qualifying, the race, every chart and
/// `weekend.md`. Returns the files written.
pub fn weekend_command(a: &crate::cli::WeekendArgs) -> Result<Vec<PathBuf>> {
    use crate::plot;
    use crate::solver::{LapSolver, Start};
    let started = std::time::Instant::now();
    step(&format!(
        "reading {} and {}",
        a.field.display(),
        a.track.display()
    ));
    let field = Field::from_file(&a.field)?;
    let car = Car::from_file(&field.car_path)?;
    let centerline = Centerline::from_file(&a.track)?;
    let options = TrackOptions::default();
    step("computing the racing line (minimum curvature, then the minimum-time blend)");
    let (line_track, _) = path_track(
        &centerline,
        &LinePath::MinimumTime(LineOptions::default()),
        &car,
        options,
    )?;
    let centre = crate::track::Track::new(&centerline, options)?;
    let env = crate::vehicle::Envelope::new(&car);
    let lap_of = |track: &crate::track::Track, car: &Car| -> Result<crate::solver::Telemetry> {
        let env = crate::vehicle::Envelope::new(car);
        let mut s = LapSolver::new(track, &env);
        s.solve(Start::Flying)?;
        s.telemetry()
    };
    let tel_line = lap_of(&line_track, &car)?;
    let tel_centre = lap_of(&centre, &car)?;
    let out = &a.out;
    let tname = track_name(&a.track);
    let mut files = Vec::new();
    let name = car.params().name.clone();
    step("drawing the lap charts");
    let f = out.join(format!("{tname}__weekend_speed.png"));
    plot::speed_trace(
        &f,
        &format!("{name} — {tname}, minimum-time line"),
        &tel_line,
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_map.png"));
    plot::track_map(
        &f,
        &format!("{name} — {tname}: speed on the line"),
        &centre,
        &tel_line,
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_line_vs_centreline.png"));
    plot::laps::lap_overlay(
        &f,
        &format!("{tname}: optimised line against the centreline"),
        &[("line", &tel_line), ("centreline", &tel_centre)],
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_gg.png"));
    plot::laps::gg_diagram(
        &f,
        &format!("GG diagram — {name}, {tname}"),
        &tel_line,
        &env,
    )?;
    files.push(f);

    step("qualifying: part 1 (15 min, 40 cars), part 2 (10 min shoot-out)");
    let oracle = QssOracle::new(car.clone(), line_track.clone());
    let qformat = QualifyingFormat::carrera_cup_2007(car.params().mass.fuel_kg);
    let q = qualifying(&field, &oracle, &qformat, a.seed, 0)?;
    let f = out.join(format!("{tname}__weekend_qualifying.png"));
    plot::field::qualifying_gaps(
        &f,
        &format!(
            "{} — qualifying gaps to pole (seed {})",
            field.event, a.seed
        ),
        &q,
    )?;
    files.push(f);
    // Pole vs P15 vs P40: each driver's nominal lap (skill shares, no scatter) on the line.
    let nominal = |k: usize| -> Result<crate::solver::Telemetry> {
        let s = &field.entries[k].skill;
        lap_of(
            &line_track,
            &car.with_shares(s.grip_share, s.traction_share, s.brake_share)?,
        )
    };
    let picks: Vec<(String, crate::solver::Telemetry)> = [0usize, 14, q.grid.len() - 1]
        .iter()
        .filter(|&&p| p < q.grid.len())
        .map(|&p| {
            Ok((
                format!("P{} {}", p + 1, q.grid[p].name),
                nominal(q.grid[p].entry)?,
            ))
        })
        .collect::<Result<_>>()?;
    let refs: Vec<(&str, &crate::solver::Telemetry)> =
        picks.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let f = out.join(format!("{tname}__weekend_pole_p15_p40.png"));
    plot::laps::lap_overlay(
        &f,
        "Nominal laps of pole, P15 and P40 (skill shares, no scatter)",
        &refs,
    )?;
    files.push(f);

    step("race: 22 laps from a standing start");
    let rformat = RaceFormat::carrera_cup_2007();
    let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
    let r = race(&field, &oracle, &rformat, &grid, a.seed, 0)?;
    let chosen: Vec<usize> = r.classification.iter().take(5).map(|c| c.entry).collect();
    let f = out.join(format!("{tname}__weekend_race.png"));
    plot::field::race_laps(
        &f,
        &format!("{} — race, top five (seed {})", field.event, a.seed),
        &field,
        &r,
        &chosen,
    )?;
    files.push(f);
    let stem = format!("{tname}__weekend");
    write_grid_csv(&out.join(format!("{stem}_qualifying.csv")), &q)?;
    files.extend(write_race_csvs(out, &stem, &field, &r)?);

    // The report.
    let winner = &r.classification[0];
    let pole = &q.grid[0];
    let md_rel = |p: &PathBuf| {
        p.file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    };
    let mut md = format!("# {}\n\nPredicted by lapsim {} from first principles: the GT3 Cup car file, the {} track \
        file, the field file's driver skills and seed {}.\n\nReproduce: `cargo run --release -- weekend --seed {}` \
        (or plain `cargo run --release`, seed 2007).\n\n",
        field.event, env!("CARGO_PKG_VERSION"), tname, a.seed, a.seed);
    md += &format!(
        "## Key figures\n\n| | |\n|---|---|\n| lap of the car on the optimised line (no driver limits) | {} |\n\
         | the same on the centreline | {} |\n| top speed at the end of the start/finish straight | {:.1} km/h |\n\
         | pole | {} — {} |\n| gap pole → P15 / P40 | {:+.3} s / {:+.3} s |\n\
         | winner | {} — {} for {} laps |\n| winner's race pace (median lap) | {} |\n| fastest race lap | {} |\n\n",
        crate::report::format_lap_time(tel_line.summary.lap.lap_time_s),
        crate::report::format_lap_time(tel_centre.summary.lap.lap_time_s),
        tel_line.summary.v_max_mps * 3.6,
        pole.name,
        crate::report::format_lap_time(pole.best_s),
        q.grid.get(14).map_or(0.0, |g| g.gap_to_pole_s),
        q.grid.last().map_or(0.0, |g| g.gap_to_pole_s),
        field.entries[winner.entry].name,
        race_time(winner.total_s),
        rformat.laps,
        crate::report::format_lap_time(winner.median_s()),
        crate::report::format_lap_time(
            r.classification.iter().map(|c| c.fastest_s()).fold(f64::INFINITY, f64::min)
        ),
    );
    md += "## The lap\n\n";
    for f in &files[..4] {
        md += &format!("![{}]({})\n\n", md_rel(f), md_rel(f));
    }
    md += "## Qualifying grid\n\n| pos | no | driver | best | gap to pole | gap ahead | part |\n|---|---|---|---|---|---|---|\n";
    for g in &q.grid {
        md += &format!(
            "| {} | {} | {} | {} | {:+.3} | {:+.3} | {} |\n",
            g.position,
            g.number,
            g.name,
            crate::report::format_lap_time(g.best_s),
            g.gap_to_pole_s,
            g.gap_ahead_s,
            g.part
        );
    }
    md += &format!(
        "\n![qualifying]({})\n\n![pole, P15, P40]({})\n\n",
        md_rel(&files[4]),
        md_rel(&files[5])
    );
    md += "## Race result\n\n| pos | no | driver | grid | total | gap | fastest | mean | median |\n|---|---|---|---|---|---|---|---|---|\n";
    for (p, c) in r.classification.iter().enumerate() {
        let e = &field.entries[c.entry];
        md += &format!(
            "| {} | {} | {} | {} | {}:{:06.3} | {:+.3} | {} | {} | {} |\n",
            p + 1,
            e.number,
            e.name,
            c.grid,
            (c.total_s / 60.0) as u64,
            c.total_s % 60.0,
            c.total_s - winner.total_s,
            crate::report::format_lap_time(c.fastest_s()),
            crate::report::format_lap_time(c.mean_s()),
            crate::report::format_lap_time(c.median_s())
        );
    }
    md += &format!("\n![race]({})\n", md_rel(&files[6]));
    let mdp = out.join("weekend.md");
    write_atomic(&mdp, |w| w.write_all(md.as_bytes()))?;
    files.push(mdp);
    say(&format!("{} — seed {}\n", field.event, a.seed));
    say(&grid_table(&q));
    say(&classification_table(&field, &r));
    for f in &files {
        say(&format!("  wrote {}\n", f.display()));
    }
    step(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(files)
}
