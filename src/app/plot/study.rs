//! Charts of studies: the lap time against one varied parameter, with the base car marked.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::{register_fonts, save_png, PanelMap, FONT};
use crate::error::{Error, Result};

/// Lap time (s) against the value of one parameter (`points`, in order of the value), with the base car's
/// value and lap marked. Returns the panel's map.
pub fn sweep_1d(
    path: &Path,
    title: &str,
    x_label: &str,
    points: &[(f64, f64)],
    base: Option<(f64, f64)>,
) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if points.is_empty() {
        return Err(perr(&"no points to draw"));
    }
    let (w, h) = (1600, 900);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let all = points.iter().chain(base.iter());
        let (x0, x1, y0, y1) = all.fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), p| (a.min(p.0), b.max(p.0), c.min(p.1), d.max(p.1)),
        );
        let (px, py) = (((x1 - x0) * 0.05).max(1e-6), ((y1 - y0) * 0.1).max(1e-3));
        let (xr, yr) = ((x0 - px, x1 + px), (y0 - py, y1 + py));
        let mut c = ChartBuilder::on(&root)
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(&c.plotting_area().strip_coord_spec(), xr, yr);
        c.configure_mesh()
            .x_desc(x_label)
            .y_desc("lap time (s)")
            .y_label_formatter(&|v| format!("{v:.3}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        let colour = RGBColor(30, 90, 200);
        c.draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))
        .map_err(|e| perr(&e))?;
        c.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(|e| perr(&e))?;
        if let Some(b) = base {
            let red = RGBColor(200, 30, 30);
            c.draw_series(std::iter::once(Circle::new(b, 9, red.filled())))
                .map_err(|e| perr(&e))?
                .label(format!("base car: {:.4} → {:.3} s", b.0, b.1))
                .legend(move |(x, y)| Circle::new((x + 10, y), 6, red.filled()));
            c.configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 20))
                .draw()
                .map_err(|e| perr(&e))?;
        }
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}

/// A tornado chart: for each parameter (sorted by the size of its effect, largest on top), the lap-time
/// change for −1 % (left colour) and +1 % (right colour) of it. `rows`: (label, −1 % change, +1 % change).
pub fn tornado(path: &Path, title: &str, rows: &[(String, f64, f64)]) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if rows.is_empty() {
        return Err(perr(&"no parameters to draw"));
    }
    let n = rows.len();
    let (w, h) = (1600, (140 + 34 * n as u32).max(500));
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let base = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        base.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = base
            .clone()
            .titled(title, (FONT, 26).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let m = rows
            .iter()
            .map(|r| r.1.abs().max(r.2.abs()))
            .fold(1e-4, f64::max)
            * 1.15;
        let mut c = ChartBuilder::on(&root)
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(420)
            .build_cartesian_2d(-m..m, 0.0..n as f64)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (-m, m),
            (0.0, n as f64),
        );
        c.configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("lap time change (s): red −1 %, blue +1 % of the parameter")
            .x_label_formatter(&|v| format!("{v:+.3}"))
            .label_style((FONT, 18))
            .axis_desc_style((FONT, 20))
            .draw()
            .map_err(|e| perr(&e))?;
        let (minus, plus) = (RGBColor(200, 60, 60), RGBColor(40, 90, 200));
        for (k, r) in rows.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            for (v, colour, dy) in [(r.1, minus, 0.1), (r.2, plus, 0.5)] {
                c.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + dy), (v, y + dy + 0.38)],
                    colour.filled(),
                )))
                .map_err(|e| perr(&e))?;
            }
        }
        // Each parameter's name beside its pair of bars, right-aligned against the plotting area (in the
        // image's pixels, from the panel's map: the axis's own labels would fall on the rows' edges).
        let style = (FONT, 18)
            .into_font()
            .into_text_style(&base)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (k, r) in rows.iter().enumerate() {
            let (_, py) = map.pixel(-m, (n - 1 - k) as f64 + 0.5);
            base.draw(&Text::new(
                r.0.clone(),
                (map.px_x.0 - 10, py),
                style.clone(),
            ))
            .map_err(|e| perr(&e))?;
        }
        base.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}
