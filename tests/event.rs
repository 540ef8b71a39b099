//! The event as data: a second event file changes the qualifying format, the race length and the fuel; fuel
//! that runs out is an event; the rules are validated; the weekend's report on another circuit names it and
//! reproduces with the command it prints; every session command takes the track and line options.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use lapsim::field::{Field, RaceLength};
use lapsim::session::qualifying::qualifying;
use lapsim::session::race::race;
use lapsim::session::{LapKind, LapOracle, LapOutcome, LapRequest};
use lapsim::Error;

const OSCHERSLEBEN: &str = "cars/carrera_cup_2007_oschersleben.toml";
const HOCKENHEIM: &str = "cars/carrera_cup_2007_hockenheim.toml";

fn text(rel: &str) -> String {
    std::fs::read_to_string(project_path(rel)).unwrap()
}

fn parse(t: &str) -> lapsim::Result<Field> {
    Field::from_toml_str("event.toml", t, &project_path("cars"))
}

/// A lap oracle with known laps: `base_s / grip` flying, 5 s more from a grid slot, and a fixed fuel burn.
struct Known {
    base_s: f64,
    fuel_per_lap_kg: f64,
}

impl LapOracle for Known {
    fn lap(&self, r: &LapRequest) -> lapsim::Result<LapOutcome> {
        let fly = self.base_s / r.grip_share;
        let time_s = match r.kind {
            LapKind::Flying => fly,
            LapKind::Grid { behind_m } => fly + 5.0 + behind_m / 40.0,
        };
        Ok(LapOutcome {
            time_s,
            fuel_kg: self.fuel_per_lap_kg,
        })
    }
}

/// Known laps whose fuel burn depends on the grip share: 1 kg a lap above a share of 0.95, 2.5 kg below (the
/// front of the field stays above it all race, the back below): a field where some cars run dry and others
/// finish.
struct ByGrip {
    base_s: f64,
}

impl LapOracle for ByGrip {
    fn lap(&self, r: &LapRequest) -> lapsim::Result<LapOutcome> {
        let fly = self.base_s / r.grip_share;
        let time_s = match r.kind {
            LapKind::Flying => fly,
            LapKind::Grid { behind_m } => fly + 5.0 + behind_m / 40.0,
        };
        Ok(LapOutcome {
            time_s,
            fuel_kg: if r.grip_share > 0.95 { 1.0 } else { 2.5 },
        })
    }
}

/// The Hockenheim file runs round 1's rules: one qualifying session (every grid place from part 1, no
/// shoot-out) and a 30-minute race that ends when the leader crosses the line after 30 minutes, every car
/// finishing the lap it is on; the Oschersleben file runs 22 laps after a two-part qualifying.
#[test]
fn a_second_event_file_changes_format_length_and_fuel() {
    let hk = Field::from_file(&project_path(HOCKENHEIM)).unwrap();
    let os = Field::from_file(&project_path(OSCHERSLEBEN)).unwrap();
    assert!(!hk.qualifying.has_shootout() && os.qualifying.has_shootout());
    assert_eq!(hk.race.length, RaceLength::Time(1800.0));
    assert_eq!(os.race.length, RaceLength::Laps(22));
    assert_ne!(hk.race.fuel_kg, os.race.fuel_kg);

    let oracle = Known {
        base_s: 100.0,
        fuel_per_lap_kg: 1.0,
    };
    let q = qualifying(&hk, &oracle, &hk.qualifying, 1, 0).unwrap();
    assert_eq!(q.grid.len(), 40);
    assert!(q.grid.iter().all(|g| g.part == 1));
    assert!(q.part2.iter().all(Option::is_none));
    // 30 minutes of 100–107 s laps after a ~105 s out-lap: 16 to 18 timed laps each.
    assert!(q.part1.iter().all(|r| (16..=18).contains(&r.laps.len())));

    let grid: Vec<usize> = q.grid.iter().map(|g| g.entry).collect();
    let r = race(&hk, &oracle, &hk.race, &grid, 1, 0).unwrap();
    let leader = &r.classification[0];
    let before_last: f64 = leader.laps[..leader.laps.len() - 1]
        .iter()
        .map(|l| l.time_s)
        .sum();
    assert!(
        leader.total_s >= 1800.0 && before_last < 1800.0,
        "{}",
        leader.total_s
    );
    assert!(r
        .classification
        .iter()
        .all(|c| c.finished() && c.laps.len() as u32 == r.laps));
    assert_eq!(r.laps, leader.laps.len() as u32);
}

/// Fuel that runs out stops the car: in the race it is classified behind every finisher, by laps completed,
/// with the lap it stopped on; in qualifying its run ends and says so. Never a silent clamp at zero.
#[test]
fn fuel_that_runs_out_stops_the_car() {
    let field = Field::from_file(&project_path(OSCHERSLEBEN)).unwrap();
    // 36 kg at 2 kg a lap lasts 18 laps of 22.
    let thirsty = Known {
        base_s: 90.0,
        fuel_per_lap_kg: 2.0,
    };
    let grid: Vec<usize> = (0..field.entries.len()).collect();
    let r = race(&field, &thirsty, &field.race, &grid, 3, 0).unwrap();
    for c in &r.classification {
        assert_eq!(c.out_of_fuel_on_lap, Some(19), "{c:?}");
        assert_eq!(c.laps.len(), 18);
        assert!(!c.finished());
    }
    // Enough fuel for everyone: all finish the 22 laps.
    let sipping = Known {
        base_s: 90.0,
        fuel_per_lap_kg: 1.0,
    };
    let r = race(&field, &sipping, &field.race, &grid, 3, 0).unwrap();
    assert!(r.classification.iter().all(|c| c.finished()));
    assert_eq!(r.laps, 22);
    // Slower drivers burn more (a fuel burn that grows as the grip share falls): the thirstiest run dry,
    // the others finish, and every finisher is classified ahead of every car that stopped.
    let mixed = ByGrip { base_s: 90.0 };
    let r = race(&field, &mixed, &field.race, &grid, 3, 0).unwrap();
    let finished = r.classification.iter().filter(|c| c.finished()).count();
    assert!(
        finished > 0 && finished < r.classification.len(),
        "{finished}"
    );
    assert!(r.classification[..finished].iter().all(|c| c.finished()));
    assert!(r.classification[finished..].iter().all(|c| !c.finished()));
    for w in r.classification[finished..].windows(2) {
        assert!(w[0].laps.len() >= w[1].laps.len());
    }

    let q = qualifying(
        &field,
        &thirsty,
        &lapsim::field::QualifyingFormat {
            fuel_kg: 9.0,
            ..field.qualifying
        },
        3,
        0,
    )
    .unwrap();
    // 9 kg: the out-lap and 3 timed laps, then the tank is dry on the fifth lap.
    for run in &q.part1 {
        assert!(run.out_of_fuel, "{run:?}");
        assert_eq!(run.laps.len(), 3);
    }
}

/// A session may not start with more fuel than the car's tank holds: the error names the field file's key
/// and the car file's tank.
#[test]
fn more_fuel_than_the_tank_holds_is_an_error() {
    let t = text(OSCHERSLEBEN).replacen("fuel_kg = 36.0", "fuel_kg = 80.0", 1);
    let field = parse(&t).unwrap();
    let car = gt3_cup();
    let e = field
        .check_fuel(car.params().mass.fuel_tank_kg, &car.params().name)
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(&e, Error::Parameter { field, .. } if field == "race.fuel_kg"),
        "{msg}"
    );
    assert!(
        msg.contains("67 kg") && msg.contains("mass.fuel_tank_kg"),
        "{msg}"
    );
}

/// Every rule is checked with an error naming its key.
#[test]
fn event_rules_are_validated() {
    let base = text(OSCHERSLEBEN);
    let param = |from: &str, to: &str, key: &str| {
        let t = base.replacen(from, to, 1);
        assert_ne!(t, base, "{from} not found");
        match parse(&t) {
            Err(Error::Parameter { field, .. }) => assert_eq!(field, key, "{from} → {to}"),
            other => panic!("{from} → {to}: expected an error on {key}, got {other:?}"),
        }
    };
    param("laps = 22", "laps = 0", "race.laps");
    param("min_gap_s = 0.3", "min_gap_s = -0.3", "race.min_gap_s");
    param(
        "grid_spacing_m = 8.0",
        "grid_spacing_m = 80.0",
        "race.grid_spacing_m",
    );
    param("part1_s = 900.0", "part1_s = 10.0", "qualifying.part1_s");
    param(
        "shootout_cars = 15",
        "shootout_cars = 0",
        "qualifying.part2_s",
    );
    param(
        "fade_per_lap = 0.0015",
        "fade_per_lap = 0.5",
        "tyres.fade_per_lap",
    );
    param(
        "warm_up_grip = [0.90, 0.97]",
        "warm_up_grip = []",
        "tyres.warm_up_grip",
    );
    param(
        "warm_up_grip = [0.90, 0.97]",
        "warm_up_grip = [0.9, 1.2]",
        "tyres.warm_up_grip[1]",
    );
    // Laps or minutes, not both, not neither; and no unknown key.
    for (from, to, words) in [
        ("laps = 22", "laps = 22\nminutes = 30.0", "not both"),
        ("laps = 22", "", "missing `laps`"),
        ("peak_laps = 2", "peak_lap = 2", "unknown field `peak_lap`"),
    ] {
        match parse(&base.replacen(from, to, 1)) {
            Err(Error::Parse { message, .. }) => assert!(message.contains(words), "{message}"),
            other => panic!("{from} → {to}: {other:?}"),
        }
    }
}

fn lapsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run the lapsim binary")
}

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The weekend on another circuit and event: the report names that event, circuit and race length, and the
/// command it prints reproduces the run (its CSVs byte for byte).
#[test]
fn the_weekend_report_names_its_circuit_and_reproduces() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out_a = a.path().to_str().unwrap();
    let o = lapsim(&[
        "weekend",
        "--field",
        HOCKENHEIM,
        "--track",
        "tracks/hockenheim.csv",
        "--line",
        "min-curvature",
        "--seed",
        "5",
        "--out",
        out_a,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(a.path().join("weekend.md")).unwrap();
    assert!(md.starts_with("# Porsche Carrera Cup Deutschland 2007, round 1, Hockenheimring"));
    assert!(md.contains("tracks/hockenheim.csv") && md.contains("minimum-curvature line"));
    assert!(
        !md.contains("Oschersleben") && !md.contains("oschersleben"),
        "{md}"
    );
    let command = md
        .lines()
        .find_map(|l| l.strip_prefix("Reproduce: `"))
        .and_then(|l| l.strip_suffix('`'))
        .expect("a Reproduce line");
    let args: Vec<String> = command
        .strip_prefix("cargo run --release -- ")
        .expect("the cargo command")
        .split_whitespace()
        .map(|w| {
            if w == out_a {
                b.path().to_str().unwrap().to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let o = lapsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (fa, fb) = (files_of(a.path()), files_of(b.path()));
    assert_eq!(fa.len(), 3);
    assert_eq!(fa, fb);
}

/// Every session command takes the track and line options of `run`, and echoes them in its record.
#[test]
fn session_commands_take_the_track_and_line_options() {
    let dir = tempfile::tempdir().unwrap();
    let o = lapsim(&[
        "qualifying",
        "--field",
        OSCHERSLEBEN,
        "--track",
        "tracks/oschersleben.csv",
        "--line",
        "min-curvature",
        "--line-grid-m",
        "3",
        "--margin-m",
        "0.5",
        "--smoothing-m",
        "10",
        "--step-m",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let inputs = &record["inputs"];
    assert_eq!(inputs["line_grid_m"], serde_json::json!(3.0));
    assert_eq!(inputs["margin_m"], serde_json::json!(0.5));
    assert_eq!(inputs["smoothing_m"], serde_json::json!(10.0));
    assert_eq!(inputs["step_m"], serde_json::json!(2.0));
}

/// A timed race reports the fuel left after the laps it ran (not after the laps the car could have run).
#[test]
fn a_timed_race_reports_the_fuel_of_the_laps_run() {
    let t = text(HOCKENHEIM).replacen("minutes = 30.0", "minutes = 5.0", 1);
    let field = parse(&t).unwrap();
    let oracle = Known {
        base_s: 100.0,
        fuel_per_lap_kg: 1.0,
    };
    let grid: Vec<usize> = (0..field.entries.len()).collect();
    let r = race(&field, &oracle, &field.race, &grid, 1, 0).unwrap();
    assert_eq!(r.laps, 3);
    for c in &r.classification {
        assert_eq!(c.laps.len(), 3);
        assert!(
            (c.fuel_left_kg - (field.race.fuel_kg - 3.0)).abs() < 1e-9,
            "{}",
            c.fuel_left_kg
        );
    }
}

/// Runs the binary and fails (rather than hangs) if it takes over two minutes.
fn lapsim_within(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the lapsim binary");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() > 120 {
            child.kill().ok();
            panic!("lapsim {args:?} did not finish in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The session commands through the binary on the cases that once panicked or hung in the charts: a race
/// where some cars run dry and others finish, a one-lap race, and a qualifying session where some cars set
/// no time at all.
#[test]
fn sessions_with_dry_cars_and_one_lap_finish_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let base = text(OSCHERSLEBEN);
    let cases = [
        // 7 laps on 11.14 kg: the thirstier cars (6 of 40 with the shipped car and field) stop on lap 7.
        base.replacen("laps = 22", "laps = 7", 1)
            .replacen("fuel_kg = 36.0", "fuel_kg = 11.14", 1),
        base.replacen("laps = 22", "laps = 1", 1),
        // One session on 3.20 kg: some cars set a time, others (6 of 40) run dry first.
        base.replacen("part2_s = 600.0", "part2_s = 0.0", 1)
            .replacen("shootout_cars = 15", "shootout_cars = 0", 1)
            .replacen("fuel_kg = 30.0", "fuel_kg = 3.20", 1),
    ];
    // The car file by its absolute path, so that the edited field files live in the temporary directory.
    let car = project_path("cars/porsche_997_gt3_cup.toml");
    let car_line = format!("car_file = {:?}", car.to_str().unwrap());
    for (k, t) in cases.iter().enumerate() {
        let f = dir.path().join(format!("event_{k}.toml"));
        let t = t.replacen("car_file = \"porsche_997_gt3_cup.toml\"", &car_line, 1);
        std::fs::write(&f, t).unwrap();
        let out = dir.path().join(k.to_string());
        let command = if k == 2 { "qualifying" } else { "race" };
        let o = lapsim_within(&[
            command,
            "--field",
            f.to_str().unwrap(),
            "--track",
            "tracks/oschersleben.csv",
            "--line",
            "centreline",
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "case {k}: {stderr}");
        assert!(!stderr.contains("panicked"));
        let stdout = String::from_utf8_lossy(&o.stdout);
        match k {
            0 => assert!(stdout.contains("dry, lap 7"), "{stdout}"),
            2 => assert!(stdout.contains(" – "), "{stdout}"),
            _ => {}
        }
        assert!(std::fs::read_dir(&out).unwrap().count() >= 3);
    }
}
