//! Sensitivities: the change of the lap for ±1 % (and ±0.5 %, the check of the step) of every numeric field
//! of the car file, by central differences.

use rayon::prelude::*;
use serde::Serialize;

use super::{numeric_fields, scaled_car};
use crate::error::{Error, Result};
use crate::solver::{LapSolver, Start};
use crate::track::Track;
use crate::vehicle::{Car, Envelope};

/// Lap-time sensitivity of one field: the change of the lap (and of each sector) for −1 % and +1 % of it.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// The field.
    pub path: String,
    /// Its base value (the first element's for an array).
    pub value: f64,
    /// Lap change for −1 % and +1 % (s); `None` where that variant is not a valid car (its reason beside).
    pub lap_minus_s: Option<f64>,
    /// See `lap_minus_s`.
    pub lap_plus_s: Option<f64>,
    /// Sector changes for +1 % (s).
    pub sectors_plus_s: Vec<f64>,
    /// Central-difference slope per 1 % of the value, `(T₊ − T₋) / 2` (s), and the same from ±0.5 % steps
    /// (times 2): their agreement shows the 1 % step is in the linear range.
    pub slope_per_pct_s: Option<f64>,
    /// See `slope_per_pct_s`.
    pub slope_half_step_per_pct_s: Option<f64>,
    /// Why a variant is not a valid car, if one is not.
    pub invalid: Option<String>,
}

/// Sensitivities of every numeric field of the car (`numeric_fields`) on `track`, in parallel: the base lap
/// and, per field, the laps at ±1 % and ±0.5 %.
pub fn sensitivities(
    base_text: &str,
    source_name: &str,
    track: &Track,
) -> Result<(f64, Vec<f64>, Vec<Sensitivity>)> {
    let lap = |car: &Car| -> Result<(f64, Vec<f64>)> {
        let env = Envelope::new(car);
        let mut s = LapSolver::new(track, &env);
        let l = s.solve(Start::Flying)?;
        Ok((l.lap_time_s, s.telemetry()?.summary.sector_times_s))
    };
    let base = Car::from_toml_str(source_name, base_text)?;
    let (t0, s0) = lap(&base)?;
    let fields = numeric_fields(base_text)?;
    let doc: toml::Value = toml::from_str(base_text).map_err(|e| Error::Internal(e.to_string()))?;
    let rows = fields
        .par_iter()
        .map(|path| -> Result<Sensitivity> {
            let (table, key) = path
                .trim_end_matches("[*]")
                .split_once('.')
                .unwrap_or(("", ""));
            let node = &doc[table][key];
            let first = node.as_array().and_then(|a| a.first()).unwrap_or(node);
            let value = first
                .as_float()
                .or_else(|| first.as_integer().map(|i| i as f64))
                .unwrap_or(f64::NAN);
            let mut invalid = None;
            let mut at = |f: f64| -> Result<Option<(f64, Vec<f64>)>> {
                match scaled_car(base_text, source_name, path, f) {
                    Ok(car) => lap(&car).map(Some),
                    Err(e @ (Error::Parameter { .. } | Error::Parse { .. })) => {
                        invalid.get_or_insert(e.to_string());
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            };
            let (m, p) = (at(0.99)?, at(1.01)?);
            let (hm, hp) = (at(0.995)?, at(1.005)?);
            let slope = m.as_ref().zip(p.as_ref()).map(|(m, p)| (p.0 - m.0) / 2.0);
            let half = hm.as_ref().zip(hp.as_ref()).map(|(m, p)| p.0 - m.0);
            Ok(Sensitivity {
                path: path.clone(),
                value,
                lap_minus_s: m.as_ref().map(|m| m.0 - t0),
                lap_plus_s: p.as_ref().map(|p| p.0 - t0),
                sectors_plus_s: p
                    .as_ref()
                    .map(|p| p.1.iter().zip(&s0).map(|(a, b)| a - b).collect())
                    .unwrap_or_default(),
                slope_per_pct_s: slope,
                slope_half_step_per_pct_s: half,
                invalid,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((t0, s0, rows))
}
