//! The library's error type.
//!
//! Every message says *what* is wrong and *where*: the file, the line or the field, or the position on the
//! track (`s_m`), and where it helps, what would be valid. The binary adds context with `anyhow`.

use std::path::PathBuf;

/// Errors of the lapsim library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read. The I/O error is part of the message, so it is not also given as
    /// the error's `source()` (a chain printer would repeat it).
    #[error("{path}: cannot read the file: {io}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        io: std::io::Error,
    },
    /// A track or line file has a bad value on a given line.
    #[error("{source_name}, line {line}: {message}")]
    TrackLine {
        /// The file (or a name for in-memory input).
        source_name: String,
        /// 1-based line number in the file.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A track as a whole is unusable (too few points, open, self-overlapping, ...).
    #[error("{source_name}: {message}")]
    Track {
        /// The file (or a name for in-memory input).
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A car (or field) file is not valid TOML or does not match the schema (unknown or missing key).
    #[error("{source_name}: {message}")]
    Parse {
        /// The file.
        source_name: String,
        /// The parser's message, which carries line and column.
        message: String,
    },
    /// A parameter has a non-physical or out-of-range value.
    #[error("{source_name}: `{field}` = {value}: {message}")]
    Parameter {
        /// The file, or `"parameters"` for values built in code.
        source_name: String,
        /// The field, in the file's own dotted notation (`engine.rev_limit_rpm`).
        field: String,
        /// The offending value, as text.
        value: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// An option of a computation is invalid (a segment length, a target lap time, ...).
    #[error("invalid option `{option}` = {value}: {message}")]
    Option {
        /// The option.
        option: String,
        /// The offending value, as text.
        value: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// The racing line's Gauss–Newton iteration did not settle within its iteration limit.
    #[error(
        "{source_name}: the racing line did not settle in {iterations} iterations (Σκ² still changing by \
         {residual:.1e} per iteration, relative); raise max_iterations or coarsen the grid"
    )]
    LineNotConverged {
        /// The track.
        source_name: String,
        /// Iterations run.
        iterations: usize,
        /// Relative change of the objective at the last iteration.
        residual: f64,
    },
    /// A step of the racing line's optimisation (a box-constrained QP) failed.
    #[error("{source_name}: racing line: the quadratic programme failed ({reason})")]
    LineQp {
        /// The track.
        source_name: String,
        /// Why.
        reason: BoxQpError,
    },
    /// A flying lap did not become periodic.
    #[error(
        "the flying lap did not become periodic in {laps} laps (residual {residual_mps:.3e} m/s)"
    )]
    NotPeriodic {
        /// Forward laps run.
        laps: usize,
        /// Change of the start-point speed over the last one (m/s).
        residual_mps: f64,
    },
    /// The car comes to rest and cannot go on.
    #[error(
        "the car stops at s = {s_m:.1} m and cannot go on (a slope steeper than it can climb, or a stop \
         imposed at two consecutive points)"
    )]
    CarStops {
        /// Where (m from the line).
        s_m: f64,
    },
    /// The car cannot move off a grid slot.
    #[error("the car cannot move off the grid slot {behind_m:.1} m behind the line")]
    GridStall {
        /// The slot's distance behind the line (m).
        behind_m: f64,
    },
    /// A result of a lap was asked for before a lap was solved (or after the limits changed).
    #[error(
        "no lap solved yet: call solve() first (changing the speed caps discards the last lap)"
    )]
    NoLapSolved,
    /// A numerical factorisation failed on input that passed validation (a bug, or a case the
    /// validation should have caught).
    #[error("numerics: {0}")]
    Numerics(String),
    /// An internal failure: a poisoned lock, an inconsistent state. Not the user's input.
    #[error("internal error: {0}")]
    Internal(String),
    /// Writing a result failed.
    /// (The I/O error is part of the message, not the `source()`, as for [`Error::Read`].)
    #[error("{path}: cannot write: {io}")]
    Write {
        /// The target file.
        path: PathBuf,
        /// The I/O error.
        io: std::io::Error,
    },
    /// Drawing a chart failed.
    #[error("{path}: cannot draw the chart: {message}")]
    Plot {
        /// The target file.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Why the box-constrained QP of `numerics::boxqp` failed (here, at the bottom of the layers, so that
/// [`Error::LineQp`] can carry it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoxQpError {
    /// The bounds cross (`lo > hi`) at this index.
    #[error("crossed bounds at node {0}")]
    InfeasibleBounds(usize),
    /// The reduced Hessian is not positive definite.
    #[error("not positive definite")]
    NotPositiveDefinite,
    /// The projected gradient did not vanish.
    #[error("no convergence in {0} iterations")]
    NoConvergence(usize),
}
