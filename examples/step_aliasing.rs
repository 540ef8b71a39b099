//! Where the solver's step error comes from when the step grows (issue 14's diagnosis): the Oschersleben lap
//! on the minimum-curvature line (a path that does not depend on the step) for 41 cars whose lateral grip
//! falls in steps of 0.1 %, at 1, 1.25, 1.4 (the default), 1.5 and 2 m against 0.25 m, for the car as shipped, without the upshift's
//! loss of drive, and with one gear only. The spread of the error over the samples is the aliasing: an event
//! whose place between two points moves with the car (a shift, a gear change, a braking point) gives an error
//! that depends on that place, and it does not average out over a lap.
//!
//! `cargo run --release --example step_aliasing` (builds with `--no-default-features` too).

use lapsim::line::{path_track, LineOptions, LinePath};
use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Car, CarParams, Envelope};

/// Relative step of the lateral grip between samples, and the number of samples.
const GRIP_STEP: f64 = 1e-3;
const SAMPLES: usize = 41;

fn main() -> lapsim::Result<()> {
    let shipped = Car::from_file("cars/porsche_997_gt3_cup.toml".as_ref())?;
    let centreline = Centerline::from_file("tracks/oschersleben.csv".as_ref())?;
    let line = LinePath::MinimumCurvature(LineOptions::default());
    let tracks: Vec<(f64, Track)> = [0.25, 1.0, 1.25, 1.4, 1.5, 2.0]
        .into_iter()
        .map(|step_m| {
            let options = TrackOptions {
                step_m,
                ..TrackOptions::default()
            };
            path_track(&centreline, &line, &shipped, options).map(|(t, _)| (step_m, t))
        })
        .collect::<lapsim::Result<_>>()?;
    type Variant = (&'static str, fn(&mut CarParams));
    let variants: [Variant; 3] = [
        ("as shipped", |_| {}),
        ("no drive loss in an upshift", |p| {
            p.driveline.shift_time_s = 0.0
        }),
        ("one gear (3rd), no shifts", |p| {
            p.driveline.shift_time_s = 0.0;
            p.driveline.gear_ratios = vec![p.driveline.gear_ratios[2]];
        }),
    ];
    println!(
        "Oschersleben, minimum-curvature line: lap at 1–2 m minus the lap at 0.25 m (ms), over {SAMPLES} \
         cars with the lateral grip scaled by 1 − {GRIP_STEP}·k"
    );
    println!("| car | step | mean | least | largest | spread |");
    println!("|---|---|---|---|---|---|");
    for (name, edit) in variants {
        let mut laps = vec![Vec::with_capacity(SAMPLES); tracks.len()];
        for k in 0..SAMPLES {
            let mut p = shipped.params().clone();
            edit(&mut p);
            p.tyres.mu_lateral_ratio *= 1.0 - GRIP_STEP * k as f64;
            let env = Envelope::new(&Car::new(p, name)?);
            for ((_, track), l) in tracks.iter().zip(&mut laps) {
                l.push(LapSolver::new(track, &env).solve(Start::Flying)?.lap_time_s);
            }
        }
        for ((step_m, _), l) in tracks.iter().zip(&laps).skip(1) {
            let e: Vec<f64> = l.iter().zip(&laps[0]).map(|(a, b)| (a - b) * 1e3).collect();
            let mean = e.iter().sum::<f64>() / e.len() as f64;
            let lo = e.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            println!(
                "| {name} | {step_m} m | {mean:+.2} | {lo:+.2} | {hi:+.2} | {:.2} |",
                hi - lo
            );
        }
    }
    Ok(())
}
