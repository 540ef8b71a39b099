//! `lapsim weekend` (and plain `lapsim`): the event end to end — the car's lap on the line and on the
//! centreline, qualifying, the race, every chart, and `weekend.md`.
//!
//! Three steps, one function each: [`simulate`] computes everything, [`draw_charts`] draws it, and
//! [`markdown`] writes the report from the results.

use std::path::{Path, PathBuf};

use super::{hint_defaults, lap_tracks, say, step, track_name};
use crate::app::args::WeekendArgs;
use crate::app::output::{write_atomic, write_grid_csv, write_race_csvs};
use crate::app::plot;
use crate::app::report::{classification_table, format_gap, grid_table};
use crate::error::Result;
use crate::field::Field;
use crate::laptime::format_lap_time;
use crate::line::LinePath;
use crate::session::qualifying::{qualifying, QualifyingResult};
use crate::session::race::{race, RaceResult};
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
    /// The nominal laps (skill shares, no scatter) of pole, the last shoot-out place (or the middle of the
    /// grid) and the last place, with their labels.
    pub nominal: Vec<(String, Telemetry)>,
    /// The race.
    pub race: RaceResult,
    /// The path driven, in words.
    pub line_name: String,
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

/// The grid places whose nominal laps the weekend compares: pole, the last place of the shoot-out (or the
/// middle of the grid for a single session) and the last place.
fn compared_places(field: &Field, cars: usize) -> Vec<usize> {
    let q = &field.qualifying;
    let middle = if q.has_shootout() {
        q.shootout_cars - 1
    } else {
        cars / 2
    };
    let mut places = vec![0, middle.min(cars - 1), cars - 1];
    places.dedup();
    places
}

/// The path in words, for titles.
pub fn line_name(path: &LinePath) -> String {
    match path {
        LinePath::Centreline => "centreline".into(),
        LinePath::MinimumCurvature(_) => "minimum-curvature line".into(),
        LinePath::MinimumTime(_) => "minimum-time line".into(),
        LinePath::File(f) => format!("line {}", f.display()),
    }
}

/// Computes the weekend: laps, qualifying, the nominal laps of three grid places, the race.
pub fn simulate(a: &WeekendArgs) -> Result<Weekend> {
    step(&format!(
        "reading {} and {}",
        a.field.display(),
        a.track.display()
    ));
    let field = Field::from_file(&a.field).map_err(|e| hint_defaults(e, &a.field, "--field"))?;
    let car = Car::from_file(&field.car_path)?;
    field.check_fuel(car.params().mass.fuel_tank_kg, &car.params().name)?;
    let centerline =
        Centerline::from_file(&a.track).map_err(|e| hint_defaults(e, &a.track, "--track"))?;
    let path = a.line.path();
    step(&format!("building the path: the {}", line_name(&path)));
    let (line_track, centre) = lap_tracks(&car, &centerline, &a.geometry, &a.line)?;
    let envelope = Envelope::new(&car);
    let lap_line = lap_of(&line_track, &car)?;
    let lap_centre = lap_of(&centre, &car)?;

    let q = &field.qualifying;
    let n = field.entries.len();
    step(&if q.has_shootout() {
        format!(
            "qualifying: part 1 ({} min, {n} cars), part 2 ({} min shoot-out of {})",
            q.part1_s / 60.0,
            q.part2_s / 60.0,
            q.shootout_cars
        )
    } else {
        format!(
            "qualifying: one session ({} min, {n} cars)",
            q.part1_s / 60.0
        )
    });
    let oracle = QssOracle::new(car.clone(), line_track.clone());
    let qr = qualifying(&field, &oracle, &field.qualifying, a.seed, 0)?;
    // Each compared driver's nominal lap (skill shares, no scatter) on the line.
    let nominal = compared_places(&field, qr.grid.len())
        .into_iter()
        .map(|p| {
            let s = &field.entries[qr.grid[p].entry].skill;
            let driver = car.with_shares(s.grip_share, s.traction_share, s.brake_share)?;
            Ok((
                format!("P{} {}", p + 1, qr.grid[p].name),
                lap_of(&line_track, &driver)?,
            ))
        })
        .collect::<Result<_>>()?;

    step(&format!(
        "race: {} from a standing start",
        field.race.distance()
    ));
    let grid: Vec<usize> = qr.grid.iter().map(|g| g.entry).collect();
    let r = race(&field, &oracle, &field.race, &grid, a.seed, 0)?;
    Ok(Weekend {
        field,
        car,
        envelope,
        centre,
        lap_line,
        lap_centre,
        qualifying: qr,
        nominal,
        race: r,
        line_name: line_name(&path),
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
        &format!("{name} — {tname}, {}", w.line_name),
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
        &format!("{tname}: {} against the centreline", w.line_name),
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
    let f = out.join(format!("{tname}__weekend_nominal_laps.png"));
    let labels: Vec<&str> = w.nominal.iter().map(|(n, _)| n.as_str()).collect();
    plot::laps::lap_overlay(
        &f,
        &format!(
            "Nominal laps of {} (skill shares, no scatter)",
            labels.join(", ")
        ),
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

/// The command that reproduces a weekend: every argument, defaults included.
pub fn reproduce_command(a: &WeekendArgs) -> String {
    let mut c = format!(
        "cargo run --release -- weekend --field {} --track {} --seed {} --step-m {} --smoothing-m {}",
        a.field.display(),
        a.track.display(),
        a.seed,
        a.geometry.step_m,
        a.geometry.smoothing_m
    );
    if !a.geometry.sectors_m.is_empty() {
        let s: Vec<String> = a.geometry.sectors_m.iter().map(f64::to_string).collect();
        c += &format!(" --sectors-m {}", s.join(","));
    }
    match &a.line.line_file {
        Some(f) => c += &format!(" --line-file {}", f.display()),
        None => {
            let line = match a.line.line {
                crate::app::args::LineArg::Optimal => "optimal",
                crate::app::args::LineArg::MinCurvature => "min-curvature",
                crate::app::args::LineArg::Centreline => "centreline",
            };
            c += &format!(
                " --line {line} --line-grid-m {} --margin-m {}",
                a.line.line_grid_m, a.line.margin_m
            );
        }
    }
    c + &format!(" --out {}", a.out.display())
}

/// The weekend's report in Markdown, with the charts of [`draw_charts`] (`charts`, in its order). Every
/// sentence comes from the data: the event, circuit, car, field, formats and results.
pub fn markdown(a: &WeekendArgs, w: &Weekend, charts: &[PathBuf]) -> String {
    let tname = track_name(&a.track);
    let (q, r) = (&w.qualifying, &w.race);
    let f = &w.field;
    let winner = &r.classification[0];
    let pole = &q.grid[0];
    let md_rel = |p: &Path| {
        p.file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    };
    let car = w.car.params();
    let mut md = format!(
        "# {}\n\nPredicted by lapsim {} from first principles: the {}, car file `{}`, on {} (track file `{}`, \
         {:.0} m on the {}), {} entries with the driver skills of the field file `{}`, seed {}.\n\n\
         Reproduce: `{}`\n\n",
        f.event,
        env!("CARGO_PKG_VERSION"),
        car.name,
        f.car_path.display(),
        tname,
        a.track.display(),
        w.lap_line.summary.length_m,
        w.line_name,
        f.entries.len(),
        a.field.display(),
        a.seed,
        reproduce_command(a)
    );
    // The fuel each figure was set with: the car file's for the lap, the run's start for pole.
    let pole_fuel = if pole.part == 2 {
        q.part1[pole.entry].fuel_left_kg
    } else {
        f.qualifying.fuel_kg
    };
    let last = q.grid.len();
    let mid = if f.qualifying.has_shootout() {
        f.qualifying.shootout_cars
    } else {
        last / 2 + 1
    };
    let s = &w.lap_line.summary;
    md += &format!(
        "## Key figures\n\n| | |\n|---|---|\n\
         | lap of the car on the {} (no driver limits, the car file's {} kg of fuel) | {} |\n\
         | the same on the centreline | {} |\n| top speed (at s = {:.0} m) | {:.1} km/h |\n\
         | pole (set with {:.1} kg of fuel at the start of its run, driver's skill, tyres at their best) | {} — {} |\n\
         | gap pole → P{mid} / P{last} | {:+.3} s / {:+.3} s |\n\
         | winner | {} — {} for {} |\n| winner's race pace (median lap) | {} |\n| fastest race lap | {} |\n",
        w.line_name,
        car.mass.fuel_kg,
        format_lap_time(s.lap.lap_time_s),
        format_lap_time(w.lap_centre.summary.lap.lap_time_s),
        s.v_max_s_m,
        s.v_max_mps * 3.6,
        pole_fuel,
        pole.name,
        format_lap_time(pole.best_s),
        q.grid.get(mid - 1).map_or(0.0, |g| g.gap_to_pole_s),
        q.grid.last().map_or(0.0, |g| g.gap_to_pole_s),
        f.entries[winner.entry].name,
        format_lap_time(winner.total_s),
        if r.laps == 1 { "1 lap".to_string() } else { format!("{} laps", r.laps) },
        format_lap_time(winner.median_s()),
        format_lap_time(
            r.classification.iter().map(|c| c.fastest_s()).fold(f64::INFINITY, f64::min)
        ),
    );
    let dry: Vec<String> = r
        .classification
        .iter()
        .filter_map(|c| {
            c.out_of_fuel_on_lap
                .map(|l| format!("{} (lap {l})", f.entries[c.entry].name))
        })
        .collect();
    if !dry.is_empty() {
        md += &format!(
            "| out of fuel ({} kg at the start) | {} |\n",
            f.race.fuel_kg,
            dry.join(", ")
        );
    }
    md += "\n## The lap\n\n";
    for c in &charts[..4] {
        md += &format!("![{}]({})\n\n", md_rel(c), md_rel(c));
    }
    md += "## Qualifying grid\n\n| pos | no | driver | best | gap to pole | gap ahead | part |\n|---|---|---|---|---|---|---|\n";
    for g in &q.grid {
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            g.position,
            g.number,
            g.name,
            format_lap_time(g.best_s),
            format_gap(g.gap_to_pole_s),
            format_gap(g.gap_ahead_s),
            g.part
        );
    }
    let compared: Vec<&str> = w.nominal.iter().map(|(n, _)| n.as_str()).collect();
    md += &format!(
        "\n![qualifying]({})\n\n![{}]({})\n\n",
        md_rel(&charts[4]),
        compared.join(", "),
        md_rel(&charts[5])
    );
    md += "## Race result\n\n| pos | no | driver | grid | total | gap | fastest | mean | median |\n|---|---|---|---|---|---|---|---|---|\n";
    for (p, c) in r.classification.iter().enumerate() {
        let e = &f.entries[c.entry];
        let (total, gap) = match c.out_of_fuel_on_lap {
            None => (
                format_lap_time(c.total_s),
                format!("{:+.3}", c.total_s - winner.total_s),
            ),
            Some(l) => (format!("out of fuel on lap {l}"), "–".to_string()),
        };
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            p + 1,
            e.number,
            e.name,
            c.grid,
            total,
            gap,
            format_lap_time(c.fastest_s()),
            format_lap_time(c.mean_s()),
            format_lap_time(c.median_s())
        );
    }
    md += &format!("\n![race]({})\n", md_rel(&charts[6]));
    md
}
