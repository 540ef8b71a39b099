//! # lapsim
//!
//! Physics-based lap-time simulation: a point-mass model of the Porsche 911 GT3 Cup (997) on a segmented
//! centreline, solved quasi-steady-state (corner limits, a braking pass, a traction pass), on a racing line
//! computed here, for one car or a field of drivers through qualifying and a race.
//!
//! The crate is layered; each layer imports only those below it (see `ARCHITECTURE.md`):
//!
//! 1. [`numerics`]: banded solves, the box QP, splines, smoothing, table look-ups;
//! 2. [`track`] (reading, validation, geometry) and [`vehicle`] (parameters, force law, envelope);
//! 3. [`solver`]: the solver's tables, the passes, corner limits, laps, telemetry;
//! 4. [`line`](mod@line): racing lines (they lap the car with the solver);
//! 5. [`field`] and [`session`]: drivers, qualifying, race, Monte Carlo;
//! 6. `app` (feature `cli`, on by default): the command line, its commands, reports and charts.
//!
//! [`error`] and [`laptime`] serve every layer. Without default features the crate is the engine alone
//! (serde, toml and csv; no clap, plotters or indicatif).
//!
//! ```
//! use lapsim::{solver::{LapSolver, Start}, track::{Centerline, Track, TrackOptions}, vehicle::{Car, Envelope}};
//! let car = Car::from_file("cars/porsche_997_gt3_cup.toml".as_ref()).unwrap();
//! let track = Track::new(&Centerline::from_file("tracks/oschersleben.csv".as_ref()).unwrap(),
//!                        TrackOptions::default()).unwrap();
//! let env = Envelope::new(&car);
//! let lap = LapSolver::new(&track, &env).solve(Start::Flying).unwrap();
//! assert!(lap.lap_time_s > 80.0 && lap.lap_time_s < 130.0);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod laptime;

pub mod numerics;

pub mod track;
pub mod vehicle;

pub mod solver;

pub mod line;

pub mod field;
pub mod session;

pub mod study;

#[cfg(feature = "cli")]
pub mod app;

pub use error::{Error, Result};
