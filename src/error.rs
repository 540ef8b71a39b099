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
    /// The solver could not produce a physical lap.
    #[error("solver: {0}")]
    Solver(String),
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
