//! Writing results: telemetry, line, grid and race CSVs and JSON records.
//!
//! Every file is written to a temporary file beside its target and renamed into place, so an interrupted
//! run never leaves a half-written result.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::field::Field;
use crate::line::RacingLine;
use crate::session::qualifying::QualifyingResult;
use crate::session::race::RaceResult;
use crate::solver::Telemetry;

/// Writes `path` atomically: `write` fills a temporary file in the same directory, which is then renamed.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let werr = |io| Error::Write {
        path: path.to_path_buf(),
        io,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(werr)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(werr)?;
    {
        let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut buf).map_err(werr)?;
        buf.flush().map_err(werr)?;
    }
    tmp.as_file().sync_all().map_err(werr)?;
    // A temporary file is created private (0600); results are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(werr)?;
    }
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

/// Writes telemetry as CSV with the columns
/// `s_m,x_m,y_m,curvature_1pm,v_mps,ax_mps2,ay_mps2,gear,engine_rpm,throttle,brake,t_s`.
pub fn write_telemetry_csv(path: &Path, t: &Telemetry) -> Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record([
            "s_m",
            "x_m",
            "y_m",
            "curvature_1pm",
            "v_mps",
            "ax_mps2",
            "ay_mps2",
            "gear",
            "engine_rpm",
            "throttle",
            "brake",
            "t_s",
        ])?;
        for i in 0..t.len() {
            c.write_record([
                format!("{:.3}", t.s_m[i]),
                format!("{:.3}", t.x_m[i]),
                format!("{:.3}", t.y_m[i]),
                format!("{:.6}", t.curvature_1pm[i]),
                format!("{:.4}", t.v_mps[i]),
                format!("{:.4}", t.ax_mps2[i]),
                format!("{:.4}", t.ay_mps2[i]),
                t.gear[i].to_string(),
                format!("{:.0}", t.engine_rpm[i]),
                format!("{:.4}", t.throttle[i]),
                format!("{:.4}", t.brake[i]),
                format!("{:.4}", t.t_s[i]),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// Writes any serialisable value as pretty JSON.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
}

/// Writes a racing line as CSV: a `#` comment saying what it is (`about`), then a header row and
/// `s_m, x_m, y_m, offset_m, curvature_1pm` (s along the line). Positions to the micrometre: a line is driven
/// from its points, and rounding them to the millimetre would add curvature noise of ~5e-4 1/m at a 2 m
/// spacing (4 δ / h²). `lapsim run --line-file` reads it back (by the column names).
pub fn write_line_csv(path: &Path, line: &RacingLine, about: &str) -> Result<()> {
    let n = line.x_m.len();
    write_atomic(path, |w| {
        writeln!(w, "# {about}; drive it with `lapsim run --line-file`")?;
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["s_m", "x_m", "y_m", "offset_m", "curvature_1pm"])?;
        let mut s = 0.0;
        for i in 0..n {
            c.write_record([
                format!("{s:.3}"),
                format!("{:.6}", line.x_m[i]),
                format!("{:.6}", line.y_m[i]),
                format!("{:.4}", line.offset_m[i]),
                format!("{:.6}", line.curvature_1pm[i]),
            ])?;
            let j = (i + 1) % n;
            s += (line.x_m[j] - line.x_m[i]).hypot(line.y_m[j] - line.y_m[i]);
        }
        c.flush()?;
        Ok(())
    })
}

/// Writes the qualifying grid as CSV.
pub fn write_grid_csv(path: &Path, q: &QualifyingResult) -> Result<()> {
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

/// Writes the race classification and every lap as CSV (`<stem>_race.csv`, `<stem>_race_laps.csv` in
/// `dir`); returns the paths written.
pub fn write_race_csvs(
    dir: &Path,
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
            "out_of_fuel_on_lap",
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
                car.out_of_fuel_on_lap
                    .map_or_else(String::new, |l| l.to_string()),
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
