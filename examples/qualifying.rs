//! Qualifying of the shipped 40-car field at Oschersleben on the minimum-curvature line, with the engine
//! alone (no command line, no charts): `cargo run --release --example qualifying`.

use lapsim::field::Field;
use lapsim::laptime::format_lap_time;
use lapsim::line::{path_track, LineOptions, LinePath};
use lapsim::session::qualifying::qualifying;
use lapsim::session::QssOracle;
use lapsim::track::{Centerline, TrackOptions};
use lapsim::vehicle::Car;

fn main() -> lapsim::Result<()> {
    let field = Field::from_file("cars/carrera_cup_2007_oschersleben.toml".as_ref())?;
    let car = Car::from_file(&field.car_path)?;
    let centreline = Centerline::from_file("tracks/oschersleben.csv".as_ref())?;
    let path = LinePath::MinimumCurvature(LineOptions::default());
    let (track, _) = path_track(&centreline, &path, &car, TrackOptions::default())?;
    let oracle = QssOracle::new(car, track);
    let result = qualifying(&field, &oracle, &field.qualifying, 2007, 0)?;
    println!("{}: qualifying, seed 2007", field.event);
    for g in result.grid.iter().take(10) {
        println!(
            "{:>3}  #{:<3} {:<22} {}  {:+.3}",
            g.position,
            g.number,
            g.name,
            format_lap_time(g.best_s),
            g.gap_to_pole_s
        );
    }
    Ok(())
}
