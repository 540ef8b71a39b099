//! `lapsim optimise`: on a toy circuit whose best final drive follows from a closed form, the optimiser finds
//! it; it never returns a car slower than its start; the car file it writes laps as it says; bad input is a
//! clear error that writes nothing.

mod common;

use std::process::Command;

use common::*;
use lapsim::solver::{LapSolver, Start};
use lapsim::study::optimise::{optimise, Spec};
use lapsim::track::Track;
use lapsim::vehicle::{Car, Envelope, G_MPS2};

fn lapsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary")
}

const CAR: &str = "cars/porsche_997_gt3_cup.toml";

fn flying(car: &Car, track: &Track) -> lapsim::Result<f64> {
    let env = Envelope::new(car);
    Ok(LapSolver::new(track, &env).solve(Start::Flying)?.lap_time_s)
}

/// The toy car: the shipped car file with one gear, a flat torque curve (533 N·m from 1,000 to 8,400 rpm:
/// 4.2 kW/m/s of wheel force at the shipped final drive, about 4 m/s², well below the rear tyres' grip, so
/// the engine and not the tyres limits acceleration), no drag, no rolling resistance, no rotating inertia
/// and load-insensitive tyres. Its acceleration in the gear is then `a = T·i·η / (r·m)`, constant in speed.
fn toy_car_text() -> String {
    let mut doc: toml::Value =
        toml::from_str(&std::fs::read_to_string(project_path(CAR)).unwrap()).unwrap();
    let set = |doc: &mut toml::Value, table: &str, key: &str, v: toml::Value| {
        doc[table].as_table_mut().unwrap().insert(key.into(), v);
    };
    let arr = |v: &[f64]| toml::Value::Array(v.iter().map(|&x| toml::Value::Float(x)).collect());
    set(
        &mut doc,
        "engine",
        "torque_curve_rpm",
        arr(&[1000.0, 8400.0]),
    );
    set(&mut doc, "engine", "torque_curve_nm", arr(&[533.0, 533.0]));
    set(&mut doc, "engine", "inertia_kgm2", toml::Value::Float(0.0));
    set(&mut doc, "driveline", "gear_ratios", arr(&[1.0]));
    set(
        &mut doc,
        "driveline",
        "wheel_inertia_kgm2",
        toml::Value::Float(0.0),
    );
    set(&mut doc, "aero", "drag_area_m2", toml::Value::Float(0.0));
    set(
        &mut doc,
        "aero",
        "downforce_area_m2",
        toml::Value::Float(0.0),
    );
    set(
        &mut doc,
        "tyres",
        "rolling_resistance_ratio",
        toml::Value::Float(0.0),
    );
    set(
        &mut doc,
        "tyres",
        "load_sensitivity_ratio",
        toml::Value::Float(0.0),
    );
    toml::to_string(&doc).unwrap()
}

/// The toy circuit's lap in closed form for final drive `fd`: two straights of `l` between semicircles of
/// radius `r` driven at `v_c = √(μ_lat g r)`. On each straight the car accelerates at `a(fd)` from `v_c`
/// until its speed meets either the braking parabola (braking at `b = μ_long g`, the ideal-balance
/// deceleration without load sensitivity) or the rev limit `V(fd) = ω_max r_w / fd`, where it holds speed
/// until it must brake. Uncapped: `v_p² = v_c² + 2 l a b / (a + b)`, time `(v_p − v_c)(1/a + 1/b)`;
/// capped: `(V − v_c)(1/a + 1/b) + (l − (V² − v_c²)(1/2a + 1/2b)) / V`.
fn closed_form_lap(car: &Car, fd: f64, l: f64, r: f64) -> f64 {
    let p = car.params();
    let m = p.mass.car_kg + p.mass.driver_kg + p.mass.fuel_kg;
    let rw = p.tyres.dynamic_radius_m;
    let vc = (p.tyres.mu_lateral_ratio * G_MPS2 * r).sqrt();
    let b = p.tyres.mu_longitudinal_ratio * G_MPS2;
    let a = p.engine.torque_curve_nm[0]
        * p.driveline.gear_ratios[0]
        * fd
        * p.driveline.efficiency_ratio
        / (rw * m);
    let cap = p.engine.rev_limit_rpm * std::f64::consts::TAU / 60.0 * rw
        / (p.driveline.gear_ratios[0] * fd);
    let vp2 = vc * vc + 2.0 * l * a * b / (a + b);
    let straight = if cap * cap >= vp2 {
        (vp2.sqrt() - vc) * (1.0 / a + 1.0 / b)
    } else {
        (cap - vc) * (1.0 / a + 1.0 / b) + (l - (cap * cap - vc * vc) * (0.5 / a + 0.5 / b)) / cap
    };
    2.0 * straight + 2.0 * std::f64::consts::PI * r / vc
}

/// On an oval of two 1,000 m straights and 50 m hairpins, the toy car's best final drive is where the
/// gain of a shorter gear in acceleration balances the time held at the rev limit; the closed form puts it
/// at `fd*` (minimised here by a dense scan, 0.0005 apart), and Nelder–Mead from the shipped 3.44 finds it.
/// Tolerance: the closed-form lap is flat near its minimum, so `fd` is only defined to the interval where
/// the closed form is within 10 ms of its minimum (about ±1.5 %): the solver's lap differs from the closed
/// form by its 1 m steps and by the 20 m smoothing of the corner joints (where the car leaves the corner
/// partly on the tyres' grip rather than the engine's), a few ms that shift with the gearing. The gain over
/// the start (3.44) must match the closed form's within 5 %: the corners' time cancels in it (the smoothed
/// hairpins are faster than the closed form's exact semicircles, by the same time whatever the gearing),
/// and 5 % of a gain of ~0.9 s allows for the gear-dependent part of those few ms at each of four joints.
#[test]
fn finds_the_closed_form_best_final_drive_on_a_toy_oval() {
    let (l, r) = (1000.0, 50.0);
    let text = toy_car_text();
    let car = Car::from_toml_str("toy", &text).unwrap();
    let track = oval(l, r, 100.0, 1.0);
    let scan: Vec<(f64, f64)> = (0..4000)
        .map(|k| {
            let fd = 2.6 + 0.0005 * k as f64;
            (fd, closed_form_lap(&car, fd, l, r))
        })
        .collect();
    let (fd_star, t_star) = scan
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let within: Vec<f64> = scan
        .iter()
        .filter(|p| p.1 <= t_star + 0.010)
        .map(|p| p.0)
        .collect();
    let (lo, hi) = (within[0], within[within.len() - 1]);
    assert!(
        (hi - lo) / fd_star < 0.05,
        "test setup: the optimum must be sharp enough to test ({lo}..{hi})"
    );
    let spec = Spec {
        vary: vec!["driveline.final_drive_ratio".into()],
        bounds: vec![],
        max_iterations: 200,
    };
    let r_opt = optimise(&text, "toy", &spec, &|c: &Car| flying(c, &track)).unwrap();
    let fd = r_opt.best[0];
    assert!(
        (lo..=hi).contains(&fd),
        "optimiser: final drive {fd:.4} (lap {:.4} s); closed form {fd_star:.4} (lap {t_star:.4} s), \
         within 10 ms on {lo:.4}..{hi:.4}",
        r_opt.best_lap_s
    );
    eprintln!(
        "toy oval: optimiser {fd:.4} ({:.4} s, {} laps), closed form {fd_star:.4} ({t_star:.4} s), \
         within 10 ms {lo:.4}..{hi:.4}",
        r_opt.best_lap_s, r_opt.laps
    );
    // The gain over the start is the gearing's alone (the corners' time cancels): solver against closed form.
    let gain = r_opt.start_lap_s - r_opt.best_lap_s;
    let gain_cf = closed_form_lap(&car, 3.44, l, r) - closed_form_lap(&car, fd, l, r);
    assert!(
        gain > 0.0 && (gain - gain_cf).abs() < 0.05 * gain_cf,
        "gain over the start: solver {gain:.4} s, closed form {gain_cf:.4} s (final drive {fd:.4})"
    );
}

/// Never slower than the start: from the toy car geared at its closed-form optimum already, and from the
/// shipped car on Oschersleben's centreline with the final drive and all six gears varied, the result's
/// lap is at most the start's and is the lap of the values it reports (re-lapped here).
#[test]
fn never_slower_than_the_start() {
    let text = std::fs::read_to_string(project_path(CAR)).unwrap();
    let track = oschersleben(2.0);
    let spec = Spec {
        vary: vec![
            "driveline.final_drive_ratio".into(),
            "driveline.gear_ratios".into(),
        ],
        bounds: vec![],
        max_iterations: 60,
    };
    let r = optimise(&text, "gt3", &spec, &|c: &Car| flying(c, &track)).unwrap();
    assert!(r.best_lap_s <= r.start_lap_s);
    let start = flying(&gt3_cup(), &track).unwrap();
    assert_eq!(r.start_lap_s, start);
    let mut p = gt3_params();
    p.driveline.final_drive_ratio = r.best[0];
    p.driveline.gear_ratios = r.best[1..].to_vec();
    assert_eq!(flying(&car(p), &track).unwrap(), r.best_lap_s);

    // A start at the toy optimum with bounds of ±0.2 %: nothing faster need exist; the answer is never
    // slower.
    let toy = toy_car_text().replace("final_drive_ratio = 3.44", "final_drive_ratio = 3.8");
    let oval_track = oval(1000.0, 50.0, 100.0, 1.0);
    let spec = Spec {
        vary: vec!["driveline.final_drive_ratio".into()],
        bounds: vec!["driveline.final_drive_ratio=3.7924:3.8076".into()],
        max_iterations: 50,
    };
    let r = optimise(&toy, "toy", &spec, &|c: &Car| flying(c, &oval_track)).unwrap();
    assert!(r.best_lap_s <= r.start_lap_s);
    assert!((3.7924..=3.8076).contains(&r.best[0]));
}

/// Through the binary: the optimised car file keeps the base file's comments, says how it was produced,
/// and laps (with `lapsim run` on the same path) in the final lap it reports; the output says the line was
/// held fixed.
#[test]
fn optimised_car_file_laps_as_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = lapsim(&[
        "optimise",
        "--car",
        CAR,
        "--track",
        "tracks/oschersleben.csv",
        "--line",
        "centreline",
        "--vary",
        "driveline.final_drive_ratio",
        "--bound",
        "driveline.final_drive_ratio=3:4.2",
        "--out",
        out,
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("held fixed"), "{stdout}");
    let file = dir.path().join("porsche_997_gt3_cup_optimised.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# Optimised by `lapsim optimise --car"));
    assert!(text.contains("# Estimate: the road GT3's final drive, 3.44."));
    let final_lap: f64 = text
        .lines()
        .find_map(|l| l.split("final lap ").nth(1))
        .and_then(|s| s.split(" (").nth(1))
        .and_then(|s| s.split(" s)").next())
        .unwrap()
        .parse()
        .unwrap();
    let lap = lap_of_run(
        env!("CARGO_BIN_EXE_lapsim"),
        &file,
        "tracks/oschersleben.csv",
        "centreline",
    );
    assert!(
        (lap - final_lap).abs() < 1e-4,
        "run {lap}, file says {final_lap}"
    );
}

/// `--reoptimise-line`: the car's width sets only the bounds of its own racing line (a point mass has no
/// width otherwise), so with the base car's line held fixed the width changes nothing and the optimiser stays
/// at the start, while with each car's own line a narrower car has more road and the optimiser goes to the
/// lower bound, faster. The output and the written file say which was done.
#[test]
fn reoptimised_line_is_recomputed_per_evaluated_car() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], sub: &str| {
        let out = dir.path().join(sub);
        let mut args = vec![
            "optimise",
            "--car",
            CAR,
            "--track",
            "tracks/oschersleben.csv",
            "--line",
            "min-curvature",
            "--vary",
            "chassis.width_m",
            "--bound",
            "chassis.width_m=1.6:2.2",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = lapsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(out.join("porsche_997_gt3_cup_optimised.toml")).unwrap();
        let width: f64 = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("width_m = "))
            .and_then(|s| s.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap();
        (String::from_utf8_lossy(&o.stdout).into_owned(), text, width)
    };
    let (fixed_out, fixed_text, fixed_width) = run(&[], "fixed");
    let (own_out, own_text, own_width) = run(&["--reoptimise-line"], "own");
    assert!(fixed_out.contains("held fixed"), "{fixed_out}");
    assert!(fixed_out.contains("no faster car found"), "{fixed_out}");
    assert_eq!(fixed_width, 1.852, "{fixed_text}");
    assert!(own_out.contains("its own racing line"), "{own_out}");
    assert!(own_text.contains("--reoptimise-line"), "{own_text}");
    assert!((own_width - 1.6).abs() < 1e-3, "{own_text}");
}
