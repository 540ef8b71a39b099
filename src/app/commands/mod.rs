//! The commands, one module each, and what they share: loading the inputs, printing, and naming the flags a
//! user typed in errors.

pub mod calibrate;
pub mod compare;
pub mod field_fit;
pub mod line;
pub mod merge;
pub mod optimise;
pub mod run;
pub mod sensitivity;
pub mod session;
pub mod sweep;
pub mod validate;
pub mod weekend;

use std::path::Path;

use super::args::{GeometryArgs, LineChoice};
use crate::error::{Error, Result};
use crate::line::path_track;
use crate::track::{Centerline, Track};
use crate::vehicle::Car;

/// Prints to stdout, ignoring a closed pipe (`lapsim run ... | head` must not panic).
pub(crate) fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Tells the user what is happening (stderr, so stdout stays the report).
pub(crate) fn step(msg: &str) {
    eprintln!("[lapsim] {msg}");
}

/// A missing default input file of plain `lapsim` (run outside the repository) gets a hint.
pub(crate) fn hint_defaults(e: Error, path: &Path, flag: &str) -> Error {
    match e {
        Error::Read { path: p, io } if p == path && io.kind() == std::io::ErrorKind::NotFound => {
            Error::Option {
                option: flag.into(),
                value: p.display().to_string(),
                message: format!(
                    "no such file (the default is relative to the lapsim repository: run from its root, \
                     or give {flag} FILE)"
                ),
            }
        }
        other => other,
    }
}

/// The file stem of a track path.
pub(crate) fn track_name(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "track".into(), |s| s.to_string_lossy().into_owned())
}

/// The flags of the library's option names for the commands with the shared track and line groups.
pub(crate) const TRACK_AND_LINE_FLAGS: &[(&str, &str)] = &[
    ("step_m", "--step-m"),
    ("smoothing_wavelength_m", "--smoothing-m"),
    ("grid_step_m", "--line-grid-m"),
    ("margin_m", "--margin-m"),
    ("sectors_m", "--sectors-m"),
];

/// An error whose option is one of the library's names in `flags` names the flag the user typed instead.
pub(crate) fn with_flags(e: Error, flags: &[(&str, &str)]) -> Error {
    match e {
        Error::Option {
            option,
            value,
            message,
        } => {
            let option = flags
                .iter()
                .find(|(name, _)| *name == option)
                .map_or(option, |(_, flag)| (*flag).to_string());
            Error::Option {
                option,
                value,
                message,
            }
        }
        other => other,
    }
}

/// The lap track of a car on a centreline with the geometry and line flags: the path driven, and the
/// centreline itself (for the edges of maps). Errors name the flags.
pub(crate) fn lap_tracks(
    car: &Car,
    centerline: &Centerline,
    geometry: &GeometryArgs,
    line: &LineChoice,
) -> Result<(Track, Track)> {
    let build = || -> Result<(Track, Track)> {
        let options = geometry.options();
        let (track, _) = path_track(centerline, &line.path(), car, options)?;
        let track = if geometry.sectors_m.is_empty() {
            track
        } else {
            track.with_sectors(&geometry.sectors_m)?
        };
        let centre = Track::new(centerline, options)?;
        Ok((track, centre))
    };
    build().map_err(|e| with_flags(e, TRACK_AND_LINE_FLAGS))
}
