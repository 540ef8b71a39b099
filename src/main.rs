//! The `lapsim` command: a thin layer over the library's [`lapsim::app`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = lapsim::app::Cli::parse();
    match lapsim::app::execute(cli).map_err(anyhow::Error::from) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
