//! The field: the entries of an event, their drivers' skill parameters, and the field file that lists them.
//!
//! Skill acts *inside* the QSS solve, as shares of the car's capacities that the driver uses — never as a
//! lap-time offset added afterwards:
//! - `grip_share`: share of the tyres' lateral grip used in corners (scales `a_y,max`);
//! - `brake_share`: share of the peak braking a driver dares without ABS (scales the braking capacity; braking
//!   earlier and softer is the same thing in a QSS model: the braking point moves back by `1/share`);
//! - `traction_share`: share of the driven tyres' grip used on corner exit (scales the traction capacity);
//! - `consistency_sd`: lap-to-lap scatter of those shares (relative standard deviation, one draw per lap
//!   from the driver's own seeded stream);
//! - `mistake_per_lap`: probability per lap of a costly slip (a corner taken at a fraction of its limit).
//!
//! Ranges and why (Oschersleben, GT3 Cup on the weekend's line, measured with the lap oracle — see
//! `tests/field.rs`): one per cent of lateral grip is worth about 0.29 s a lap here, one per cent of braking
//! about 0.02 s and one per cent of traction about 0.01 s (braking and traction bind only over short
//! stretches of this track). A 40-car one-make Cup field spans about 2–2.5 % from pole to last in qualifying
//! (~2 s at 1:30), so `grip_share` spans about 0.94–1.00; braking and traction shares 0.90–1.00 (amateurs
//! leave more margin without ABS). A professional's laps scatter by about 0.1–0.2 % (a tenth or two at 1:30): `consistency_sd`
//! 0.001–0.004. A slip costing about a second happens in a few per cent of laps: `mistake_per_lap` 0–0.10.
//!
//! Those are the ranges of a real field, which the field file keeps to. A field file may go wider, within
//! the ranges the program accepts (anything outside is an error naming the entry and key):
//! - shares in [`SHARE_RANGE`], 0.85–1: a grip share of 0.85 is ~4.4 s a lap off the pace at 0.29 s a
//!   per cent, twice the spread of a real Cup field; below it the model would describe no Cup driver, and
//!   the corner table's traction rows end at 0.5 (shares × cold tyres × scatter stay above it);
//! - `consistency_sd` in [`CONSISTENCY_RANGE`], 0–0.02: 2 % of grip is ~0.6 s of scatter a lap, five times a
//!   professional's;
//! - `mistake_per_lap` in [`MISTAKE_RANGE`], 0–0.3: a slip in nearly one lap in three.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Allowed range of each share.
pub const SHARE_RANGE: (f64, f64) = (0.85, 1.0);
/// Allowed range of the lap-to-lap scatter.
pub const CONSISTENCY_RANGE: (f64, f64) = (0.0, 0.02);
/// Allowed range of the per-lap mistake probability.
pub const MISTAKE_RANGE: (f64, f64) = (0.0, 0.3);
/// Most entries a field file may list: above any circuit's grid (a 24-hour race starts ~60 cars), so that a
/// typo cannot ask for millions of drivers.
pub const MAX_ENTRIES: usize = 100;

/// One driver's skill, as shares of the car's capacities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    /// Share of the lateral grip used in corners.
    pub grip_share: f64,
    /// Share of the peak braking used.
    pub brake_share: f64,
    /// Share of the traction used on corner exit.
    pub traction_share: f64,
    /// Relative standard deviation of the shares from lap to lap.
    pub consistency_sd: f64,
    /// Probability per lap of a costly slip.
    pub mistake_per_lap: f64,
}

/// One entry of the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "EntryFile")]
pub struct Entry {
    /// Car number.
    pub number: u32,
    /// Driver name.
    pub name: String,
    /// Skill.
    #[serde(flatten)]
    pub skill: Skill,
}

/// An entry as written: every key at one level, so that an unknown key (a typo) is named as such (serde's
/// `deny_unknown_fields` does not see through `flatten`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    number: u32,
    name: String,
    grip_share: f64,
    brake_share: f64,
    traction_share: f64,
    consistency_sd: f64,
    mistake_per_lap: f64,
}

impl From<EntryFile> for Entry {
    fn from(e: EntryFile) -> Self {
        Self {
            number: e.number,
            name: e.name,
            skill: Skill {
                grip_share: e.grip_share,
                brake_share: e.brake_share,
                traction_share: e.traction_share,
                consistency_sd: e.consistency_sd,
                mistake_per_lap: e.mistake_per_lap,
            },
        }
    }
}

/// A field file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldFile {
    /// Event name.
    pub event: String,
    /// Car file, relative to the field file.
    pub car_file: PathBuf,
    /// The qualifying format.
    pub qualifying: QualifyingFormat,
    /// The race: distance, start, fuel and traffic.
    pub race: RaceFormat,
    /// How the tyres warm up and fade.
    pub tyres: TyreModel,
    /// The entries.
    pub entry: Vec<Entry>,
}

/// Qualifying: one session for all cars (`part2_s = 0`, `shootout_cars = 0`), or two parts, the second a
/// shoot-out of the fastest cars of the first, whose best laps set the front of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualifyingFormat {
    /// Part 1 (or the only session), all cars (s).
    pub part1_s: f64,
    /// Pause between the parts (s). Reported with the format; it changes no lap in this model (the shoot-out
    /// starts on a fresh set of tyres, and the track does not evolve).
    #[serde(default)]
    pub pause_s: f64,
    /// Part 2, the shoot-out (s); 0 for a single session.
    #[serde(default)]
    pub part2_s: f64,
    /// Cars in the shoot-out; 0 for a single session.
    #[serde(default)]
    pub shootout_cars: usize,
    /// Fuel on board at the start of qualifying (kg); there is no refuelling between the parts.
    pub fuel_kg: f64,
}

impl QualifyingFormat {
    /// Whether there is a shoot-out.
    pub fn has_shootout(&self) -> bool {
        self.shootout_cars > 0
    }
}

/// How long the race runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum RaceLength {
    /// A number of laps.
    Laps(u32),
    /// A time (s): the race ends when the leader crosses the line after it has run out; every car finishes
    /// the lap it is on.
    Time(f64),
}

/// The race: distance, a standing start from a staggered grid, fuel, and the traffic rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RaceFile", into = "RaceFile")]
pub struct RaceFormat {
    /// Race distance.
    pub length: RaceLength,
    /// Distance between consecutive grid slots (m).
    pub slot_spacing_m: f64,
    /// Fuel at the start (kg).
    pub fuel_kg: f64,
    /// Smallest gap one car can follow another at (s).
    pub min_gap_s: f64,
    /// Pace advantage needed to pass (s per lap).
    pub overtake_threshold_s: f64,
    /// Time lost on a lap spent following within the minimum gap (s).
    pub following_loss_s: f64,
}

/// The `[race]` table as written: `laps` or `minutes`, not both.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RaceFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    laps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minutes: Option<f64>,
    grid_spacing_m: f64,
    fuel_kg: f64,
    min_gap_s: f64,
    overtake_threshold_s: f64,
    following_loss_s: f64,
}

impl TryFrom<RaceFile> for RaceFormat {
    type Error = String;
    fn try_from(r: RaceFile) -> std::result::Result<Self, String> {
        let length = match (r.laps, r.minutes) {
            (Some(l), None) => RaceLength::Laps(l),
            (None, Some(m)) => RaceLength::Time(m * 60.0),
            (Some(_), Some(_)) => {
                return Err("race: give `laps` or `minutes`, not both".into());
            }
            (None, None) => return Err("race: missing `laps` (or `minutes`)".into()),
        };
        Ok(Self {
            length,
            slot_spacing_m: r.grid_spacing_m,
            fuel_kg: r.fuel_kg,
            min_gap_s: r.min_gap_s,
            overtake_threshold_s: r.overtake_threshold_s,
            following_loss_s: r.following_loss_s,
        })
    }
}

impl From<RaceFormat> for RaceFile {
    fn from(r: RaceFormat) -> Self {
        let (laps, minutes) = match r.length {
            RaceLength::Laps(l) => (Some(l), None),
            RaceLength::Time(t) => (None, Some(t / 60.0)),
        };
        Self {
            laps,
            minutes,
            grid_spacing_m: r.slot_spacing_m,
            fuel_kg: r.fuel_kg,
            min_gap_s: r.min_gap_s,
            overtake_threshold_s: r.overtake_threshold_s,
            following_loss_s: r.following_loss_s,
        }
    }
}

impl RaceFormat {
    /// The race distance in words: "22 laps" or "25 minutes".
    pub fn distance(&self) -> String {
        match self.length {
            RaceLength::Laps(1) => "1 lap".into(),
            RaceLength::Laps(l) => format!("{l} laps"),
            RaceLength::Time(t) => format!("{} minutes", t / 60.0),
        }
    }
}

/// Tyre grip relative to its best, by lap on a set (0 = a qualifying run's out-lap): `warm_up_grip` for the
/// first laps, the best grip for `peak_laps` laps, then a linear fade per lap (wear and heat cycles). In the
/// race, racing lap k runs at the grip of the set's lap k + 1 (the formation lap and the start procedure
/// warm the tyres: see the race module).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TyreModel {
    /// Grip on laps 0, 1, ... of a set while it warms up (shares of its best).
    pub warm_up_grip: Vec<f64>,
    /// Laps at the best grip after the warm-up.
    pub peak_laps: u32,
    /// Grip lost per lap after the peak (share of the best).
    pub fade_per_lap: f64,
}

impl TyreModel {
    /// Grip relative to the best on lap `lap_on_set` of a set (0 = out-lap).
    pub fn grip(&self, lap_on_set: u32) -> f64 {
        let warm = self.warm_up_grip.len() as u32;
        if lap_on_set < warm {
            self.warm_up_grip[lap_on_set as usize]
        } else if lap_on_set < warm + self.peak_laps {
            1.0
        } else {
            1.0 - self.fade_per_lap * f64::from(lap_on_set + 1 - warm - self.peak_laps)
        }
    }
}

/// A validated field: the event's rules, entries with unique numbers and names and skills in range, and the
/// car file's path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Event name.
    pub event: String,
    /// Car file (resolved against the field file's directory).
    pub car_path: PathBuf,
    /// The field file's name, for messages.
    pub source_name: String,
    /// The qualifying format.
    pub qualifying: QualifyingFormat,
    /// The race.
    pub race: RaceFormat,
    /// The tyres.
    pub tyres: TyreModel,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

impl Field {
    /// Reads and validates a field file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|io| Error::Read {
            path: path.to_path_buf(),
            io,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&path.display().to_string(), &text, base)
    }

    /// Parses and validates field TOML; `base` is the directory the car file is relative to.
    pub fn from_toml_str(source_name: &str, text: &str, base: &Path) -> Result<Self> {
        let file: FieldFile = toml::from_str(text).map_err(|e| Error::Parse {
            source_name: source_name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let bad = |field: String, value: String, message: String| Error::Parameter {
            source_name: source_name.to_string(),
            field,
            value,
            message,
        };
        if file.entry.is_empty() {
            return Err(bad(
                "entry".into(),
                "[]".into(),
                "the field has no entries".into(),
            ));
        }
        if file.entry.len() > MAX_ENTRIES {
            return Err(bad(
                "entry".into(),
                format!("{} entries", file.entry.len()),
                format!("the grid takes at most {MAX_ENTRIES} cars"),
            ));
        }
        for (k, e) in file.entry.iter().enumerate() {
            // Entries counted from 1 as in the file, with the car number and driver to find them by.
            let f =
                |name: &str| format!("entry {} (#{} {}).{name}", k + 1, e.number, e.name.trim());
            let other = |j: usize| {
                format!(
                    "entry {} (#{} {})",
                    j + 1,
                    file.entry[j].number,
                    file.entry[j].name
                )
            };
            if e.name.trim().is_empty() {
                return Err(bad(
                    f("name"),
                    "\"\"".into(),
                    "a driver needs a name".into(),
                ));
            }
            if let Some(j) = file.entry[..k].iter().position(|o| o.number == e.number) {
                return Err(bad(
                    f("number"),
                    e.number.to_string(),
                    format!("number {} is already used by {}", e.number, other(j)),
                ));
            }
            if let Some(j) = file.entry[..k]
                .iter()
                .position(|o| o.name.trim() == e.name.trim())
            {
                return Err(bad(
                    f("name"),
                    e.name.clone(),
                    format!("the same driver as {}", other(j)),
                ));
            }
            let s = &e.skill;
            for (name, v, (lo, hi)) in [
                ("grip_share", s.grip_share, SHARE_RANGE),
                ("brake_share", s.brake_share, SHARE_RANGE),
                ("traction_share", s.traction_share, SHARE_RANGE),
                ("consistency_sd", s.consistency_sd, CONSISTENCY_RANGE),
                ("mistake_per_lap", s.mistake_per_lap, MISTAKE_RANGE),
            ] {
                if !(v.is_finite() && (lo..=hi).contains(&v)) {
                    return Err(bad(
                        f(name),
                        v.to_string(),
                        format!("must lie in [{lo}, {hi}] (the ranges the program accepts; a real field's are narrower, see the driver module's documentation)"),
                    ));
                }
            }
        }
        validate_rules(&file, &bad)?;
        Ok(Self {
            event: file.event,
            car_path: base.join(&file.car_file),
            source_name: source_name.to_string(),
            qualifying: file.qualifying,
            race: file.race,
            tyres: file.tyres,
            entries: file.entry,
        })
    }

    /// Checks the event's fuel against the car's tank: no session starts with more than a full tank.
    pub fn check_fuel(&self, tank_kg: f64, car_name: &str) -> Result<()> {
        for (key, fuel) in [
            ("qualifying.fuel_kg", self.qualifying.fuel_kg),
            ("race.fuel_kg", self.race.fuel_kg),
        ] {
            if fuel > tank_kg {
                return Err(Error::Parameter {
                    source_name: self.source_name.clone(),
                    field: key.into(),
                    value: fuel.to_string(),
                    message: format!(
                        "more than the {car_name}'s tank holds ({tank_kg} kg, mass.fuel_tank_kg of its car file)"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The event's rules, each within what the model can run.
fn validate_rules(file: &FieldFile, bad: &dyn Fn(String, String, String) -> Error) -> Result<()> {
    let range = |key: &str, v: f64, lo: f64, hi: f64, why: &str| -> Result<()> {
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(bad(
                key.into(),
                v.to_string(),
                format!("must lie in [{lo}, {hi}]: {why}"),
            ))
        }
    };
    let q = &file.qualifying;
    range(
        "qualifying.part1_s",
        q.part1_s,
        60.0,
        4.0 * 3600.0,
        "a session of a minute to four hours",
    )?;
    range(
        "qualifying.pause_s",
        q.pause_s,
        0.0,
        4.0 * 3600.0,
        "a pause of up to four hours",
    )?;
    range(
        "qualifying.fuel_kg",
        q.fuel_kg,
        0.0,
        1000.0,
        "fuel on board",
    )?;
    // A shoot-out larger than the field takes every car (a rule of a series met by a small entry).
    if q.shootout_cars > 0 {
        range(
            "qualifying.part2_s",
            q.part2_s,
            60.0,
            4.0 * 3600.0,
            "a shoot-out of a minute to four hours",
        )?;
        if q.shootout_cars > MAX_ENTRIES {
            return Err(bad(
                "qualifying.shootout_cars".into(),
                q.shootout_cars.to_string(),
                format!("a shoot-out of more cars than a field may hold ({MAX_ENTRIES})"),
            ));
        }
    } else if q.part2_s != 0.0 {
        return Err(bad(
            "qualifying.part2_s".into(),
            q.part2_s.to_string(),
            "a second part needs shootout_cars > 0 (or set part2_s = 0 for one session)".into(),
        ));
    }
    let r = &file.race;
    match r.length {
        RaceLength::Laps(l) => {
            if !(1..=500).contains(&l) {
                return Err(bad(
                    "race.laps".into(),
                    l.to_string(),
                    "must lie in [1, 500]".into(),
                ));
            }
        }
        RaceLength::Time(t) => {
            range(
                "race.minutes",
                t / 60.0,
                1.0,
                24.0 * 60.0,
                "a race of a minute to 24 hours",
            )?;
        }
    }
    range(
        "race.grid_spacing_m",
        r.slot_spacing_m,
        0.0,
        50.0,
        "metres between consecutive grid slots",
    )?;
    range("race.fuel_kg", r.fuel_kg, 0.0, 1000.0, "fuel at the start")?;
    range(
        "race.min_gap_s",
        r.min_gap_s,
        0.0,
        5.0,
        "the closest one car follows another",
    )?;
    range(
        "race.overtake_threshold_s",
        r.overtake_threshold_s,
        0.0,
        10.0,
        "the pace a pass needs, per lap",
    )?;
    range(
        "race.following_loss_s",
        r.following_loss_s,
        0.0,
        5.0,
        "time lost per lap following",
    )?;
    let t = &file.tyres;
    if t.warm_up_grip.is_empty() {
        return Err(bad(
            "tyres.warm_up_grip".into(),
            "[]".into(),
            "needs at least the out-lap's grip".into(),
        ));
    }
    for (k, &g) in t.warm_up_grip.iter().enumerate() {
        range(
            &format!("tyres.warm_up_grip[{k}]"),
            g,
            0.5,
            1.0,
            "a share of the best grip",
        )?;
    }
    if t.peak_laps > 1000 {
        return Err(bad(
            "tyres.peak_laps".into(),
            t.peak_laps.to_string(),
            "must lie in [0, 1000]".into(),
        ));
    }
    range(
        "tyres.fade_per_lap",
        t.fade_per_lap,
        0.0,
        0.05,
        "a share of the best grip lost per lap",
    )?;
    Ok(())
}
