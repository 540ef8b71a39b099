//! `lapsim weekend` (and plain `lapsim`): the event end to end — the car's lap on the line and on the
//! centreline, qualifying, the race, every chart, and `weekend.md`.
//!
//! Three steps, one function each: [`simulate`] computes everything, [`draw_charts`] draws it, and
//! [`markdown`] writes the report from the results.

use std::path::{Path, PathBuf};

use super::{lap_tracks, say, step, track_name};
use crate::app::args::WeekendArgs;
use crate::app::output::{write_atomic, write_grid_csv, write_race_csvs};
use crate::app::plot;
use crate::app::report::{classification_table, grid_table};
use crate::error::Result;
use crate::field::Field;
use crate::laptime::format_lap_time;
use crate::session::qualifying::{qualifying, QualifyingFormat, QualifyingResult};
use crate::session::race::{race, RaceFormat, RaceResult};
use crate::session::QssOracle;
use crate::solver::{LapSolver, Start, Telemetry};
use crate::track::{Centerline, Track};
use crate::vehicle::{Car, Envelope};

/// Everything the weekend computed.
pub struct Weekend {
    /// The field.
    pub field: Field,
    /// Its car.
    pub car: Car,
    /// The car's envelope (for the GG diagram).
    pub envelope: Envelope,
    /// The centreline as a track (for maps).
    pub centre: Track,
    /// The car's flying lap on the path driven, with no driver limits.
    pub lap_line: Telemetry,
    /// The same on the centreline.
    pub lap_centre: Telemetry,
    /// Qualifying.
    pub qualifying: QualifyingResult,
    /// The nominal laps (skill shares, no scatter) of pole, P15 and P40, with their labels.
    pub nominal: Vec<(String, Telemetry)>,
    /// The race format run.
    pub race_format: RaceFormat,
    /// The race.
    pub race: RaceResult,
}

/// The weekend: the lap on the line and on the centreline, qualifying, the race, every chart and
/// `weekend.md`. Returns the files written.
pub fn weekend(a: &WeekendArgs) -> Result<Vec<PathBuf>> {
    let started = std::time::Instant::now();
    let w = simulate(a)?;
    let mut files = draw_charts(a, &w)?;
    let tname = track_name(&a.track);
    let stem = format!("{tname}__weekend");
    let out = &a.out;
    write_grid_csv(&out.join(format!("{stem}_qualifying.csv")), &w.qualifying)?;
    files.extend(write_race_csvs(out, &stem, &w.field, &w.race)?);
    let md = markdown(a, &w, &files);
    let mdp = out.join("weekend.md");
    write_atomic(&mdp, |f| f.write_all(md.as_bytes()))?;
    files.push(mdp);
    say(&format!("{} — seed {}\n", w.field.event, a.seed));
    say(&grid_table(&w.qualifying));
    say(&classification_table(&w.field, &w.race));
    for f in &files {
        say(&format!("  wrote {}\n", f.display()));
    }
    step(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(files)
}

/// A flying lap's telemetry of `car` on `track`.
fn lap_of(track: &Track, car: &Car) -> Result<Telemetry> {
    let env = Envelope::new(car);
    let mut s = LapSolver::new(track, &env);
    s.solve(Start::Flying)?;
    s.telemetry()
}

/// Computes the weekend: laps, qualifying, the nominal laps of three grid places, the race.
pub fn simulate(a: &WeekendArgs) -> Result<Weekend> {
    step(&format!(
        "reading {} and {}",
        a.field.display(),
        a.track.display()
    ));
    let field = Field::from_file(&a.field)?;
    let car = Car::from_file(&field.car_path)?;
    let centerline = Centerline::from_file(&a.track)?;
    step("computing the racing line (minimum curvature, then the minimum-time blend)");
    let (line_track, centre) = lap_tracks(&car, &centerline, &a.geometry, &a.line)?;
    let envelope = Envelope::new(&car);
    let lap_line = lap_of(&line_track, &car)?;
    let lap_centre = lap_of(&centre, &car)?;

    step("qualifying: part 1 (15 min, 40 cars), part 2 (10 min shoot-out)");
    let oracle = QssOracle::new(car.clone(), line_track.clone());
    let qformat = QualifyingFormat::carrera_cup_2007(car.params().mass.fuel_kg);
    let q = qualifying(&field, &oracle, &qformat, a.seed, 0)?;
    // Pole vs P15 vs P40: each driver's nominal lap (skill shares, no scatter) on the line.
    let nominal = [0usize, 14, q.grid.len() - 1]
        .iter()
        .filter(|&&p| p < q.grid.len())
        .map(|&p| {
            let s = &field.entries[q.grid[p].entry].skill;
            let driver = car.with_shares(s.grip_share, s.traction_share, s.brake_share)?;
            Ok((
                format!("P{} {}", p + 1, q.grid[p].name),
                lap_of(&line_track, &driver)?,
            ))
        })
        .collect::<Result<_>>()?;

    step("race: 22 laps from a standing start");
    let race_format = RaceFormat::carrera_cup_2007();
    let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
    let r = race(&field, &oracle, &race_format, &grid, a.seed, 0)?;
    Ok(Weekend {
        field,
        car,
        envelope,
        centre,
        lap_line,
        lap_centre,
        qualifying: q,
        nominal,
        race_format,
        race: r,
    })
}

/// Draws the weekend's seven charts; returns their paths (the four lap charts first, then qualifying, the
/// nominal laps and the race).
pub fn draw_charts(a: &WeekendArgs, w: &Weekend) -> Result<Vec<PathBuf>> {
    step("drawing the charts");
    let out = &a.out;
    let tname = track_name(&a.track);
    let name = &w.car.params().name;
    let mut files = Vec::new();
    let f = out.join(format!("{tname}__weekend_speed.png"));
    plot::speed_trace(
        &f,
        &format!("{name} — {tname}, minimum-time line"),
        &w.lap_line,
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_map.png"));
    plot::track_map(
        &f,
        &format!("{name} — {tname}: speed on the line"),
        &w.centre,
        &w.lap_line,
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_line_vs_centreline.png"));
    plot::laps::lap_overlay(
        &f,
        &format!("{tname}: optimised line against the centreline"),
        &[("line", &w.lap_line), ("centreline", &w.lap_centre)],
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_gg.png"));
    plot::laps::gg_diagram(
        &f,
        &format!("GG diagram — {name}, {tname}"),
        &w.lap_line,
        &w.envelope,
    )?;
    files.push(f);
    let f = out.join(format!("{tname}__weekend_qualifying.png"));
    plot::field::qualifying_gaps(
        &f,
        &format!(
            "{} — qualifying gaps to pole (seed {})",
            w.field.event, a.seed
        ),
        &w.qualifying,
    )?;
    files.push(f);
    let refs: Vec<(&str, &Telemetry)> = w.nominal.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let f = out.join(format!("{tname}__weekend_pole_p15_p40.png"));
    plot::laps::lap_overlay(
        &f,
        "Nominal laps of pole, P15 and P40 (skill shares, no scatter)",
        &refs,
    )?;
    files.push(f);
    let chosen: Vec<usize> = w
        .race
        .classification
        .iter()
        .take(5)
        .map(|c| c.entry)
        .collect();
    let f = out.join(format!("{tname}__weekend_race.png"));
    plot::field::race_laps(
        &f,
        &format!("{} — race, top five (seed {})", w.field.event, a.seed),
        &w.field,
        &w.race,
        &chosen,
    )?;
    files.push(f);
    Ok(files)
}

/// The weekend's report in Markdown, with the charts of [`draw_charts`] (`charts`, in its order).
pub fn markdown(a: &WeekendArgs, w: &Weekend, charts: &[PathBuf]) -> String {
    let tname = track_name(&a.track);
    let (q, r) = (&w.qualifying, &w.race);
    let winner = &r.classification[0];
    let pole = &q.grid[0];
    let md_rel = |p: &Path| {
        p.file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    };
    let mut md = format!("# {}\n\nPredicted by lapsim {} from first principles: the GT3 Cup car file, the {} track \
        file, the field file's driver skills and seed {}.\n\nReproduce: `cargo run --release -- weekend --seed {}` \
        (or plain `cargo run --release`, seed 2007).\n\n",
        w.field.event, env!("CARGO_PKG_VERSION"), tname, a.seed, a.seed);
    md += &format!(
        "## Key figures\n\n| | |\n|---|---|\n| lap of the car on the optimised line (no driver limits) | {} |\n\
         | the same on the centreline | {} |\n| top speed at the end of the start/finish straight | {:.1} km/h |\n\
         | pole | {} — {} |\n| gap pole → P15 / P40 | {:+.3} s / {:+.3} s |\n\
         | winner | {} — {} for {} laps |\n| winner's race pace (median lap) | {} |\n| fastest race lap | {} |\n\n",
        format_lap_time(w.lap_line.summary.lap.lap_time_s),
        format_lap_time(w.lap_centre.summary.lap.lap_time_s),
        w.lap_line.summary.v_max_mps * 3.6,
        pole.name,
        format_lap_time(pole.best_s),
        q.grid.get(14).map_or(0.0, |g| g.gap_to_pole_s),
        q.grid.last().map_or(0.0, |g| g.gap_to_pole_s),
        w.field.entries[winner.entry].name,
        format_lap_time(winner.total_s),
        w.race_format.laps,
        format_lap_time(winner.median_s()),
        format_lap_time(
            r.classification.iter().map(|c| c.fastest_s()).fold(f64::INFINITY, f64::min)
        ),
    );
    md += "## The lap\n\n";
    for f in &charts[..4] {
        md += &format!("![{}]({})\n\n", md_rel(f), md_rel(f));
    }
    md += "## Qualifying grid\n\n| pos | no | driver | best | gap to pole | gap ahead | part |\n|---|---|---|---|---|---|---|\n";
    for g in &q.grid {
        md += &format!(
            "| {} | {} | {} | {} | {:+.3} | {:+.3} | {} |\n",
            g.position,
            g.number,
            g.name,
            format_lap_time(g.best_s),
            g.gap_to_pole_s,
            g.gap_ahead_s,
            g.part
        );
    }
    md += &format!(
        "\n![qualifying]({})\n\n![pole, P15, P40]({})\n\n",
        md_rel(&charts[4]),
        md_rel(&charts[5])
    );
    md += "## Race result\n\n| pos | no | driver | grid | total | gap | fastest | mean | median |\n|---|---|---|---|---|---|---|---|---|\n";
    for (p, c) in r.classification.iter().enumerate() {
        let e = &w.field.entries[c.entry];
        md += &format!(
            "| {} | {} | {} | {} | {} | {:+.3} | {} | {} | {} |\n",
            p + 1,
            e.number,
            e.name,
            c.grid,
            format_lap_time(c.total_s),
            c.total_s - winner.total_s,
            format_lap_time(c.fastest_s()),
            format_lap_time(c.mean_s()),
            format_lap_time(c.median_s())
        );
    }
    md += &format!("\n![race]({})\n", md_rel(&charts[6]));
    md
}
