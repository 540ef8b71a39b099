//! Closed-form and independent-integration checks of the solver. Nothing here was tuned: each expected value
//! comes from an equation or an independent integration of the same force model, and each tolerance from the
//! discretisation it allows for.

mod common;

use common::*;
use lapsim::solver::{LapSolver, Start};
use lapsim::vehicle::{Envelope, G_MPS2};

/// Steady cornering on a circle: with no aero and no resistance the lap is `2πR / √(μ_eff g R)`, where
/// `μ_eff` is the load-sensitive friction of the two axles at their static loads (computed here from the
/// tyre law, not by the library). Tolerance 0.1 %: the smoothed circle's length and curvature are exact to
/// ~1e-6 and the envelope table interpolates μ(v), which is constant here.
#[test]
fn circle_lap_matches_closed_form() {
    for r in [30.0, 100.0, 250.0] {
        let mut p = gt3_params();
        p.aero.downforce_area_m2 = 0.0;
        p.aero.drag_area_m2 = 0.0;
        p.tyres.rolling_resistance_ratio = 0.0;
        // "Unlimited" power: ten times the torque.
        p.engine.torque_curve_nm.iter_mut().for_each(|t| *t *= 10.0);
        let car = car(p.clone());
        let env = Envelope::new(&car);
        let track = circle(r, 1.0);
        let lap = LapSolver::new(&track, &env).solve(Start::Flying).unwrap();

        let m = p.mass.car_kg + p.mass.driver_kg + p.mass.fuel_kg;
        let t = &p.tyres;
        let mu_w = |fz_w: f64| {
            t.mu_lateral_ratio
                * (1.0 - t.load_sensitivity_ratio * (fz_w - t.nominal_load_n) / t.nominal_load_n)
        };
        let fz_f = m * G_MPS2 * p.chassis.front_weight_fraction;
        let fz_r = m * G_MPS2 - fz_f;
        let mu_eff = (fz_f * mu_w(fz_f / 2.0) + fz_r * mu_w(fz_r / 2.0)) / (m * G_MPS2);
        let expected = std::f64::consts::TAU * r / (mu_eff * G_MPS2 * r).sqrt();
        let rel = (lap.lap_time_s - expected).abs() / expected;
        assert!(
            rel < 1e-3,
            "R = {r} m: lap {:.4} s, closed form {expected:.4} s ({:.4} %)",
            lap.lap_time_s,
            rel * 100.0
        );
    }
}

/// The solver's policy, integrated independently: RK4 in time at 1 ms on the exact (untabulated) force model
/// of the car — upshift when the next gear pulls harder (no drive for the shift time), downshift only below
/// the hysteresis band. Returns (time, distance) to reach `v_target`.
fn rk4_acceleration(car: &lapsim::vehicle::Car, v_target: f64) -> (f64, f64) {
    let dt = 1e-3;
    let shift_time = car.params().driveline.shift_time_s;
    let gear_at = |v: f64| car.best_drive(v).map_or(6, |d| d.gear);
    // The force law with the engaged gear's drive (the envelope's node holds the best gear's).
    let accel = |v: f64, share: f64, gear: u8| {
        let mut node = car.envelope_node(v);
        [node.drive_mps2, node.rot_ratio] = car.drive_terms(&car.drive_in_gear(v, gear));
        node.accel_mps2(0.0, 0.0, share)
    };
    let (mut t, mut s, mut v) = (0.0_f64, 0.0_f64, 0.0_f64);
    let mut gear = 1u8;
    let mut shift_left = 0.0_f64;
    while v < v_target {
        let best = gear_at(v);
        if best > gear {
            shift_left = shift_time;
            gear = best;
        } else if best < gear {
            gear = gear_at(v * (1.0 + lapsim::solver::SHIFT_HYSTERESIS)).min(gear);
        }
        let share = if shift_left > 1e-12 { 0.0 } else { 1.0 };
        let f = |v: f64| accel(v, share, gear);
        let k1 = f(v);
        let k2 = f(v + 0.5 * dt * k1);
        let k3 = f(v + 0.5 * dt * k2);
        let k4 = f(v + dt * k3);
        let dv = dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        // Distance: ds/dt = v, integrated with the same stages (Simpson on the stage speeds).
        let ds =
            dt / 6.0 * (v + 2.0 * (v + 0.5 * dt * k1) + 2.0 * (v + 0.5 * dt * k2) + (v + dt * k3));
        if v + dv >= v_target {
            // Last partial step: interpolate linearly inside it.
            let f = (v_target - v) / dv;
            return (t + f * dt, s + f * ds);
        }
        v += dv;
        s += ds;
        t += dt;
        shift_left = (shift_left - dt).max(0.0);
    }
    (t, s)
}

/// Standing start 0 → 200 km/h on a long straight: time and distance within 0.1 % of the RK4 reference (in
/// time, at 1 ms, the engaged gear's drive from the car's own functions, the drive off for the shift time).
/// The solver steps 1 m in distance with Heun's method and an envelope tabulated every 4 m²/s² in v², each
/// upshift located inside its step. Measured: 0.02 % in time, 0.01 % in distance (the issue allowed 0.5 %).
#[test]
fn standing_start_to_200_kmh_matches_rk4() {
    let car = gt3_cup();
    let env = Envelope::new(&car);
    let track = oval(3000.0, 300.0, 100.0, 1.0);
    let mut solver = LapSolver::new(&track, &env);
    solver.solve(Start::Standing).unwrap();
    let tel = solver.telemetry().unwrap();
    let v_target = 200.0 / 3.6;
    let (s_sim, t_sim) =
        crossing(&tel.s_m, &tel.v_mps, &tel.t_s, v_target).expect("reaches 200 km/h");
    let (t_ref, s_ref) = rk4_acceleration(&car, v_target);
    let (et, es) = ((t_sim - t_ref).abs() / t_ref, (s_sim - s_ref).abs() / s_ref);
    println!(
        "0-200 km/h: solver {t_sim:.4} s / {s_sim:.2} m, RK4 {t_ref:.4} s / {s_ref:.2} m ({:.4} % / {:.4} %)",
        et * 100.0,
        es * 100.0
    );
    assert!(
        et < 1e-3 && es < 1e-3,
        "0-200 km/h: solver {t_sim:.3} s / {s_sim:.1} m, RK4 {t_ref:.3} s / {s_ref:.1} m ({:.3} % / {:.3} %)",
        et * 100.0,
        es * 100.0
    );
}

/// Braking from 200 km/h to rest with no aero, no rolling resistance and load-insensitive tyres: the
/// distance is `v² / (2 μ g)` (ideal brake balance uses μ on both axles whatever the load transfer). A stop
/// is imposed at one point of a long straight; the backward pass must reproduce the parabola within 0.5 %.
#[test]
fn braking_distance_from_200_kmh_matches_v2_over_2mug() {
    let mut p = gt3_params();
    p.aero.downforce_area_m2 = 0.0;
    p.aero.drag_area_m2 = 0.0;
    p.tyres.rolling_resistance_ratio = 0.0;
    p.tyres.load_sensitivity_ratio = 0.0;
    let mu = p.tyres.mu_longitudinal_ratio;
    let car = car(p);
    let env = Envelope::new(&car);
    let track = oval(3000.0, 400.0, 100.0, 1.0);
    let stop = (2500.0 / track.step_m()).round() as usize;
    let mut caps = vec![f64::INFINITY; track.len()];
    caps[stop] = 0.0;
    let mut solver = LapSolver::new(&track, &env);
    solver.set_speed_caps(Some(&caps)).unwrap();
    solver.solve(Start::Flying).unwrap();
    let v = solver.speeds_mps();
    let s = track.s_m();
    let v0 = 200.0 / 3.6;
    // Last point before the stop still at or above 200 km/h, then interpolate in v² (linear in s).
    let i = (0..stop)
        .rev()
        .find(|&i| v[i] >= v0)
        .expect("brakes from above 200 km/h");
    let f = (v[i] * v[i] - v0 * v0) / (v[i] * v[i] - v[i + 1] * v[i + 1]);
    let s_brake = s[i] + f * (s[i + 1] - s[i]);
    let d_sim = s[stop] - s_brake;
    let d_ref = v0 * v0 / (2.0 * mu * G_MPS2);
    let rel = (d_sim - d_ref).abs() / d_ref;
    assert!(
        rel < 5e-3,
        "braking distance {d_sim:.2} m, v²/(2μg) = {d_ref:.2} m ({:.3} %)",
        rel * 100.0
    );
}

/// Top speed where the wheel power balances drag and rolling resistance, in top gear below the rev limit,
/// computed here from the torque curve by bisection; and, with the shipped gearing, the rev limit in top
/// gear. The car must reach it within 0.5 % on an 8 km straight (the approach is asymptotic: with the net
/// force falling ~100 N per m/s near top speed, 8 km leaves a deficit far below 0.5 %).
#[test]
fn top_speed_matches_power_balance_and_rev_limit() {
    // Long gearing: power-limited.
    let mut p = gt3_params();
    p.driveline.final_drive_ratio = 2.9;
    let long = car(p.clone());
    let m = p.mass.car_kg + p.mass.driver_kg + p.mass.fuel_kg;
    let r = p.tyres.dynamic_radius_m;
    // Best gear within the rev limit: the largest wheel force of all gears.
    let net = |v: f64| {
        let drive = p
            .driveline
            .gear_ratios
            .iter()
            .map(|g| g * p.driveline.final_drive_ratio)
            .filter_map(|ratio| {
                let rpm = v / r * ratio * 60.0 / std::f64::consts::TAU;
                (rpm <= p.engine.rev_limit_rpm).then(|| {
                    lapsim::vehicle::interp(
                        &p.engine.torque_curve_rpm,
                        &p.engine.torque_curve_nm,
                        rpm,
                    ) * ratio
                        * p.driveline.efficiency_ratio
                        / r
                })
            })
            .fold(0.0, f64::max);
        let q = 0.5 * p.aero.air_density_kgpm3 * v * v;
        drive
            - q * p.aero.drag_area_m2
            - p.tyres.rolling_resistance_ratio * (m * G_MPS2 + q * p.aero.downforce_area_m2)
    };
    let top_ratio = p.driveline.gear_ratios[5] * p.driveline.final_drive_ratio;
    let (mut lo, mut hi) = (40.0, 120.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if net(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let v_power = lo;
    let v_rev = p.engine.rev_limit_rpm * std::f64::consts::TAU / 60.0 * r / top_ratio;
    assert!(
        v_power < v_rev,
        "test setup: long gearing must be power-limited"
    );

    let shipped = gt3_cup();
    let sp = shipped.params();
    let v_rev_shipped = sp.engine.rev_limit_rpm * std::f64::consts::TAU / 60.0 * r
        / (sp.driveline.gear_ratios[5] * sp.driveline.final_drive_ratio);

    let track = oval(8000.0, 300.0, 100.0, 2.0);
    for (car, expected, what) in [
        (long, v_power, "power = drag + rolling"),
        (shipped, v_rev_shipped, "rev limit"),
    ] {
        let env = Envelope::new(&car);
        assert!(
            (env.top_speed_mps() - expected).abs() / expected < 1e-3,
            "{what}: envelope top speed {:.3} m/s, expected {expected:.3} m/s",
            env.top_speed_mps()
        );
        let mut solver = LapSolver::new(&track, &env);
        solver.solve(Start::Flying).unwrap();
        let vmax = solver.speeds_mps().iter().copied().fold(0.0, f64::max);
        let rel = (vmax - expected).abs() / expected;
        assert!(
            rel < 5e-3,
            "{what}: lap top speed {vmax:.3} m/s, expected {expected:.3} m/s"
        );
    }
}

/// Longitudinal load transfer, against closed forms at rest (no aero). Traction on the rear axle with
/// load-insensitive tyres: `F = μ W_r / (1 − μ h / L)` (the rear axle gains `F h / L`). Braking with
/// load-sensitive tyres and ideal balance: each axle gives `G(F_z) = a F_z − b F_z²` with
/// `a = μ(1 + k)`, `b = μ k / (2 F_z0)`, and the front gains what the rear loses, `F h / L`:
/// `F = a W − b [(W_f + cF)² + (W_r − cF)²]`, a quadratic in F. A reversed transfer gives other numbers.
#[test]
fn load_transfer_matches_closed_forms() {
    let g = G_MPS2;
    // Traction, k = 0.
    let mut p = gt3_params();
    p.tyres.load_sensitivity_ratio = 0.0;
    let c0 = car(p.clone());
    let m = p.mass.car_kg + p.mass.driver_kg + p.mass.fuel_kg;
    let (mu, h, l) = (
        p.tyres.mu_longitudinal_ratio,
        p.chassis.cg_height_m,
        p.chassis.wheelbase_m,
    );
    let w_r = m * g * (1.0 - p.chassis.front_weight_fraction);
    let expected = mu * w_r / (1.0 - mu * h / l);
    let got = c0.traction_capacity_n(0.0);
    assert!(
        (got - expected).abs() < 1e-6 * expected,
        "traction {got} vs {expected}"
    );
    // Braking, k > 0.
    let p = gt3_params();
    let c1 = car(p.clone());
    let t = &p.tyres;
    let (k, fz0) = (t.load_sensitivity_ratio, t.nominal_load_n);
    let (a, b) = (
        t.mu_longitudinal_ratio * (1.0 + k),
        t.mu_longitudinal_ratio * k / (2.0 * fz0),
    );
    let c = h / l;
    let w = m * g;
    let (wf, wr) = (
        w * p.chassis.front_weight_fraction,
        w * (1.0 - p.chassis.front_weight_fraction),
    );
    // 2 b c² F² + (1 + 2 b c (W_f − W_r)) F − a W + b (W_f² + W_r²) = 0
    let (qa, qb, qc) = (
        2.0 * b * c * c,
        1.0 + 2.0 * b * c * (wf - wr),
        -a * w + b * (wf * wf + wr * wr),
    );
    let expected = (-qb + (qb * qb - 4.0 * qa * qc).sqrt()) / (2.0 * qa);
    let got = c1.brake_capacity_n(0.0);
    assert!(
        (got - expected).abs() < 1e-6 * expected,
        "braking {got} vs {expected}"
    );
}
