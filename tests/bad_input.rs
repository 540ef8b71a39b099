//! Bad input: every way a track file, a car file or a command line can be wrong must end in an error that
//! names the file, the line or the field, and what is wrong — never a panic, never a half-written result.
//!
//! Inputs are built in code from the shipped files (`tracks/oschersleben.csv`,
//! `cars/porsche_997_gt3_cup.toml`) by editing their text, so each test shows the one thing it breaks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Car, Envelope};
use lapsim::Error;
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/// The track file, relative to the crate; also the source name given to in-memory variants of it.
const TRACK: &str = "tracks/oschersleben.csv";
/// The car file, relative to the crate; also the source name given to in-memory variants of it.
const CAR: &str = "cars/porsche_997_gt3_cup.toml";
/// The shipped field file.
const FIELD: &str = "cars/carrera_cup_2007_oschersleben.toml";
/// File names `lapsim run` writes for the shipped car on Oschersleben with `--step-m 2` (options other than
/// the defaults are part of the name, so runs with other options do not overwrite each other).
const RUN_OUTPUTS: [&str; 4] = [
    "oschersleben__porsche_997_gt3_cup__step2m.csv",
    "oschersleben__porsche_997_gt3_cup__step2m.json",
    "oschersleben__porsche_997_gt3_cup__step2m_map.png",
    "oschersleben__porsche_997_gt3_cup__step2m_speed.png",
];

fn project_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn track_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string(project_path(TRACK)).expect("shipped track file"))
}

fn car_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string(project_path(CAR)).expect("shipped car file"))
}

/// The envelope of the shipped car, built once for all tests.
fn envelope() -> &'static Envelope {
    static ENV: OnceLock<Envelope> = OnceLock::new();
    ENV.get_or_init(|| {
        let car = Car::from_toml_str(CAR, car_text()).expect("shipped car file is valid");
        Envelope::new(&car)
    })
}

/// The lines of a text without terminators: file line `n` (1-based) is `lines[n - 1]`.
fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// Joins lines back into a file with a final newline.
fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The track text with cell `col` (1-based) of file line `line` (1-based) replaced by `value`.
fn with_cell(text: &str, line: usize, col: usize, value: &str) -> String {
    let mut lines = lines_of(text);
    let mut cells: Vec<&str> = lines[line - 1].split(',').collect();
    cells[col - 1] = value;
    lines[line - 1] = cells.join(",");
    join(&lines)
}

fn parse_track(text: &str) -> lapsim::Result<Centerline> {
    Centerline::from_csv_str(TRACK, text)
}

/// Asserts an `Error::TrackLine` for the track file at `line` whose message contains every one of `what`.
#[track_caller]
fn expect_track_line(result: lapsim::Result<Centerline>, line: u64, what: &[&str]) {
    let err = match result {
        Ok(c) => panic!(
            "expected an error at line {line}, got a valid track of {} points",
            c.len()
        ),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        Error::TrackLine {
            source_name,
            line: l,
            message,
        } => {
            assert_eq!(source_name, TRACK, "wrong file in: {shown}");
            assert_eq!(*l, line, "wrong line in: {shown}");
            for w in what {
                assert!(message.contains(w), "`{w}` missing from: {shown}");
            }
        }
        other => panic!("expected Error::TrackLine at line {line}, got {other:?}"),
    }
    assert!(
        shown.starts_with(&format!("{TRACK}, line {line}: ")),
        "the message must start with the file and line: {shown}"
    );
}

/// Asserts an `Error::Track` (a fault of the whole loop) for `source` whose message contains all of `what`.
#[track_caller]
fn expect_track_error(result: lapsim::Result<Centerline>, source: &str, what: &[&str]) {
    let err = match result {
        Ok(c) => panic!("expected an error, got a valid track of {} points", c.len()),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        Error::Track {
            source_name,
            message,
        } => {
            assert_eq!(source_name, source, "wrong file in: {shown}");
            for w in what {
                assert!(message.contains(w), "`{w}` missing from: {shown}");
            }
        }
        other => panic!("expected Error::Track, got {other:?}"),
    }
    assert!(shown.starts_with(&format!("{source}: ")), "{shown}");
}

/// The car text with the one occurrence of `from` replaced by `to` (fails loudly if the shipped file changes).
fn car_with(from: &str, to: &str) -> String {
    let text = car_text();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur exactly once in {CAR}"
    );
    text.replacen(from, to, 1)
}

/// Asserts `Error::Parse` for the car file whose message contains every one of `what`.
#[track_caller]
fn expect_parse(text: &str, what: &[&str]) {
    let err = match Car::from_toml_str(CAR, text) {
        Ok(_) => panic!("expected a parse error, got a valid car"),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        Error::Parse {
            source_name,
            message,
        } => {
            assert_eq!(source_name, CAR, "{shown}");
            for w in what {
                assert!(message.contains(w), "`{w}` missing from: {shown}");
            }
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    assert!(shown.starts_with(&format!("{CAR}: ")), "{shown}");
}

/// Asserts `Error::Parameter` for the car file naming `field` and `value`, whose message contains all of `what`.
#[track_caller]
fn expect_parameter(text: &str, field: &str, value: &str, what: &[&str]) {
    let err = match Car::from_toml_str(CAR, text) {
        Ok(_) => panic!("expected an error for `{field}`, got a valid car"),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        Error::Parameter {
            source_name,
            field: f,
            value: v,
            message,
        } => {
            assert_eq!(source_name, CAR, "{shown}");
            assert_eq!(f, field, "wrong field in: {shown}");
            assert_eq!(v, value, "wrong value in: {shown}");
            for w in what {
                assert!(message.contains(w), "`{w}` missing from: {shown}");
            }
        }
        other => panic!("expected Error::Parameter for `{field}`, got {other:?}"),
    }
    assert!(
        shown.starts_with(&format!("{CAR}: `{field}` = {value}: ")),
        "the message must name the file, the field and the value: {shown}"
    );
}

/// Asserts `Error::Option` for `option` = `value` whose message contains every one of `what`.
#[track_caller]
fn expect_option(result: lapsim::Result<Track>, option: &str, value: &str, what: &[&str]) {
    let err = match result {
        Ok(t) => panic!(
            "expected an error for {option} = {value}, got a track of {} points",
            t.len()
        ),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        Error::Option {
            option: o,
            value: v,
            message,
        } => {
            assert_eq!(o, option, "{shown}");
            assert_eq!(v, value, "{shown}");
            for w in what {
                assert!(message.contains(w), "`{w}` missing from: {shown}");
            }
        }
        other => panic!("expected Error::Option for {option}, got {other:?}"),
    }
    assert!(
        shown.starts_with(&format!("invalid option `{option}` = {value}: ")),
        "{shown}"
    );
}

/// Runs `f` on another thread and fails if it takes longer than `limit` (for inputs that used to hang).
#[track_caller]
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} took longer than {limit:?}"))
}

/// A lemniscate of Gerono `x = a cos t, y = b sin t cos t` as a track file: a figure-of-eight whose two
/// branches cross at the origin at `2 atan(a / b)`.
fn figure_of_eight(a: f64, b: f64, n: usize) -> String {
    let mut s = String::from("# x_m,y_m,w_tr_right_m,w_tr_left_m\n");
    for i in 0..n {
        // Offset by 0.3 of a step so no sample falls exactly on the crossing.
        let t = std::f64::consts::TAU * (i as f64 + 0.3) / n as f64;
        s.push_str(&format!(
            "{:.6},{:.6},5.0,5.0\n",
            a * t.cos(),
            b * t.sin() * t.cos()
        ));
    }
    s
}

// ---------------------------------------------------------------------------------------------------------
// Track reader
// ---------------------------------------------------------------------------------------------------------

#[test]
fn missing_track_file_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_such_track.csv");
    let err = Centerline::from_file(&path).map(|c| c.len()).unwrap_err();
    let shown = err.to_string();
    match &err {
        Error::Read { path: p, io } => {
            assert_eq!(p, &path);
            assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Error::Read, got {other:?}"),
    }
    assert!(
        shown.starts_with(&format!("{}: cannot read the file: ", path.display())),
        "{shown}"
    );
}

#[test]
fn unreadable_track_path_a_directory_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = Centerline::from_file(dir.path())
        .map(|c| c.len())
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        matches!(&err, Error::Read { path, .. } if path == dir.path()),
        "{err:?}"
    );
    assert!(
        shown.starts_with(&format!("{}: cannot read the file: ", dir.path().display())),
        "{shown}"
    );
}

#[test]
fn non_utf8_track_file_names_the_path_and_the_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    // An invalid byte in the middle of line 3 of the real file.
    let text = track_text();
    let offset = text.lines().take(2).map(|l| l.len() + 1).sum::<usize>() + 4;
    let mut bytes = text.as_bytes().to_vec();
    bytes[offset] = 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let err = Centerline::from_file(&path).map(|c| c.len()).unwrap_err();
    match &err {
        Error::Track {
            source_name,
            message,
        } => {
            assert_eq!(source_name, &path.display().to_string());
            assert!(message.contains("not a text file"), "{err}");
            assert!(
                message.contains(&format!("invalid UTF-8 at byte {offset}")),
                "{err}"
            );
        }
        other => panic!("expected Error::Track, got {other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with(&format!("{}: ", path.display())));
}

#[test]
fn non_numeric_cell_reports_its_one_based_file_line_and_column() {
    let text = track_text();
    let last = lines_of(text).len();
    // Line 1 is the `#` header, line 2 the first point.
    for (line, col) in [(3, 1), (200, 2), (531, 3), (last, 4)] {
        expect_track_line(
            parse_track(&with_cell(text, line, col, "12.3.4")),
            line as u64,
            &[&format!("column {col}"), "`12.3.4`", "is not a number"],
        );
    }
    expect_track_line(
        parse_track(&with_cell(text, 77, 1, "")),
        77,
        &["column 1", "``", "is not a number"],
    );
    expect_track_line(
        parse_track(&with_cell(text, 300, 2, "seven")),
        300,
        &["column 2", "`seven`", "is not a number"],
    );
}

#[test]
fn line_numbers_count_comment_and_blank_lines_before_the_bad_line() {
    // A comment line and a blank line inserted after line 10 shift the bad cell from line 100 to line 102.
    let mut lines = lines_of(&with_cell(track_text(), 100, 2, "x"));
    lines.insert(10, "# a comment in the middle".into());
    lines.insert(11, String::new());
    expect_track_line(parse_track(&join(&lines)), 102, &["column 2", "`x`"]);
}

#[test]
fn line_number_is_right_after_comments_and_blank_lines_and_with_crlf() {
    let text = track_text();
    // The first point, right after the `#` header (once reported as line 1).
    expect_track_line(parse_track(&with_cell(text, 2, 1, "x")), 2, &["`x`"]);
    // A line right after a comment or a blank line (once reported as the comment's line).
    for filler in ["# a comment", ""] {
        let mut lines = lines_of(&with_cell(text, 100, 2, "x"));
        lines.insert(99, filler.into()); // line 100; the bad line becomes 101
        expect_track_line(parse_track(&join(&lines)), 101, &["`x`"]);
    }
    // CRLF line ends (once reported one line too early).
    let crlf = with_cell(text, 100, 2, "x").replace('\n', "\r\n");
    expect_track_line(parse_track(&crlf), 100, &["`x`"]);
    // A wrong column count on the first point.
    let mut lines = lines_of(text);
    lines[1].push_str(",1,2");
    expect_track_line(parse_track(&join(&lines)), 2, &["6 columns"]);
}

#[test]
fn nan_and_infinite_cells_are_rejected_with_their_line() {
    let text = track_text();
    for (k, cell) in ["NaN", "nan", "inf", "-inf", "infinity", "1e999"]
        .into_iter()
        .enumerate()
    {
        let line = 50 + 100 * k;
        let col = 1 + k % 4;
        expect_track_line(
            parse_track(&with_cell(text, line, col, cell)),
            line as u64,
            &[
                &format!("column {col}"),
                &format!("`{cell}`"),
                "not a finite number",
            ],
        );
    }
}

#[test]
fn fewer_than_ten_points_is_rejected() {
    let lines = lines_of(track_text());
    expect_track_error(
        parse_track(&join(&lines[..10])), // the header and 9 points
        TRACK,
        &["9 points", "at least 10"],
    );
    expect_track_error(
        parse_track(&join(&lines[..1])),
        TRACK,
        &["0 points", "at least 10"],
    );
    expect_track_error(parse_track(""), TRACK, &["0 points"]);
}

#[test]
fn duplicate_consecutive_point_reports_both_lines() {
    let mut lines = lines_of(track_text());
    let copy = lines[300].clone(); // line 301
    lines.insert(301, copy); // becomes line 302
    expect_track_line(
        parse_track(&join(&lines)),
        302,
        &["duplicate point", "repeats the previous point (line 301)"],
    );
}

#[test]
fn zero_and_negative_widths_are_rejected_with_their_line() {
    let text = track_text();
    expect_track_line(
        parse_track(&with_cell(text, 50, 3, "0")),
        50,
        &["track widths must be positive", "w_tr_right_m = 0"],
    );
    expect_track_line(
        parse_track(&with_cell(text, 60, 4, "-2.5")),
        60,
        &["track widths must be positive", "w_tr_left_m = -2.5"],
    );
    expect_track_line(
        parse_track(&with_cell(text, 70, 3, "-0.0")),
        70,
        &["track widths must be positive"],
    );
}

#[test]
fn truncated_track_is_reported_open_at_its_last_line() {
    let lines = lines_of(track_text());
    let keep = lines.len() * 7 / 10;
    expect_track_line(
        parse_track(&join(&lines[..keep])),
        keep as u64,
        &["the track is open", "median spacing", "truncated"],
    );
}

#[test]
fn track_traced_twice_is_rejected_as_overlapping() {
    let mut lines = lines_of(track_text());
    let points = lines[1..].to_vec();
    lines.extend(points);
    expect_track_error(
        parse_track(&join(&lines)),
        TRACK,
        &["overlaps itself", "0°", "not a bridge"],
    );
}

#[test]
fn shallow_self_crossing_is_rejected_and_a_steep_one_is_a_bridge() {
    // Branches crossing at 2 atan(40 / 600) = 7.6°: an overlap.
    let name = "tracks/shallow_eight.csv";
    expect_track_error(
        Centerline::from_csv_str(name, &figure_of_eight(40.0, 600.0, 400)),
        name,
        &[
            "overlaps itself",
            "crosses the segment after line",
            "8°",
            "under 30°",
        ],
    );
    // The same figure crossing at 2 atan(300 / 600) = 53°: a bridge, accepted.
    let eight = Centerline::from_csv_str("steep_eight", &figure_of_eight(300.0, 600.0, 400));
    assert!(
        eight.is_ok(),
        "a steep crossing is a bridge: {:?}",
        eight.err()
    );
}

#[test]
fn wrong_column_count_on_the_first_line_lists_the_valid_layouts() {
    // Without the header the first point is line 1.
    let lines = lines_of(track_text())[1..].to_vec();
    let three: Vec<String> = lines
        .iter()
        .map(|l| match l.rsplit_once(',') {
            Some((head, _)) if !l.starts_with('#') => head.to_string(),
            _ => l.clone(),
        })
        .collect();
    expect_track_line(
        parse_track(&join(&three)),
        1,
        &["3 columns; expected 4 (x_m, y_m, w_tr_right_m, w_tr_left_m) or 5 ("],
    );
    let six: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.starts_with('#') {
                l.clone()
            } else {
                format!("{l},1.0,2.0")
            }
        })
        .collect();
    expect_track_line(parse_track(&join(&six)), 1, &["6 columns; expected 4"]);
}

#[test]
fn inconsistent_column_count_names_the_line() {
    let text = track_text();
    let mut lines = lines_of(text);
    lines[399].push_str(",12.0"); // line 400: 5 cells
    expect_track_line(
        parse_track(&join(&lines)),
        400,
        &["5 columns, but the first data line has 4"],
    );
    let mut lines = lines_of(text);
    let (head, _) = lines[449].rsplit_once(',').unwrap();
    lines[449] = head.to_string(); // line 450: 3 cells
    expect_track_line(
        parse_track(&join(&lines)),
        450,
        &["3 columns, but the first data line has 4"],
    );
}

#[test]
fn invalid_step_is_an_option_error() {
    let c = parse_track(track_text()).expect("shipped track is valid");
    let with_step = |step_m: f64| {
        Track::new(
            &c,
            TrackOptions {
                step_m,
                ..TrackOptions::default()
            },
        )
    };
    let positive = ["must be a positive number of metres"];
    expect_option(with_step(0.0), "step_m", "0", &positive);
    expect_option(with_step(-1.0), "step_m", "-1", &positive);
    expect_option(with_step(f64::NAN), "step_m", "NaN", &positive);
    expect_option(with_step(f64::INFINITY), "step_m", "inf", &positive);
    expect_option(
        with_step(5000.0),
        "step_m",
        "5000",
        &["longer than the track (3"],
    );
    expect_option(
        with_step(20.0),
        "step_m",
        "20",
        &["must lie between 0.01 m and 10 m"],
    );
    let wl = Track::new(
        &c,
        TrackOptions {
            smoothing_wavelength_m: f64::NAN,
            ..TrackOptions::default()
        },
    );
    expect_option(
        wl,
        "smoothing_wavelength_m",
        "NaN",
        &["must lie between 0 m"],
    );
}

// ---------------------------------------------------------------------------------------------------------
// Car file
// ---------------------------------------------------------------------------------------------------------

#[test]
fn missing_or_non_utf8_car_file_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_car.toml");
    let err = Car::from_file(&missing).unwrap_err();
    assert!(
        matches!(&err, Error::Read { path, .. } if path == &missing),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with(&format!("{}: cannot read the file: ", missing.display())));

    let latin1 = dir.path().join("latin1.toml");
    let mut bytes = car_text().as_bytes().to_vec();
    bytes[0] = 0xE9;
    std::fs::write(&latin1, bytes).unwrap();
    let err = Car::from_file(&latin1).unwrap_err();
    assert!(
        matches!(&err, Error::Read { path, .. } if path == &latin1),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}: cannot read the file: ", latin1.display()))
            && shown.contains("UTF-8"),
        "{shown}"
    );
}

#[test]
fn unknown_top_level_key_is_a_parse_error_naming_it() {
    let text = car_with(
        "name = \"Porsche 911 GT3 Cup (997, 2006-07)\"\n",
        "name = \"Porsche 911 GT3 Cup (997, 2006-07)\"\ncolour = \"white\"\n",
    );
    expect_parse(&text, &["unknown field `colour`", "line "]);
}

#[test]
fn misspelt_key_inside_a_table_is_a_parse_error_naming_it() {
    let text = car_with("car_kg = 1150.0", "car_kgg = 1150.0");
    expect_parse(
        &text,
        &[
            "unknown field `car_kgg`",
            "expected one of",
            "car_kg",
            "line ",
        ],
    );
}

#[test]
fn missing_key_is_a_parse_error_naming_it() {
    let text = car_with("fuel_kg = 30.0\n", "");
    expect_parse(&text, &["missing field `fuel_kg`"]);
    let text = car_with("[aero]", "[aerodynamics]");
    expect_parse(&text, &["aerodynamics"]);
}

#[test]
fn string_instead_of_number_is_a_parse_error() {
    let text = car_with("wheelbase_m = 2.355", "wheelbase_m = \"2.355\"");
    expect_parse(&text, &["invalid type: string \"2.355\"", "line "]);
    let text = car_with("driven_axle = \"rear\"", "driven_axle = \"back\"");
    expect_parse(&text, &["back", "rear"]);
}

#[test]
fn negative_mass_is_a_parameter_error() {
    expect_parameter(
        &car_with("car_kg = 1150.0", "car_kg = -1150.0"),
        "mass.car_kg",
        "-1150",
        &["must be a finite number in [100, 10000]"],
    );
    expect_parameter(
        &car_with("driver_kg = 83.0", "driver_kg = -1.0"),
        "mass.driver_kg",
        "-1",
        &["[0, 250]"],
    );
}

#[test]
fn engine_without_power_is_a_parameter_error() {
    let zeros = "torque_curve_nm = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]";
    let line = car_text()
        .lines()
        .find(|l| l.starts_with("torque_curve_nm"))
        .unwrap();
    expect_parameter(
        &car_with(line, zeros),
        "engine.torque_curve_nm",
        "all zero",
        &["no power below the rev limit"],
    );
}

#[test]
fn torque_curve_rpm_not_increasing_is_a_parameter_error() {
    expect_parameter(
        &car_with("5000.0, 5500.0, 6000.0", "5500.0, 5000.0, 6000.0"),
        "engine.torque_curve_rpm[5]",
        "5000",
        &["strictly increasing", "previous point is 5500 rpm"],
    );
    expect_parameter(
        &car_with("5000.0, 5500.0, 6000.0", "5000.0, 5000.0, 6000.0"),
        "engine.torque_curve_rpm[5]",
        "5000",
        &["strictly increasing"],
    );
}

#[test]
fn gear_ratios_not_decreasing_is_a_parameter_error() {
    expect_parameter(
        &car_with("[3.00, 2.20, 1.77, 1.48", "[3.00, 2.20, 1.48, 1.77"),
        "driveline.gear_ratios[3]",
        "1.77",
        &["strictly decreasing", "previous is 1.48"],
    );
}

#[test]
fn friction_coefficient_out_of_range_is_a_parameter_error() {
    for (mu, shown) in [("0.0", "0"), ("-1.55", "-1.55")] {
        expect_parameter(
            &car_with(
                "mu_lateral_ratio = 1.55",
                &format!("mu_lateral_ratio = {mu}"),
            ),
            "tyres.mu_lateral_ratio",
            shown,
            &["must be a finite number in (0, 3]"],
        );
    }
    expect_parameter(
        &car_with(
            "mu_longitudinal_ratio = 1.60",
            "mu_longitudinal_ratio = 5.0",
        ),
        "tyres.mu_longitudinal_ratio",
        "5",
        &["(0, 3]", "grip up to about 2"],
    );
}

#[test]
fn nan_literal_is_a_parameter_error() {
    expect_parameter(
        &car_with("wheelbase_m = 2.355", "wheelbase_m = nan"),
        "chassis.wheelbase_m",
        "NaN",
        &["must be a finite number"],
    );
    expect_parameter(
        &car_with("torque_curve_nm = [200.0,", "torque_curve_nm = [nan,"),
        "engine.torque_curve_nm[0]",
        "NaN",
        &["must be a finite number"],
    );
    expect_parameter(
        &car_with("drag_area_m2 = 0.80", "drag_area_m2 = inf"),
        "aero.drag_area_m2",
        "inf",
        &["must be a finite number"],
    );
}

#[test]
fn zero_air_density_is_a_parameter_error() {
    expect_parameter(
        &car_with("air_density_kgpm3 = 1.20", "air_density_kgpm3 = 0.0"),
        "aero.air_density_kgpm3",
        "0",
        &["[0.5, 1.5]"],
    );
}

#[test]
fn all_weight_on_the_front_axle_is_a_parameter_error() {
    expect_parameter(
        &car_with(
            "front_weight_fraction = 0.38",
            "front_weight_fraction = 1.0",
        ),
        "chassis.front_weight_fraction",
        "1",
        &["the rear axle must carry some weight"],
    );
    expect_parameter(
        &car_with(
            "front_weight_fraction = 0.38",
            "front_weight_fraction = 0.0",
        ),
        "chassis.front_weight_fraction",
        "0",
        &["(0, 1]"],
    );
}

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

/// One `lapsim run` with its own empty output directory and working directory.
struct CliRun {
    output: Output,
    out: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl CliRun {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

fn run_lapsim(car: &Path, track: &Path, extra: &[&str]) -> CliRun {
    let out = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .arg("run")
        .arg("--car")
        .arg(car)
        .arg("--track")
        .arg(track)
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .current_dir(cwd.path())
        .output()
        .expect("run the lapsim binary");
    CliRun { output, out, cwd }
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Non-zero exit, every one of `what` in stderr, no panic, nothing written anywhere.
#[track_caller]
fn expect_clean_failure(run: &CliRun, what: &[&str]) {
    let stderr = run.stderr();
    assert!(
        !run.output.status.success(),
        "expected failure; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    for w in what {
        assert!(stderr.contains(w), "`{w}` missing from stderr: {stderr}");
    }
    assert_eq!(
        dir_entries(run.out.path()),
        Vec::<String>::new(),
        "the failed run left files in --out"
    );
    assert_eq!(
        dir_entries(run.cwd.path()),
        Vec::<String>::new(),
        "the failed run left files in its working directory"
    );
}

#[test]
fn cli_run_with_missing_car_file_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let car = dir.path().join("no_such_car.toml");
    let run = run_lapsim(&car, &project_path(TRACK), &[]);
    expect_clean_failure(
        &run,
        &[
            "error: ",
            &car.display().to_string(),
            "cannot read the file",
        ],
    );
    assert_eq!(run.output.status.code(), Some(1));
}

#[test]
fn cli_run_with_broken_car_file_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let car = dir.path().join("typo.toml");
    std::fs::write(&car, car_with("car_kg = 1150.0", "car_kgg = 1150.0")).unwrap();
    let run = run_lapsim(&car, &project_path(TRACK), &[]);
    expect_clean_failure(
        &run,
        &[&car.display().to_string(), "unknown field `car_kgg`"],
    );

    std::fs::write(
        &car,
        car_with("mu_lateral_ratio = 1.55", "mu_lateral_ratio = 5.0"),
    )
    .unwrap();
    let run = run_lapsim(&car, &project_path(TRACK), &[]);
    expect_clean_failure(
        &run,
        &[&car.display().to_string(), "`tyres.mu_lateral_ratio` = 5"],
    );
}

#[test]
fn cli_run_with_bad_track_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let track = dir.path().join("oschersleben.csv");
    let lines = lines_of(track_text());
    let keep = lines.len() * 7 / 10;
    std::fs::write(&track, join(&lines[..keep])).unwrap();
    let run = run_lapsim(&project_path(CAR), &track, &[]);
    expect_clean_failure(
        &run,
        &[
            &format!("{}, line {keep}: ", track.display()),
            "the track is open",
        ],
    );

    std::fs::write(&track, with_cell(track_text(), 123, 2, "1,5")).unwrap();
    let run = run_lapsim(&project_path(CAR), &track, &[]);
    expect_clean_failure(
        &run,
        &[
            &format!("{}, line 123: ", track.display()),
            "5 columns, but the first data line has 4",
        ],
    );
}

#[test]
fn cli_run_with_zero_step_fails_cleanly() {
    let run = run_lapsim(&project_path(CAR), &project_path(TRACK), &["--step-m", "0"]);
    expect_clean_failure(
        &run,
        &[
            "invalid option `--step-m` = 0",
            "must be a positive number of metres",
        ],
    );
}

/// Errors name the flag the user typed, not the library's option name: the track and line options of
/// `run` and `line`, and the session commands' options.
#[test]
fn cli_errors_name_the_flags_the_user_typed() {
    for (flag, value, message) in [
        ("--smoothing-m", "-1", "invalid option `--smoothing-m` = -1"),
        (
            "--line-grid-m",
            "0.5",
            "invalid option `--line-grid-m` = 0.5",
        ),
        ("--margin-m", "-1", "invalid option `--margin-m` = -1"),
    ] {
        let run = run_lapsim(&project_path(CAR), &project_path(TRACK), &[flag, value]);
        expect_clean_failure(&run, &[message]);
    }
    let lapsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lapsim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run the lapsim binary")
    };
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    for (args, message) in [
        (
            vec![
                "line",
                "--car",
                CAR,
                "--track",
                TRACK,
                "--line-grid-m",
                "0.5",
            ],
            "invalid option `--line-grid-m` = 0.5",
        ),
        (
            vec![
                "qualifying",
                "--field",
                FIELD,
                "--track",
                TRACK,
                "--runs",
                "0",
            ],
            "invalid option `--runs` = 0",
        ),
        (
            vec!["race", "--field", FIELD, "--track", TRACK, "--step-m", "0"],
            "invalid option `--step-m` = 0",
        ),
        (
            vec![
                "race",
                "--field",
                FIELD,
                "--track",
                TRACK,
                "--drivers",
                "999",
            ],
            "invalid option `--drivers` = 999",
        ),
    ] {
        let mut args = args;
        args.extend(["--out", out_dir]);
        let o = lapsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(dir_entries(out.path()), Vec::<String>::new());
}

#[test]
fn cli_run_with_non_numeric_step_is_a_usage_error() {
    let run = run_lapsim(
        &project_path(CAR),
        &project_path(TRACK),
        &["--step-m", "abc"],
    );
    expect_clean_failure(&run, &["invalid value 'abc'", "--step-m"]);
    assert_eq!(
        run.output.status.code(),
        Some(2),
        "clap usage errors exit with 2"
    );
}

#[test]
fn cli_run_with_good_inputs_writes_csv_json_and_pngs() {
    let run = run_lapsim(&project_path(CAR), &project_path(TRACK), &["--step-m", "2"]);
    let stderr = run.stderr();
    assert!(run.output.status.success(), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        dir_entries(run.out.path()),
        RUN_OUTPUTS.to_vec(),
        "exactly the four results"
    );
    assert_eq!(dir_entries(run.cwd.path()), Vec::<String>::new());

    let csv = std::fs::read_to_string(run.out.path().join(RUN_OUTPUTS[0])).unwrap();
    assert!(
        csv.starts_with("s_m,x_m,y_m,"),
        "{}",
        &csv[..40.min(csv.len())]
    );
    assert!(
        csv.lines().count() > 1000,
        "one row per 2 m point of a 3.7 km lap"
    );
    let json = std::fs::read_to_string(run.out.path().join(RUN_OUTPUTS[1])).unwrap();
    let record: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(record["inputs"]["step_m"], serde_json::json!(2.0));
    assert!(record["summary"].is_object(), "{json}");
    let png = std::fs::read(run.out.path().join(RUN_OUTPUTS[2])).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(stdout.contains("wrote "), "{stdout}");
}

// ---------------------------------------------------------------------------------------------------------
// Regressions: bugs found by the fuzz tests, fixed in src.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn far_away_coordinate_is_rejected_quickly() {
    // A typo of 1e8 m in one x once took 3 s and ~0.7 GB to reject; x = 1e300 aborted on allocation.
    let text = with_cell(track_text(), 100, 1, "1e8");
    let result = within(Duration::from_secs(1), "rejecting x = 1e8 m", move || {
        parse_track(&text)
            .map(|c| c.len())
            .map_err(|e| e.to_string())
    });
    let err = result.expect_err("one point 100 000 km away is not a track");
    assert!(err.starts_with(TRACK), "{err}");
}

#[test]
fn gear_ratio_giving_an_absurd_top_speed_is_rejected_by_validation() {
    let text = car_with("1.26, 1.08]", "1.26, 1e-7]");
    match Car::from_toml_str(CAR, &text) {
        Ok(car) => panic!(
            "accepted a car geared for {:.3e} m/s at the rev limit",
            car.rev_limited_speed_mps()
        ),
        Err(Error::Parameter { field, .. }) => {
            assert!(field.starts_with("driveline."), "{field}")
        }
        Err(other) => panic!("expected Error::Parameter, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Fuzzing: never a panic
// ---------------------------------------------------------------------------------------------------------

/// Number-like cell text: arbitrary f64 (NaN, ±inf, subnormal, huge), ordinary values and special spellings.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        (-1e4..1e4f64).prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "NaN", "nan", "inf", "-inf", "+inf", "infinity", "1e308", "-1e308", "1e999", "0", "-0",
            "0.0", "1e-320", "-7.1", "", " ", "1_000",
        ])
        .prop_map(String::from),
    ]
}

/// Any cell text: numbers or short random strings (which may add columns with `,`).
fn cell_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => number_text(), 1 => "[a-zA-Z0-9 .,+#;_-]{0,12}"]
}

#[derive(Debug, Clone)]
enum Edit {
    /// Replace cell `col` (0-based; past the end appends one) of a line.
    Cell {
        line: Index,
        col: usize,
        value: String,
    },
    /// Delete a line.
    Delete(Index),
    /// Duplicate a line in place.
    Duplicate(Index),
    /// Add `delta` to a numeric cell (0-based `col`): small moves that often keep the track valid.
    Nudge { line: Index, col: usize, delta: f64 },
}

fn edit(value: impl Strategy<Value = String>) -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<Index>(), 0..5usize, value).prop_map(|(line, col, value)| Edit::Cell { line, col, value }),
        1 => any::<Index>().prop_map(Edit::Delete),
        1 => any::<Index>().prop_map(Edit::Duplicate),
        2 => (any::<Index>(), 0..4usize, -30.0..30.0f64)
            .prop_map(|(line, col, delta)| Edit::Nudge { line, col, delta }),
    ]
}

fn apply(lines: &mut Vec<String>, e: &Edit, separator: char) {
    if lines.is_empty() {
        return;
    }
    match e {
        Edit::Cell { line, col, value } => {
            let i = line.index(lines.len());
            let mut cells: Vec<String> = lines[i].split(separator).map(str::to_string).collect();
            if *col < cells.len() {
                cells[*col] = value.clone();
            } else {
                cells.push(value.clone());
            }
            lines[i] = cells.join(&separator.to_string());
        }
        Edit::Delete(line) => {
            let i = line.index(lines.len());
            lines.remove(i);
        }
        Edit::Duplicate(line) => {
            let i = line.index(lines.len());
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        Edit::Nudge { line, col, delta } => {
            let i = line.index(lines.len());
            let mut cells: Vec<String> = lines[i].split(separator).map(str::to_string).collect();
            if let Some(v) = cells.get(*col).and_then(|c| c.trim().parse::<f64>().ok()) {
                cells[*col] = (v + delta).to_string();
                lines[i] = cells.join(&separator.to_string());
            }
        }
    }
}

/// Reads a track text; if valid, builds the track and solves a flying lap: Ok or Err, never a panic, and
/// a solved lap has a finite positive time.
fn read_build_solve(text: &str) -> Result<(), TestCaseError> {
    let Ok(centerline) = Centerline::from_csv_str("fuzz.csv", text) else {
        return Ok(());
    };
    let Ok(track) = Track::new(&centerline, TrackOptions::default()) else {
        return Ok(());
    };
    if let Ok(lap) = LapSolver::new(&track, envelope()).solve(Start::Flying) {
        prop_assert!(
            lap.lap_time_s.is_finite() && lap.lap_time_s > 0.0,
            "lap time {} on a {} m track",
            lap.lap_time_s,
            track.length_m()
        );
    }
    Ok(())
}

/// Spans of number-like tokens in the values (after `=`) of the non-comment lines of a TOML text.
fn toml_number_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.trim_start().starts_with('#') {
            if let Some(eq) = line.find('=') {
                let bytes = line.as_bytes();
                let mut i = eq + 1;
                while i < bytes.len() {
                    let start = i;
                    while i < bytes.len() && b"0123456789.eE+-_".contains(&bytes[i]) {
                        i += 1;
                    }
                    if i > start && bytes[start..i].iter().any(u8::is_ascii_digit) {
                        spans.push((offset + start, offset + i));
                    }
                    i = i.max(start + 1);
                }
            }
        }
        offset += line.len();
    }
    spans
}

/// A TOML value text: floats in TOML and Rust spellings, integers, other types, garbage.
fn toml_value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| format!("{v:?}")),
        (-1e5..1e5f64).prop_map(|v| format!("{v:?}")),
        any::<i64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "nan",
            "+nan",
            "-nan",
            "inf",
            "+inf",
            "-inf",
            "0",
            "0.0",
            "-0.0",
            "1e308",
            "1e-320",
            "1e400",
            "\"1.0\"",
            "true",
            "[]",
            "{}",
            "[1.0, 2.0]",
            "",
            "1__0",
            "0x10",
        ])
        .prop_map(String::from),
        "[a-zA-Z0-9 .,\\[\\]\"=#_-]{0,10}",
    ]
}

#[derive(Debug, Clone)]
enum CarEdit {
    /// Replace one number of the file.
    Number { which: Index, value: String },
    /// Replace, delete or duplicate a line.
    Line(Edit),
}

fn car_edit() -> impl Strategy<Value = CarEdit> {
    prop_oneof![
        3 => (any::<Index>(), toml_value_text()).prop_map(|(which, value)| CarEdit::Number { which, value }),
        1 => edit(toml_value_text()).prop_map(CarEdit::Line),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic_the_track_reader(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Centerline::from_csv_str("fuzz.csv", &text);
    }

    #[test]
    fn random_csv_like_text_never_panics_the_track_reader(
        text in "(#[ -~]{0,20}\n)?([0-9eEnaif.+ -]{0,8}(,[0-9eEnaif.+ -]{0,8}){0,5}\r?\n){0,60}"
    ) {
        read_build_solve(&text)?;
    }

    #[test]
    fn random_bytes_never_panic_the_car_reader(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Car::from_toml_str("fuzz.toml", &text);
    }

    #[test]
    fn mutated_car_file_never_panics_the_reader(edits in prop::collection::vec(car_edit(), 1..=4)) {
        let mut text = car_text().to_string();
        for e in &edits {
            match e {
                CarEdit::Number { which, value } => {
                    let spans = toml_number_spans(&text);
                    if !spans.is_empty() {
                        let (a, b) = spans[which.index(spans.len())];
                        text.replace_range(a..b, value);
                    }
                }
                CarEdit::Line(edit) => {
                    let mut lines = lines_of(&text);
                    apply(&mut lines, edit, ' ');
                    text = join(&lines);
                }
            }
        }
        if let Ok(car) = Car::from_toml_str("fuzz.toml", &text) {
            prop_assert!(car.mass_kg().is_finite() && car.mass_kg() > 0.0);
        }
    }
}

proptest! {
    // Each valid case builds a track and solves a lap: about 1 s in a debug build, a few ms in release.
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 12 } else { 128 }))]

    #[test]
    fn mutated_track_never_panics_reader_track_or_solver(
        edits in prop::collection::vec(edit(cell_text()), 1..=4)
    ) {
        let mut lines = lines_of(track_text());
        for e in &edits {
            apply(&mut lines, e, ',');
        }
        read_build_solve(&join(&lines))?;
    }
}

#[test]
fn fuzz_number_spans_cover_the_car_file() {
    // Guards the car fuzz test: it must find the car's numbers (and not those in comments).
    let text = car_text();
    let spans = toml_number_spans(text);
    let tokens: Vec<&str> = spans.iter().map(|&(a, b)| &text[a..b]).collect();
    assert!(
        tokens.contains(&"1150.0") && tokens.contains(&"8400.0") && tokens.contains(&"1.20"),
        "{tokens:?}"
    );
    assert!(tokens.len() >= 50, "{} numbers found", tokens.len());
}

// ---------------------------------------------------------------------------------------------------------
// Qualifying results for `lapsim field fit`
// ---------------------------------------------------------------------------------------------------------

/// A results file in the shipped format: header on line 1, Hardt on 2, Westbrook on 3, Mamerow on 4.
const RESULTS: &str = "position,driver,best_s,gap_s,note\n1,Jörg Hardt,103.055,0.000,\n\
                       2,Richard Westbrook,103.088,0.033,\n3,Chris Mamerow,,0.04,\n";

/// `lapsim field fit` on a results file with the shipped field, car and Hockenheim: must fail cleanly
/// (non-zero exit, no panic, every one of `what` in stderr, nothing written).
fn expect_fit_failure(results: &str, extra: &[&str], what: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), results).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(["field", "fit", "--results"])
        .arg(file.path())
        .arg("--track")
        .arg(project_path("tracks/hockenheim.csv"))
        .arg("--car")
        .arg(project_path(CAR))
        .arg("--field")
        .arg(project_path(FIELD))
        .arg("--out")
        .arg(out.path().join("fitted.toml"))
        .args(extra)
        .current_dir(cwd.path())
        .output()
        .expect("run the lapsim binary");
    let run = CliRun { output, out, cwd };
    let name = file.path().display().to_string();
    let mut what = what.to_vec();
    if extra.is_empty() {
        what.push(&name);
    }
    expect_clean_failure(&run, &what);
}

#[test]
fn results_with_an_unknown_driver_are_an_error_naming_the_line() {
    expect_fit_failure(
        &RESULTS.replace("Chris Mamerow", "Chris Mamerov"),
        &[],
        &["line 4", "driver `Chris Mamerov` is not an entry of", FIELD],
    );
}

#[test]
fn results_listing_a_driver_twice_are_an_error() {
    expect_fit_failure(
        &RESULTS.replace("Chris Mamerow", "Jörg Hardt"),
        &[],
        &["line 4", "`Jörg Hardt` is listed twice (also on line 2)"],
    );
}

#[test]
fn results_out_of_order_are_an_error() {
    // Positions must rise down the file.
    expect_fit_failure(
        &RESULTS.replace("3,Chris", "2,Chris"),
        &[],
        &["line 4", "position 2 after position 2 (line 3)"],
    );
    // Times must not fall down the order.
    expect_fit_failure(
        &RESULTS.replace(",0.04,", ",0.02,"),
        &[],
        &[
            "line 4",
            "position 3 is 0.020 s behind the pole, faster than position 2",
        ],
    );
    // The first row is the pole.
    expect_fit_failure(
        "position,driver,best_s,gap_s\n2,Jörg Hardt,,0.1\n",
        &[],
        &["line 2", "must start with the pole"],
    );
}

#[test]
fn results_with_a_bad_time_are_an_error_naming_the_column() {
    expect_fit_failure(
        &RESULTS.replace("103.088", "1:43.x88"),
        &[],
        &["line 3", "column `best_s`: `1:43.x88` is not a lap time"],
    );
    expect_fit_failure(
        &RESULTS.replace("103.088", "-103.088"),
        &[],
        &["line 3", "column `best_s`", "positive"],
    );
    expect_fit_failure(
        &RESULTS.replace(",0.04,", ",nan,"),
        &[],
        &["line 4", "column `gap_s`: `nan` is not a gap"],
    );
    // A time and a gap that disagree by more than rounding.
    expect_fit_failure(
        &RESULTS.replace("0.033", "0.3"),
        &[],
        &["line 3", "gap_s says 0.3 s"],
    );
    expect_fit_failure(
        "position,driver,best_s\n1,Jörg Hardt,103.055\n",
        &[],
        &["no `gap_s` column"],
    );
}

#[test]
fn field_fit_options_out_of_range_name_the_flag() {
    expect_fit_failure(
        RESULTS,
        &["--pole-grip-share", "1.2"],
        &["invalid option `--pole-grip-share` = 1.2", "[0.85, 1]"],
    );
    expect_fit_failure(
        RESULTS,
        &["--prior-step-pct", "0"],
        &["invalid option `--prior-step-pct` = 0"],
    );
}

/// The study commands' bad input: a shard index out of range, N = 0, a malformed shard; an unknown or
/// non-numeric field to optimise, a bound the start lies outside, reversed bounds, a bound on a field not
/// varied; merge without parts of a sweep. Each a clear error naming the flag, nothing written.
#[test]
fn study_commands_bad_input_is_a_clear_error_writing_nothing() {
    let lapsim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lapsim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run the lapsim binary")
    };
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join("out");
    let out_s = out_dir.to_str().unwrap();
    let sweep = |shard: &str| {
        vec![
            "sweep",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--line",
            "centreline",
            "--set",
            "mass.car_kg=1100,1200",
            "--shard",
            shard,
            "--out",
            out_s,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let optimise = |extra: &[&str]| {
        let mut v: Vec<String> = [
            "optimise",
            "--car",
            CAR,
            "--track",
            TRACK,
            "--line",
            "centreline",
            "--out",
            out_s,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let not_a_part = out.path().join("not_a_part.json");
    std::fs::write(&not_a_part, "[1, 2]").unwrap();
    for (args, words) in [
        (sweep("2/2"), vec!["--shard", "out of range", "0 to 1"]),
        (sweep("0/0"), vec!["--shard", "N must lie in"]),
        (sweep("1of2"), vec!["--shard", "expected K/N"]),
        (
            optimise(&["--vary", "driveline.final_drive"]),
            vec!["--vary", "no key `final_drive`"],
        ),
        (
            optimise(&["--vary", "name"]),
            vec!["--vary", "not a number"],
        ),
        (
            optimise(&[
                "--vary",
                "driveline.final_drive_ratio",
                "--bound",
                "driveline.final_drive_ratio=3.5:4",
            ]),
            vec!["--bound", "outside it"],
        ),
        (
            optimise(&[
                "--vary",
                "driveline.final_drive_ratio",
                "--bound",
                "driveline.final_drive_ratio=4:3",
            ]),
            vec!["--bound", "LO must be below HI"],
        ),
        (
            optimise(&[
                "--vary",
                "driveline.final_drive_ratio",
                "--bound",
                "mass.car_kg=1000:1200",
            ]),
            vec!["--bound", "not a varied field"],
        ),
        (
            vec![
                "merge".into(),
                not_a_part.to_str().unwrap().into(),
                "--out".into(),
                out_s.into(),
            ],
            vec!["not_a_part.json", "not a sweep part file"],
        ),
    ] {
        let o = lapsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        for w in &words {
            assert!(stderr.contains(w), "{args:?}: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!out_dir.exists(), "{args:?} wrote output");
    }
}
