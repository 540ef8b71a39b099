//! Charts of the field: the qualifying gaps to pole, and the race's lap times and gaps to the leader.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::laps::PALETTE;
use super::{register_fonts, save_png, PanelMap, FONT};
use crate::error::{Error, Result};
use crate::field::Field;
use crate::session::qualifying::QualifyingResult;
use crate::session::race::RaceResult;

/// The grid's gaps to pole as horizontal bars, pole at the top, shoot-out and part-1 positions coloured apart.
/// Returns the map (x: gap in s, y: position counted from the bottom).
pub fn qualifying_gaps(path: &Path, title: &str, q: &QualifyingResult) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let n = q.grid.len();
    let (w, h) = (1600, (120 + 26 * n as u32).max(400));
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        // Room on the right of the longest bar for its label.
        // (Cars without a timed lap have an infinite gap: they get no bar.)
        let gmax = q
            .grid
            .iter()
            .map(|g| g.gap_to_pole_s)
            .filter(|g| g.is_finite())
            .fold(0.1, f64::max)
            * 1.45;
        let mut c = ChartBuilder::on(&root)
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(10)
            .build_cartesian_2d(0.0..gmax, 0.0..n as f64)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (0.0, gmax),
            (0.0, n as f64),
        );
        c.configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("gap to pole (s) — blue: shoot-out (part 2), grey: part 1")
            .x_label_formatter(&|v| format!("{v:.1}"))
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 20))
            .draw()
            .map_err(|e| perr(&e))?;
        let (shoot, part1) = (RGBColor(30, 90, 200), RGBColor(150, 150, 150));
        // A car without a timed lap draws no bar and its label sits at the left.
        let bar = |g: &crate::session::qualifying::GridSlot| {
            if g.gap_to_pole_s.is_finite() {
                g.gap_to_pole_s
            } else {
                0.0
            }
        };
        c.draw_series(q.grid.iter().enumerate().map(|(k, g)| {
            let y = (n - 1 - k) as f64;
            let colour = if g.part == 2 { shoot } else { part1 };
            Rectangle::new(
                [(0.0, y + 0.15), (bar(g).max(gmax * 0.002), y + 0.85)],
                colour.filled(),
            )
        }))
        .map_err(|e| perr(&e))?;
        c.draw_series(q.grid.iter().enumerate().map(|(k, g)| {
            let y = (n - 1 - k) as f64 + 0.8;
            Text::new(
                if g.gap_to_pole_s.is_finite() {
                    format!(
                        "{:>2}. #{} {}   {}  +{:.3}",
                        g.position,
                        g.number,
                        g.name,
                        crate::laptime::format_lap_time(g.best_s),
                        g.gap_to_pole_s
                    )
                } else {
                    format!("{:>2}. #{} {}   no timed lap", g.position, g.number, g.name)
                },
                (bar(g) + gmax * 0.01, y),
                (FONT, 16).into_font(),
            )
        }))
        .map_err(|e| perr(&e))?;
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}

/// Lap times lap by lap (upper panel) and the gap to the leader lap by lap (lower panel) for the chosen
/// entries (indices into the field). Returns the lap-time panel's map.
pub fn race_laps(
    path: &Path,
    title: &str,
    field: &Field,
    r: &RaceResult,
    chosen: &[usize],
) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let cars: Vec<_> = chosen
        .iter()
        .filter_map(|&k| r.classification.iter().find(|c| c.entry == k))
        .collect();
    if cars.is_empty() {
        return Err(perr(&"none of the chosen drivers is classified"));
    }
    // The chosen cars may have run different numbers of laps (a car that ran dry stopped early).
    let laps = cars.iter().map(|c| c.laps.len()).max().unwrap_or(0).max(1);
    let (w, h) = (1600, 1000);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let (upper, lower) = root.split_vertically(h / 2);
        // Lap 1 (from the grid) is far slower: the axis covers laps 2.. and lap 1 is labelled.
        // (A one-lap race has only lap 1: then it is the scale.)
        let from = usize::from(laps > 1);
        let times = cars
            .iter()
            .flat_map(|c| c.laps.iter().skip(from).map(|l| l.time_s));
        let (tmin, tmax) = times.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| {
            (a.min(t), b.max(t))
        });
        let (tmin, tmax) = if tmin <= tmax {
            (tmin, tmax)
        } else {
            (0.0, 1.0)
        };
        let pad = ((tmax - tmin) * 0.1).max(0.05);
        let (y0, y1) = (tmin - pad, tmax + pad);
        let mut c = ChartBuilder::on(&upper)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5..laps as f64 + 0.5, y0..y1)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (0.5, laps as f64 + 0.5),
            (y0, y1),
        );
        c.configure_mesh()
            .x_desc("lap")
            .y_desc("lap time (s); lap 1 from the grid is off the scale")
            .x_labels(laps)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style((FONT, 18))
            .axis_desc_style((FONT, 20))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        for (k, car) in cars.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let name = field.entries[car.entry].name.clone();
            c.draw_series(LineSeries::new(
                car.laps
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, l)| ((i + 1) as f64, l.time_s)),
                colour.stroke_width(2),
            ))
            .map_err(|e| perr(&e))?
            .label(match car.laps.first() {
                Some(l) => format!("{name} (lap 1: {:.1} s)", l.time_s),
                None => format!("{name} (no lap)"),
            })
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 25, y)], colour.stroke_width(3))
            });
            c.draw_series(
                car.laps
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, l)| Circle::new(((i + 1) as f64, l.time_s), 4, colour.filled())),
            )
            .map_err(|e| perr(&e))?;
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 18))
            .draw()
            .map_err(|e| perr(&e))?;
        // Gap to the leader at the end of each lap: the first car across the line among those that ran it.
        let leader_cum: Vec<f64> = (0..laps)
            .map(|i| {
                r.classification
                    .iter()
                    .filter(|c| c.laps.len() > i)
                    .map(|c| c.laps[..=i].iter().map(|l| l.time_s).sum::<f64>())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let gaps: Vec<Vec<(f64, f64)>> = cars
            .iter()
            .map(|c| {
                let mut cum = 0.0;
                c.laps
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        cum += l.time_s;
                        ((i + 1) as f64, cum - leader_cum[i])
                    })
                    .collect()
            })
            .collect();
        let gmax = gaps.iter().flatten().map(|p| p.1).fold(0.5, f64::max) * 1.1;
        let mut c2 = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5..laps as f64 + 0.5, 0.0..gmax)
            .map_err(|e| perr(&e))?;
        c2.configure_mesh()
            .x_desc("lap")
            .y_desc("gap to the leader (s)")
            .x_labels(laps)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style((FONT, 18))
            .axis_desc_style((FONT, 20))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        for (k, g) in gaps.iter().enumerate() {
            c2.draw_series(LineSeries::new(
                g.iter().copied(),
                PALETTE[k % PALETTE.len()].stroke_width(2),
            ))
            .map_err(|e| perr(&e))?;
        }
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}
