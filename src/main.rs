//! The `lapsim` command: a thin layer over the library's [`lapsim::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = lapsim::cli::Cli::parse();
    match lapsim::cli::execute(cli).map_err(anyhow::Error::from) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
