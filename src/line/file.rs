//! A user's line from a file (`x_m, y_m`, the racetrack-database racing-line format), with the track edges
//! measured from it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::track::reader;
use crate::track::Centerline;

/// Reads a user's line (`x_m, y_m`) and measures the track edges from it: each point is projected onto the
/// nearest segment of the centreline, whose widths, less the point's lateral offset, give the edges. A point
/// outside the track is an error.
pub fn read_line_file(path: &Path, centerline: &Centerline) -> Result<Centerline> {
    let name = path.display().to_string();
    let text = reader::read_text(path)?;
    let rows = reader::parse_named_rows(&name, &text, &["x_m", "y_m"])?;
    let (cx, cy) = (centerline.x_m(), centerline.y_m());
    let m = cx.len();
    let mut wr = Vec::with_capacity(rows.len());
    let mut wl = Vec::with_capacity(rows.len());
    let mut zs = Vec::with_capacity(rows.len());
    for r in &rows {
        let (px, py) = (r.values[0], r.values[1]);
        // Nearest centreline segment.
        let mut best = (f64::INFINITY, 0usize, 0.0f64, 0.0f64);
        for i in 0..m {
            let j = (i + 1) % m;
            let (dx, dy) = (cx[j] - cx[i], cy[j] - cy[i]);
            let l2 = dx * dx + dy * dy;
            let t = (((px - cx[i]) * dx + (py - cy[i]) * dy) / l2).clamp(0.0, 1.0);
            let (qx, qy) = (cx[i] + t * dx, cy[i] + t * dy);
            let d2 = (px - qx).powi(2) + (py - qy).powi(2);
            if d2 < best.0 {
                // Signed lateral offset: positive to the left of the direction of travel.
                let side = (dx * (py - cy[i]) - dy * (px - cx[i])).signum();
                best = (d2, i, t, side * d2.sqrt());
            }
        }
        let (_, i, t, off) = best;
        let j = (i + 1) % m;
        let lerp = |w: &[f64]| w[i] + t * (w[j] - w[i]);
        let (r_edge, l_edge) = (
            lerp(centerline.w_right_m()) + off,
            lerp(centerline.w_left_m()) - off,
        );
        if r_edge <= 0.0 || l_edge <= 0.0 {
            return Err(Error::TrackLine {
                source_name: name,
                line: r.line,
                message: format!(
                    "the point ({px}, {py}) lies {:.2} m off the centreline, outside the track of {}",
                    off.abs(),
                    centerline.source_name()
                ),
            });
        }
        wr.push(r_edge);
        wl.push(l_edge);
        if let Some(z) = centerline.z_m() {
            zs.push(lerp(z));
        }
    }
    Centerline::new(
        &name,
        rows.iter().map(|r| r.values[0]).collect(),
        rows.iter().map(|r| r.values[1]).collect(),
        wr,
        wl,
        centerline.z_m().map(|_| zs),
        rows.iter().map(|r| r.line).collect(),
    )
}
