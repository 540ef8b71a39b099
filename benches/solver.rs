//! Solver benchmarks: one flying Oschersleben lap at the default step on a prepared track and car (the hot
//! loop), and the preparation steps around it.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use lapsim::line::{path_track, LineOptions, LinePath, RacingLine, Reference};
use lapsim::solver::{LapSolver, Start};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Car, Envelope};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn bench_solver(c: &mut Criterion) {
    let car = Car::from_file(&path("cars/porsche_997_gt3_cup.toml")).unwrap();
    let centerline = Centerline::from_file(&path("tracks/oschersleben.csv")).unwrap();
    let track = Track::new(&centerline, TrackOptions::default()).unwrap();
    let env = Envelope::new(&car);

    let mut solver = LapSolver::new(&track, &env);
    c.bench_function("flying_lap_oschersleben", |b| {
        b.iter(|| solver.solve(std::hint::black_box(Start::Flying)).unwrap())
    });
    c.bench_function("flying_lap_oschersleben_sequential_reference", |b| {
        b.iter(|| {
            solver
                .solve_reference(std::hint::black_box(Start::Flying))
                .unwrap()
        })
    });
    c.bench_function("standing_lap_oschersleben", |b| {
        b.iter(|| solver.solve(std::hint::black_box(Start::Standing)).unwrap())
    });
    c.bench_function("corner_limits_oschersleben", |b| {
        b.iter(|| LapSolver::new(std::hint::black_box(&track), &env))
    });
    c.bench_function("envelope_table_gt3_cup", |b| {
        b.iter(|| Envelope::new(std::hint::black_box(&car)))
    });
    let width = car.params().chassis.width_m;
    let reference = Reference::new(
        &centerline,
        TrackOptions::default(),
        LineOptions::default().grid_step_m,
        0.5 * width + LineOptions::default().margin_m,
    )
    .unwrap();
    c.bench_function("racing_line_oschersleben_2m_grid", |b| {
        b.iter(|| {
            RacingLine::minimum_curvature(
                std::hint::black_box(&reference),
                width,
                &LineOptions::default(),
            )
            .unwrap()
        })
    });
    // The default line (`--line optimal`): the minimum-time search, about 37 lines each lapped (target ≤ 1 s).
    let mut group = c.benchmark_group("minimum_time_line");
    group.sample_size(10);
    group.bench_function("oschersleben_default", |b| {
        b.iter(|| {
            path_track(
                std::hint::black_box(&centerline),
                &LinePath::MinimumTime(LineOptions::default()),
                &car,
                TrackOptions::default(),
            )
            .unwrap()
        })
    });
    group.finish();
    c.bench_function("track_preparation_oschersleben", |b| {
        b.iter(|| Track::new(std::hint::black_box(&centerline), TrackOptions::default()).unwrap())
    });
}

criterion_group!(benches, bench_solver);
criterion_main!(benches);
