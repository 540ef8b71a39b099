//! `lapsim sensitivity`: for every numeric field of the car file, the lap-time change for −1 % and +1 % of
//! it (central differences), per sector too, and in engineers' units where they apply (s per 10 kg, per 10 kW,
//! per 0.1 m² of drag area, per 0.05 of μ). The step is 1 % of each value: large enough that the lap changes
//! by far more than the solver's rounding (1e-9 s), small enough to stay in the linear range; the slope from
//! ±0.5 % steps is printed beside it as the check (they agree where the response is smooth). The path driven
//! is the base car's, held fixed.

use std::path::PathBuf;

use super::{lap_tracks, say};
use crate::app::args::SensitivityArgs;
use crate::app::output::write_atomic;
use crate::app::plot;
use crate::error::Result;
use crate::study::{sensitivities, Sensitivity};
use crate::track::reader::read_text;
use crate::track::Centerline;
use crate::vehicle::Car;

/// The slope in an engineer's unit, where one applies: (value, unit).
pub fn engineering_unit(s: &Sensitivity, car: &Car) -> Option<(f64, &'static str)> {
    let slope = s.slope_per_pct_s?;
    let per_unit = |unit_size: f64| slope / (0.01 * s.value) * unit_size;
    match s.path.as_str() {
        p if p.starts_with("mass.") && p.ends_with("_kg") && p != "mass.fuel_tank_kg" => {
            Some((per_unit(10.0), "s per 10 kg"))
        }
        "aero.drag_area_m2" => Some((per_unit(0.1), "s per 0.1 m² of drag area")),
        "tyres.mu_lateral_ratio" | "tyres.mu_longitudinal_ratio" => {
            Some((per_unit(0.05), "s per 0.05 of μ"))
        }
        "engine.torque_curve_nm[*]" => {
            // 1 % more torque everywhere is 1 % more power: per 10 kW of peak power.
            let e = &car.params().engine;
            let peak_w = e
                .torque_curve_rpm
                .iter()
                .zip(&e.torque_curve_nm)
                .map(|(n, t)| t * n * std::f64::consts::TAU / 60.0)
                .fold(0.0, f64::max);
            Some((slope / (0.01 * peak_w) * 10_000.0, "s per 10 kW"))
        }
        _ => None,
    }
}

/// `lapsim sensitivity`: prints the table, writes `sensitivity.csv` and `sensitivity.png` (a tornado chart).
pub fn sensitivity(a: &SensitivityArgs) -> Result<Vec<Sensitivity>> {
    let text = read_text(&a.car)?;
    let source = a.car.display().to_string();
    let car = Car::from_toml_str(&source, &text)?;
    let centerline = Centerline::from_file(&a.track)?;
    let (track, _) = lap_tracks(&car, &centerline, &a.geometry, &a.line)?;
    let (t0, _, mut rows) = sensitivities(&text, &source, &track)?;
    rows.sort_by(|x, y| {
        let size = |s: &Sensitivity| s.slope_per_pct_s.map_or(-1.0, f64::abs);
        size(y).total_cmp(&size(x))
    });
    let mut out = format!(
        "{} on {}: lap {:.3} s; change for −1 % and +1 % of each field (path held fixed)\n\
         {:<36} {:>10} {:>9} {:>9} {:>10} {:>10}  {}\n",
        car.params().name,
        track.name(),
        t0,
        "field",
        "value",
        "−1 %",
        "+1 %",
        "slope/%",
        "±0.5 %",
        "engineers' unit"
    );
    let opt = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:+.4}"));
    for s in &rows {
        let unit = engineering_unit(s, &car).map_or(String::new(), |(v, u)| format!("{v:+.4} {u}"));
        out += &format!(
            "{:<36} {:>10.4} {:>9} {:>9} {:>10} {:>10}  {}{}\n",
            s.path,
            s.value,
            opt(s.lap_minus_s),
            opt(s.lap_plus_s),
            opt(s.slope_per_pct_s),
            opt(s.slope_half_step_per_pct_s),
            unit,
            s.invalid.as_ref().map_or(String::new(), |e| format!(
                " (a variant is not a valid car: {e})"
            ))
        );
    }
    say(&out);
    let png = a.out.join("sensitivity.png");
    let bars: Vec<(String, f64, f64)> = rows
        .iter()
        .filter_map(|s| Some((s.path.clone(), s.lap_minus_s?, s.lap_plus_s?)))
        .filter(|r| r.1 != 0.0 || r.2 != 0.0)
        .collect();
    plot::study::tornado(
        &png,
        &format!(
            "{} on {}: lap time sensitivity (±1 %)",
            car.params().name,
            track.name()
        ),
        &bars,
    )?;
    let csv = a.out.join("sensitivity.csv");
    let sectors = rows
        .iter()
        .map(|s| s.sectors_plus_s.len())
        .max()
        .unwrap_or(0);
    write_atomic(&csv, |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut h: Vec<String> = [
            "field",
            "value",
            "lap_minus_1pct_s",
            "lap_plus_1pct_s",
            "slope_per_pct_s",
            "slope_half_step_per_pct_s",
            "engineering_value",
            "engineering_unit",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        h.extend((1..=sectors).map(|k| format!("sector_{k}_plus_1pct_s")));
        c.write_record(&h)?;
        let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.6}"));
        for s in &rows {
            let unit = engineering_unit(s, &car);
            let mut r = vec![
                s.path.clone(),
                s.value.to_string(),
                f(s.lap_minus_s),
                f(s.lap_plus_s),
                f(s.slope_per_pct_s),
                f(s.slope_half_step_per_pct_s),
                f(unit.map(|u| u.0)),
                unit.map_or(String::new(), |u| u.1.to_string()),
            ];
            r.extend(s.sectors_plus_s.iter().map(|v| format!("{v:.6}")));
            r.resize(h.len(), String::new());
            c.write_record(&r)?;
        }
        c.flush()
    })?;
    let written: Vec<PathBuf> = vec![csv, png];
    for p in &written {
        say(&format!("  wrote {}\n", p.display()));
    }
    Ok(rows)
}
