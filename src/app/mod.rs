//! The application: the command line ([`args`]), one module per command ([`commands`]), the files they
//! write ([`output`]), text reports ([`report`]) and charts ([`plot`]). Behind the default feature `cli`, so
//! the engine builds without clap, plotters or indicatif.
//!
//! The binary (`src/main.rs`) only parses the arguments, calls [`execute`] and turns errors into a message
//! and a non-zero exit code.

pub mod args;
pub mod commands;
pub mod output;
pub mod plot;
pub mod report;

pub use args::{Cli, Command};

use crate::error::Result;

/// Runs a parsed command line, printing to stdout. Errors name the flags the user typed (`--step-m`), not
/// the library's option names (`step_m`).
pub fn execute(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        return commands::weekend::weekend(&args::WeekendArgs::default()).map(|_| ());
    };
    match command {
        Command::Weekend(a) => commands::weekend::weekend(&a).map(|_| ()),
        Command::Run(a) => commands::run::run(&a).map(|_| ()),
        Command::Calibrate(a) => commands::calibrate::calibrate(&a).map(|_| ()),
        Command::Line(a) => commands::line::line(&a).map(|_| ()),
        Command::Qualifying(a) => commands::session::qualifying(&a).map(|_| ()),
        Command::Race(a) => commands::session::race(&a).map(|_| ()),
        Command::Compare(a) => commands::compare::compare(&a).map(|_| ()),
        Command::Validate(a) => commands::validate::validate(&a).map(|_| ()),
        Command::Sweep(a) => commands::sweep::sweep(&a).map(|_| ()),
        Command::Merge(a) => commands::merge::merge(&a).map(|_| ()),
        Command::Optimise(a) => commands::optimise::optimise(&a).map(|_| ()),
        Command::Sensitivity(a) => commands::sensitivity::sensitivity(&a).map(|_| ()),
        Command::Field(a) => match a.command {
            args::FieldCommand::Fit(f) => commands::field_fit::field_fit(&f).map(|_| ()),
        },
    }
}
