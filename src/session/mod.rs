//! Sessions of a race weekend for a field of drivers: qualifying in the 2007 Carrera Cup format and a race
//! from a standing start, each lap solved by the QSS solver with the driver's skill, the fuel on board and
//! the state of the tyres; Monte Carlo repetitions over seeded random streams.
//!
//! Determinism: every random number a driver draws comes from a ChaCha stream seeded from
//! `(seed, run, session part, driver)` only ([`stream`]), and the parallel loops (rayon) only map drivers or
//! runs to results that are gathered in order, so results are bit-identical whatever the thread count.

pub mod monte_carlo;
pub mod oracle;
pub mod qualifying;
pub mod race;

use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use serde::Serialize;

pub use oracle::{LapKind, LapOracle, LapOutcome, LapRequest, QssOracle, Slip};

/// The random stream of one driver in one part of one run.
pub fn stream(seed: u64, run: u64, part: u64, driver: u64) -> ChaCha12Rng {
    // SplitMix64 over the tuple: well-mixed 64-bit seeds for distinct tuples.
    let mut z = seed;
    for v in [run, part, driver] {
        z = splitmix(z ^ splitmix(v.wrapping_add(0x9E37_79B9_7F4A_7C15)));
    }
    ChaCha12Rng::seed_from_u64(z)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Tyre grip relative to its best, by lap on a set (1 = the first timed lap after the out-lap).
///
/// Model: slicks come up to temperature over the out-lap and the first flying lap (a Cup slick is at about
/// 97 % on its first flying lap and at its best on the second and third), then lose grip slowly as they wear
/// and heat-cycle: 0.15 % per lap after the third. Over a 22-lap race that is 3 % at the flag, about 0.9 s a
/// lap at Oschersleben, in line with the second-or-so a Cup car loses over a sprint race.
pub fn tyre_grip(lap_on_set: u32) -> f64 {
    match lap_on_set {
        0 => 0.90,
        1 => 0.97,
        2 | 3 => 1.0,
        k => 1.0 - 0.0015 * f64::from(k - 3),
    }
}

/// A driver's lap in a session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LapRecord {
    /// Lap time (s).
    pub time_s: f64,
    /// Whether the driver slipped on this lap.
    pub slip: bool,
}

/// Share of a corner's limit speed a car keeps when its driver slips there: a big moment or a trip over
/// the kerb, about a second lost at Oschersleben.
pub const SLIP_SPEED_FACTOR: f64 = 0.75;

/// A driver out on track: skill, own random stream and the fuel on board. Each lap draws the shares'
/// scatter and the chance of a slip, solves the lap and burns its fuel.
pub struct DriverRun<'a> {
    skill: &'a crate::field::Skill,
    rng: ChaCha12Rng,
    scatter: rand_distr::Normal<f64>,
    /// Fuel on board (kg).
    pub fuel_kg: f64,
}

impl<'a> DriverRun<'a> {
    /// A driver with `skill`, drawing from `rng`, starting with `fuel_kg`.
    pub fn new(
        skill: &'a crate::field::Skill,
        rng: ChaCha12Rng,
        fuel_kg: f64,
    ) -> crate::Result<Self> {
        let scatter = rand_distr::Normal::new(0.0, skill.consistency_sd.max(1e-12))
            .map_err(|e| crate::Error::Internal(format!("scatter distribution: {e}")))?;
        Ok(Self {
            skill,
            rng,
            scatter,
            fuel_kg,
        })
    }

    /// One lap on tyres at `tyre` of their best grip; `may_slip` allows a slip on this lap.
    pub fn lap(
        &mut self,
        oracle: &dyn LapOracle,
        tyre: f64,
        kind: LapKind,
        may_slip: bool,
    ) -> crate::Result<LapRecord> {
        use rand::RngExt;
        use rand_distr::Distribution;
        let s = self.skill;
        let mut share =
            |base: f64| (base * (1.0 + self.scatter.sample(&mut self.rng))).min(1.0) * tyre;
        let (grip_share, traction_share, brake_share) = (
            share(s.grip_share),
            share(s.traction_share),
            share(s.brake_share),
        );
        let roll: f64 = self.rng.random();
        let slip = (may_slip && roll < s.mistake_per_lap).then(|| Slip {
            at_fraction: self.rng.random(),
            speed_factor: SLIP_SPEED_FACTOR,
        });
        let out = oracle.lap(&LapRequest {
            grip_share,
            traction_share,
            brake_share,
            fuel_kg: self.fuel_kg,
            kind,
            slip,
        })?;
        self.fuel_kg = (self.fuel_kg - out.fuel_kg).max(0.0);
        Ok(LapRecord {
            time_s: out.time_s,
            slip: slip.is_some(),
        })
    }
}
