//! Charts drawn with plotters into PNG files: the speed trace and the track map of a lap here, lap
//! comparisons and the GG diagram in [`laps`], the qualifying and race charts in [`field`].
//!
//! Text renders through plotters' `ab_glyph` backend from the DejaVu fonts embedded by the `dejavu` crate
//! (licence: `assets/fonts/LICENSE-DejaVu.txt`), registered once by [`register_fonts`]; nothing needs system
//! font libraries.

pub mod field;
pub mod laps;
pub mod study;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::output::write_atomic;
use crate::error::{Error, Result};
use crate::laptime::format_lap_time;
use crate::solver::Telemetry;

/// Font family name under which DejaVu Sans is registered.
pub const FONT: &str = "sans-serif";

/// Registers DejaVu Sans (normal, bold, oblique) as [`FONT`]. Idempotent.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded fonts are valid TrueType files: a failure here is a build defect, not an input error.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = plotters::style::register_font(FONT, FontStyle::Oblique, dejavu::sans::oblique());
        let _ = plotters::style::register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}

/// Size of the speed-trace PNG (pixels).
pub const SPEED_TRACE_SIZE: (u32, u32) = (1600, 900);

/// Where a chart panel sits in the image and what it shows: data ranges and the pixel rectangle, so tests can
/// check that known values land where they belong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelMap {
    /// Data range on x.
    pub x_range: (f64, f64),
    /// Data range on y.
    pub y_range: (f64, f64),
    /// Pixel columns of the plotting area (left, right).
    pub px_x: (i32, i32),
    /// Pixel rows of the plotting area (top, bottom).
    pub px_y: (i32, i32),
}

impl PanelMap {
    pub(crate) fn of(
        area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Self {
        let (rx, ry) = area.get_pixel_range();
        Self {
            x_range: x,
            y_range: y,
            px_x: (rx.start, rx.end - 1),
            px_y: (ry.start, ry.end - 1),
        }
    }

    /// Pixel of a data point (linear map, y downwards).
    pub fn pixel(&self, x: f64, y: f64) -> (i32, i32) {
        let fx = (x - self.x_range.0) / (self.x_range.1 - self.x_range.0);
        let fy = (y - self.y_range.0) / (self.y_range.1 - self.y_range.0);
        (
            self.px_x.0 + (fx * f64::from(self.px_x.1 - self.px_x.0)).round() as i32,
            self.px_y.1 - (fy * f64::from(self.px_y.1 - self.px_y.0)).round() as i32,
        )
    }
}

/// Draws a speed trace: speed against distance with sector lines and the slowest corners labelled, and a
/// second panel with throttle, brake and gear. Written atomically to `path` (PNG). Returns where the speed
/// panel sits.
pub fn speed_trace(path: &Path, title: &str, t: &Telemetry) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let (w, h) = SPEED_TRACE_SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let full_title = format!(
            "{title} — lap {}",
            format_lap_time(t.summary.lap.lap_time_s)
        );
        let root = root
            .titled(&full_title, (FONT, 26).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let (upper, lower) = root.split_vertically((h as f64 * 0.62) as u32);
        let s_max = t.summary.length_m;
        // At most ~2 samples per pixel column: thick polylines through thousands of points per column draw
        // miter spikes at every reversal.
        let stride = (t.len() / (2 * w as usize)).max(1);
        let pick = |ch: &[f64]| {
            let idx: Vec<usize> = (0..t.len()).step_by(stride).collect();
            let ch = ch.to_vec();
            let s = t.s_m.clone();
            idx.into_iter().map(move |i| (s[i], ch[i]))
        };
        let v_top = t.v_mps.iter().copied().fold(0.0, f64::max) * 3.6;
        let v_axis_max = ((v_top / 20.0).ceil() * 20.0).max(40.0);
        let mut c = ChartBuilder::on(&upper)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..s_max, 0.0..v_axis_max)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (0.0, s_max),
            (0.0, v_axis_max),
        );
        c.configure_mesh()
            .x_desc("distance s (m)")
            .y_desc("speed v (km/h)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        // Sector boundaries.
        let n = t.len();
        for k in 1..3 {
            let s = t.s_m[k * n / 3];
            c.draw_series(LineSeries::new(
                [(s, 0.0), (s, v_axis_max)],
                ShapeStyle::from(&RGBColor(150, 150, 150)).stroke_width(2),
            ))
            .map_err(|e| perr(&e))?;
            c.draw_series(std::iter::once(Text::new(
                format!("S{}", k + 1),
                (s + s_max * 0.005, v_axis_max * 0.97),
                (FONT, 20).into_font().color(&RGBColor(100, 100, 100)),
            )))
            .map_err(|e| perr(&e))?;
        }
        c.draw_series(LineSeries::new(
            pick(&t.v_mps).map(|(s, v)| (s, v * 3.6)),
            ShapeStyle::from(&RGBColor(200, 30, 30)).stroke_width(2),
        ))
        .map_err(|e| perr(&e))?
        .label("speed")
        .legend(|(x, y)| {
            PathElement::new(
                vec![(x, y), (x + 25, y)],
                RGBColor(200, 30, 30).stroke_width(3),
            )
        });
        c.draw_series(std::iter::once(Text::new(
            format!(
                "mean {:.1} km/h · top {:.1} km/h · minimum {:.1} km/h",
                t.summary.v_mean_mps * 3.6,
                t.summary.v_max_mps * 3.6,
                t.summary.v_min_mps * 3.6
            ),
            (s_max * 0.60, v_axis_max * 0.06),
            (FONT, 20).into_font().color(&RGBColor(60, 60, 60)),
        )))
        .map_err(|e| perr(&e))?;
        for (s, v) in &t.summary.slowest_corners {
            c.draw_series(std::iter::once(Text::new(
                format!("{:.0}", v * 3.6),
                (*s - s_max * 0.008, v * 3.6 - v_axis_max * 0.06),
                (FONT, 19).into_font().color(&BLACK),
            )))
            .map_err(|e| perr(&e))?;
        }

        let mut c2 = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0.0..s_max, 0.0..105.0)
            .map_err(|e| perr(&e))?
            .set_secondary_coord(0.0..s_max, 0.0..7.0);
        c2.configure_mesh()
            .x_desc("distance s (m)")
            .y_desc("pedal (%)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        c2.configure_secondary_axes()
            .y_desc("gear")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .y_labels(8)
            .draw()
            .map_err(|e| perr(&e))?;
        let green = RGBColor(30, 150, 60);
        let red = RGBColor(210, 40, 40);
        let blue = RGBColor(40, 80, 200);
        c2.draw_series(
            AreaSeries::new(
                pick(&t.throttle).map(|(s, p)| (s, p * 100.0)),
                0.0,
                green.mix(0.30),
            )
            .border_style(ShapeStyle::from(&green).stroke_width(1)),
        )
        .map_err(|e| perr(&e))?
        .label("throttle")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 25, y)], green.stroke_width(3)));
        c2.draw_series(
            AreaSeries::new(
                pick(&t.brake).map(|(s, p)| (s, p * 100.0)),
                0.0,
                red.mix(0.45),
            )
            .border_style(ShapeStyle::from(&red).stroke_width(1)),
        )
        .map_err(|e| perr(&e))?
        .label("brake")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 25, y)], red.stroke_width(3)));
        c2.draw_secondary_series(LineSeries::new(
            t.s_m.iter().zip(&t.gear).map(|(&s, &g)| (s, f64::from(g))),
            ShapeStyle::from(&blue).stroke_width(2),
        ))
        .map_err(|e| perr(&e))?
        .label("gear (right axis)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 25, y)], blue.stroke_width(3)));
        c2.configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 20))
            .draw()
            .map_err(|e| perr(&e))?;
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}

/// Encodes an RGB buffer as PNG and writes it atomically.
pub(crate) fn save_png(path: &Path, rgb: &[u8], w: u32, h: u32) -> Result<()> {
    let img = image::RgbImage::from_raw(w, h, rgb.to_vec()).ok_or_else(|| Error::Plot {
        path: path.to_path_buf(),
        message: "buffer size does not match the image".into(),
    })?;
    write_atomic(path, |out| {
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(std::io::Error::other)?;
        out.write_all(&bytes)
    })
}

/// Colour for a value in `[0, 1]` on a blue–green–yellow–red ramp.
pub(crate) fn ramp(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let stops = [(40, 60, 200), (30, 170, 90), (240, 200, 40), (210, 30, 30)];
    let x = t * (stops.len() - 1) as f64;
    let k = (x as usize).min(stops.len() - 2);
    let f = x - k as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (stops[k], stops[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Size of the track-map PNG (pixels).
pub const TRACK_MAP_SIZE: (u32, u32) = (1600, 1000);

/// Draws a track map: both track edges of `edges` (a centreline track), the driven path coloured by speed
/// (from telemetry), the start/finish line and the direction of travel. Written atomically to `path`.
pub fn track_map(
    path: &Path,
    title: &str,
    edges: &crate::track::Track,
    t: &Telemetry,
) -> Result<()> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let (w, h) = TRACK_MAP_SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 30).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        // Edge polylines from the centreline and its widths along the normal.
        let n = edges.len();
        let side = |sign: f64| -> Vec<(f64, f64)> {
            (0..=n)
                .map(|k| {
                    let i = k % n;
                    let hd = edges.heading_rad()[i];
                    let wdt = if sign > 0.0 {
                        edges.w_left_m()[i]
                    } else {
                        edges.w_right_m()[i]
                    };
                    (
                        edges.x_m()[i] - sign * wdt * hd.sin(),
                        edges.y_m()[i] + sign * wdt * hd.cos(),
                    )
                })
                .collect()
        };
        let (left, right) = (side(1.0), side(-1.0));
        let all = left.iter().chain(&right);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        // Equal scales on both axes, with a margin, and room on the right for the colour bar.
        let (pw, ph) = (f64::from(w) - 260.0, f64::from(h) - 120.0);
        let scale = (pw / (x1 - x0)).min(ph / (y1 - y0)) / 1.06;
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (hw, hh) = (pw / scale / 2.0, ph / scale / 2.0);
        let (map_area, bar_area) = root.split_horizontally(w - 200);
        let mut c = ChartBuilder::on(&map_area)
            .margin(20)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(cx - hw..cx + hw, cy - hh..cy + hh)
            .map_err(|e| perr(&e))?;
        c.configure_mesh()
            .x_desc("x (m)")
            .y_desc("y (m)")
            .label_style((FONT, 18))
            .axis_desc_style((FONT, 20))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(|e| perr(&e))?;
        let grey = RGBColor(90, 90, 90);
        for e in [&left, &right] {
            c.draw_series(LineSeries::new(e.iter().copied(), grey.stroke_width(2)))
                .map_err(|e| perr(&e))?;
        }
        let (vmin, vmax) = t
            .v_mps
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let span = (vmax - vmin).max(1e-9);
        let m = t.len();
        c.draw_series((0..m).map(|i| {
            let j = (i + 1) % m;
            PathElement::new(
                vec![(t.x_m[i], t.y_m[i]), (t.x_m[j], t.y_m[j])],
                ramp((t.v_mps[i] - vmin) / span).stroke_width(4),
            )
        }))
        .map_err(|e| perr(&e))?;
        // Start/finish line across the track, and an arrow for the direction of travel.
        let hd = edges.heading_rad()[0];
        let (nx, ny) = (-hd.sin(), hd.cos());
        let (sx, sy) = (edges.x_m()[0], edges.y_m()[0]);
        c.draw_series(std::iter::once(PathElement::new(
            vec![
                (
                    sx - nx * edges.w_right_m()[0],
                    sy - ny * edges.w_right_m()[0],
                ),
                (sx + nx * edges.w_left_m()[0], sy + ny * edges.w_left_m()[0]),
            ],
            BLACK.stroke_width(5),
        )))
        .map_err(|e| perr(&e))?;
        let k = (40.0 / edges.step_m()).round() as usize % n;
        let (ax, ay) = (edges.x_m()[k] + nx * 25.0, edges.y_m()[k] + ny * 25.0);
        let (tx, ty) = (hd.cos(), hd.sin());
        let tip = (ax + tx * 45.0, ay + ty * 45.0);
        c.draw_series(std::iter::once(PathElement::new(
            vec![(ax - tx * 45.0, ay - ty * 45.0), tip],
            BLACK.stroke_width(3),
        )))
        .map_err(|e| perr(&e))?;
        c.draw_series(std::iter::once(Polygon::new(
            vec![
                tip,
                (tip.0 - tx * 25.0 + nx * 12.0, tip.1 - ty * 25.0 + ny * 12.0),
                (tip.0 - tx * 25.0 - nx * 12.0, tip.1 - ty * 25.0 - ny * 12.0),
            ],
            BLACK.filled(),
        )))
        .map_err(|e| perr(&e))?;
        c.draw_series(std::iter::once(Text::new(
            "start / finish",
            (sx + nx * 40.0, sy + ny * 40.0 - 30.0),
            (FONT, 20).into_font(),
        )))
        .map_err(|e| perr(&e))?;
        // Colour bar.
        let mut bar = ChartBuilder::on(&bar_area)
            .margin_top(60)
            .margin_bottom(80)
            .margin_right(20)
            .y_label_area_size(70)
            .caption("speed (km/h)", (FONT, 20))
            .build_cartesian_2d(0.0..1.0, vmin * 3.6..vmax * 3.6)
            .map_err(|e| perr(&e))?;
        bar.configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 18))
            .draw()
            .map_err(|e| perr(&e))?;
        let steps = 100;
        bar.draw_series((0..steps).map(|k| {
            let a = vmin * 3.6 + (vmax - vmin) * 3.6 * k as f64 / steps as f64;
            let b = vmin * 3.6 + (vmax - vmin) * 3.6 * (k + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], ramp(k as f64 / steps as f64).filled())
        }))
        .map_err(|e| perr(&e))?;
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)
}
