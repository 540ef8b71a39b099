//! `lapsim sweep`: its rows are the laps `lapsim run` gives for the same variant car files, and bad settings
//! are clear errors that write nothing.

use std::process::Command;

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
        let run_out = dir.path().join(format!("run_{}_{}", r[0], r[1]));
        let o = lapsim(&[
            "run",
            "--car",
            file.to_str().unwrap(),
            "--track",
            TRACK,
            "--line",
            "min-curvature",
            "--no-plot",
            "--out",
            run_out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json = std::fs::read_dir(&run_out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        let lap = v["summary"]["lap"]["lap_time_s"].as_f64().unwrap();
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
