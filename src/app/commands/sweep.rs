//! `lapsim sweep`: laps of variants of the car, each varying fields of the car file by their TOML path
//! (`--set mass.car_kg=1100:1250:16`, `--set driveline.gear_ratios[5]=0.8,0.85,0.9`; two or more `--set`
//! give the full product). The path driven is computed once, for the base car, and held fixed, unless
//! `--reoptimise-line` asks for each variant's own line (the output says which). Writes `sweep.csv` (one row
//! per variant) and a chart: for one varied field `sweep.png` (lap against the value), for two a heat map
//! with contour lines. With `--shard K/N` it laps only slice K of N and writes a part file for `lapsim
//! merge`, which writes what the whole sweep would have.

use std::path::{Path, PathBuf};

use super::{lap_tracks, say};
use crate::app::args::SweepArgs;
use crate::app::output::write_atomic;
use crate::app::plot;
use crate::error::{Error, Result};
use crate::study::shard::{fingerprint, Part, Shard, StudyInfo, PART_FORMAT};
use crate::study::sweep::{lap_row, PathPerVariant, Timing};
use crate::study::{field_value, sweep as run_sweep, variants, Setting, SweepRow};
use crate::track::reader::read_text;
use crate::track::Centerline;
use crate::vehicle::Car;

/// The part file of shard `s` in `out`.
pub fn part_path(out: &Path, s: Shard) -> PathBuf {
    out.join(format!("sweep.part-{}-of-{}.json", s.index, s.count))
}

/// `lapsim sweep`: returns the rows computed (the shard's only, with `--shard`).
pub fn sweep(a: &SweepArgs) -> Result<Vec<SweepRow>> {
    let settings: Vec<Setting> = a
        .set
        .iter()
        .map(|s| Setting::parse(s))
        .collect::<Result<_>>()?;
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    let count = variants(&settings)?.len();
    let text = read_text(&a.car)?;
    let source = a.car.display().to_string();
    let base = Car::from_toml_str(&source, &text)?;
    let centerline = Centerline::from_file(&a.track)?;
    // The study's fingerprint: every input that changes a row, by content (not by path, so parts written
    // on different machines of a cluster merge).
    let read_bytes = |p: &Path| {
        std::fs::read(p).map_err(|io| Error::Read {
            path: p.to_path_buf(),
            io,
        })
    };
    let line_bytes = a.line.line_file.as_deref().map(read_bytes).transpose()?;
    let description = format!(
        "car file:\n{text}\ntrack file: {}\nline file: {}\ngeometry: {}\nline: {}\nset: {:?}\nline per variant: {}\n",
        fingerprint(&read_bytes(&a.track)?),
        line_bytes.as_deref().map_or("none".into(), fingerprint),
        serde_json::to_string(&a.geometry).map_err(|e| Error::Internal(e.to_string()))?,
        serde_json::to_string(&a.line).map_err(|e| Error::Internal(e.to_string()))?,
        a.set,
        a.reoptimise_line
    );
    let (track, _) = lap_tracks(&base, &centerline, &a.geometry, &a.line)?;
    let base_lap_s = lap_row(&base, &track, Vec::new())?.lap_time_s;
    let study = StudyInfo {
        fingerprint: fingerprint(description.as_bytes()),
        car_name: base.params().name.clone(),
        track_name: track.name().to_string(),
        names: settings.iter().map(|s| s.path.clone()).collect(),
        variants: count,
        base_values: settings
            .iter()
            .map(|s| field_value(&text, &s.path))
            .collect(),
        base_lap_s,
        line_per_variant: a.reoptimise_line,
    };
    let range = shard.map_or(0..count, |s| s.range(count));
    let own_line = |car: &Car| lap_tracks(car, &centerline, &a.geometry, &a.line).map(|(t, _)| t);
    let path = if a.reoptimise_line {
        PathPerVariant::Own(&own_line)
    } else {
        PathPerVariant::Fixed(&track)
    };
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(range.len() as u64);
    let timing = Timing::default();
    let rows = run_sweep(
        &text,
        &source,
        &settings,
        range.clone(),
        &path,
        &|| bar.inc(1),
        &timing,
    )?;
    bar.finish_and_clear();
    let (cars_s, lines_s, envelopes_s, laps_s) = timing.seconds();
    say(&format!(
        "{} variants of {} on {} in {:.2} s; {}\n  time summed over threads: {:.2} s building and \
         validating the {} variant cars, {}{:.2} s building envelopes, {:.2} s in the laps\n",
        rows.len(),
        study.car_name,
        study.track_name,
        started.elapsed().as_secs_f64(),
        line_note(&study),
        cars_s,
        count,
        if a.reoptimise_line {
            format!("{lines_s:.2} s computing racing lines, ")
        } else {
            String::new()
        },
        envelopes_s,
        laps_s
    ));
    if let Some(s) = shard {
        let part = Part {
            format: PART_FORMAT.into(),
            study,
            shard: s,
            first: range.start,
            rows,
        };
        let file = part_path(&a.out, s);
        write_atomic(&file, |w| {
            serde_json::to_writer(&mut *w, &part).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })?;
        say(&format!(
            "  shard {}/{}: variants {}..{} of {}\n  wrote {}\n",
            s.index,
            s.count,
            range.start,
            range.end,
            count,
            file.display()
        ));
        return Ok(part.rows);
    }
    write_results(&a.out, &study, &rows)?;
    Ok(rows)
}

/// Which path the laps drove, in words.
pub fn line_note(study: &StudyInfo) -> &'static str {
    if study.line_per_variant {
        "each variant drove its own racing line (--reoptimise-line)"
    } else {
        "the path driven is the base car's, held fixed"
    }
}

/// Prints the table and writes `sweep.csv` and the chart of a whole sweep: what a single process and the
/// merge of its shards both write, from the same study and rows, so their files are the same bytes.
pub fn write_results(out: &Path, study: &StudyInfo, rows: &[SweepRow]) -> Result<Vec<PathBuf>> {
    let names = &study.names;
    let sectors = rows.first().map_or(0, |r| r.sector_times_s.len());
    let mut table = format!("{:>14}", names.join(", "));
    table += "       lap   top km/h  min km/h  fuel kg\n";
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
    // The chart first: a failed chart leaves no results.
    let mut written: Vec<PathBuf> = Vec::new();
    let line = if study.line_per_variant {
        "each variant's own line"
    } else {
        "path held fixed"
    };
    let png = out.join("sweep.png");
    match names.len() {
        1 => {
            let points: Vec<(f64, f64)> =
                rows.iter().map(|r| (r.values[0], r.lap_time_s)).collect();
            plot::study::sweep_1d(
                &png,
                &format!(
                    "{} on {}: lap time against {} ({line})",
                    study.car_name, study.track_name, names[0]
                ),
                &names[0],
                &points,
                study.base_values[0].map(|v| (v, study.base_lap_s)),
            )?;
            written.push(png);
        }
        2 => {
            let (xs, ys, laps) = grid(rows);
            plot::study::sweep_2d(
                &png,
                &format!(
                    "{} on {}: lap time over {} × {} ({line})",
                    study.car_name, study.track_name, names[0], names[1]
                ),
                (&names[0], &names[1]),
                &xs,
                &ys,
                &laps,
                study.base_values[0]
                    .zip(study.base_values[1])
                    .map(|(x, y)| (x, y, study.base_lap_s)),
            )?;
            written.push(png);
        }
        _ => say("  (a chart is drawn for one or two varied fields; more write the CSV only)\n"),
    }
    let csv = out.join("sweep.csv");
    write_atomic(&csv, |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut h: Vec<String> = names.clone();
        h.push("lap_time_s".into());
        h.extend((1..=sectors).map(|k| format!("sector_{k}_s")));
        h.extend([
            "v_max_kmh".into(),
            "v_min_kmh".into(),
            "fuel_per_lap_kg".into(),
        ]);
        c.write_record(&h)?;
        for r in rows {
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
    written.push(csv);
    for p in &written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(written)
}

/// The grid of a two-field sweep (rows in variant order: the second field fastest), each axis sorted
/// increasing for the chart: (x values, y values, laps[x][y]).
fn grid(rows: &[SweepRow]) -> (Vec<f64>, Vec<f64>, Vec<Vec<f64>>) {
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for r in rows {
        if !xs.contains(&r.values[0]) {
            xs.push(r.values[0]);
        }
        if !ys.contains(&r.values[1]) {
            ys.push(r.values[1]);
        }
    }
    xs.sort_by(f64::total_cmp);
    ys.sort_by(f64::total_cmp);
    let mut laps = vec![vec![f64::NAN; ys.len()]; xs.len()];
    for r in rows {
        let i = xs.iter().position(|&x| x == r.values[0]).unwrap_or(0);
        let j = ys.iter().position(|&y| y == r.values[1]).unwrap_or(0);
        laps[i][j] = r.lap_time_s;
    }
    (xs, ys, laps)
}
