//! `lapsim validate`: bad real-laps files are clear errors.

mod common;

use std::process::Command;

fn lapsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary")
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
