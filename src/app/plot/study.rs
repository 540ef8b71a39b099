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

/// Colour of a lap on the heat map: `share` 0 (fastest of the grid) to 1 (slowest), on the viridis scale.
pub fn heat_colour(share: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    <ViridisRGB as ColorMap<RGBColor, f32>>::get_color(&ViridisRGB, share.clamp(0.0, 1.0) as f32)
}

/// The edges of the cells around grid values (midpoints between neighbours, half a spacing beyond the
/// ends), so each value sits at the centre of its cell.
fn cell_edges(v: &[f64]) -> Vec<f64> {
    if v.len() == 1 {
        let h = (v[0].abs() * 0.05).max(1e-6);
        return vec![v[0] - h, v[0] + h];
    }
    let mut e = vec![v[0] - 0.5 * (v[1] - v[0])];
    e.extend(v.windows(2).map(|w| 0.5 * (w[0] + w[1])));
    let n = v.len();
    e.push(v[n - 1] + 0.5 * (v[n - 1] - v[n - 2]));
    e
}

/// Contour segments of `z[i][j]` (at `xs[i]`, `ys[j]`) at `level`, by marching squares with linear
/// interpolation along the cell edges (Lorensen & Cline's method in two dimensions). A saddle cell gets
/// both of its segments paired in edge order.
pub fn contour_segments(
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
    level: f64,
) -> Vec<((f64, f64), (f64, f64))> {
    let mut out = Vec::new();
    for i in 0..xs.len().saturating_sub(1) {
        for j in 0..ys.len().saturating_sub(1) {
            // Corners counter-clockwise, and the edges between consecutive corners.
            let c = [
                (xs[i], ys[j], z[i][j]),
                (xs[i + 1], ys[j], z[i + 1][j]),
                (xs[i + 1], ys[j + 1], z[i + 1][j + 1]),
                (xs[i], ys[j + 1], z[i][j + 1]),
            ];
            let mut hits = Vec::new();
            for k in 0..4 {
                let (a, b) = (c[k], c[(k + 1) % 4]);
                if (a.2 < level) != (b.2 < level) {
                    let t = (level - a.2) / (b.2 - a.2);
                    hits.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
                }
            }
            for pair in hits.chunks_exact(2) {
                out.push((pair[0], pair[1]));
            }
        }
    }
    out
}

/// A heat map of the lap time over a grid of two parameters (`laps[i][j]` at `xs[i]`, `ys[j]`, both in
/// increasing order), with contour lines at round steps of the lap time, a colour bar, and the base car
/// (`base`: its x, y and lap) marked. Returns the panel's map.
pub fn sweep_2d(
    path: &Path,
    title: &str,
    labels: (&str, &str),
    xs: &[f64],
    ys: &[f64],
    laps: &[Vec<f64>],
    base: Option<(f64, f64, f64)>,
) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if xs.is_empty()
        || ys.is_empty()
        || laps.len() != xs.len()
        || laps.iter().any(|r| r.len() != ys.len())
    {
        return Err(perr(&"the grid of laps does not match its values"));
    }
    let (t0, t1) = laps
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
            (a.min(t), b.max(t))
        });
    let span = (t1 - t0).max(1e-9);
    let (ex, ey) = (cell_edges(xs), cell_edges(ys));
    let xr = (ex[0], ex[ex.len() - 1]);
    let yr = (ey[0], ey[ey.len() - 1]);
    let (w, h) = (1600, 1000);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 26).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let (main, bar) = root.split_horizontally(w - 230);
        let mut c = ChartBuilder::on(&main)
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(100)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(&c.plotting_area().strip_coord_spec(), xr, yr);
        c.configure_mesh()
            .disable_mesh()
            .x_desc(labels.0)
            .y_desc(labels.1)
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .draw()
            .map_err(|e| perr(&e))?;
        c.draw_series(laps.iter().enumerate().flat_map(|(i, row)| {
            let (ex, ey) = (&ex, &ey);
            row.iter().enumerate().map(move |(j, &t)| {
                Rectangle::new(
                    [(ex[i], ey[j]), (ex[i + 1], ey[j + 1])],
                    heat_colour((t - t0) / span).filled(),
                )
            })
        }))
        .map_err(|e| perr(&e))?;
        // Contours at a round step giving four to ten lines.
        let step = {
            let raw = span / 8.0;
            let p = 10f64.powf(raw.log10().floor());
            [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * p)
                .find(|s| span / s <= 10.0)
                .unwrap_or(10.0 * p)
        };
        let mut level = (t0 / step).floor() * step + step;
        while level < t1 {
            let segs = contour_segments(xs, ys, laps, level);
            c.draw_series(
                segs.into_iter()
                    .map(|(a, b)| PathElement::new(vec![a, b], WHITE.mix(0.9).stroke_width(2))),
            )
            .map_err(|e| perr(&e))?;
            level += step;
        }
        if let Some((bx, by, bt)) = base {
            let red = RGBColor(220, 30, 30);
            c.draw_series(std::iter::once(Cross::new(
                (bx, by),
                12,
                red.stroke_width(4),
            )))
            .map_err(|e| perr(&e))?
            .label(format!("base car: {bx:.4}, {by:.4} → {bt:.3} s"))
            .legend(move |(x, y)| Cross::new((x + 10, y), 7, red.stroke_width(3)));
        }
        c.draw_series(std::iter::once(PathElement::new(
            vec![(xr.0, yr.0), (xr.0, yr.0)],
            WHITE.stroke_width(2),
        )))
        .map_err(|e| perr(&e))?
        .label(format!("contours every {step} s"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 20))
            .draw()
            .map_err(|e| perr(&e))?;
        // The colour bar: lap time from the fastest (bottom) to the slowest (top) of the grid.
        let mut cb = ChartBuilder::on(&bar)
            .margin(15)
            .margin_top(60)
            .x_label_area_size(55)
            .y_label_area_size(110)
            .caption("lap time (s)", (FONT, 20))
            .build_cartesian_2d(0.0..1.0, t0..t0 + span)
            .map_err(|e| perr(&e))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_label_formatter(&|v| format!("{v:.3}"))
            .label_style((FONT, 18))
            .draw()
            .map_err(|e| perr(&e))?;
        cb.draw_series((0..100).map(|k| {
            let (a, b) = (
                t0 + span * k as f64 / 100.0,
                t0 + span * (k + 1) as f64 / 100.0,
            );
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                heat_colour((k as f64 + 0.5) / 100.0).filled(),
            )
        }))
        .map_err(|e| perr(&e))?;
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}
