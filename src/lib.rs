//! # lapsim
//!
//! Physics-based lap-time simulation: a point-mass model of the Porsche 911 GT3 Cup (997) on a segmented
//! centreline, solved quasi-steady-state (corner limits, a braking pass, a traction pass).
//!
//! Data flows one way: files → validated parameters ([`vehicle::Car`], [`track::Centerline`]) → geometry
//! and envelope ([`track::Track`], [`vehicle::Envelope`]) → solver ([`solver::LapSolver`]) → results
//! ([`solver::Telemetry`]) → reports and charts ([`report`], [`plot`]).
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

pub mod cli;
pub mod driver;
pub mod error;
pub mod plot;
pub mod report;
pub mod session;
pub mod solver;
pub mod track;
pub mod vehicle;
pub mod weekend;

pub use error::{Error, Result};
