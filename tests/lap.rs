//! Properties of a solved lap: periodicity, telemetry consistency, the envelope, gradient, standing start.

mod common;

use common::*;
use lapsim::solver::{
    CornerTable, LapSolver, LogCurvature, Start, Tables, Workspace, PERIODIC_TOLERANCE_MPS,
};
use lapsim::track::{Centerline, Track, TrackOptions};
use lapsim::vehicle::{Envelope, Shares, G_MPS2};

/// A flying lap is periodic: the solver's own residual is below its tolerance, and a standing lap — a car
/// that starts from rest and then keeps going — crosses the line at the end at the flying lap's line speed
/// within 0.01 m/s (its second lap is the flying lap).
#[test]
fn flying_lap_is_periodic() {
    let track = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut solver = LapSolver::new(&track, &env);
    let lap = solver.solve(Start::Flying).unwrap();
    assert!(lap.periodicity_residual_mps < PERIODIC_TOLERANCE_MPS);
    // The line speed agrees with a standing lap's finishing speed (the second lap of a race is flying).
    let standing = solver.solve(Start::Standing).unwrap();
    assert!(
        (standing.v_end_mps - lap.v_start_mps).abs() < 0.01,
        "standing lap ends at {:.4} m/s, flying lap crosses at {:.4} m/s",
        standing.v_end_mps,
        lap.v_start_mps
    );
    assert!(
        standing.lap_time_s > lap.lap_time_s + 1.0,
        "a standing start costs more than a second"
    );
}

/// The telemetry's times add up to the lap time; each segment's time is the chord `2 ds / (v_i + v_j)` except
/// across the located apexes the lap follows (`solver::apex`: there the time along the braking and traction
/// curves through the apex, a fraction of a millisecond from the chord), its located braking points
/// (`solver::brake_point`: the two pieces either side of the speed's peak), and the cells timed through the
/// points the pass computed inside them (`solver::kink`: the sub-stepped cells either side of an apex's, and an
/// upshift's coast starting or ending); sectors add up; the acceleration at
/// every point stays inside the friction ellipse of the envelope at that speed (1 % allowance: telemetry `ax`
/// is the mean over a 1 m segment whose ends are each inside their own envelope, Heun averaging two stages).
#[test]
fn telemetry_is_consistent_and_inside_the_envelope() {
    let track = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut solver = LapSolver::new(&track, &env);
    let lap = solver.solve(Start::Flying).unwrap();
    let tel = solver.telemetry().unwrap();
    let n = tel.len();
    let ds = track.step_m();
    let chord = |i: usize| 2.0 * ds / (tel.v_mps[i] + tel.v_mps[(i + 1) % n]);
    let last = tel.t_s[n - 1] + chord(n - 1);
    assert!((last - lap.lap_time_s).abs() < 1e-9);
    let off_chord: Vec<(usize, f64)> = (0..n - 1)
        .map(|i| (i, tel.t_s[i + 1] - tel.t_s[i] - chord(i)))
        .filter(|(_, d)| d.abs() > 1e-12)
        .collect();
    let total: f64 = off_chord.iter().map(|(_, d)| d).sum();
    println!(
        "{} cells off the chord (located apexes, the cells next to them, braking points, upshifts), {:+.3} ms in total",
        off_chord.len(),
        total * 1e3
    );
    let apexes = off_chord
        .iter()
        .filter(|(i, _)| track.apexes().iter().any(|a| a.point_before(n) == *i))
        .count();
    assert!(apexes > 0 && apexes <= track.apexes().len());
    for (i, d) in &off_chord {
        let at_apex = track.apexes().iter().any(|a| a.point_before(n) == *i);
        let next_to_apex = track.apexes().iter().any(|a| {
            let p = a.point_before(n);
            (p + n - 1) % n == *i || (p + 1) % n == *i
        });
        // An upshift's coast starts in the cell whose gear is below the next one's and lasts the shift time
        // (0.1 s: up to 6 m at the top speed).
        let near_upshift = (i.saturating_sub(8)..=*i).any(|k| tel.gear[(k + 1) % n] > tel.gear[k]);
        if next_to_apex || near_upshift {
            // Timed through the points the pass computed inside the cell (`solver::kink`): the sub-steps next
            // to an apex, where the profile bends; the coast's start (the chord slow) and end (fast).
            assert!(d.abs() < 2e-4, "cell {i}: {d:+e} s off the chord");
        } else if at_apex {
            // Along the two curves the speed dips to the apex's between the points: never faster than the
            // chord.
            assert!(
                *d >= 0.0 && *d < 2e-4,
                "apex cell {i}: {d:+e} s off the chord"
            );
        } else {
            // A braking point: the speed peaks between the points, where the car stops accelerating and
            // brakes (the cell before it accelerates, the one after it slows), so faster than the chord.
            let v = &tel.v_mps;
            assert!(
                *d < 0.0 && *d > -5e-4 && v[*i] > v[i - 1] && v[i + 2] < v[i + 1],
                "cell {i}: {d:+e} s off the chord, neither an apex nor a braking point"
            );
        }
    }
    let sectors: f64 = tel.summary.sector_times_s.iter().sum();
    assert!((sectors - lap.lap_time_s).abs() < 1e-9);

    // Each segment accelerates uniformly; Heun's method keeps the mean of the tyre demands at its two ends
    // inside the mean of their envelopes, so the check is made at the segment's midpoint: speed
    // √((v_i² + v_j²)/2), curvature (κ_i + κ_j)/2. (Checked at the start point instead, a corner exit with
    // falling curvature overshoots by a few per cent — a first-order artefact of where one looks.)
    let mut worst = 0.0_f64;
    for i in 0..n {
        let j = (i + 1) % n;
        let v = ((tel.v_mps[i].powi(2) + tel.v_mps[j].powi(2)) / 2.0).sqrt();
        let ay = v * v * 0.5 * (tel.curvature_1pm[i] + tel.curvature_1pm[j]);
        let node = env.at(v);
        let load = node.resist_mps2 + G_MPS2 * track.gradient()[i];
        let tyre_x = tel.ax_mps2[i] + load;
        let cap_x = if tyre_x >= 0.0 {
            node.ax_traction_mps2
        } else {
            node.ax_brake_mps2
        };
        let use_ = (tyre_x / cap_x).powi(2) + (ay / node.ay_max_mps2).powi(2);
        worst = worst.max(use_);
        assert!(
            tel.throttle[i] * tel.brake[i] == 0.0,
            "throttle and brake together at {i}"
        );
    }
    println!("largest friction-ellipse use: {worst:.5}");
    assert!(worst <= 1.01, "friction ellipse exceeded: {worst:.4}");
    assert!(worst > 0.95, "the lap never reaches the limit: {worst:.4}");
}

/// A climb costs time and a descent gains it, and the gradient acts as `g sin θ`: on a track with elevation
/// the lap differs from the flat one in the expected direction.
#[test]
fn gradient_from_the_fifth_column_slows_the_climb() {
    // Oschersleben with an artificial 2 % ramp up over the first half and down over the second.
    let text = std::fs::read_to_string(project_path("tracks/oschersleben.csv")).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let n = rows.len();
    let mut with_z = String::from("# x_m,y_m,w_tr_right_m,w_tr_left_m,z_m\n");
    for (i, r) in rows.iter().enumerate() {
        let phase = i as f64 / n as f64;
        let z = if phase < 0.5 { phase } else { 1.0 - phase } * 2.0 * 0.02 * 3692.0 / 2.0;
        with_z += &format!("{r},{z:.4}\n");
    }
    let c = Centerline::from_csv_str("hilly", &with_z).unwrap();
    assert!(c.z_m().is_some());
    let hilly = Track::new(&c, TrackOptions::default()).unwrap();
    assert!(hilly.has_elevation());
    let flat = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut s_h = LapSolver::new(&hilly, &env);
    s_h.solve(Start::Flying).unwrap();
    let mut s_f = LapSolver::new(&flat, &env);
    s_f.solve(Start::Flying).unwrap();
    let th = s_h.telemetry().unwrap();
    let tf = s_f.telemetry().unwrap();
    // First half uphill: slower than flat; second half downhill: faster.
    let half = |t: &lapsim::solver::Telemetry| t.t_s[t.len() / 2];
    assert!(
        half(&th) > half(&tf),
        "uphill half {:.3} vs flat {:.3}",
        half(&th),
        half(&tf)
    );
    let second = |t: &lapsim::solver::Telemetry| t.summary.lap.lap_time_s - half(t);
    assert!(
        second(&th) < second(&tf),
        "downhill half {:.3} vs flat {:.3}",
        second(&th),
        second(&tf)
    );
}

/// The same inputs give bit-identical laps (no hidden state between solves).
#[test]
fn solving_twice_gives_identical_results() {
    let track = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut a = LapSolver::new(&track, &env);
    let l1 = a.solve(Start::Flying).unwrap();
    a.solve(Start::Standing).unwrap();
    let l2 = a.solve(Start::Flying).unwrap();
    assert_eq!(l1.lap_time_s.to_bits(), l2.lap_time_s.to_bits());
}

/// The interleaved chunked passes reproduce the sequential reference bit for bit, on every shipped circuit,
/// flying and standing, with and without an imposed stop, and so do grid starts from three slots.
#[test]
fn chunked_passes_match_the_sequential_reference_exactly() {
    let env = Envelope::new(&gt3_cup());
    for name in ["oschersleben", "hockenheim", "norisring"] {
        let c = Centerline::from_file(&project_path(&format!("tracks/{name}.csv"))).unwrap();
        for step in [0.5, 1.0, 3.0] {
            let t = Track::new(
                &c,
                TrackOptions {
                    step_m: step,
                    ..TrackOptions::default()
                },
            )
            .unwrap();
            let mut fast = LapSolver::new(&t, &env);
            let mut slow = LapSolver::new(&t, &env);
            let mut caps = vec![f64::INFINITY; t.len()];
            caps[t.len() / 3] = 5.0;
            for capped in [false, true] {
                let c = capped.then_some(caps.as_slice());
                fast.set_speed_caps(c).unwrap();
                slow.set_speed_caps(c).unwrap();
                for start in [Start::Flying, Start::Standing] {
                    let a = fast.solve(start).unwrap();
                    let b = slow.solve_reference(start).unwrap();
                    assert_eq!(
                        a.lap_time_s.to_bits(),
                        b.lap_time_s.to_bits(),
                        "{name} {step} m {start:?} caps {capped}"
                    );
                    assert!(fast
                        .speeds_mps()
                        .iter()
                        .zip(slow.speeds_mps())
                        .all(|(x, y)| x.to_bits() == y.to_bits()));
                    // Grid starts from the braking profile of this lap: the pole slot, the back of a grid.
                    if start == Start::Flying {
                        for behind_m in [0.0, 8.0, 312.0] {
                            let g = fast.grid_lap(behind_m, 0.85).unwrap();
                            let r = slow.grid_lap_reference(behind_m, 0.85).unwrap();
                            assert_eq!(
                                g.time_s.to_bits(),
                                r.time_s.to_bits(),
                                "{name} {step} m grid {behind_m} m"
                            );
                            assert_eq!(g.engine_work_j.to_bits(), r.engine_work_j.to_bits());
                        }
                    }
                }
            }
        }
    }
}

/// A stop (a speed cap of 0) at any point next to a located apex, whose cells the passes sub-step and time
/// through their middle (`solver::kink`), gives a finite lap, the same in the chunked and the sequential
/// solver; so does a grid slot there. (Simpson's rule alone divided by the speed 0 at the cell's end.)
#[test]
fn a_stop_next_to_an_apex_is_a_finite_lap() {
    let t = oschersleben(TrackOptions::default().step_m);
    let env = Envelope::new(&gt3_cup());
    let n = t.len();
    let mut checked = 0;
    for a in t.apexes().iter().take(6) {
        let p = a.point_before(n);
        for q in [p + n - 1, p, p + 1, p + 2] {
            let q = q % n;
            let mut fast = LapSolver::new(&t, &env);
            let mut slow = LapSolver::new(&t, &env);
            fast.cap_speed_at(q, 0.0).unwrap();
            slow.cap_speed_at(q, 0.0).unwrap();
            let x = fast.solve(Start::Flying).unwrap().lap_time_s;
            let y = slow.solve_reference(Start::Flying).unwrap().lap_time_s;
            assert!(x.is_finite() && x > 80.0, "cap at {q}: {x}");
            assert_eq!(x.to_bits(), y.to_bits(), "cap at {q}");
            checked += 1;
        }
        // A grid slot on the point after the apex (the car starts from rest in a sub-stepped cell).
        let behind_m = t.length_m() - ((p + 1) % n) as f64 * t.step_m();
        let mut s = LapSolver::new(&t, &env);
        let g = s.grid_lap(behind_m, 0.85).unwrap();
        assert!(g.time_s.is_finite(), "grid slot at {}", (p + 1) % n);
    }
    assert!(checked >= 12);
}

/// A shipped circuit with a sinusoidal elevation profile (`periods` waves of `amplitude_m` over the lap).
fn hilly(name: &str, amplitude_m: f64, periods: f64, step_m: f64) -> Track {
    let text = std::fs::read_to_string(project_path(&format!("tracks/{name}.csv"))).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let mut csv = String::from("# x_m,y_m,w_tr_right_m,w_tr_left_m,z_m\n");
    for (i, row) in rows.iter().enumerate() {
        let phase = std::f64::consts::TAU * periods * i as f64 / rows.len() as f64;
        csv += &format!("{row},{:.4}\n", amplitude_m * phase.sin());
    }
    let c = Centerline::from_csv_str(name, &csv).unwrap();
    Track::new(
        &c,
        TrackOptions {
            step_m,
            ..TrackOptions::default()
        },
    )
    .unwrap()
}

/// The same on hills (grades up to ~7 %, where the traction pass's hold on the braking profile meets
/// gravity both ways) for drivers using less than the car's grip, traction and braking, through the field's
/// solver ([`LapSolver::for_driver`]): flying, standing and grid laps, times, speeds and engine work bit for
/// bit the sequential reference's, which evaluates every step.
#[test]
fn chunked_passes_match_the_reference_on_hills_for_every_driver() {
    let env = Envelope::new(&gt3_cup().with_fuel_kg(60.0).unwrap());
    let table = CornerTable::new(&env);
    let tables = Tables::new(&env);
    let mut laps = 0;
    for name in ["oschersleben", "norisring"] {
        for (amplitude_m, periods) in [(10.0, 3.0), (2.0, 20.0)] {
            for step in [1.0, 2.0] {
                let t = hilly(name, amplitude_m, periods, step);
                let log_kappa = LogCurvature::new(&t);
                for (g, tr, br) in [(0.97, 0.93, 0.95), (0.85, 0.6, 0.7), (1.0, 0.5, 1.0)] {
                    let shares = Shares::new(g, tr, br).unwrap();
                    let solver = || {
                        LapSolver::for_driver(
                            &t,
                            &tables,
                            &table,
                            &log_kappa,
                            shares,
                            Workspace::default(),
                        )
                    };
                    let (mut fast, mut slow) = (solver(), solver());
                    let mut caps = vec![f64::INFINITY; t.len()];
                    caps[t.len() / 3] = 5.0;
                    for capped in [false, true] {
                        let c = capped.then_some(caps.as_slice());
                        fast.set_speed_caps(c).unwrap();
                        slow.set_speed_caps(c).unwrap();
                        let case = format!(
                            "{name} {amplitude_m} m × {periods} {step} m {shares:?} caps {capped}"
                        );
                        for start in [Start::Flying, Start::Standing] {
                            let a = fast.solve(start).unwrap();
                            let b = slow.solve_reference(start).unwrap();
                            assert_eq!(
                                a.lap_time_s.to_bits(),
                                b.lap_time_s.to_bits(),
                                "{case} {start:?}"
                            );
                            assert!(fast
                                .speeds_mps()
                                .iter()
                                .zip(slow.speeds_mps())
                                .all(|(x, y)| x.to_bits() == y.to_bits()));
                            // Never above the corner limit (the traction pass is capped by the braking
                            // profile, which the corner limits cap).
                            assert!(fast
                                .speeds_mps()
                                .iter()
                                .zip(fast.corner_limits_m2ps2())
                                .all(|(v, u)| *v <= u.sqrt()));
                            let (wa, wb) = (
                                fast.engine_work_j(0.85).unwrap(),
                                slow.engine_work_j(0.85).unwrap(),
                            );
                            assert_eq!(wa.to_bits(), wb.to_bits(), "{case} {start:?}");
                            laps += 1;
                        }
                        for behind_m in [0.0, 160.0] {
                            let g = fast.grid_lap(behind_m, 0.85).unwrap();
                            let r = slow.grid_lap_reference(behind_m, 0.85).unwrap();
                            assert_eq!(
                                g.time_s.to_bits(),
                                r.time_s.to_bits(),
                                "{case} grid {behind_m} m"
                            );
                            assert_eq!(g.engine_work_j.to_bits(), r.engine_work_j.to_bits());
                            laps += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(laps, 2 * 2 * 2 * 3 * 2 * 4);
}

/// A grid start needs no flying lap: on a fresh solver it computes the braking profile itself, and after a
/// speed cap it recomputes it, bit for bit what it gives after a flying lap with the same limits.
#[test]
fn grid_start_computes_its_own_braking_profile() {
    let env = Envelope::new(&gt3_cup());
    let c = Centerline::from_file(&project_path("tracks/oschersleben.csv")).unwrap();
    let t = Track::new(&c, TrackOptions::default()).unwrap();
    let mut solved = LapSolver::new(&t, &env);
    let mut fresh = LapSolver::new(&t, &env);
    for cap in [None, Some((t.len() / 4, 5.0))] {
        if let Some((i, v)) = cap {
            solved.cap_speed_at(i, v).unwrap();
            fresh.cap_speed_at(i, v).unwrap();
        }
        solved.solve(Start::Flying).unwrap();
        let a = solved.grid_lap(16.0, 0.85).unwrap();
        let b = fresh.grid_lap(16.0, 0.85).unwrap();
        assert_eq!(a.time_s.to_bits(), b.time_s.to_bits(), "cap {cap:?}");
        assert_eq!(a.engine_work_j.to_bits(), b.engine_work_j.to_bits());
        // The sequential reference computes its own braking profile too (on a solver whose profile is stale).
        let mut reference = LapSolver::new(&t, &env);
        if let Some((i, v)) = cap {
            reference.cap_speed_at(i, v).unwrap();
        }
        let r = reference.grid_lap_reference(16.0, 0.85).unwrap();
        assert_eq!(
            a.time_s.to_bits(),
            r.time_s.to_bits(),
            "reference, cap {cap:?}"
        );
        assert_eq!(a.engine_work_j.to_bits(), r.engine_work_j.to_bits());
    }
    // The cap slowed the grid lap: the braking profile was not the stale one.
    let mut uncapped = LapSolver::new(&t, &env);
    let u = uncapped.grid_lap(16.0, 0.85).unwrap();
    let c = fresh.grid_lap(16.0, 0.85).unwrap();
    assert!(c.time_s > u.time_s + 1.0, "{} vs {}", c.time_s, u.time_s);
}

/// The corner table (used by the field, one per fuel load) reproduces the exact corner limits of a driver's
/// scaled envelope: within 2e-4 of the speed (1024 log-spaced curvatures; traction shares from 0.5 to 1,
/// interpolated in 1/t), for shares of the field and of a driver on cold tyres, at 2,000 curvatures.
#[test]
fn corner_table_matches_exact_corner_limits_of_scaled_envelopes() {
    use lapsim::solver::{corner_speed_mps, CornerTable};
    let car = gt3_cup();
    let env = Envelope::new(&car);
    let table = CornerTable::new(&env);
    let mut worst = 0.0_f64;
    for (g, t, b) in [
        (1.0, 1.0, 1.0),
        (0.95, 0.9, 0.92),
        (0.86, 0.85, 0.99),
        (0.8, 0.72, 0.8),
        (0.7, 0.55, 0.9),
    ] {
        let scaled = env.with_shares(g, t, b).unwrap();
        let exact_env = Envelope::new(&car.with_shares(g, t, b).unwrap());
        for k in 0..2000 {
            // Up to κ = 1.5 1/m, beyond the table's 0.5 (extended as v ∝ κ^(−1/2)).
            let kappa = 1e-4 * (1.5_f64 / 1e-4).powf(k as f64 / 1999.0);
            let exact = corner_speed_mps(&exact_env, kappa);
            let from_scaled = corner_speed_mps(&scaled, kappa);
            // with_shares is the same table as a rebuilt envelope (to rounding).
            assert!(
                (from_scaled - exact).abs() < 1e-9 * exact,
                "κ {kappa}: {from_scaled} vs {exact}"
            );
            let tab = table.speed_mps(kappa, g, t);
            let e = (tab - exact).abs() / exact;
            if kappa / g <= CornerTable::K_RANGE.1 {
                worst = worst.max(e);
            } else {
                // Beyond the table (radii under 2 m, on no circuit) the power-law extension is a fallback:
                // sane, not exact.
                assert!(e < 1e-3, "κ {kappa}: extension off by {e}");
            }
        }
    }
    println!("largest relative error of the corner table: {worst:.2e}");
    assert!(worst < 2e-4, "{worst}");
}

/// Telemetry gears and pedals are what the solver did: through an upshift without drive the throttle is 0
/// (the drive share the traction pass used, not a force ratio re-derived afterwards); at a steady cornering
/// limit the throttle is what balances drag and rolling resistance (the closed form from the envelope), far
/// below 1; braking on a straight at the limit is full braking; gears change only by the solver's rule (up
/// one at a time under drive); and a grid lap solved after the flying lap leaves its telemetry unchanged.
#[test]
fn telemetry_records_what_the_solver_did() {
    let car = gt3_cup();
    let env = Envelope::new(&car);
    let shift_time_s = car.params().driveline.shift_time_s;

    // Upshifts from a standing start at Oschersleben.
    let track = common::oschersleben(1.0);
    let mut solver = LapSolver::new(&track, &env);
    solver.solve(Start::Standing).unwrap();
    let tel = solver.telemetry().unwrap();
    let ds = track.step_m();
    let limit = solver.corner_speeds_mps();
    let at_limit = |i: usize| tel.v_mps[i] == limit[i];
    let (mut upshifts, mut departures) = (0, 0);
    for i in 1..tel.len() {
        let (g0, g1) = (tel.gear[i - 1], tel.gear[i]);
        if g1 > g0 && tel.brake[i - 1] == 0.0 {
            assert_eq!(g1, g0 + 1, "one gear at a time at point {i}");
            if at_limit(i) {
                // Leaving a corner limit in the next gear up (chosen for time): no shift.
                departures += 1;
            } else if tel.v_mps[i] * shift_time_s > 2.0 * ds {
                // The whole segment lies inside the shift: no drive at all.
                assert_eq!(
                    tel.throttle[i], 0.0,
                    "throttle through the shift at point {i}"
                );
                upshifts += 1;
            }
        }
    }
    assert!(upshifts >= 3, "{upshifts} upshifts seen");
    assert!(departures >= 1, "no corner left in the next gear up");
    assert!(tel.throttle.iter().all(|t| (0.0..=1.0).contains(t)));
    assert!(tel.brake.iter().all(|b| (0.0..=1.0).contains(b)));
    assert!(tel
        .throttle
        .iter()
        .zip(&tel.brake)
        .all(|(t, b)| *t == 0.0 || *b == 0.0));
    // Full braking somewhere (a straight into a hairpin), and full throttle.
    assert!(tel.brake.iter().any(|&b| b > 0.97), "no full braking");
    assert!(tel.throttle.iter().any(|&t| t > 0.99), "no full throttle");

    // A grid lap after the flying lap does not disturb the flying lap's telemetry.
    solver.solve(Start::Flying).unwrap();
    let before = solver.telemetry().unwrap();
    solver.grid_lap_time_s(50.0).unwrap();
    let after = solver.telemetry().unwrap();
    assert_eq!(before.gear, after.gear);
    assert_eq!(before.throttle, after.throttle);

    // Steady cornering on a 60 m circle: the speed is the corner limit everywhere, the acceleration 0, and
    // the throttle the drive that balances the resistance, R·rot_ratio / drive (both from the envelope node).
    let ring = common::circle(60.0, 1.0);
    let mut solver = LapSolver::new(&ring, &env);
    solver.solve(Start::Flying).unwrap();
    let tel = solver.telemetry().unwrap();
    let v = tel.v_mps[tel.len() / 2];
    let node = env.at(v);
    let expected = node.resist_mps2 * node.rot_ratio / node.drive_mps2;
    for i in 0..tel.len() {
        assert!(
            (tel.throttle[i] - expected).abs() < 1e-3,
            "point {i}: throttle {} against {expected}",
            tel.throttle[i]
        );
        assert_eq!(tel.brake[i], 0.0);
    }
    assert!(expected < 0.5, "{expected}");
}

/// A speed cap below every corner limit holds the car at it all the way round: the lap is the length over the
/// cap, exactly, with the located apexes' cells too (a cap is not a curve through an apex), and the telemetry
/// and the sectors add up to it.
#[test]
fn a_uniform_speed_cap_laps_at_the_cap() {
    let track = oschersleben(1.0);
    let env = Envelope::new(&gt3_cup());
    let mut solver = LapSolver::new(&track, &env);
    let cap_mps = 12.0;
    solver
        .set_speed_caps(Some(&vec![cap_mps; track.len()]))
        .unwrap();
    let lap = solver.solve(Start::Flying).unwrap();
    let want = track.length_m() / cap_mps;
    assert!(
        (lap.lap_time_s - want).abs() < 1e-9 * want,
        "{} s against {want} s",
        lap.lap_time_s
    );
    let tel = solver.telemetry().unwrap();
    let sectors: f64 = tel.summary.sector_times_s.iter().sum();
    assert!((sectors - want).abs() < 1e-9 * want);
}
