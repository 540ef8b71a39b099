//! `lapsim compare A.csv B.csv ...`: overlays two or more laps — lapsim's telemetry, or a measured lap with
//! distance and speed columns — with a time-delta panel, and tables of the sector and corner differences
//! against the first lap.
//!
//! A lap file is CSV with a header row naming at least `s_m` (distance from the line, increasing) and
//! `v_mps` (speed); `t_s` (time since the line) is used when present, else integrated as
//! `Σ 2 ds / (v_i + v_{i+1})`. As in lapsim's telemetry, point i opens the segment to point i + 1 and the lap
//! closes from the last point back to the first, one last spacing further on. Laps on paths of different
//! lengths are compared at the same fraction of the lap.

use std::path::{Path, PathBuf};

use super::say;
use crate::app::args::CompareArgs;
use crate::app::output::write_atomic;
use crate::app::plot;
use crate::app::plot::laps::time_at_fraction;
use crate::error::{Error, Result};
use crate::laptime::format_lap_time;
use crate::solver::{slowest_corners, Lap, LapSummary, Start, Telemetry};
use crate::track::reader::{parse_named_rows, read_text};

/// A lap read from a file, as telemetry (the channels a file does not carry are zero).
pub fn read_lap(path: &Path) -> Result<Telemetry> {
    let name = path.display().to_string();
    let text = read_text(path)?;
    let with_time = parse_named_rows(&name, &text, &["s_m", "v_mps", "t_s"]);
    let (rows, has_t) = match with_time {
        Ok(r) => (r, true),
        Err(_) => (parse_named_rows(&name, &text, &["s_m", "v_mps"])?, false),
    };
    let bad = |line: u64, message: String| Error::TrackLine {
        source_name: name.clone(),
        line,
        message,
    };
    if rows.len() < 10 {
        return Err(Error::Track {
            source_name: name.clone(),
            message: format!(
                "{} points; a lap needs at least 10 (columns s_m, v_mps[, t_s] named in a header row)",
                rows.len()
            ),
        });
    }
    for w in rows.windows(2) {
        if w[1].values[0] <= w[0].values[0] {
            return Err(bad(
                w[1].line,
                "s_m must increase from point to point".into(),
            ));
        }
    }
    for r in &rows {
        if r.values[1] < 0.0 {
            return Err(bad(r.line, "v_mps must be a speed ≥ 0".into()));
        }
    }
    let n = rows.len();
    let s: Vec<f64> = rows
        .iter()
        .map(|r| r.values[0] - rows[0].values[0])
        .collect();
    let v: Vec<f64> = rows.iter().map(|r| r.values[1]).collect();
    let last_ds = s[n - 1] - s[n - 2];
    let length_m = s[n - 1] + last_ds;
    let seg = |i: usize, j: usize, ds: f64| 2.0 * ds / (v[i] + v[j]);
    let t: Vec<f64> = if has_t {
        let t0 = rows[0].values[2];
        rows.iter().map(|r| r.values[2] - t0).collect()
    } else {
        let mut t = vec![0.0; n];
        for i in 1..n {
            t[i] = t[i - 1] + seg(i - 1, i, s[i] - s[i - 1]);
        }
        t
    };
    let lap_time_s = t[n - 1] + seg(n - 1, 0, last_ds);
    if !lap_time_s.is_finite() {
        return Err(Error::Track {
            source_name: name,
            message: "the lap time is not finite (two consecutive points at rest)".into(),
        });
    }
    for w in rows.windows(2).zip(t.windows(2)) {
        if w.1[1] <= w.1[0] {
            return Err(bad(
                w.0[1].line,
                "t_s must increase from point to point".into(),
            ));
        }
    }
    let (imax, vmax) = v
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |a, (i, &x)| if x > a.1 { (i, x) } else { a });
    let zeros = vec![0.0; n];
    let ax: Vec<f64> = (0..n)
        .map(|i| {
            let (j, ds) = if i + 1 < n {
                (i + 1, s[i + 1] - s[i])
            } else {
                (0, last_ds)
            };
            (v[j] * v[j] - v[i] * v[i]) / (2.0 * ds)
        })
        .collect();
    let summary = LapSummary {
        lap: Lap {
            start: Start::Flying,
            lap_time_s,
            v_start_mps: v[0],
            v_end_mps: v[0],
            periodicity_residual_mps: 0.0,
        },
        length_m,
        v_mean_mps: length_m / lap_time_s,
        v_max_mps: vmax,
        v_max_s_m: s[imax],
        v_min_mps: v.iter().copied().fold(f64::INFINITY, f64::min),
        sector_times_s: Vec::new(),
        slowest_corners: slowest_corners(&s, &v, 0, 8),
    };
    Ok(Telemetry {
        s_m: s,
        x_m: zeros.clone(),
        y_m: zeros.clone(),
        curvature_1pm: zeros.clone(),
        v_mps: v,
        ax_mps2: ax,
        ay_mps2: zeros.clone(),
        gear: vec![0; n],
        engine_rpm: zeros.clone(),
        throttle: zeros.clone(),
        brake: zeros,
        t_s: t,
        summary,
    })
}

/// Lowest speed of a lap between fractions `f0` and `f1` of it (m/s).
fn min_speed(t: &Telemetry, f0: f64, f1: f64) -> f64 {
    let len = t.summary.length_m;
    t.s_m
        .iter()
        .zip(&t.v_mps)
        .filter(|(s, _)| (f0 * len..=f1 * len).contains(*s))
        .map(|(_, v)| *v)
        .fold(f64::INFINITY, f64::min)
}

/// One row of the comparison: what, and the value of each lap.
pub struct Row {
    /// The lap, a sector or a corner.
    pub item: String,
    /// Times (s) or corner speeds (km/h), one per lap.
    pub values: Vec<f64>,
    /// Whether the values are speeds (km/h) rather than times (s).
    pub speed: bool,
}

/// The comparison table: the laps, sectors (thirds, or lines at `sectors_m` of the first lap) and the first
/// lap's slowest corners (each lap's lowest speed within 60 m of the first lap's apex, scaled to its length).
pub fn compare_rows(laps: &[(String, Telemetry)], sectors_m: &[f64]) -> Result<Vec<Row>> {
    let reference = &laps[0].1;
    let len = reference.summary.length_m;
    for &b in sectors_m {
        if !(b.is_finite() && b > 0.0 && b < len) {
            return Err(Error::Option {
                option: "--sectors-m".into(),
                value: b.to_string(),
                message: format!("not inside the first lap's {len:.1} m"),
            });
        }
    }
    let mut cuts: Vec<f64> = if sectors_m.is_empty() {
        vec![1.0 / 3.0, 2.0 / 3.0]
    } else {
        sectors_m.iter().map(|b| b / len).collect()
    };
    cuts.sort_by(f64::total_cmp);
    let bounds: Vec<f64> = std::iter::once(0.0)
        .chain(cuts)
        .chain(std::iter::once(1.0))
        .collect();
    let mut rows = vec![Row {
        item: "lap".into(),
        values: laps.iter().map(|l| l.1.summary.lap.lap_time_s).collect(),
        speed: false,
    }];
    for (k, w) in bounds.windows(2).enumerate() {
        rows.push(Row {
            item: format!("sector {} ({:.0}–{:.0} m)", k + 1, w[0] * len, w[1] * len),
            values: laps
                .iter()
                .map(|l| time_at_fraction(&l.1, w[1]) - time_at_fraction(&l.1, w[0]))
                .collect(),
            speed: false,
        });
    }
    let mut corners = reference.summary.slowest_corners.clone();
    corners.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (s, _) in corners {
        let (f0, f1) = ((s - 60.0) / len, (s + 60.0) / len);
        rows.push(Row {
            item: format!("corner at {s:.0} m (minimum speed)"),
            values: laps.iter().map(|l| min_speed(&l.1, f0, f1) * 3.6).collect(),
            speed: true,
        });
    }
    Ok(rows)
}

/// `lapsim compare`: reads the laps, prints the table against the first lap, writes `compare.csv` and
/// `compare.png`; returns the paths written.
pub fn compare(a: &CompareArgs) -> Result<Vec<PathBuf>> {
    if a.laps.len() < 2 {
        return Err(Error::Option {
            option: "LAPS".into(),
            value: format!("{} file(s)", a.laps.len()),
            message: "compare needs at least two lap files".into(),
        });
    }
    let laps: Vec<(String, Telemetry)> = a
        .laps
        .iter()
        .map(|p| {
            let name = p.file_stem().map_or_else(
                || p.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            read_lap(p).map(|t| (name, t))
        })
        .collect::<Result<_>>()?;
    let rows = compare_rows(&laps, &a.sectors_m)?;
    let mut out = format!("{:<34}", "");
    for (k, (name, _)) in laps.iter().enumerate() {
        out += &format!(
            " {:>22}",
            if k == 0 {
                format!("{name} (ref)")
            } else {
                name.clone()
            }
        );
    }
    out.push('\n');
    for r in &rows {
        out += &format!("{:<34}", r.item);
        for (k, v) in r.values.iter().enumerate() {
            if !v.is_finite() {
                // No point of that lap near the corner (a sparse measured lap).
                out += &format!(" {:>22}", "–");
                continue;
            }
            let cell = match (r.speed, k) {
                (true, 0) => format!("{v:.1} km/h"),
                (true, _) => format!("{v:.1} ({:+.1})", v - r.values[0]),
                (false, 0) if r.item == "lap" => format_lap_time(*v),
                (false, 0) => format!("{v:.3}"),
                (false, _) if r.item == "lap" => {
                    format!("{} ({:+.3})", format_lap_time(*v), v - r.values[0])
                }
                (false, _) => format!("{v:.3} ({:+.3})", v - r.values[0]),
            };
            out += &format!(" {cell:>22}");
        }
        out.push('\n');
    }
    say(&out);
    let csv = a.out.join("compare.csv");
    write_atomic(&csv, |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut head = vec!["item".to_string(), "unit".to_string()];
        head.extend(laps.iter().map(|l| l.0.clone()));
        head.extend(
            laps.iter()
                .skip(1)
                .map(|l| format!("{}_minus_{}", l.0, laps[0].0)),
        );
        c.write_record(&head)?;
        for r in &rows {
            let mut rec = vec![
                r.item.clone(),
                if r.speed { "km/h" } else { "s" }.to_string(),
            ];
            rec.extend(r.values.iter().map(|v| format!("{v:.3}")));
            rec.extend(
                r.values
                    .iter()
                    .skip(1)
                    .map(|v| format!("{:.3}", v - r.values[0])),
            );
            c.write_record(&rec)?;
        }
        c.flush()
    })?;
    let png = a.out.join("compare.png");
    let refs: Vec<(&str, &Telemetry)> = laps.iter().map(|(n, t)| (n.as_str(), t)).collect();
    plot::laps::lap_overlay(
        &png,
        "Lap comparison: speed and time against the first lap",
        &refs,
    )?;
    for p in [&csv, &png] {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(vec![csv, png])
}
