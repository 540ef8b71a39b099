//! Field benchmarks: full qualifying (both parts, 40 cars) and the 40-car 22-lap race on the weekend's line.
//! Run with `RAYON_NUM_THREADS=1` and `=2` to see the speed-up across cores. The 1,000-race Monte Carlo takes
//! about ten minutes (ten samples); skip it with `cargo bench --bench field -- field/`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use lapsim::field::Field;
use lapsim::line::{path_track, LineOptions, LinePath};
use lapsim::session::qualifying::qualifying;
use lapsim::session::race::race;
use lapsim::session::{LapKind, LapOracle, LapRequest, QssOracle};
use lapsim::track::{Centerline, TrackOptions};
use lapsim::vehicle::Car;
use rayon::prelude::*;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn bench_field(c: &mut Criterion) {
    let field = Field::from_file(&path("cars/carrera_cup_2007_oschersleben.toml")).unwrap();
    let car = Car::from_file(&field.car_path).unwrap();
    let centerline = Centerline::from_file(&path("tracks/oschersleben.csv")).unwrap();
    let (track, _) = path_track(
        &centerline,
        &LinePath::MinimumTime(LineOptions::default()),
        &car,
        TrackOptions::default(),
    )
    .unwrap();
    let (qf, rf) = (field.qualifying, field.race);
    let oracle = QssOracle::new(car, track);
    let grid: Vec<usize> = qualifying(&field, &oracle, &qf, 2007, 0)
        .unwrap()
        .grid
        .iter()
        .map(|g| g.entry)
        .collect();
    // Warm the oracle's fuel-load cache for the race.
    race(&field, &oracle, &rf, &grid, 2007, 0).unwrap();
    let mut g = c.benchmark_group("field");
    // One driver's flying lap through the oracle (shares applied, corner limits from the fuel load's table,
    // fuel burnt), at a fuel node's load (30 kg: the node's own tables).
    let request = LapRequest {
        grip_share: 0.97,
        traction_share: 0.96,
        brake_share: 0.95,
        fuel_kg: 30.0,
        kind: LapKind::Flying,
        slip: None,
    };
    g.bench_function("oracle_flying_lap", |b| {
        b.iter(|| oracle.lap(std::hint::black_box(&request)).unwrap())
    });
    // The same lap at a load between two of the oracle's fuel nodes (1 kg apart): it pays for the tables
    // interpolated to its load, as nearly every lap of a session does.
    let between = LapRequest {
        fuel_kg: 30.3,
        ..request
    };
    oracle.lap(&between).unwrap();
    g.bench_function("oracle_flying_lap_between_fuel_nodes", |b| {
        b.iter(|| oracle.lap(std::hint::black_box(&between)).unwrap())
    });
    let grid_request = LapRequest {
        kind: LapKind::Grid { behind_m: 160.0 },
        ..request
    };
    g.bench_function("oracle_grid_lap", |b| {
        b.iter(|| oracle.lap(std::hint::black_box(&grid_request)).unwrap())
    });
    // The 40 drivers of the field, one flying lap each at their skill shares, spread over the threads.
    let requests: Vec<LapRequest> = field
        .entries
        .iter()
        .map(|e| LapRequest {
            grip_share: e.skill.grip_share,
            traction_share: e.skill.traction_share,
            brake_share: e.skill.brake_share,
            ..request
        })
        .collect();
    g.bench_function("field_40_drivers_one_lap", |b| {
        b.iter(|| {
            requests
                .par_iter()
                .map(|r| oracle.lap(r).map(|o| o.time_s))
                .collect::<lapsim::Result<Vec<f64>>>()
                .unwrap()
        })
    });
    g.sample_size(10);
    let mut run = 0;
    g.bench_function("qualifying_40_cars", |b| {
        b.iter(|| {
            run += 1;
            qualifying(&field, &oracle, &qf, 2007, run).unwrap()
        })
    });
    g.bench_function("race_40_cars_22_laps", |b| {
        b.iter(|| {
            run += 1;
            race(&field, &oracle, &rf, &grid, 2007, run).unwrap()
        })
    });
    g.finish();
    // 1,000 Monte Carlo races from the seed-2007 grid, the runs spread over the threads as `lapsim race
    // --runs` spreads them (each run's drivers in parallel too). About a minute per sample: the smallest
    // sample criterion takes (10), and a short warm-up.
    let mut mc = c.benchmark_group("monte_carlo");
    mc.sample_size(10);
    mc.warm_up_time(std::time::Duration::from_millis(1));
    mc.measurement_time(std::time::Duration::from_secs(1));
    mc.bench_function("races_1000", |b| {
        b.iter(|| {
            run += 1;
            let base = run * 1000;
            (0..1000u64)
                .into_par_iter()
                .map(|k| {
                    race(&field, &oracle, &rf, &grid, 2007, base + k)
                        .map(|r| r.classification[0].entry)
                })
                .collect::<lapsim::Result<Vec<usize>>>()
                .unwrap()
        })
    });
    mc.finish();
}

criterion_group!(benches, bench_field);
criterion_main!(benches);
