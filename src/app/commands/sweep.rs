//! `lapsim sweep`: laps of variants of the car, each varying fields of the car file by their TOML path
//! (`--set mass.car_kg=1100:1250:16`, `--set driveline.gear_ratios[5]=0.8,0.85,0.9`; two or more `--set`
//! give the full product). The path driven is computed once, for the base car, and held fixed (the output
//! says so). Writes `sweep.csv` (one row per variant) and, for one varied field, `sweep.png`.

use std::path::PathBuf;

use super::{lap_tracks, say};
use crate::app::args::SweepArgs;
use crate::app::output::write_atomic;
use crate::app::plot;
use crate::error::Result;
use crate::solver::{LapSolver, Start};
use crate::study::{field_value, sweep as run_sweep, Setting, SweepRow};
use crate::track::reader::read_text;
use crate::track::Centerline;
use crate::vehicle::{Car, Envelope};

/// `lapsim sweep`: returns the rows.
pub fn sweep(a: &SweepArgs) -> Result<Vec<SweepRow>> {
    let settings: Vec<Setting> = a
        .set
        .iter()
        .map(|s| Setting::parse(s))
        .collect::<Result<_>>()?;
    let text = read_text(&a.car)?;
    let source = a.car.display().to_string();
    let base = Car::from_toml_str(&source, &text)?;
    let centerline = Centerline::from_file(&a.track)?;
    let (track, _) = lap_tracks(&base, &centerline, &a.geometry, &a.line)?;
    let started = std::time::Instant::now();
    let count: usize = settings.iter().map(|s| s.values.len()).product();
    let bar = indicatif::ProgressBar::new(count as u64);
    let rows = run_sweep(&text, &source, &settings, &track, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    say(&format!(
        "{} variants of {} on {} in {:.2} s; the path driven is the base car's, held fixed\n",
        rows.len(),
        base.params().name,
        track.name(),
        elapsed
    ));
    let names: Vec<&str> = settings.iter().map(|s| s.path.as_str()).collect();
    let sectors = rows.first().map_or(0, |r| r.sector_times_s.len());
    let mut head = format!("{:>14}", names.join(", "));
    head += "       lap   top km/h  min km/h  fuel kg\n";
    let mut table = head;
    for r in rows.iter().take(50) {
        let v: Vec<String> = r.values.iter().map(|v| format!("{v}")).collect();
        table += &format!(
            "{:>14} {:>9.3} {:>10.1} {:>9.1} {:>8.3}\n",
            v.join(", "),
            r.lap_time_s,
            r.v_max_mps * 3.6,
            r.v_min_mps * 3.6,
            r.fuel_per_lap_kg
        );
    }
    if rows.len() > 50 {
        table += &format!("... {} more rows in sweep.csv\n", rows.len() - 50);
    }
    say(&table);
    let csv = a.out.join("sweep.csv");
    write_atomic(&csv, |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut h: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        h.push("lap_time_s".into());
        h.extend((1..=sectors).map(|k| format!("sector_{k}_s")));
        h.extend([
            "v_max_kmh".into(),
            "v_min_kmh".into(),
            "fuel_per_lap_kg".into(),
        ]);
        c.write_record(&h)?;
        for r in &rows {
            let mut rec: Vec<String> = r.values.iter().map(|v| v.to_string()).collect();
            rec.push(format!("{:.4}", r.lap_time_s));
            rec.extend(r.sector_times_s.iter().map(|t| format!("{t:.4}")));
            rec.push(format!("{:.2}", r.v_max_mps * 3.6));
            rec.push(format!("{:.2}", r.v_min_mps * 3.6));
            rec.push(format!("{:.4}", r.fuel_per_lap_kg));
            c.write_record(&rec)?;
        }
        c.flush()
    })?;
    let mut written: Vec<PathBuf> = vec![csv];
    if settings.len() == 1 {
        let s = &settings[0];
        // The base car's own lap, marked at the file's value of the field.
        let env = Envelope::new(&base);
        let base_lap = LapSolver::new(&track, &env)
            .solve(Start::Flying)?
            .lap_time_s;
        let base_point = field_value(&text, &s.path).map(|v| (v, base_lap));
        let png = a.out.join("sweep.png");
        let points: Vec<(f64, f64)> = rows.iter().map(|r| (r.values[0], r.lap_time_s)).collect();
        plot::study::sweep_1d(
            &png,
            &format!(
                "{} on {}: lap time against {} (path held fixed)",
                base.params().name,
                track.name(),
                s.path
            ),
            &s.path,
            &points,
            base_point,
        )?;
        written.push(png);
    }
    if settings.len() > 1 {
        say("  (a chart is drawn for one varied field; a grid writes the CSV only)\n");
    }
    for p in &written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(rows)
}
