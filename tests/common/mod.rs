//! Shared helpers for the integration tests: the shipped car, synthetic tracks.
#![allow(dead_code)]

use std::path::PathBuf;

use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Car, CarParams};

/// A path inside the crate.
pub fn project_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shipped GT3 Cup.
pub fn gt3_cup() -> Car {
    Car::from_file(&project_path("cars/porsche_997_gt3_cup.toml"))
        .expect("shipped car file is valid")
}

/// The shipped car's parameters, to modify.
pub fn gt3_params() -> CarParams {
    gt3_cup().params().clone()
}

/// Validates modified parameters.
pub fn car(p: CarParams) -> Car {
    Car::new(p, "test car").expect("test parameters are valid")
}

/// Oschersleben at a given step.
pub fn oschersleben(step_m: f64) -> Track {
    let c = Centerline::from_file(&project_path("tracks/oschersleben.csv")).unwrap();
    Track::new(
        &c,
        TrackOptions {
            step_m,
            ..TrackOptions::default()
        },
    )
    .unwrap()
}

/// A closed loop from points, 6 m either side.
pub fn track_from_points(name: &str, pts: &[(f64, f64)], step_m: f64) -> Track {
    let n = pts.len();
    let c = Centerline::new(
        name,
        pts.iter().map(|p| p.0).collect(),
        pts.iter().map(|p| p.1).collect(),
        vec![6.0; n],
        vec![6.0; n],
        None,
        (1..=n as u64).collect(),
    )
    .unwrap();
    Track::new(
        &c,
        TrackOptions {
            step_m,
            ..TrackOptions::default()
        },
    )
    .unwrap()
}

/// A circle of radius `r_m`, counter-clockwise, points every ~1 m.
pub fn circle(r_m: f64, step_m: f64) -> Track {
    let n = (std::f64::consts::TAU * r_m).round() as usize;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (r_m * a.cos(), r_m * a.sin())
        })
        .collect();
    track_from_points("circle", &pts, step_m)
}

/// An oval: two straights of `straight_m` joined by semicircles of radius `r_m`, counter-clockwise. The loop
/// starts `lead_m` into the first straight, so a standing start has `straight_m − lead_m` of straight ahead.
pub fn oval(straight_m: f64, r_m: f64, lead_m: f64, step_m: f64) -> Track {
    let mut pts = Vec::new();
    let d = 1.0;
    // First straight from x = 0 (start) to x = straight_m − lead_m, then the semicircle, the back straight,
    // the second semicircle and the lead-in to the start.
    let x_end = straight_m - lead_m;
    let x_begin = -lead_m;
    let n_str = (straight_m / d).round() as usize;
    let n_arc = (std::f64::consts::PI * r_m / d).round() as usize;
    let lead_pts = (lead_m / d).round() as usize;
    for k in 0..(n_str - lead_pts) {
        pts.push((k as f64 * d, 0.0));
    }
    for k in 0..n_arc {
        let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::PI * k as f64 / n_arc as f64;
        pts.push((x_end + r_m * a.cos(), r_m + r_m * a.sin()));
    }
    for k in 0..n_str {
        pts.push((x_end - k as f64 * (straight_m / n_str as f64), 2.0 * r_m));
    }
    for k in 0..n_arc {
        let a = std::f64::consts::FRAC_PI_2 + std::f64::consts::PI * k as f64 / n_arc as f64;
        pts.push((x_begin + r_m * a.cos(), r_m + r_m * a.sin()));
    }
    for k in 0..lead_pts {
        pts.push((x_begin + k as f64 * d, 0.0));
    }
    track_from_points("oval", &pts, step_m)
}

/// Linear interpolation: the first `s` at which the series `v` reaches `target` (rising), with the matching
/// value of `t`.
pub fn crossing(s: &[f64], v: &[f64], t: &[f64], target: f64) -> Option<(f64, f64)> {
    (1..v.len()).find_map(|i| {
        (v[i - 1] < target && v[i] >= target).then(|| {
            let f = (target - v[i - 1]) / (v[i] - v[i - 1]);
            (
                s[i - 1] + f * (s[i] - s[i - 1]),
                t[i - 1] + f * (t[i] - t[i - 1]),
            )
        })
    })
}

/// The flying lap `lapsim run` (the binary at `bin`, run from the crate root) reports for a car file on a
/// track and line, read from its JSON record.
pub fn lap_of_run(bin: &str, car_file: &std::path::Path, track: &str, line: &str) -> f64 {
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(bin)
        .args(["run", "--car"])
        .arg(car_file)
        .args(["--track", track, "--line", line, "--no-plot", "--out"])
        .arg(out.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["summary"]["lap"]["lap_time_s"].as_f64().unwrap()
}
