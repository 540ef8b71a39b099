//! Driver skills from an earlier event's qualifying results (`lapsim field fit`).
//!
//! A results file lists the qualifying order of an event: position, driver, and the best lap (`best_s`) or
//! the gap to pole (`gap_s`) where they were published. The fit turns each driver's gap into a grip share:
//!
//! - **Timed drivers.** The share `s` is the root of `T(s) = T₁ · (1 + gap / T_ref)`, where `T(s)` is the
//!   car's clean flying lap on the results' track with the driver's shares (tyres at their best, no slip,
//!   the car file's single-lap fuel), `T₁` the pole-sitter's model lap and `T_ref` the real pole time (or,
//!   where it was not published, `T₁`). Gaps are matched as *fractions of the lap*, so the model's own
//!   level (its lap is not the real one) does not leak into the spread. `T(s)` falls monotonically as `s`
//!   rises (more grip is never slower: `tests/properties.rs`), so the root is unique and a bisection on
//!   [`SHARE_RANGE`] finds it to [`SHARE_TOLERANCE`]; a 1-D root of a monotone function needs no more.
//! - **The anchor.** Gaps fix the spread, not the level: the pole-sitter's share is a prior,
//!   [`DEFAULT_POLE_GRIP_SHARE`] (0.998: with a professional's lap-to-lap scatter of sd 0.0015 his best
//!   laps of a session reach the car's full grip at +1.3 sd).
//! - **Drivers with a position only.** Their gap is interpolated linearly in position between the timed
//!   drivers around them; after the last timed driver it is the prior gap of that position,
//!   `(p − 1) · step · T_ref`, but at least one prior step per position behind the last timed driver. Either
//!   way the order of the results is kept.
//! - **Entries without a result** (not in the results file) take the free positions in the field file's
//!   order, with the same prior gaps: a generic spread of a Cup field.
//!
//! The prior step, [`DEFAULT_PRIOR_STEP_PCT`] = 0.05 % of the lap per position, is the spread of real Cup
//! qualifying (`tracks/real/SOURCE.md`): 14 of 30 within 0.8 s at Sakhir 2006 (0.8 s / 13 positions /
//! 123.9 s = 0.050 %), 11 within 0.5 s at Sakhir 2007 (0.040 %), positions 1–15 within 0.8 s at the
//! Lausitzring 2007 and 18 within 1 s at Istanbul 2007 (~0.058 % each on laps of ~100 s): 0.05 % rounded,
//! ~2 % over a 40-car field.
//!
//! What the data say nothing about stays as the base field gives it: one time per driver fixes one number,
//! and the grip share is the one that moves the lap (about 15 times more than braking or traction per per
//! cent, `tests/field.rs`); braking and traction shares, consistency and slips are kept.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::oracle::{LapKind, LapOracle, LapRequest};
use crate::error::{Error, Result};
use crate::field::{Field, SHARE_RANGE};
use crate::laptime::parse_lap_time;
use crate::track::reader::read_text;

/// The pole-sitter's grip share when none is given (see the module documentation).
pub const DEFAULT_POLE_GRIP_SHARE: f64 = 0.998;
/// The prior gap per position, in per cent of the lap (see the module documentation).
pub const DEFAULT_PRIOR_STEP_PCT: f64 = 0.05;
/// Width of the bisection's final interval of the grip share: 1e-7 of grip is ~3 µs of an Oschersleben lap,
/// far below the millisecond of a published time.
pub const SHARE_TOLERANCE: f64 = 1e-7;
/// Largest disagreement between a row's `best_s − pole best_s` and its `gap_s` when both are given (s):
/// press results round gaps to 0.01 s.
pub const GAP_AGREEMENT_S: f64 = 0.01;

/// One row of a results file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// Line in the file (1-based).
    pub line: u64,
    /// Qualifying position (1 = pole).
    pub position: usize,
    /// Driver, as in the field file.
    pub driver: String,
    /// Gap to pole (s), from `gap_s` or from `best_s`; `None` where only the position was published.
    pub gap_s: Option<f64>,
    /// The row's `note` (empty if none).
    pub note: String,
}

/// A row as read: line, position, driver, best lap, gap, note.
type RawRow = (u64, usize, String, Option<f64>, Option<f64>, String);

/// The qualifying results of an event, validated: positions from 1 and increasing, each driver once, gaps
/// that never fall down the order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualifyingResults {
    /// The file's name, for messages.
    pub source_name: String,
    /// The rows in order of position.
    pub rows: Vec<ResultRow>,
    /// The pole time (s), if published.
    pub pole_s: Option<f64>,
}

impl QualifyingResults {
    /// Reads and validates a results file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        Self::from_csv_str(&path.display().to_string(), &text)
    }

    /// Parses and validates results CSV: `#` comments, a header naming `position`, `driver`, `best_s` and
    /// `gap_s`, and optionally `note` (other columns are ignored); `best_s` and `gap_s` may be empty.
    pub fn from_csv_str(source_name: &str, text: &str) -> Result<Self> {
        let whole = |message: String| Error::Track {
            source_name: source_name.to_string(),
            message,
        };
        let at = |line: u64, message: String| Error::TrackLine {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| whole(format!("no header row: {e}")))?
            .clone();
        let column = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                whole(format!(
                    "no `{name}` column (the header must name position, driver, best_s and gap_s)"
                ))
            })
        };
        let (c_pos, c_driver, c_best, c_gap) = (
            column("position")?,
            column("driver")?,
            column("best_s")?,
            column("gap_s")?,
        );
        let c_note = headers.iter().position(|h| h == "note");
        let mut raw: Vec<RawRow> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                at(line, e.to_string())
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let cell = |c: usize| record.get(c).unwrap_or("");
            let position: usize = match cell(c_pos).parse() {
                Ok(p) if p >= 1 => p,
                _ => {
                    return Err(at(
                        line,
                        format!(
                            "column `position`: `{}` is not a position (a whole number from 1)",
                            cell(c_pos)
                        ),
                    ))
                }
            };
            let driver = cell(c_driver).to_string();
            if driver.is_empty() {
                return Err(at(line, "column `driver`: empty".into()));
            }
            let best = match cell(c_best) {
                "" => None,
                t => Some(parse_lap_time(t).map_err(|e| {
                    let why = match e {
                        Error::Option { message, .. } => message,
                        other => other.to_string(),
                    };
                    at(
                        line,
                        format!("column `best_s`: `{t}` is not a lap time: {why}"),
                    )
                })?),
            };
            let gap = match cell(c_gap) {
                "" => None,
                t => match t.parse::<f64>() {
                    Ok(g) if g.is_finite() && g >= 0.0 => Some(g),
                    _ => {
                        return Err(at(
                            line,
                            format!("column `gap_s`: `{t}` is not a gap (seconds, 0 or more)"),
                        ))
                    }
                },
            };
            if let Some(&(l, ..)) = raw.iter().find(|r| r.2 == driver) {
                return Err(at(
                    line,
                    format!("driver `{driver}` is listed twice (also on line {l})"),
                ));
            }
            if let Some(&(l, p, ..)) = raw.last() {
                if position <= p {
                    return Err(at(
                        line,
                        format!(
                            "position {position} after position {p} (line {l}): the results must be in \
                             order of position, each position once"
                        ),
                    ));
                }
            } else if position != 1 {
                return Err(at(
                    line,
                    format!(
                        "the first row is position {position}: the results must start with the pole \
                         (position 1), the reference of every gap"
                    ),
                ));
            }
            // One line, as it goes into a comment of the field file.
            let note = c_note.map_or("", cell).replace(['\n', '\r'], " ");
            raw.push((line, position, driver, best, gap, note));
        }
        let Some(pole) = raw.first() else {
            return Err(whole("no results".into()));
        };
        let pole_s = pole.3;
        if let Some(g) = pole.4 {
            if g != 0.0 {
                return Err(at(
                    pole.0,
                    format!("column `gap_s`: the pole's gap is {g} s; it must be 0 or empty"),
                ));
            }
        }
        let mut rows = Vec::with_capacity(raw.len());
        let mut last_timed: Option<(u64, usize, f64)> = None;
        for (k, (line, position, driver, best, gap, note)) in raw.into_iter().enumerate() {
            let from_best = match (best, pole_s) {
                (Some(b), Some(p)) => Some(b - p),
                (Some(_), None) => {
                    return Err(at(
                        line,
                        "column `best_s`: a time without the pole's best_s; give gap_s instead"
                            .into(),
                    ))
                }
                _ => None,
            };
            let gap_s = match (from_best, gap) {
                _ if k == 0 => Some(0.0),
                (Some(b), Some(g)) if (b - g).abs() > GAP_AGREEMENT_S => {
                    return Err(at(
                        line,
                        format!(
                            "best_s is {b:.3} s behind the pole but gap_s says {g} s (they may differ by \
                             at most {GAP_AGREEMENT_S} s of rounding)"
                        ),
                    ))
                }
                (_, Some(g)) => Some(g),
                (Some(b), None) => Some(b),
                (None, None) => None,
            };
            if let Some(g) = gap_s {
                if let Some((l, p, ahead)) = last_timed {
                    if g < ahead {
                        return Err(at(
                            line,
                            format!(
                                "position {position} is {g:.3} s behind the pole, faster than position \
                                 {p} ahead of it ({ahead:.3} s, line {l}): the times contradict the order"
                            ),
                        ));
                    }
                }
                if g < 0.0 {
                    return Err(at(
                        line,
                        format!("best_s is faster than the pole's by {:.3} s", -g),
                    ));
                }
                last_timed = Some((line, position, g));
            }
            rows.push(ResultRow {
                line,
                position,
                driver,
                gap_s,
                note,
            });
        }
        Ok(Self {
            source_name: source_name.to_string(),
            rows,
            pole_s,
        })
    }

    /// The field entry of every row (by driver name), or an error naming the first driver the field does
    /// not list.
    pub fn entries_in(&self, field: &Field) -> Result<Vec<usize>> {
        self.rows
            .iter()
            .map(|r| {
                field
                    .entries
                    .iter()
                    .position(|e| e.name.trim() == r.driver)
                    .ok_or_else(|| Error::TrackLine {
                        source_name: self.source_name.clone(),
                        line: r.line,
                        message: format!(
                            "driver `{}` is not an entry of {} (names must match the field file's)",
                            r.driver, field.source_name
                        ),
                    })
            })
            .collect()
    }
}

/// Options of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitOptions {
    /// The pole-sitter's grip share: the anchor of the fitted shares.
    pub pole_grip_share: f64,
    /// The prior gap per position, per cent of the lap.
    pub prior_step_pct: f64,
    /// Fuel on board for the fitted laps (kg).
    pub fuel_kg: f64,
}

impl FitOptions {
    /// Checks the options; errors name the option (`pole_grip_share`, `prior_step_pct`, `fuel_kg`).
    pub fn validate(&self) -> Result<()> {
        let bad = |option: &str, value: f64, message: &str| Error::Option {
            option: option.into(),
            value: value.to_string(),
            message: message.into(),
        };
        let (lo, hi) = SHARE_RANGE;
        if !(self.pole_grip_share.is_finite() && (lo..=hi).contains(&self.pole_grip_share)) {
            return Err(bad(
                "pole_grip_share",
                self.pole_grip_share,
                &format!("must lie in [{lo}, {hi}], the range of a grip share"),
            ));
        }
        if !(self.prior_step_pct.is_finite()
            && self.prior_step_pct > 0.0
            && self.prior_step_pct <= 1.0)
        {
            return Err(bad(
                "prior_step_pct",
                self.prior_step_pct,
                "must lie in (0, 1] per cent of the lap per position",
            ));
        }
        if !(self.fuel_kg.is_finite() && self.fuel_kg >= 0.0) {
            return Err(bad("fuel_kg", self.fuel_kg, "must be a mass ≥ 0"));
        }
        Ok(())
    }
}

/// Where an entry's gap came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    /// The pole-sitter: the anchor.
    Pole,
    /// A published time or gap.
    Timed,
    /// A published position without a time: interpolated or prior gap, in order.
    Position,
    /// No result: a free position, prior gap.
    NoResult,
}

/// One entry's fitted skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FittedEntry {
    /// Index of the entry in the field.
    pub entry: usize,
    /// Position in the results, or the free position given to an entry without a result.
    pub position: usize,
    /// Where the gap came from.
    pub basis: Basis,
    /// Line of the results file, for entries with a result.
    pub line: Option<u64>,
    /// The gap to pole the fit matched (s of the real lap).
    pub gap_s: f64,
    /// The fitted grip share.
    pub grip_share: f64,
    /// The model's lap at that share (s).
    pub model_lap_s: f64,
}

/// The fit of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The lap the gaps are fractions of (s): the real pole, or the model's pole lap if it was not published.
    pub reference_lap_s: f64,
    /// The pole-sitter's model lap (s).
    pub model_pole_s: f64,
    /// One per entry of the field, in the field's order.
    pub entries: Vec<FittedEntry>,
}

/// Fits every entry's grip share from `results` (see the module documentation). `oracle` laps the car on
/// the results' track.
pub fn fit_skills(
    field: &Field,
    results: &QualifyingResults,
    oracle: &dyn LapOracle,
    options: &FitOptions,
) -> Result<Fit> {
    options.validate()?;
    let indices = results.entries_in(field)?;
    // Positions: the results', then the free ones, in the field's order, for the entries without a result.
    let mut slots: Vec<(usize, usize, Basis, Option<&ResultRow>)> = Vec::new();
    for (row, &k) in results.rows.iter().zip(&indices) {
        let basis = match (row.position, row.gap_s) {
            (1, _) => Basis::Pole,
            (_, Some(_)) => Basis::Timed,
            (_, None) => Basis::Position,
        };
        slots.push((k, row.position, basis, Some(row)));
    }
    let mut free = (1..).filter(|p| !results.rows.iter().any(|r| r.position == *p));
    for k in 0..field.entries.len() {
        if !indices.contains(&k) {
            let p = free.next().unwrap_or(usize::MAX);
            slots.push((k, p, Basis::NoResult, None));
        }
    }
    let lap = |grip: f64, k: usize| -> Result<f64> {
        let s = &field.entries[k].skill;
        Ok(oracle
            .lap(&LapRequest {
                grip_share: grip,
                traction_share: s.traction_share,
                brake_share: s.brake_share,
                fuel_kg: options.fuel_kg,
                kind: LapKind::Flying,
                slip: None,
            })?
            .time_s)
    };
    let model_pole_s = lap(options.pole_grip_share, indices[0])?;
    let reference_lap_s = results.pole_s.unwrap_or(model_pole_s);
    let step_s = options.prior_step_pct / 100.0 * reference_lap_s;
    let timed: Vec<(usize, f64)> = results
        .rows
        .iter()
        .filter_map(|r| r.gap_s.map(|g| (r.position, g)))
        .collect();
    let gap_at = |p: usize| -> f64 {
        if let Some(&(_, g)) = timed.iter().find(|t| t.0 == p) {
            return g;
        }
        // The pole is always timed (gap 0), so a timed position ahead exists.
        let &(pa, ga) = timed.iter().rfind(|t| t.0 < p).unwrap_or(&(1, 0.0));
        match timed.iter().find(|t| t.0 > p) {
            Some(&(pb, gb)) => ga + (gb - ga) * (p - pa) as f64 / (pb - pa) as f64,
            None => (step_s * (p - 1) as f64).max(ga + step_s * (p - pa) as f64),
        }
    };
    let mut entries = slots
        .par_iter()
        .map(|&(k, position, basis, row)| {
            let gap_s = gap_at(position);
            let (grip_share, model_lap_s) = if basis == Basis::Pole {
                (options.pole_grip_share, model_pole_s)
            } else {
                let target = model_pole_s * (1.0 + gap_s / reference_lap_s);
                let e = &field.entries[k];
                let at_hi = lap(SHARE_RANGE.1, k)?;
                let at_lo = lap(SHARE_RANGE.0, k)?;
                let why = |what: String| Error::Parameter {
                    source_name: results.source_name.clone(),
                    field: match row {
                        Some(r) => format!("line {}: {}", r.line, r.driver),
                        None => format!("{} (no result, prior position {position})", e.name),
                    },
                    value: format!("+{gap_s:.3} s"),
                    message: what,
                };
                if at_hi > target {
                    return Err(why(format!(
                        "even a grip share of {} laps {:.3} s behind the pole-sitter's model lap at {} \
                         (its braking and traction shares are lower): raise the pole-sitter's share (pole_grip_share)",
                        SHARE_RANGE.1,
                        at_hi - model_pole_s,
                        options.pole_grip_share
                    )));
                }
                if at_lo < target {
                    return Err(why(format!(
                        "more than a grip share of {} explains (it laps {:.3} s behind the pole-sitter)",
                        SHARE_RANGE.0,
                        at_lo - model_pole_s
                    )));
                }
                // Bisection on the monotone lap time: `lo` is too slow, `hi` fast enough.
                let (mut lo, mut hi) = (SHARE_RANGE.0, SHARE_RANGE.1);
                while hi - lo > SHARE_TOLERANCE {
                    let mid = 0.5 * (lo + hi);
                    if lap(mid, k)? > target {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let s = 0.5 * (lo + hi);
                (s, lap(s, k)?)
            };
            Ok(FittedEntry {
                entry: k,
                position,
                basis,
                line: row.map(|r| r.line),
                gap_s,
                grip_share,
                model_lap_s,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    entries.sort_by_key(|f| f.entry);
    Ok(Fit {
        reference_lap_s,
        model_pole_s,
        entries,
    })
}
