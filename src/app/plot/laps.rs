//! Lap comparisons: an overlay of speed traces with a time-delta panel, and the GG diagram of a lap over the
//! car's envelope.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::{register_fonts, save_png, PanelMap, FONT};
use crate::error::{Error, Result};
use crate::laptime::format_lap_time;
use crate::solver::Telemetry;
use crate::vehicle::Envelope;

/// Distinct line colours for overlaid series.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(200, 30, 30),
    RGBColor(30, 90, 200),
    RGBColor(30, 150, 60),
    RGBColor(230, 140, 20),
    RGBColor(130, 50, 170),
    RGBColor(90, 90, 90),
];

/// Size of the comparison charts (pixels).
pub const SIZE: (u32, u32) = (1600, 900);

/// Time at lap fraction `f` (0–1) of a lap, by linear interpolation over its distance.
pub(crate) fn time_at_fraction(t: &Telemetry, f: f64) -> f64 {
    let len = t.summary.length_m;
    let s = f * len;
    let n = t.len();
    let k = t.s_m.partition_point(|&x| x <= s).clamp(1, n) - 1;
    let (s0, t0) = (t.s_m[k], t.t_s[k]);
    let (s1, t1) = if k + 1 < n {
        (t.s_m[k + 1], t.t_s[k + 1])
    } else {
        (len, t.summary.lap.lap_time_s)
    };
    t0 + (s - s0) / (s1 - s0).max(1e-12) * (t1 - t0)
}

/// Overlays the speed traces of several laps (against the fraction of the lap, so laps on different paths
/// line up) with a panel of the time gained or lost against the first lap. Returns the speed panel's map.
pub fn lap_overlay(path: &Path, title: &str, laps: &[(&str, &Telemetry)]) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if laps.is_empty() {
        return Err(perr(&"no laps to draw"));
    }
    let (w, h) = SIZE;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 30).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let (upper, lower) = root.split_vertically((f64::from(h) * 0.62) as u32);
        let len = laps[0].1.summary.length_m;
        let v_top = laps
            .iter()
            .flat_map(|l| l.1.v_mps.iter())
            .fold(0.0_f64, |m, &v| m.max(v))
            * 3.6;
        let v_max = ((v_top / 20.0).ceil() * 20.0).max(40.0);
        let mut c = ChartBuilder::on(&upper)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..len, 0.0..v_max)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (0.0, len),
            (0.0, v_max),
        );
        c.configure_mesh()
            .x_desc(format!(
                "distance along the lap, scaled to {:.0} m (m)",
                len
            ))
            .y_desc("speed v (km/h)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        for (k, (name, t)) in laps.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let scale = len / t.summary.length_m;
            let stride = (t.len() / (2 * w as usize)).max(1);
            c.draw_series(LineSeries::new(
                (0..t.len())
                    .step_by(stride)
                    .map(|i| (t.s_m[i] * scale, t.v_mps[i] * 3.6)),
                colour.stroke_width(2),
            ))
            .map_err(|e| perr(&e))?
            .label(format!(
                "{name}  {}",
                format_lap_time(t.summary.lap.lap_time_s)
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 25, y)], colour.stroke_width(3))
            });
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 20))
            .draw()
            .map_err(|e| perr(&e))?;
        // Delta panel: time behind the first lap at the same fraction of the lap.
        let steps = 800;
        let deltas: Vec<Vec<(f64, f64)>> = laps
            .iter()
            .map(|(_, t)| {
                (0..=steps)
                    .map(|k| {
                        let f = k as f64 / steps as f64;
                        (
                            f * len,
                            time_at_fraction(t, f) - time_at_fraction(laps[0].1, f),
                        )
                    })
                    .collect()
            })
            .collect();
        let (dmin, dmax) = deltas
            .iter()
            .flatten()
            .fold((0.0_f64, 0.0_f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let pad = ((dmax - dmin) * 0.1).max(0.05);
        let mut c2 = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..len, (dmin - pad)..(dmax + pad))
            .map_err(|e| perr(&e))?;
        c2.configure_mesh()
            .x_desc("distance (m)")
            .y_desc("time behind the first lap (s)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        for (k, d) in deltas.iter().enumerate() {
            c2.draw_series(LineSeries::new(
                d.iter().copied(),
                PALETTE[k % PALETTE.len()].stroke_width(2),
            ))
            .map_err(|e| perr(&e))?;
        }
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}

/// The GG diagram of a lap: its longitudinal against lateral accelerations (one dot per metre, coloured by
/// speed) over the envelope of the car at 80, 120, 160 and 200 km/h (traction above, braking below; the
/// envelope is the tyres' limit, so engine-limited acceleration sits inside it at speed). Returns the map.
pub fn gg_diagram(path: &Path, title: &str, t: &Telemetry, env: &Envelope) -> Result<PanelMap> {
    register_fonts();
    let perr = |e: &dyn std::fmt::Display| Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let (w, h) = (1200, 1100);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let map;
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(&e))?;
        let root = root
            .titled(title, (FONT, 28).into_font().style(FontStyle::Bold))
            .map_err(|e| perr(&e))?;
        let g = crate::vehicle::G_MPS2;
        let speeds = [80.0, 120.0, 160.0, 200.0];
        let lim = speeds
            .iter()
            .map(|v| {
                let n = env.at(v / 3.6);
                n.ay_max_mps2.max(n.ax_brake_mps2)
            })
            .fold(0.0_f64, f64::max)
            .max(
                t.ax_mps2
                    .iter()
                    .chain(&t.ay_mps2)
                    .fold(0.0_f64, |m, a| m.max(a.abs())),
            )
            / g
            * 1.1;
        let mut c = ChartBuilder::on(&root)
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(-lim..lim, -lim..lim)
            .map_err(|e| perr(&e))?;
        map = PanelMap::of(
            &c.plotting_area().strip_coord_spec(),
            (-lim, lim),
            (-lim, lim),
        );
        c.configure_mesh()
            .x_desc("lateral acceleration a_y (g)")
            .y_desc("longitudinal acceleration a_x (g)")
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style((FONT, 20))
            .axis_desc_style((FONT, 22))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| perr(&e))?;
        for (k, v) in speeds.iter().enumerate() {
            let n = env.at(v / 3.6);
            let colour = PALETTE[(k + 1) % PALETTE.len()];
            let pts: Vec<(f64, f64)> = (0..=360)
                .map(|d| {
                    let a = (d as f64).to_radians();
                    let (sx, sy) = (a.cos(), a.sin());
                    let ax = if sy >= 0.0 {
                        n.ax_traction_mps2
                    } else {
                        n.ax_brake_mps2
                    };
                    (n.ay_max_mps2 * sx / g, ax * sy / g)
                })
                .collect();
            c.draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(|e| perr(&e))?
                .label(format!("tyre limit at {v:.0} km/h"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 25, y)], colour.stroke_width(3))
                });
        }
        let (vmin, vmax) = t
            .v_mps
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        c.draw_series((0..t.len()).map(|i| {
            Circle::new(
                (t.ay_mps2[i] / g, t.ax_mps2[i] / g),
                2,
                super::ramp((t.v_mps[i] - vmin) / (vmax - vmin).max(1e-9)).filled(),
            )
        }))
        .map_err(|e| perr(&e))?;
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 18))
            .draw()
            .map_err(|e| perr(&e))?;
        root.present().map_err(|e| perr(&e))?;
    }
    save_png(path, &buf, w, h)?;
    Ok(map)
}
