//! Charts: each exists, has its size, is not blank inside its plot area, and puts known values where they
//! belong.

mod common;

use common::*;
use lapsim::app::plot::{self, PanelMap};
use lapsim::solver::{LapSolver, Start, Telemetry};
use lapsim::vehicle::Envelope;

fn lap(step_m: f64) -> (Telemetry, lapsim::track::Track, Envelope) {
    let track = oschersleben(step_m);
    let env = Envelope::new(&gt3_cup());
    let tel = {
        let mut s = LapSolver::new(&track, &env);
        s.solve(Start::Flying).unwrap();
        s.telemetry().unwrap()
    };
    (tel, track, env)
}

fn load(path: &std::path::Path) -> image::RgbImage {
    image::open(path).unwrap().to_rgb8()
}

/// Share of non-white pixels inside the panel.
fn ink(img: &image::RgbImage, m: &PanelMap) -> f64 {
    let (mut inked, mut all) = (0usize, 0usize);
    for y in m.px_y.0..=m.px_y.1 {
        for x in m.px_x.0..=m.px_x.1 {
            let p = img.get_pixel(x as u32, y as u32);
            all += 1;
            if p.0 != [255, 255, 255] {
                inked += 1;
            }
        }
    }
    inked as f64 / all as f64
}

/// Whether a pixel near `(x, y)` (within 2 px) has the colour `c` (within 40 per channel).
fn has_colour_near(img: &image::RgbImage, (x, y): (i32, i32), c: [u8; 3]) -> bool {
    (-2..=2).any(|dx| {
        (-2..=2).any(|dy| {
            let p = img.get_pixel((x + dx) as u32, (y + dy) as u32).0;
            p.iter()
                .zip(c)
                .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 40)
        })
    })
}

#[test]
fn speed_trace_has_its_size_ink_and_puts_speeds_where_they_belong() {
    let (tel, _, _) = lap(2.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speed.png");
    let map = plot::speed_trace(&path, "test", &tel).unwrap();
    let img = load(&path);
    assert_eq!(img.dimensions(), plot::SPEED_TRACE_SIZE);
    let ink = ink(&img, &map);
    assert!(ink > 0.02 && ink < 0.6, "ink {ink}");
    // The trace (red, 200/30/30) passes through the mapped pixel of known samples.
    let mut hits = 0;
    for i in (0..tel.len()).step_by(97) {
        if has_colour_near(
            &img,
            map.pixel(tel.s_m[i], tel.v_mps[i] * 3.6),
            [200, 30, 30],
        ) {
            hits += 1;
        }
    }
    let tried = (0..tel.len()).step_by(97).count();
    assert!(
        hits * 10 >= tried * 9,
        "{hits} of {tried} samples on the trace"
    );
    // And not where the trace is not: 30 km/h below every sample is never the trace colour at most points.
    let misses = (0..tel.len())
        .step_by(97)
        .filter(|&i| {
            !has_colour_near(
                &img,
                map.pixel(tel.s_m[i], tel.v_mps[i] * 3.6 - 30.0),
                [200, 30, 30],
            )
        })
        .count();
    assert!(misses * 10 >= tried * 8, "{misses} of {tried}");
}

#[test]
fn track_map_overlay_and_gg_exist_with_ink() {
    let (tel, track, env) = lap(2.0);
    let dir = tempfile::tempdir().unwrap();
    let map_path = dir.path().join("map.png");
    plot::track_map(&map_path, "test", &track, &tel).unwrap();
    assert_eq!(load(&map_path).dimensions(), plot::TRACK_MAP_SIZE);
    let over = dir.path().join("overlay.png");
    let m = plot::laps::lap_overlay(&over, "test", &[("a", &tel), ("b", &tel)]).unwrap();
    let img = load(&over);
    assert_eq!(img.dimensions(), plot::laps::SIZE);
    assert!(ink(&img, &m) > 0.02);
    let gg = dir.path().join("gg.png");
    let m = plot::laps::gg_diagram(&gg, "test", &tel, &env).unwrap();
    let img = load(&gg);
    assert!(ink(&img, &m) > 0.02);
    // The origin of the GG diagram is at the centre of its panel.
    let (x, y) = m.pixel(0.0, 0.0);
    assert!(
        (x - (m.px_x.0 + m.px_x.1) / 2).abs() <= 1 && (y - (m.px_y.0 + m.px_y.1) / 2).abs() <= 1
    );
}

/// `lapsim weekend` (what plain `lapsim` does) runs the shipped event end to end: every chart, the tables
/// and weekend.md, whose embedded images all exist and are not blank.
#[test]
fn weekend_writes_every_chart_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lapsim"))
        .args(["weekend", "--seed", "11", "--out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("qualifying") && stderr.contains("race"),
        "progress messages: {stderr}"
    );
    let md = std::fs::read_to_string(dir.path().join("weekend.md")).unwrap();
    assert!(
        md.contains("--seed 11")
            && md.contains("## Qualifying grid")
            && md.contains("## Race result")
    );
    let images: Vec<&str> = md
        .lines()
        .filter_map(|l| {
            l.strip_prefix("![")
                .and_then(|r| r.split_once("]("))
                .map(|(_, p)| p.trim_end_matches(')'))
        })
        .collect();
    assert_eq!(images.len(), 7, "{images:?}");
    for name in images {
        let img = load(&dir.path().join(name));
        let (w, h) = img.dimensions();
        assert!(w >= 1000 && h >= 800, "{name}: {w}×{h}");
        let coloured = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
        assert!(coloured * 50 > (w * h) as usize, "{name} is nearly blank");
    }
}

/// The 2-D sweep chart: its size, ink in the panel, the fastest and slowest cells in the colour bar's end
/// colours at the pixels of their values, and the base car's red cross where its values are. Contours of
/// a plane `z = x` at 0.5 are the vertical line x = 0.5.
#[test]
fn sweep_heat_map_puts_laps_where_they_belong() {
    // lap = 90 + (x − 3.4)² + 0.5 (y − 1100)² / 100², on an uneven x grid.
    let xs = [3.0, 3.2, 3.3, 3.4, 3.6, 3.9];
    let ys: Vec<f64> = (0..5).map(|k| 1000.0 + 50.0 * k as f64).collect();
    let lap = |x: f64, y: f64| 90.0 + (x - 3.4).powi(2) + 0.5 * ((y - 1100.0) / 100.0).powi(2);
    let laps: Vec<Vec<f64>> = xs
        .iter()
        .map(|&x| ys.iter().map(|&y| lap(x, y)).collect())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let map = plot::study::sweep_2d(
        &path,
        "test grid",
        ("driveline.final_drive_ratio", "mass.car_kg"),
        &xs,
        &ys,
        &laps,
        Some((3.44, 1150.0, lap(3.44, 1150.0))),
    )
    .unwrap();
    let img = load(&path);
    assert_eq!(img.dimensions(), (1600, 1000));
    assert!(ink(&img, &map) > 0.9, "the cells fill the panel");
    // Fastest cell (3.4, 1100) and slowest (3.9, 1000): away from contour lines and the legend.
    let (t0, t1) = (lap(3.4, 1100.0), lap(3.9, 1000.0));
    for (x, y, share) in [(3.4, 1100.0, 0.0), (3.9, 1000.0, 1.0)] {
        let c = plot::study::heat_colour(share);
        let px = map.pixel(x, y);
        assert!(
            has_colour_near(&img, px, [c.0, c.1, c.2]),
            "({x}, {y}) at {px:?} should be {c:?} (lap {:.3} of {t0:.3}..{t1:.3})",
            lap(x, y)
        );
    }
    assert!(has_colour_near(
        &img,
        map.pixel(3.44, 1150.0),
        [220, 30, 30]
    ));
    let segs = plot::study::contour_segments(
        &[0.0, 1.0, 2.0],
        &[0.0, 1.0],
        &[vec![0.0, 0.0], vec![1.0, 1.0], vec![2.0, 2.0]],
        0.5,
    );
    assert_eq!(segs.len(), 1);
    let ((ax, _), (bx, _)) = segs[0];
    assert!((ax - 0.5).abs() < 1e-12 && (bx - 0.5).abs() < 1e-12);
}
