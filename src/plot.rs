//! Charts drawn with plotters into PNG files: the speed trace of a lap.
//!
//! Text renders through plotters' `ab_glyph` backend from the DejaVu fonts embedded by the `dejavu` crate
//! (licence: `assets/fonts/LICENSE-DejaVu.txt`), registered once by [`register_fonts`]; nothing needs system
//! font libraries.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::report::{format_lap_time, write_atomic};
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

/// Draws a speed trace: speed against distance with sector lines and the slowest corners labelled, and a
/// second panel with throttle, brake and gear. Written atomically to `path` (PNG).
pub fn speed_trace(path: &Path, title: &str, t: &Telemetry) -> Result<()> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let (w, h) = SPEED_TRACE_SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let full_title = format!(
            "{title} — lap {}  (mean {:.1} km/h, top {:.1} km/h)",
            format_lap_time(t.summary.lap.lap_time_s),
            t.summary.v_mean_mps * 3.6,
            t.summary.v_max_mps * 3.6
        );
        let root = root
            .titled(&full_title, (FONT, 30).into_font().style(FontStyle::Bold))
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
        c.configure_mesh()
            .x_desc("distance s (m)")
            .y_desc("speed v (km/h)")
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
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        c2.configure_secondary_axes()
            .y_desc("gear")
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
    save_png(path, &buf, w, h)
}

/// Encodes an RGB buffer as PNG and writes it atomically.
fn save_png(path: &Path, rgb: &[u8], w: u32, h: u32) -> Result<()> {
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
