//! Lap and race times as text: `m:ss.sss`, one rule for every table, chart and report (minutes are not
//! wrapped at the hour: a 22-lap race is `33:39.787`).

use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lap_time_round_trips() {
        assert_eq!(format_lap_time(88.32), "1:28.320");
        // Rounded as a whole: 2039.9996 s is 34:00.000, never 33:60.000.
        assert_eq!(format_lap_time(2039.9996), "34:00.000");
        assert_eq!(format_lap_time(2019.787), "33:39.787");
        assert_eq!(format_lap_time(f64::NAN), "-:--.---");
        assert!((parse_lap_time("1:28.320").unwrap() - 88.32).abs() < 1e-9);
        assert!((parse_lap_time("88.5").unwrap() - 88.5).abs() < 1e-9);
        assert!(parse_lap_time("1:61").is_err());
        assert!(parse_lap_time("abc").is_err());
        assert!(parse_lap_time("-3").is_err());
    }
}
