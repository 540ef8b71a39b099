//! `lapsim validate` on the shipped development set: every circuit is run and compared with its real pole,
//! the speeds at named points are reported, and bad real-laps files are clear errors.

mod common;

use std::process::Command;

fn lapsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary")
}

/// The development set runs end to end: four circuits, each with the real pole, the prediction and the
/// error, in the table and in validate.csv. The predictions are the model's, not fitted: the test only
/// asks that they are laps of a car of this class (within 10 % of the real pole), and the numbers in the
/// README come from this command.
#[test]
fn validate_runs_the_development_set() {
    let dir = tempfile::tempdir().unwrap();
    let o = lapsim(&[
        "validate",
        "--speeds",
        "tracks/real/997_cup_speeds.csv",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for c in [
        "Hockenheim",
        "Monza",
        "Sakhir",
        "Spa",
        "Scheivlak",
        "before the first chicane",
    ] {
        assert!(stdout.contains(c), "{c} missing: {stdout}");
    }
    let csv = std::fs::read_to_string(dir.path().join("validate.csv")).unwrap();
    let laps: Vec<(f64, f64)> = csv
        .lines()
        .filter(|l| l.starts_with("lap_s,"))
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[3].parse().unwrap(), c[4].parse().unwrap())
        })
        .collect();
    assert_eq!(laps.len(), 4);
    for (real, predicted) in laps {
        assert!(
            (predicted / real - 1.0).abs() < 0.10,
            "{real} vs {predicted}"
        );
    }
}

/// A real-laps file with a bad time or a missing track names the file and what is wrong.
#[test]
fn bad_real_laps_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "circuit,track_file,pole_s,year,series,driver,note\nX,x.csv,fast,2007,SC,A,\n",
    )
    .unwrap();
    let o = lapsim(&[
        "validate",
        "--laps",
        bad.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad.csv") && stderr.contains("pole_s"),
        "{stderr}"
    );
    std::fs::write(
        &bad,
        "circuit,track_file,pole_s,year,series,driver,note\nX,nowhere.csv,90.0,2007,SC,A,\n",
    )
    .unwrap();
    let o = lapsim(&[
        "validate",
        "--laps",
        bad.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere.csv"));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}
