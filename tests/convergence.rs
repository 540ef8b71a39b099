//! Convergence and geometry quality on the real circuit.

mod common;

use common::*;
use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::Envelope;

fn lap_time(step_m: f64) -> f64 {
    let track = oschersleben(step_m);
    let env = Envelope::new(&gt3_cup());
    LapSolver::new(&track, &env)
        .solve(Start::Flying)
        .unwrap()
        .lap_time_s
}

/// Halving the step from 1 m to 0.5 m changes the Oschersleben lap by less than 0.05 %: the smoother's
/// cutoff is a wavelength in metres, so the geometry does not change with the step, and Heun's method is
/// second order in the step.
#[test]
fn oschersleben_lap_converges_as_the_step_halves() {
    let (t1, t05) = (lap_time(1.0), lap_time(0.5));
    let rel = (t1 - t05).abs() / t05;
    println!(
        "lap at 1 m: {t1:.4} s, at 0.5 m: {t05:.4} s, change {:.4} %",
        rel * 100.0
    );
    assert!(
        rel < 5e-4,
        "1 m: {t1:.4} s, 0.5 m: {t05:.4} s ({:.4} %)",
        rel * 100.0
    );
    // And a coarse step is visibly worse, so the test can tell convergence from insensitivity.
    let t4 = lap_time(4.0);
    assert!((t4 - t05).abs() > (t1 - t05).abs(), "4 m: {t4:.4} s");
}

/// The smoothed curvature is smooth (no vertex spikes) while the loop length stays within 0.2 % of the
/// surveyed polyline. Without smoothing, finite differences on the 1 m resampling of a 5 m polyline put all
/// the turning into the vertices: curvature jumps by orders of magnitude more from one metre to the next.
#[test]
fn smoothed_curvature_is_smooth_and_length_is_kept() {
    let c = Centerline::from_file(&project_path("tracks/oschersleben.csv")).unwrap();
    let smooth = Track::new(&c, TrackOptions::default()).unwrap();
    let raw = Track::new(
        &c,
        TrackOptions {
            smoothing_wavelength_m: 0.0,
            ..TrackOptions::default()
        },
    )
    .unwrap();
    let rel_len = (smooth.length_m() - c.polyline_length_m()).abs() / c.polyline_length_m();
    assert!(
        rel_len < 2e-3,
        "length {:.2} m vs polyline {:.2} m",
        smooth.length_m(),
        c.polyline_length_m()
    );

    let max_jump = |t: &Track| {
        let k = t.curvature_1pm();
        (0..k.len())
            .map(|i| (k[(i + 1) % k.len()] - k[i]).abs() / t.step_m())
            .fold(0.0, f64::max)
    };
    let (js, jr) = (max_jump(&smooth), max_jump(&raw));
    println!("max |dκ/ds|: smoothed {js:.2e} 1/m², raw {jr:.2e} 1/m²");
    // A hairpin of radius 12 m entered over a 10 m transition: dκ/ds ≈ (1/12)/10 ≈ 8e-3 1/m². The smoothed
    // track must stay within a few times that; the raw one exceeds it by far.
    assert!(
        js < 0.02,
        "smoothed curvature jumps by {js:.3e} 1/m² per metre"
    );
    assert!(jr > 10.0 * js, "raw {jr:.3e} vs smoothed {js:.3e}");
    // The tightest corner keeps a plausible radius (Oschersleben's hairpins are ~12–20 m on the centreline).
    let kmax = smooth
        .curvature_1pm()
        .iter()
        .map(|k| k.abs())
        .fold(0.0, f64::max);
    assert!(
        (1.0 / kmax) > 8.0 && (1.0 / kmax) < 30.0,
        "tightest radius {:.1} m",
        1.0 / kmax
    );
}

/// Every shipped circuit loads, builds and laps; the clockwise ones turn −2π.
#[test]
fn every_shipped_circuit_laps() {
    let env = Envelope::new(&gt3_cup());
    for name in ["oschersleben", "hockenheim", "norisring"] {
        let c = Centerline::from_file(&project_path(&format!("tracks/{name}.csv"))).unwrap();
        let turns = c.total_turning_rad() / std::f64::consts::TAU;
        assert!((turns.abs() - 1.0).abs() < 1e-6, "{name}: {turns} turns");
        let t = Track::new(&c, TrackOptions::default()).unwrap();
        let lap = LapSolver::new(&t, &env).solve(Start::Flying).unwrap();
        let v_mean_kmh = t.length_m() / lap.lap_time_s * 3.6;
        println!(
            "{name}: {:.1} m, lap {:.3} s, mean {v_mean_kmh:.1} km/h",
            t.length_m(),
            lap.lap_time_s
        );
        // A GT3 Cup car on any of these circuits averages between 100 and 200 km/h.
        assert!(
            (100.0..200.0).contains(&v_mean_kmh),
            "{name}: mean {v_mean_kmh:.1} km/h"
        );
    }
}
