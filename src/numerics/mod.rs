//! General numerics, with no knowledge of cars or circuits: banded and sparse linear solves, a
//! box-constrained QP, periodic splines and smoothing, and uniform-table look-ups.
//!
//! The bottom layer of the crate: it imports nothing from the layers above (track, vehicle, solver, ...),
//! only the crate's error type.

pub mod banded;
pub mod boxqp;
pub mod root;
pub mod smooth;
pub mod spline;
pub mod table;
