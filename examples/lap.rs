//! One flying lap of the GT3 Cup at Oschersleben on the centreline, from the files, with the engine alone:
//! `cargo run --release --example lap` (builds with `--no-default-features` too).

use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Car, Envelope};

fn main() -> lapsim::Result<()> {
    let car = Car::from_file("cars/porsche_997_gt3_cup.toml".as_ref())?;
    let centreline = Centerline::from_file("tracks/oschersleben.csv".as_ref())?;
    let track = Track::new(&centreline, TrackOptions::default())?;
    let envelope = Envelope::new(&car);
    let mut solver = LapSolver::new(&track, &envelope);
    let lap = solver.solve(Start::Flying)?;
    let top = solver.speeds_mps().iter().copied().fold(0.0, f64::max);
    println!(
        "{} on {} (centreline): {}, top speed {:.1} km/h",
        car.params().name,
        track.name(),
        lapsim::laptime::format_lap_time(lap.lap_time_s),
        top * 3.6
    );
    Ok(())
}
