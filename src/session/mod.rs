//! Sessions of a race weekend for a field of drivers: qualifying in the 2007 Carrera Cup format and a race
//! from a standing start, each lap solved by the QSS solver with the driver's skill, the fuel on board and
//! the state of the tyres; Monte Carlo repetitions over seeded random streams.
//!
//! Determinism: every random number a driver draws comes from a ChaCha stream seeded from
//! `(seed, run, session part, driver)` only ([`stream`]), and the parallel loops (rayon) only map drivers or
//! runs to results that are gathered in order, so results are bit-identical whatever the thread count.

pub mod fit;
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

/// Lowest tyre grip the model runs (a share of the best): the corner tables' traction rows end at half the
/// grip, and no slick that has faded that far is still raced.
pub const MIN_TYRE_GRIP: f64 = 0.5;

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

    /// One lap on tyres at `tyre` of their best grip; `may_slip` allows a slip on this lap. `None` if the
    /// car runs out of fuel on it (the lap needs more than is on board): it stops, and the lap does not
    /// count. Tyres faded below [`MIN_TYRE_GRIP`] are an error naming the event's tyre model.
    pub fn lap(
        &mut self,
        oracle: &dyn LapOracle,
        tyre: f64,
        kind: LapKind,
        may_slip: bool,
    ) -> crate::Result<Option<LapRecord>> {
        if tyre.is_nan() || tyre < MIN_TYRE_GRIP {
            return Err(crate::Error::Parameter {
                source_name: "the event's tyre model (field file)".into(),
                field: "tyres.fade_per_lap".into(),
                value: format!("grip {tyre:.3} of the best"),
                message: format!(
                    "the tyres fade below {MIN_TYRE_GRIP} of their grip in this session: lower \
                     tyres.fade_per_lap or shorten the session"
                ),
            });
        }
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
        if out.fuel_kg > self.fuel_kg {
            // Runs dry on this lap: the car stops out on the circuit.
            self.fuel_kg = 0.0;
            return Ok(None);
        }
        self.fuel_kg -= out.fuel_kg;
        Ok(Some(LapRecord {
            time_s: out.time_s,
            slip: slip.is_some(),
        }))
    }
}
