//! Monotonic properties (proptest): more power, more grip, less mass, less drag is never slower.
//!
//! Each case scales one parameter of the shipped car by a random factor and compares the two laps of
//! Oschersleben (2 m step, to keep the suite quick; the property holds at any step). "Never slower" is checked
//! to 1 µs: the QSS solution is a deterministic function of the parameters, so any loss, however small,
//! would be a real defect (an upshift landing worse, a table edge), not noise.

mod common;

use std::sync::OnceLock;

use common::*;
use lapsim::solver::{LapSolver, Start};
use lapsim::track::Track;
use lapsim::vehicle::{CarParams, Envelope};
use proptest::prelude::*;

fn track() -> &'static Track {
    static T: OnceLock<Track> = OnceLock::new();
    T.get_or_init(|| oschersleben(2.0))
}

fn lap(p: &CarParams, start: Start) -> f64 {
    let env = Envelope::new(&car(p.clone()));
    LapSolver::new(track(), &env)
        .solve(start)
        .unwrap()
        .lap_time_s
}

/// Laps of the base car and of the changed car, flying and standing.
fn compare(change: impl Fn(&mut CarParams)) -> [(f64, f64); 2] {
    let base = gt3_params();
    let mut better = base.clone();
    change(&mut better);
    [Start::Flying, Start::Standing].map(|s| (lap(&base, s), lap(&better, s)))
}

const SLACK_S: f64 = 1e-6;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn more_power_is_never_slower(k in 1.0f64..1.5) {
        for (base, better) in compare(|p| p.engine.torque_curve_nm.iter_mut().for_each(|t| *t *= k)) {
            prop_assert!(better <= base + SLACK_S, "torque ×{k}: {better} s vs {base} s");
        }
    }

    #[test]
    fn more_grip_is_never_slower(k in 1.0f64..1.3) {
        for (base, better) in compare(|p| {
            p.tyres.mu_lateral_ratio *= k;
            p.tyres.mu_longitudinal_ratio *= k;
        }) {
            prop_assert!(better <= base + SLACK_S, "grip ×{k}: {better} s vs {base} s");
        }
    }

    #[test]
    fn less_mass_is_never_slower(dm in 0.0f64..200.0) {
        for (base, better) in compare(|p| p.mass.car_kg -= dm) {
            prop_assert!(better <= base + SLACK_S, "mass −{dm} kg: {better} s vs {base} s");
        }
    }

    #[test]
    fn less_drag_is_never_slower(k in 0.5f64..1.0) {
        for (base, better) in compare(|p| p.aero.drag_area_m2 *= k) {
            prop_assert!(better <= base + SLACK_S, "drag ×{k}: {better} s vs {base} s");
        }
    }
}
