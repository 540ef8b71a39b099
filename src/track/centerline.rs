//! A validated closed centreline: the track as surveyed, before resampling and smoothing.
//!
//! [`Centerline::new`] is the only way to make one, so every later stage can rely on: at least
//! [`MIN_POINTS`] finite points, no duplicate consecutive points, positive widths, a loop whose ends meet
//! (the closing gap is at most [`MAX_CLOSING_GAP_FACTOR`] times the median spacing) and that does not run over
//! itself (no shallow self-intersection; one turn around its inside, or a figure-of-eight crossing at a steep
//! angle such as a bridge).

use std::path::Path;

use super::reader::{parse_track_rows, read_text, Row};
use crate::error::{Error, Result};

/// Fewest points a loop may have.
pub const MIN_POINTS: usize = 10;
/// Two consecutive points closer than this (m) are duplicates.
pub const DUPLICATE_DISTANCE_M: f64 = 1e-3;
/// The gap from the last to the first point may be at most this many median spacings; more means the file was
/// truncated (an open track).
pub const MAX_CLOSING_GAP_FACTOR: f64 = 3.0;
/// A segment longer than this many median spacings is a jump (a survey outlier or a typo), not a track.
pub const MAX_SEGMENT_FACTOR: f64 = 20.0;
/// Largest coordinate magnitude accepted (m): a circuit in a local frame lies within a few kilometres of its
/// origin; 1,000 km catches coordinates in the wrong unit or frame.
pub const MAX_COORDINATE_M: f64 = 1.0e6;
/// Longest loop accepted (m): the longest circuits raced (the Nürburgring 24-hour layout) are ~25 km.
pub const MAX_LENGTH_M: f64 = 100_000.0;
/// A self-intersection crossing at less than this angle (degrees) is an overlap, not a bridge.
pub const MIN_CROSSING_ANGLE_DEG: f64 = 30.0;

/// A closed centreline with track widths (and optional elevation), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Centerline {
    source_name: String,
    x_m: Vec<f64>,
    y_m: Vec<f64>,
    w_right_m: Vec<f64>,
    w_left_m: Vec<f64>,
    z_m: Option<Vec<f64>>,
    lines: Vec<u64>,
}

impl Centerline {
    /// Reads a track file in the racetrack-database format (4 columns, or 5 with `z_m`).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = read_text(path)?;
        Self::from_csv_str(&path.display().to_string(), &text)
    }

    /// Parses track CSV text; `source_name` names it in errors.
    pub fn from_csv_str(source_name: &str, text: &str) -> Result<Self> {
        let rows = parse_track_rows(source_name, text, &[4, 5])?;
        Self::from_rows(source_name, &rows)
    }

    fn from_rows(source_name: &str, rows: &[Row]) -> Result<Self> {
        let col = |k: usize| rows.iter().map(|r| r.values[k]).collect::<Vec<_>>();
        let z = rows.first().filter(|r| r.values.len() == 5).map(|_| col(4));
        Self::new(
            source_name,
            col(0),
            col(1),
            col(2),
            col(3),
            z,
            rows.iter().map(|r| r.line).collect(),
        )
    }

    /// Validates a loop given as columns. `lines` gives each point's line in the source (for messages); pass
    /// `1..=n` for points made in code.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source_name: &str,
        x_m: Vec<f64>,
        y_m: Vec<f64>,
        w_right_m: Vec<f64>,
        w_left_m: Vec<f64>,
        z_m: Option<Vec<f64>>,
        lines: Vec<u64>,
    ) -> Result<Self> {
        let fail = |message: String| Error::Track {
            source_name: source_name.to_string(),
            message,
        };
        let at = |line: u64, message: String| Error::TrackLine {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let n = x_m.len();
        let same = [y_m.len(), w_right_m.len(), w_left_m.len(), lines.len()]
            .iter()
            .all(|&l| l == n)
            && z_m.as_ref().is_none_or(|z| z.len() == n);
        if !same {
            return Err(fail("columns of different lengths".into()));
        }
        let mut c = Self {
            source_name: source_name.to_string(),
            x_m,
            y_m,
            w_right_m,
            w_left_m,
            z_m,
            lines,
        };
        for i in 0..n {
            let vals = [c.x_m[i], c.y_m[i], c.w_right_m[i], c.w_left_m[i]];
            if vals.iter().any(|v| !v.is_finite())
                || c.z_m.as_ref().is_some_and(|z| !z[i].is_finite())
            {
                return Err(at(c.lines[i], "a value is NaN or infinite".into()));
            }
            if c.x_m[i].abs() > MAX_COORDINATE_M || c.y_m[i].abs() > MAX_COORDINATE_M {
                return Err(at(
                    c.lines[i],
                    format!(
                        "coordinates ({}, {}) lie more than {MAX_COORDINATE_M} m from the origin: not metres in a \
                         local frame?",
                        c.x_m[i], c.y_m[i]
                    ),
                ));
            }
            if c.w_right_m[i] <= 0.0 || c.w_left_m[i] <= 0.0 {
                return Err(at(
                    c.lines[i],
                    format!(
                        "track widths must be positive, got w_tr_right_m = {} and w_tr_left_m = {}",
                        c.w_right_m[i], c.w_left_m[i]
                    ),
                ));
            }
        }
        // An explicitly closed file (last point repeating the first) is accepted: drop the repeat.
        if n >= 2 && c.dist(0, n - 1) < DUPLICATE_DISTANCE_M {
            c.pop();
        }
        let n = c.len();
        if n < MIN_POINTS {
            return Err(fail(format!(
                "{n} points; a track needs at least {MIN_POINTS}"
            )));
        }
        for i in 1..n {
            if c.dist(i - 1, i) < DUPLICATE_DISTANCE_M {
                return Err(at(
                    c.lines[i],
                    format!(
                        "duplicate point: ({}, {}) repeats the previous point (line {})",
                        c.x_m[i],
                        c.y_m[i],
                        c.lines[i - 1]
                    ),
                ));
            }
        }
        let mut spacing: Vec<f64> = (1..n).map(|i| c.dist(i - 1, i)).collect();
        spacing.sort_by(f64::total_cmp);
        let median = spacing[spacing.len() / 2];
        for i in 1..n {
            let d = c.dist(i - 1, i);
            if d > MAX_SEGMENT_FACTOR * median {
                return Err(at(
                    c.lines[i],
                    format!(
                        "the point jumps {d:.1} m from the previous one (line {}), {:.0} times the median spacing \
                         of {median:.2} m: a survey outlier or a typo?",
                        c.lines[i - 1],
                        d / median
                    ),
                ));
            }
        }
        let length = c.polyline_length_m();
        if length > MAX_LENGTH_M {
            return Err(fail(format!(
                "the loop is {:.1} km long; circuits are at most ~25 km (are the coordinates in metres?)",
                length / 1000.0
            )));
        }
        let gap = c.dist(n - 1, 0);
        if gap > MAX_CLOSING_GAP_FACTOR * median {
            return Err(at(
                c.lines[n - 1],
                format!(
                    "the track is open: the last point is {gap:.1} m from the first, {:.1} times the median \
                     spacing of {median:.2} m (at most {MAX_CLOSING_GAP_FACTOR}); a closed loop ends about one \
                     spacing before its start — is the file truncated?",
                    gap / median
                ),
            ));
        }
        c.check_simple_loop(median)?;
        Ok(c)
    }

    fn pop(&mut self) {
        self.x_m.pop();
        self.y_m.pop();
        self.w_right_m.pop();
        self.w_left_m.pop();
        if let Some(z) = self.z_m.as_mut() {
            z.pop();
        }
        self.lines.pop();
    }

    fn dist(&self, i: usize, j: usize) -> f64 {
        (self.x_m[i] - self.x_m[j]).hypot(self.y_m[i] - self.y_m[j])
    }

    /// Rejects loops that run over themselves: a shallow crossing or a (near-)collinear overlap of two
    /// segments, or a loop without crossings that winds around more than once. A steep crossing (a bridge, as
    /// in a figure-of-eight circuit) is allowed.
    fn check_simple_loop(&self, median_spacing_m: f64) -> Result<()> {
        let n = self.len();
        let seg = |i: usize| {
            let j = (i + 1) % n;
            ([self.x_m[i], self.y_m[i]], [self.x_m[j], self.y_m[j]])
        };
        // Uniform grid of segment bounding boxes: only segments sharing a cell are compared.
        let cell = 4.0 * median_spacing_m.max(DUPLICATE_DISTANCE_M);
        let (x0, y0) = (
            self.x_m.iter().copied().fold(f64::INFINITY, f64::min),
            self.y_m.iter().copied().fold(f64::INFINITY, f64::min),
        );
        let mut grid: std::collections::HashMap<(i64, i64), Vec<usize>> =
            std::collections::HashMap::new();
        for i in 0..n {
            let (a, b) = seg(i);
            let (cx0, cx1) = (
                ((a[0].min(b[0]) - x0) / cell).floor() as i64,
                ((a[0].max(b[0]) - x0) / cell).floor() as i64,
            );
            let (cy0, cy1) = (
                ((a[1].min(b[1]) - y0) / cell).floor() as i64,
                ((a[1].max(b[1]) - y0) / cell).floor() as i64,
            );
            for gx in cx0..=cx1 {
                for gy in cy0..=cy1 {
                    grid.entry((gx, gy)).or_default().push(i);
                }
            }
        }
        let mut steep_crossings = 0usize;
        let mut checked = std::collections::HashSet::new();
        for members in grid.values() {
            for (k, &i) in members.iter().enumerate() {
                for &j in &members[k + 1..] {
                    let (lo, hi) = (i.min(j), i.max(j));
                    if hi - lo <= 1 || (lo == 0 && hi == n - 1) || !checked.insert((lo, hi)) {
                        continue;
                    }
                    let (a, b) = seg(lo);
                    let (c, d) = seg(hi);
                    if let Some(angle_deg) = crossing_angle_deg(a, b, c, d) {
                        if angle_deg < MIN_CROSSING_ANGLE_DEG {
                            return Err(Error::Track {
                                source_name: self.source_name.clone(),
                                message: format!(
                                    "the track overlaps itself: the segment after line {} crosses the segment \
                                     after line {} at {angle_deg:.0}° (a crossing under {MIN_CROSSING_ANGLE_DEG}° \
                                     is an overlap, not a bridge)",
                                    self.lines[lo], self.lines[hi]
                                ),
                            });
                        }
                        steep_crossings += 1;
                    }
                }
            }
        }
        if steep_crossings == 0 {
            let turns = self.total_turning_rad() / std::f64::consts::TAU;
            if (turns.abs() - 1.0).abs() > 0.25 {
                return Err(Error::Track {
                    source_name: self.source_name.clone(),
                    message: format!(
                        "the loop turns {turns:.2} times around; a circuit turns once (is it traced twice, \
                         or does it double back?)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Sum of heading changes around the closed loop (rad): ±2π for a simple loop, positive counter-clockwise.
    pub fn total_turning_rad(&self) -> f64 {
        let n = self.len();
        (0..n)
            .map(|i| {
                let (p, q, r) = (if i == 0 { n - 1 } else { i - 1 }, i, (i + 1) % n);
                let h1 = (self.y_m[q] - self.y_m[p]).atan2(self.x_m[q] - self.x_m[p]);
                let h2 = (self.y_m[r] - self.y_m[q]).atan2(self.x_m[r] - self.x_m[q]);
                wrap_angle(h2 - h1)
            })
            .sum()
    }

    /// Number of points (the loop has as many segments).
    pub fn len(&self) -> usize {
        self.x_m.len()
    }

    /// Always false: a centreline has at least [`MIN_POINTS`] points.
    pub fn is_empty(&self) -> bool {
        self.x_m.is_empty()
    }

    /// The file or name the loop came from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
    /// x of each point (m).
    pub fn x_m(&self) -> &[f64] {
        &self.x_m
    }
    /// y of each point (m).
    pub fn y_m(&self) -> &[f64] {
        &self.y_m
    }
    /// Distance from the centreline to the right edge (m).
    pub fn w_right_m(&self) -> &[f64] {
        &self.w_right_m
    }
    /// Distance from the centreline to the left edge (m).
    pub fn w_left_m(&self) -> &[f64] {
        &self.w_left_m
    }
    /// Elevation of each point (m), if the file has it.
    pub fn z_m(&self) -> Option<&[f64]> {
        self.z_m.as_deref()
    }

    /// Length of the closed polyline through the points (m).
    pub fn polyline_length_m(&self) -> f64 {
        let n = self.len();
        (0..n).map(|i| self.dist(i, (i + 1) % n)).sum()
    }
}

/// Wraps an angle into (-π, π].
pub fn wrap_angle(a: f64) -> f64 {
    let w = a.rem_euclid(std::f64::consts::TAU);
    if w > std::f64::consts::PI {
        w - std::f64::consts::TAU
    } else {
        w
    }
}

/// The angle (degrees, 0–90) at which segments ab and cd intersect, or `None` if they do not.
/// Collinear overlapping segments count as a crossing at 0°.
fn crossing_angle_deg(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> Option<f64> {
    let cross = |o: [f64; 2], p: [f64; 2], q: [f64; 2]| {
        (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])
    };
    let (d1, d2) = (cross(c, d, a), cross(c, d, b));
    let (d3, d4) = (cross(a, b, c), cross(a, b, d));
    let u = [b[0] - a[0], b[1] - a[1]];
    let v = [d[0] - c[0], d[1] - c[1]];
    let angle = || {
        let s = (u[0] * v[1] - u[1] * v[0]).abs();
        let c = (u[0] * v[0] + u[1] * v[1]).abs();
        s.atan2(c).to_degrees()
    };
    let proper = ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0));
    if proper {
        return Some(angle());
    }
    // Collinear overlap: all four cross products vanish and the projections overlap.
    let scale = (u[0].hypot(u[1]) * v[0].hypot(v[1])).max(f64::MIN_POSITIVE);
    if [d1, d2, d3, d4].iter().all(|x| x.abs() <= 1e-9 * scale) {
        let len2 = u[0] * u[0] + u[1] * u[1];
        let t = |p: [f64; 2]| ((p[0] - a[0]) * u[0] + (p[1] - a[1]) * u[1]) / len2;
        let (t0, t1) = (t(c).min(t(d)), t(c).max(t(d)));
        if t1 > 0.0 && t0 < 1.0 {
            return Some(0.0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_angle_of_a_right_angle_cross() {
        let a = crossing_angle_deg([0.0, -1.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 0.0]);
        assert!((a.unwrap() - 90.0).abs() < 1e-9);
        assert!(crossing_angle_deg([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]).is_none());
        assert_eq!(
            crossing_angle_deg([0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [3.0, 0.0]),
            Some(0.0)
        );
    }

    #[test]
    fn wrap_angle_stays_in_range() {
        assert!((wrap_angle(3.0 * std::f64::consts::PI) - std::f64::consts::PI).abs() < 1e-12);
        assert!((wrap_angle(-0.5) + 0.5).abs() < 1e-12);
    }
}
