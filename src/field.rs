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
/// Most entries a Carrera Cup grid allows (the Oschersleben grid for 2007: 40 cars).
pub const MAX_ENTRIES: usize = 40;

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
    /// The entries.
    pub entry: Vec<Entry>,
}

/// A validated field: entries with unique numbers and names and skills in range, and the car file's path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Event name.
    pub event: String,
    /// Car file (resolved against the field file's directory).
    pub car_path: PathBuf,
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
        Ok(Self {
            event: file.event,
            car_path: base.join(&file.car_file),
            entries: file.entry,
        })
    }
}
