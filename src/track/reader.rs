//! Reading centrelines in the TUM racetrack-database format.
//!
//! A track file is CSV with a `# x_m,y_m,w_tr_right_m,w_tr_left_m` header comment and one point per line, in
//! metres, in the direction of travel, as an unclosed loop (the last point lies about one spacing before the
//! first). An optional fifth column `z_m` gives the elevation. A line file (a racing line) has the two columns
//! `x_m, y_m`. Every value is checked as it is read: a bad cell is reported with its line number.
//!
//! A plain header row (as pandas or a spreadsheet writes it, without `#`) is read as one: a track file's must
//! name its columns as above, in order; a line file's may name more columns than `x_m` and `y_m` (what
//! `lapsim line` writes), which are then picked by name.
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

/// Old Mac files end lines with a lone CR: read them as lines.
fn normalise_line_ends(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\n') && text.contains('\r') {
        text.replace('\r', "\n").into()
    } else {
        text.into()
    }
}

/// The column names of a track file, in order (`z_m` optional).
pub const TRACK_COLUMNS: [&str; 5] = ["x_m", "y_m", "w_tr_right_m", "w_tr_left_m", "z_m"];

/// The cells of the first data row (neither blank nor a `#` comment) if it is a header: no cell is a number.
/// With its 1-based line number.
fn header_row(text: &str) -> Option<(u64, Vec<String>)> {
    let text = normalise_line_ends(text);
    let (k, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))?;
    let cells: Vec<String> = line.split(',').map(|c| c.trim().to_string()).collect();
    cells
        .iter()
        .all(|c| c.parse::<f64>().is_err())
        .then(|| (k as u64 + 1, cells))
}

/// Text with its first data row blanked out (the header's), so the line numbers of the rest stay right.
fn without_row(text: &str, line: u64) -> String {
    normalise_line_ends(text)
        .lines()
        .enumerate()
        .map(|(k, l)| if k as u64 + 1 == line { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses a track file's rows: [`parse_rows`] with `allowed_columns`, after a plain header row, which must
/// name the columns as [`TRACK_COLUMNS`] does, in order.
pub fn parse_track_rows(
    source_name: &str,
    text: &str,
    allowed_columns: &[usize],
) -> Result<Vec<Row>> {
    match header_row(text) {
        None => parse_rows(source_name, text, allowed_columns),
        Some((line, cells)) => {
            let n = cells.len();
            if !allowed_columns.contains(&n) || cells[..] != TRACK_COLUMNS[..n] {
                return Err(Error::TrackLine {
                    source_name: source_name.to_string(),
                    line,
                    message: format!(
                        "a header row `{}`; expected the columns {} (or no header)",
                        cells.join(","),
                        describe_columns(allowed_columns)
                    ),
                });
            }
            parse_rows(source_name, &without_row(text, line), &[n])
        }
    }
}

/// Parses a file of points whose columns include `wanted` (e.g. `x_m, y_m`): with a plain header row, those
/// columns are picked by name from however many there are; without one, the file has exactly the wanted
/// columns. Rows hold the wanted cells, in `wanted`'s order.
pub fn parse_named_rows(source_name: &str, text: &str, wanted: &[&str]) -> Result<Vec<Row>> {
    let Some((line, cells)) = header_row(text) else {
        return parse_rows(source_name, text, &[wanted.len()]);
    };
    let index: Vec<usize> = wanted
        .iter()
        .map(|w| {
            cells
                .iter()
                .position(|c| c == w)
                .ok_or_else(|| Error::TrackLine {
                    source_name: source_name.to_string(),
                    line,
                    message: format!(
                        "a header row `{}` without a `{w}` column; expected {}",
                        cells.join(","),
                        wanted.join(", ")
                    ),
                })
        })
        .collect::<Result<_>>()?;
    let rows = parse_rows(source_name, &without_row(text, line), &[cells.len()])?;
    Ok(rows
        .into_iter()
        .map(|r| Row {
            line: r.line,
            values: index.iter().map(|&i| r.values[i]).collect(),
        })
        .collect())
}

/// Parses CSV text with `#` comments into rows of finite numbers with `allowed_columns` cells each.
///
/// Every row must have the same number of cells as the first. Blank lines are skipped.
pub fn parse_rows(source_name: &str, text: &str, allowed_columns: &[usize]) -> Result<Vec<Row>> {
    let text = normalise_line_ends(text);
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
