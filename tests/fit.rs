//! `lapsim field fit`: driver skills from qualifying results. The results are made by the simulator itself
//! from known grip shares, so the fit must give them back; the tolerance follows from the rounding of the
//! published times (see `tolerance`). Bad results files are in `tests/bad_input.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use lapsim::field::Field;
use lapsim::session::fit::{fit_skills, Basis, FitOptions, QualifyingResults};
use lapsim::session::{LapKind, LapOracle, LapRequest, QssOracle};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::Car;

const CAR: &str = "cars/porsche_997_gt3_cup.toml";
const TRACK: &str = "tracks/oschersleben.csv";
const FIELD: &str = "cars/carrera_cup_2007_oschersleben.toml";

fn project_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The known skills: (name, grip, brake and traction share). Braking and traction differ between drivers,
/// so the fit must use each entry's own.
const DRIVERS: [(&str, f64, f64); 8] = [
    ("A", 0.997, 0.99),
    ("B", 0.9955, 0.98),
    ("C", 0.993, 0.98),
    ("D", 0.9905, 0.97),
    ("E", 0.986, 0.97),
    ("F", 0.983, 0.96), // published with its position only
    ("G", 0.978, 0.96),
    ("H", 0.97, 0.95), // not in the results
];

/// A field file of the drivers above, on the shipped event's rules and car.
fn field_text() -> String {
    let shipped = std::fs::read_to_string(project_path(FIELD)).unwrap();
    // The shipped rules, without the block of a previous fit.
    let rules = shipped.split("# ==== Entries written").next().unwrap();
    let head = rules.split("[[entry]]").next().unwrap().replacen(
        "car_file = \"porsche_997_gt3_cup.toml\"",
        &format!("car_file = {:?}", project_path(CAR).display().to_string()),
        1,
    );
    let mut t = head;
    for (k, (name, grip, brake)) in DRIVERS.iter().enumerate() {
        t += &format!(
            "[[entry]]\nnumber = {}\nname = \"{name}\"\ngrip_share = {grip}\nbrake_share = {brake}\n\
             traction_share = {brake}\nconsistency_sd = 0.002\nmistake_per_lap = 0.03\n\n",
            k + 1
        );
    }
    t
}

fn oracle() -> QssOracle {
    let car = Car::from_file(&project_path(CAR)).unwrap();
    let centerline = Centerline::from_file(&project_path(TRACK)).unwrap();
    let track = Track::new(&centerline, TrackOptions::default()).unwrap();
    QssOracle::new(car, track)
}

fn lap(oracle: &QssOracle, grip: f64, brake: f64) -> f64 {
    let fuel_kg = oracle.car().params().mass.fuel_kg;
    oracle
        .lap(&LapRequest {
            grip_share: grip,
            traction_share: brake,
            brake_share: brake,
            fuel_kg,
            kind: LapKind::Flying,
            slip: None,
        })
        .unwrap()
        .time_s
}

/// The results the simulator gives: best laps rounded to the millisecond as timing publishes them, F with
/// its position only, H absent.
fn results_text(oracle: &QssOracle) -> String {
    let mut t = String::from("# made by the simulator\nposition,driver,best_s,gap_s,note\n");
    for (k, (name, grip, brake)) in DRIVERS.iter().take(7).enumerate() {
        let best = if *name == "F" {
            String::new()
        } else {
            format!("{:.3}", lap(oracle, *grip, *brake))
        };
        t += &format!("{},{name},{best},,\n", k + 1);
    }
    t
}

/// How close the shares must come back: each published time is rounded by up to 0.5 ms, the driver's and
/// the pole's, so a gap is off by up to 1 ms; the bisection adds 1e-7 of share. In share that is 1 ms over
/// the lap's slope dT/ds (about 29 s per unit of share on this lap), taken with a margin of 1.5.
fn tolerance(oracle: &QssOracle) -> f64 {
    let slope = (lap(oracle, 0.98, 0.97) - lap(oracle, 0.99, 0.97)) / 0.01;
    1.5 * 1e-3 / slope + 1e-7
}

#[test]
fn fit_recovers_the_skills_that_made_the_results() {
    let oracle = oracle();
    let field = Field::from_toml_str("synthetic.toml", &field_text(), Path::new(".")).unwrap();
    let results = QualifyingResults::from_csv_str("synthetic.csv", &results_text(&oracle)).unwrap();
    let options = FitOptions {
        pole_grip_share: DRIVERS[0].1,
        prior_step_pct: 0.05,
        fuel_kg: oracle.car().params().mass.fuel_kg,
    };
    let fit = fit_skills(&field, &results, &oracle, &options).unwrap();
    let tol = tolerance(&oracle);
    eprintln!(
        "tolerance {tol:.2e} of grip share; model pole {:.3} s",
        fit.model_pole_s
    );
    for (k, (name, grip, _)) in DRIVERS.iter().enumerate().filter(|(_, d)| d.0 != "F") {
        let f = &fit.entries[k];
        if *name == "H" {
            continue;
        }
        eprintln!("{name}: fitted {:.6}, true {grip}", f.grip_share);
        assert!(
            (f.grip_share - grip).abs() <= tol,
            "{name}: fitted {} against {grip} (tolerance {tol:.1e})",
            f.grip_share
        );
    }
    // F (position 6, no time): the gap interpolated between E and G, a lap between theirs.
    let (e, f, g) = (&fit.entries[4], &fit.entries[5], &fit.entries[6]);
    assert_eq!(f.basis, Basis::Position);
    assert!((f.gap_s - 0.5 * (e.gap_s + g.gap_s)).abs() < 1e-12);
    assert!(e.model_lap_s < f.model_lap_s && f.model_lap_s < g.model_lap_s);
    // H (no result): the first free position, 8, at the prior's gap: one prior step (0.05 % of the real
    // pole) behind G at least, and never less than 7 steps from pole.
    let h = &fit.entries[7];
    assert_eq!((h.basis, h.position), (Basis::NoResult, 8));
    let step = 0.0005 * fit.reference_lap_s;
    assert!((h.gap_s - (7.0 * step).max(g.gap_s + step)).abs() < 1e-9);
    // Every fitted lap reproduces its gap as a fraction of the lap (the bisection's 1e-7 of share).
    for f in &fit.entries {
        let target = fit.model_pole_s * (1.0 + f.gap_s / fit.reference_lap_s);
        assert!((f.model_lap_s - target).abs() < 1e-4, "{f:?}");
    }
}

#[test]
fn field_fit_command_writes_a_field_with_the_shares_and_how_they_were_made() {
    let oracle = oracle();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.csv");
    let field = dir.path().join("field.toml");
    let out = dir.path().join("fitted.toml");
    std::fs::write(&results, results_text(&oracle)).unwrap();
    std::fs::write(&field, field_text()).unwrap();
    let run = |out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_lapsim"))
            .args(["field", "fit", "--results"])
            .arg(&results)
            .arg("--track")
            .arg(project_path(TRACK))
            .arg("--car")
            .arg(project_path(CAR))
            .arg("--field")
            .arg(&field)
            .arg("--out")
            .arg(out)
            .args(["--line", "centreline", "--pole-grip-share", "0.997"])
            .output()
            .unwrap()
    };
    let o = run(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fitted = Field::from_file(&out).unwrap();
    let tol = tolerance(&oracle) + 0.5e-5; // the file keeps five decimals
    for (e, (name, grip, brake)) in fitted.entries.iter().zip(DRIVERS) {
        assert_eq!(e.name, name);
        assert_eq!(e.skill.brake_share, brake, "kept from the base field");
        if name != "F" && name != "H" {
            assert!((e.skill.grip_share - grip).abs() <= tol, "{e:?}");
        }
    }
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# lapsim field fit --results "), "{text}");
    assert!(
        text.contains("--pole-grip-share 0.997 --line centreline"),
        "{text}"
    );
    assert!(text.contains("P6 in results.csv (line 8), no time published"));
    assert!(text.contains("no result in results.csv: generic, prior position 8"));
    // The base's rules and their comments are kept; a second fit of the written file changes nothing.
    assert!(text.starts_with(field_text().split("[[entry]]").next().unwrap().trim_end()));
    let again = dir.path().join("again.toml");
    std::fs::copy(&out, &field).unwrap();
    let o = run(&again);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let strip = |t: String| t.replace(&again.display().to_string(), "OUT");
    assert_eq!(
        strip(std::fs::read_to_string(&again).unwrap()),
        strip(text.replace(&out.display().to_string(), &again.display().to_string()))
    );
}

/// The shipped field files are what the command written in them produces: rerunning it (into a temporary
/// file) gives the same entries, grip shares within 1e-4 (~3 ms of a lap: room for a solver change that
/// moves every lap alike, not for a stale file).
#[test]
fn shipped_field_files_are_what_their_command_produces() {
    for shipped in [FIELD, "cars/carrera_cup_2007_hockenheim.toml"] {
        let text = std::fs::read_to_string(project_path(shipped)).unwrap();
        let command = text
            .lines()
            .find(|l| l.starts_with("# lapsim field fit "))
            .unwrap_or_else(|| panic!("{shipped} names no field fit command"));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("refit.toml");
        let mut args: Vec<String> = command["# lapsim ".len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let k = args.iter().position(|a| a == "--out").unwrap();
        args[k + 1] = out.display().to_string();
        let o = Command::new(env!("CARGO_BIN_EXE_lapsim"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (a, b) = (
            Field::from_file(&project_path(shipped)).unwrap(),
            Field::from_file(&out).unwrap(),
        );
        assert_eq!(a.entries.len(), b.entries.len());
        for (x, y) in a.entries.iter().zip(&b.entries) {
            assert_eq!((x.number, &x.name), (y.number, &y.name));
            assert!(
                (x.skill.grip_share - y.skill.grip_share).abs() <= 1e-4,
                "{shipped}: {} shipped {} against {} refitted: rerun `{}`",
                x.name,
                x.skill.grip_share,
                y.skill.grip_share,
                &command[2..]
            );
            assert_eq!(
                (x.skill.brake_share, x.skill.traction_share),
                (y.skill.brake_share, y.skill.traction_share)
            );
        }
    }
}
