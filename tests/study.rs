//! `lapsim sweep`: its rows are the laps `lapsim run` gives for the same variant car files, and bad settings
//! are clear errors that write nothing.

mod common;

use std::process::Command;

use common::lap_of_run;

fn lapsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary")
}

const CAR: &str = "cars/porsche_997_gt3_cup.toml";
const TRACK: &str = "tracks/oschersleben.csv";

/// A sweep over the car's mass and its fifth gear (the top gear the car reaches at Oschersleben) gives, row for row, the lap of `lapsim run` on a car file
/// edited to that variant (same path: both drive the minimum-curvature line of the base car, whose width
/// does not change), to the CSV's printed precision; mass slows the car.
#[test]
fn sweep_rows_are_the_laps_of_the_variant_car_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = lapsim(&[
        "sweep",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--line",
        "min-curvature",
        "--set",
        "mass.car_kg=1100,1200",
        "--set",
        "driveline.gear_ratios[4]=1.2,1.3",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("held fixed"));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    let base = std::fs::read_to_string(CAR).unwrap();
    for r in &rows {
        let car = base
            .replacen("car_kg = 1150.0", &format!("car_kg = {:.1}", r[0]), 1)
            .replacen("1.26, 1.08]", &format!("{}, 1.08]", r[1]), 1);
        assert!(
            car.contains(&format!("car_kg = {:.1}", r[0]))
                && car.contains(&format!("{}, 1.08]", r[1]))
        );
        let file = dir.path().join(format!("car_{}_{}.toml", r[0], r[1]));
        std::fs::write(&file, car).unwrap();
        let lap = lap_of_run(env!("CARGO_BIN_EXE_lapsim"), &file, TRACK, "min-curvature");
        assert!((lap - r[2]).abs() < 1e-4, "{r:?}: run {lap}");
    }
    // Mass slows the car, whatever the gear; the gear changes the lap.
    assert!(rows[2][2] > rows[0][2] && rows[3][2] > rows[1][2]);
    assert_ne!(rows[0][2], rows[1][2]);
}

/// Bad settings: an unknown path, a path to a text, an index past the array, an empty or absurd range, an
/// invalid variant: each a clear error, nothing written.
#[test]
fn bad_sweep_settings_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (set, words) in [
        ("mass.car_kgg=1,2", "no key `car_kgg`"),
        ("name=1,2", "not a number"),
        ("driveline.gear_ratios[9]=1,2", "no element [9]"),
        ("mass.car_kg=1100:1200:0", "N must lie in"),
        ("mass.car_kg=1100:1200:99999999", "N must lie in"),
        ("mass.car_kg=", "is not a finite number"),
        ("mass.car_kg=1100,-5", "mass.car_kg=-5"),
    ] {
        let o = lapsim(&[
            "sweep",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--line",
            "centreline",
            "--set",
            set,
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{set}");
        assert!(stderr.contains(words), "{set}: {stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(!out.exists(), "{set} wrote output");
    }
}

/// `lapsim sensitivity`: every numeric field with its ±1 % laps; the signs are those of physics (mass and
/// drag slow the car, power and grip speed it up), the mass slope agrees with a sweep's slope over ±50 kg
/// (within 5 %), and a field whose +1 % variant is not a valid car (the rev limit past the torque curve) says
/// so instead of failing. Writes the CSV and the tornado chart.
#[test]
fn sensitivity_signs_and_agreement_with_a_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = lapsim(&[
        "sensitivity",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--line",
        "min-curvature",
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("sensitivity.csv")).unwrap();
    let slope = |field: &str| -> f64 {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{field},")))
            .unwrap_or_else(|| panic!("{field} missing"));
        line.split(',').nth(4).unwrap().parse().unwrap()
    };
    assert!(slope("mass.car_kg") > 0.0);
    assert!(slope("aero.drag_area_m2") > 0.0);
    assert!(slope("engine.torque_curve_nm[*]") < 0.0);
    assert!(slope("tyres.mu_lateral_ratio") < 0.0);
    assert!(csv.lines().any(|l| l.starts_with("engine.rev_limit_rpm,")));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not a valid car"));
    assert!(dir.path().join("sensitivity.png").exists());
    // The sweep's slope over ±50 kg against the sensitivity's, per kg.
    let sweep_out = dir.path().join("sweep");
    let o = lapsim(&[
        "sweep",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--line",
        "min-curvature",
        "--set",
        "mass.car_kg=1100,1200",
        "--out",
        sweep_out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let rows: Vec<f64> = std::fs::read_to_string(sweep_out.join("sweep.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let sweep_per_kg = (rows[1] - rows[0]) / 100.0;
    let sens_per_kg = slope("mass.car_kg") / 11.5;
    assert!(
        (sweep_per_kg / sens_per_kg - 1.0).abs() < 0.05,
        "sweep {sweep_per_kg} s/kg, sensitivity {sens_per_kg} s/kg"
    );
}

/// Arguments of an in-process sweep on the centreline (no line search: fast), 3 × 5 variants.
fn grid_args(out: &std::path::Path, shard: Option<&str>) -> lapsim::app::args::SweepArgs {
    use lapsim::app::args::{GeometryArgs, LineArg, LineChoice, SweepArgs};
    SweepArgs {
        car: CAR.into(),
        track: TRACK.into(),
        set: vec![
            "mass.car_kg=1100:1200:3".into(),
            "driveline.final_drive_ratio=3.2,3.3,3.44,3.6,3.7".into(),
        ],
        geometry: GeometryArgs::default(),
        line: LineChoice {
            line: LineArg::Centreline,
            ..LineChoice::default()
        },
        reoptimise_line: false,
        shard: shard.map(str::to_string),
        out: out.to_path_buf(),
    }
}

/// Shards: 1, 2 and 4 slices of a 15-variant grid, merged, write byte for byte the CSV and the chart of
/// the single-process sweep (in process, from the crate root).
#[test]
fn sharded_sweeps_merge_byte_identically() {
    use lapsim::app::args::MergeArgs;
    use lapsim::app::commands::{merge::merge, sweep::sweep};
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    sweep(&grid_args(&whole, None)).unwrap();
    let csv = std::fs::read(whole.join("sweep.csv")).unwrap();
    let png = std::fs::read(whole.join("sweep.png")).unwrap();
    assert_eq!(String::from_utf8_lossy(&csv).lines().count(), 16);
    for n in [1, 2, 4] {
        let parts_dir = dir.path().join(format!("parts{n}"));
        let mut parts = Vec::new();
        for k in 0..n {
            let rows = sweep(&grid_args(&parts_dir, Some(&format!("{k}/{n}")))).unwrap();
            assert!(rows.len() <= 15 / n + 1);
            parts.push(parts_dir.join(format!("sweep.part-{k}-of-{n}.json")));
        }
        // No CSV from a shard: only its part.
        assert!(!parts_dir.join("sweep.csv").exists());
        let merged = dir.path().join(format!("merged{n}"));
        // Parts in any order.
        parts.reverse();
        merge(&MergeArgs {
            parts,
            out: merged.clone(),
        })
        .unwrap();
        assert!(
            std::fs::read(merged.join("sweep.csv")).unwrap() == csv,
            "{n} shards: CSV differs"
        );
        assert!(
            std::fs::read(merged.join("sweep.png")).unwrap() == png,
            "{n} shards: chart differs"
        );
    }
}

/// Bad parts: a missing shard, a duplicate, parts of another study (another range of the mass), a file
/// that is not a part: each a clear error through the binary, nothing written.
#[test]
fn bad_parts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run_shard = |set: &str, k: usize, n: usize, out: &str| {
        let o = lapsim(&[
            "sweep",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--line",
            "centreline",
            "--set",
            set,
            "--shard",
            &format!("{k}/{n}"),
            "--out",
            out,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let a = d.join("a");
    let b = d.join("b");
    for k in 0..3 {
        run_shard("mass.car_kg=1100:1200:5", k, 3, a.to_str().unwrap());
    }
    run_shard("mass.car_kg=1100:1300:5", 1, 3, b.to_str().unwrap());
    let part = |dir: &std::path::Path, k: usize| {
        dir.join(format!("sweep.part-{k}-of-3.json"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let junk = d.join("junk.json");
    std::fs::write(&junk, "{\"format\": 1}").unwrap();
    let out = d.join("merged");
    for (parts, words) in [
        (vec![part(&a, 0), part(&a, 2)], "shards missing: 1/3"),
        (
            vec![part(&a, 0), part(&a, 1), part(&a, 1), part(&a, 2)],
            "duplicate: shard 1/3",
        ),
        (
            vec![part(&a, 0), part(&b, 1), part(&a, 2)],
            "belongs to another study",
        ),
        (
            vec![part(&a, 0), junk.to_str().unwrap().into()],
            "not a sweep part file",
        ),
    ] {
        let mut args = vec!["merge"];
        args.extend(parts.iter().map(String::as_str));
        args.extend(["--out", out.to_str().unwrap()]);
        let o = lapsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{parts:?}");
        assert!(stderr.contains(words), "{parts:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
        assert!(!out.exists(), "{parts:?} wrote output");
    }
    // The good parts merge.
    let o = lapsim(&[
        "merge",
        &part(&a, 0),
        &part(&a, 1),
        &part(&a, 2),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("sweep.csv").exists() && out.join("sweep.png").exists());
}

/// `--reoptimise-line`: each variant drives its own minimum-curvature line, whose width margin depends on
/// the car's width: a wider car's own line is tighter, so its lap is slower than on the base car's line;
/// the output says which was done.
#[test]
fn reoptimised_line_follows_the_variant() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "sweep",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--line",
            "min-curvature",
            "--set",
            "chassis.width_m=1.852,2.6",
            "--out",
            out,
        ];
        args.extend(extra);
        let o = lapsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let laps: Vec<f64> = std::fs::read_to_string(dir.path().join(out).join("sweep.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        (String::from_utf8_lossy(&o.stdout).into_owned(), laps)
    };
    let fixed_dir = dir.path().join("fixed");
    let own_dir = dir.path().join("own");
    let (fixed_out, fixed) = run(&[], fixed_dir.to_str().unwrap());
    let (own_out, own) = run(&["--reoptimise-line"], own_dir.to_str().unwrap());
    assert!(fixed_out.contains("held fixed"), "{fixed_out}");
    assert!(own_out.contains("its own racing line"), "{own_out}");
    // The base width: the same line either way, the same lap.
    assert_eq!(fixed[0], own[0]);
    // The wide car on its own (narrower-bounded) line is slower than on the base car's line.
    assert!(
        own[1] > fixed[1],
        "own line {} s, base line {} s",
        own[1],
        fixed[1]
    );
}
