//! Reading centrelines in the TUM racetrack-database format.
//!
//! A track file is CSV with a `# x_m,y_m,w_tr_right_m,w_tr_left_m` header comment and one point per line, in
//! metres, in the direction of travel, as an unclosed loop (the last point lies about one spacing before the
//! first). An optional fifth column `z_m` gives the elevation. A line file (a racing line) has the two columns
//! `x_m, y_m`. Every value is checked as it is read: a bad cell is reported with its line number.
//!
//! References: TUMFTM/racetrack-database, README (format); the checks of the whole loop are in
//! [`Centerline::new`](crate::track::Centerline::new).

use std::path::Path;

use crate::error::{Error, Result};

/// One parsed data row: its 1-based line number in the file and its numeric cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line number in the source.
    pub line: u64,
    /// The cells, all finite.
    pub values: Vec<f64>,
}

/// Reads a whole file into a string, naming the file on failure.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|io| Error::Read {
        path: path.to_path_buf(),
        io,
    })?;
    String::from_utf8(bytes).map_err(|e| Error::Track {
        source_name: path.display().to_string(),
        message: format!(
            "not a text file: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Parses CSV text with `#` comments into rows of finite numbers with `allowed_columns` cells each.
///
/// Every row must have the same number of cells as the first. Blank lines are skipped.
pub fn parse_rows(source_name: &str, text: &str, allowed_columns: &[usize]) -> Result<Vec<Row>> {
    // Old Mac files end lines with a lone CR: read them as lines.
    let text: std::borrow::Cow<'_, str> = if !text.contains('\n') && text.contains('\r') {
        text.replace('\r', "\n").into()
    } else {
        text.into()
    };
    // The reader yields one record per line that is neither empty nor a `#` comment; number those lines
    // here (csv's own positions point before skipped comment lines).
    let data_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(k, _)| k as u64 + 1)
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut expected: Option<usize> = None;
    let line_err = |line: u64, message: String| Error::TrackLine {
        source_name: source_name.to_string(),
        line,
        message,
    };
    for (k, record) in reader.records().enumerate() {
        let line = data_lines.get(k).copied().unwrap_or(0);
        let record = record.map_err(|e| line_err(line, format!("malformed CSV: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let n = record.len();
        match expected {
            None => {
                if !allowed_columns.contains(&n) {
                    return Err(line_err(
                        line,
                        format!(
                            "{n} columns; expected {}",
                            describe_columns(allowed_columns)
                        ),
                    ));
                }
                expected = Some(n);
            }
            Some(e) if e != n => {
                return Err(line_err(
                    line,
                    format!("{n} columns, but the first data line has {e}"),
                ))
            }
            Some(_) => {}
        }
        let mut values = Vec::with_capacity(n);
        for (col, cell) in record.iter().enumerate() {
            let v: f64 = cell.parse().map_err(|_| {
                line_err(
                    line,
                    format!("column {}: `{cell}` is not a number", col + 1),
                )
            })?;
            if !v.is_finite() {
                return Err(line_err(
                    line,
                    format!("column {}: `{cell}` is not a finite number", col + 1),
                ));
            }
            values.push(v);
        }
        rows.push(Row { line, values });
    }
    Ok(rows)
}

fn describe_columns(allowed: &[usize]) -> String {
    let names = |n: usize| match n {
        2 => "2 (x_m, y_m)",
        4 => "4 (x_m, y_m, w_tr_right_m, w_tr_left_m)",
        5 => "5 (x_m, y_m, w_tr_right_m, w_tr_left_m, z_m)",
        _ => "?",
    };
    allowed
        .iter()
        .map(|&n| names(n))
        .collect::<Vec<_>>()
        .join(" or ")
}
