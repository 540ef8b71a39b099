//! Files a user brings and gets: `lapsim line` → `run --line-file` round trip, plain CSV header rows,
//! figure-of-eight and open tracks, sector lines, output names that do not collide, and plain `lapsim` run
//! outside the repository.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::Envelope;
use lapsim::Error;

const CAR: &str = "cars/porsche_997_gt3_cup.toml";
const TRACK: &str = "tracks/oschersleben.csv";

fn lapsim_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the lapsim binary")
}

fn lapsim(args: &[&str]) -> std::process::Output {
    lapsim_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn lap_of_record(json: &Path) -> f64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    v["summary"]["lap"]["lap_time_s"].as_f64().unwrap()
}

/// The line `lapsim line` writes is the line `run` drives, and `run --line-file` reads it back to the same
/// lap within 1 ms; a run with other options writes beside the default run's files, not over them.
#[test]
fn line_round_trips_through_a_line_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = lapsim(&["line", "--car", CAR, "--track", TRACK, "--out", out]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line = dir
        .path()
        .join("oschersleben__porsche_997_gt3_cup_line.csv");
    assert!(line.exists());
    let o = lapsim(&[
        "run",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--no-plot",
        "--out",
        out,
    ]);
    assert!(o.status.success());
    let line_arg = line.to_str().unwrap();
    let o = lapsim(&[
        "run",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--no-plot",
        "--line-file",
        line_arg,
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let driven = lap_of_record(&dir.path().join("oschersleben__porsche_997_gt3_cup.json"));
    let read_back = lap_of_record(&dir.path().join(
        "oschersleben__porsche_997_gt3_cup__line-oschersleben__porsche_997_gt3_cup_line.json",
    ));
    assert!(
        (driven - read_back).abs() < 1e-3,
        "driven {driven} s, read back {read_back} s"
    );
}

/// A track file with a plain header row (as pandas writes it) reads as the same track; a header that names
/// other columns is an error naming the line.
#[test]
fn plain_header_rows_are_read() {
    let text = std::fs::read_to_string(project_path(TRACK)).unwrap();
    let plain = text.replacen(
        "# x_m,y_m,w_tr_right_m,w_tr_left_m",
        "x_m,y_m,w_tr_right_m,w_tr_left_m",
        1,
    );
    assert_ne!(plain, text);
    let a = Centerline::from_csv_str("a.csv", &text).unwrap();
    let b = Centerline::from_csv_str("b.csv", &plain).unwrap();
    assert_eq!(a.x_m(), b.x_m());
    assert_eq!(a.w_left_m(), b.w_left_m());
    let wrong = text.replacen("# x_m,y_m,w_tr_right_m,w_tr_left_m", "x,y,right,left", 1);
    match Centerline::from_csv_str("c.csv", &wrong) {
        Err(Error::TrackLine { line, message, .. }) => {
            assert_eq!(line, 1);
            assert!(message.contains("header row `x,y,right,left`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A line file with a plain header of more columns picks x_m and y_m by name.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("line.csv");
    let rows: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            format!("7.0,{},{},0.5", c[0], c[1])
        })
        .collect();
    std::fs::write(&f, format!("s_m,x_m,y_m,other\n{}\n", rows.join("\n"))).unwrap();
    let line = lapsim::line::read_line_file(&f, &a).unwrap();
    assert_eq!(line.x_m(), a.x_m());
    assert_eq!(line.y_m(), a.y_m());
}

/// A figure-of-eight circuit (a lemniscate crossing itself at 90°: a bridge) is supported: it laps, with the
/// curvature changing sign between its loops; an open track is refused with a message saying so.
#[test]
fn figure_of_eight_laps_and_an_open_track_is_refused() {
    let a = 200.0;
    let n = 400;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            (a * t.cos(), a * t.sin() * t.cos())
        })
        .collect();
    let track = track_from_points("eight", &pts, 1.0);
    let k = track.curvature_1pm();
    assert!(k.iter().any(|&c| c > 0.005) && k.iter().any(|&c| c < -0.005));
    let env = Envelope::new(&gt3_cup());
    let lap = LapSolver::new(&track, &env).solve(Start::Flying).unwrap();
    assert!(lap.lap_time_s.is_finite() && lap.lap_time_s > 0.0);

    let open: String = (0..100)
        .map(|k| {
            format!(
                "{},{},5,5\n",
                k as f64 * 5.0,
                (k as f64 * 0.05).sin() * 20.0
            )
        })
        .collect();
    match Centerline::from_csv_str("open.csv", &open) {
        Err(e) => assert!(e.to_string().contains("the track is open"), "{e}"),
        Ok(_) => panic!("an open track was accepted"),
    }
}

/// Sector lines at given distances split the lap there (the sector times add up to the lap); bad lines are
/// errors naming the flag.
#[test]
fn sector_lines_split_the_lap() {
    let centre = Centerline::from_file(&project_path(TRACK)).unwrap();
    let track = Track::new(&centre, TrackOptions::default())
        .unwrap()
        .with_sectors(&[500.0, 1500.0, 3000.0])
        .unwrap();
    let env = Envelope::new(&gt3_cup());
    let mut s = LapSolver::new(&track, &env);
    let lap = s.solve(Start::Flying).unwrap();
    let t = s.telemetry().unwrap();
    let sectors = &t.summary.sector_times_s;
    assert_eq!(sectors.len(), 4);
    assert!((sectors.iter().sum::<f64>() - lap.lap_time_s).abs() < 1e-9);
    let i = (500.0 / track.step_m()).round() as usize;
    assert!((sectors[0] - t.t_s[i]).abs() < 1e-12);
    let track = Track::new(&centre, TrackOptions::default()).unwrap();
    assert!(track.clone().with_sectors(&[1500.0, 500.0]).is_err());
    assert!(track.clone().with_sectors(&[-1.0]).is_err());
    assert!(track.with_sectors(&[1e6]).is_err());
    let o = lapsim(&[
        "run",
        "--car",
        CAR,
        "--track",
        TRACK,
        "--no-plot",
        "--sectors-m",
        "900,100",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid option `--sectors-m`"));
}

/// Plain `lapsim` outside the repository: its default field file is not there, and the error says so and
/// what to do, instead of a bare "cannot read".
#[test]
fn plain_lapsim_outside_the_repository_gives_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let o = lapsim_in(dir.path(), &[]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--field") && stderr.contains("run from its root"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

/// `lapsim compare` on two laps of known times: measured-style files with only distance and speed (1,000 m
/// at a constant 50 m/s and 40 m/s: 20 s and 25 s) show 5 s between them, in the table and the CSV; two
/// lapsim telemetry files show the difference of their laps (within the CSV's millisecond).
#[test]
fn compare_shows_the_difference_of_known_laps() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: f64| {
        let p = dir.path().join(name);
        let rows: String = (0..1000).map(|k| format!("{k}.0,{v}\n")).collect();
        std::fs::write(&p, format!("s_m,v_mps\n{rows}")).unwrap();
        p
    };
    let (fast, slow) = (write("fast.csv", 50.0), write("slow.csv", 40.0));
    let out = dir.path().join("cmp");
    let o = lapsim(&[
        "compare",
        fast.to_str().unwrap(),
        slow.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("0:20.000") && stdout.contains("0:25.000 (+5.000)"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let lap = csv.lines().find(|l| l.starts_with("lap,")).unwrap();
    assert_eq!(lap, "lap,s,20.000,25.000,5.000");
    assert!(out.join("compare.png").exists());

    // Two laps lapsim wrote: the line and the centreline.
    let runs = dir.path().join("runs");
    let runs_s = runs.to_str().unwrap();
    for line in ["optimal", "centreline"] {
        let o = lapsim(&[
            "run",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--no-plot",
            "--line",
            line,
            "--out",
            runs_s,
        ]);
        assert!(o.status.success());
    }
    let stem = runs.join("oschersleben__porsche_997_gt3_cup");
    let (a, b) = (
        stem.with_extension("csv"),
        runs.join("oschersleben__porsche_997_gt3_cup__centreline.csv"),
    );
    let o = lapsim(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        runs_s,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lap_a = lap_of_record(&stem.with_extension("json"));
    let lap_b = lap_of_record(&runs.join("oschersleben__porsche_997_gt3_cup__centreline.json"));
    let csv = std::fs::read_to_string(runs.join("compare.csv")).unwrap();
    let delta: f64 = csv
        .lines()
        .find(|l| l.starts_with("lap,"))
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (delta - (lap_b - lap_a)).abs() < 1e-3,
        "{delta} vs {}",
        lap_b - lap_a
    );
    // Fewer than two laps is a usage error; a file without the columns names what it needs.
    let o = lapsim(&["compare", a.to_str().unwrap()]);
    assert!(!o.status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "distance,speed\n0,1\n1,2\n").unwrap();
    let o = lapsim(&[
        "compare",
        a.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--out",
        runs_s,
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("without a `s_m` column"));
}
