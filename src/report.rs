//! Writing results: telemetry CSV, JSON summaries and plain-text lap reports.
//!
//! Every file is written to a temporary file beside its target and renamed into place, so an interrupted
//! run never leaves a half-written result.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
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

/// Formats seconds as `m:ss.sss`.
pub fn format_lap_time(t_s: f64) -> String {
    if !t_s.is_finite() || t_s < 0.0 {
        return "-:--.---".into();
    }
    let ms = (t_s * 1000.0).round() as u64;
    format!("{}:{:02}.{:03}", ms / 60_000, (ms / 1000) % 60, ms % 1000)
}

/// Parses `m:ss.sss` (or plain seconds) into seconds.
pub fn parse_lap_time(text: &str) -> Result<f64> {
    let err = |message: &str| Error::Option {
        option: "lap time".into(),
        value: text.into(),
        message: message.into(),
    };
    let t = text.trim();
    let secs = match t.split_once(':') {
        Some((m, s)) => {
            let m: u32 = m
                .parse()
                .map_err(|_| err("minutes must be a whole number, as in 1:28.320"))?;
            let s: f64 = s
                .parse()
                .map_err(|_| err("seconds must be a number, as in 1:28.320"))?;
            if !(0.0..60.0).contains(&s) {
                return Err(err("seconds must lie in [0, 60)"));
            }
            f64::from(m) * 60.0 + s
        }
        None => t.parse().map_err(|_| err("expected m:ss.sss or seconds"))?,
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(err("must be a positive time"));
    }
    Ok(secs)
}

/// A plain-text report of a lap: time, speeds, sectors, slowest corners.
pub fn lap_report(title: &str, t: &Telemetry) -> String {
    let s = &t.summary;
    let kmh = |v: f64| v * 3.6;
    let mut out = format!("{title}\n");
    out += &format!(
        "  lap time      {}  ({:?} start)\n",
        format_lap_time(s.lap.lap_time_s),
        s.lap.start
    );
    out += &format!("  length        {:.1} m\n", s.length_m);
    out += &format!("  mean speed    {:.1} km/h\n", kmh(s.v_mean_mps));
    out += &format!(
        "  top speed     {:.1} km/h at s = {:.0} m\n",
        kmh(s.v_max_mps),
        s.v_max_s_m
    );
    out += &format!("  minimum speed {:.1} km/h\n", kmh(s.v_min_mps));
    for (k, st) in s.sector_times_s.iter().enumerate() {
        out += &format!("  sector {}      {:.3} s\n", k + 1, st);
    }
    out += "  slowest corners:";
    for (sm, v) in &s.slowest_corners {
        out += &format!("  {:.0} km/h @ {:.0} m;", kmh(*v), sm);
    }
    out.pop();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lap_time_round_trips() {
        assert_eq!(format_lap_time(88.32), "1:28.320");
        assert!((parse_lap_time("1:28.320").unwrap() - 88.32).abs() < 1e-9);
        assert!((parse_lap_time("88.5").unwrap() - 88.5).abs() < 1e-9);
        assert!(parse_lap_time("1:61").is_err());
        assert!(parse_lap_time("abc").is_err());
        assert!(parse_lap_time("-3").is_err());
    }
}
