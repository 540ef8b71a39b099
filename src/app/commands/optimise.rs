//! `lapsim optimise`: the values of fields of the car file (the final drive, the gear ratios) that minimise
//! the flying lap within bounds and constraints (see `study::optimise`), printed before and after, and the
//! optimised car file written: the base car's text, comments kept, with the new values and a header saying
//! how it was produced (the command, the starting and the final lap; no date, so the same command gives the
//! same file).

use std::path::PathBuf;

use super::{lap_tracks, say};
use crate::app::args::OptimiseArgs;
use crate::app::output::write_atomic;
use crate::error::Result;
use crate::laptime::format_lap_time;
use crate::solver::{LapSolver, Start};
use crate::study::optimise::{edited_text, optimise as run_optimise, parameters, Optimised, Spec};
use crate::track::reader::read_text;
use crate::track::{Centerline, Track};
use crate::vehicle::{Car, Envelope};

fn flying_lap_s(car: &Car, track: &Track) -> Result<f64> {
    let env = Envelope::new(car);
    Ok(LapSolver::new(track, &env).solve(Start::Flying)?.lap_time_s)
}

/// The command that produced the file, from the arguments (the flags that change the result).
fn command_line(a: &OptimiseArgs) -> String {
    let mut c = format!(
        "lapsim optimise --car {} --track {}",
        a.car.display(),
        a.track.display()
    );
    for v in &a.vary {
        c += &format!(" --vary {v}");
    }
    for b in &a.bound {
        c += &format!(" --bound {b}");
    }
    c += &format!(" --max-iterations {}", a.max_iterations);
    match &a.line.line_file {
        Some(f) => c += &format!(" --line-file {}", f.display()),
        None => {
            if let Some(v) = clap::ValueEnum::to_possible_value(&a.line.line) {
                c += &format!(" --line {}", v.get_name());
            }
        }
    }
    c += &format!(
        " --line-grid-m {} --margin-m {} --step-m {} --smoothing-m {}",
        a.line.line_grid_m, a.line.margin_m, a.geometry.step_m, a.geometry.smoothing_m
    );
    if a.reoptimise_line {
        c += " --reoptimise-line";
    }
    c
}

/// `lapsim optimise`: prints before and after, writes `<car>_optimised.toml` in `--out`.
pub fn optimise(a: &OptimiseArgs) -> Result<Optimised> {
    let text = read_text(&a.car)?;
    let source = a.car.display().to_string();
    let base = Car::from_toml_str(&source, &text)?;
    let spec = Spec {
        vary: a.vary.clone(),
        bounds: a.bound.clone(),
        max_iterations: a.max_iterations,
    };
    // The spec's errors before the line is computed.
    parameters(&text, &spec)?;
    let centerline = Centerline::from_file(&a.track)?;
    let (track, _) = lap_tracks(&base, &centerline, &a.geometry, &a.line)?;
    let lap = |car: &Car| -> Result<f64> {
        if a.reoptimise_line {
            let (own, _) = lap_tracks(car, &centerline, &a.geometry, &a.line)?;
            flying_lap_s(car, &own)
        } else {
            flying_lap_s(car, &track)
        }
    };
    let started = std::time::Instant::now();
    let r = run_optimise(&text, &source, &spec, &lap)?;
    let line = if a.reoptimise_line {
        "each evaluated car drove its own racing line (--reoptimise-line)"
    } else {
        "the path driven is the base car's, computed once and held fixed"
    };
    let mut out = format!(
        "{} on {}: Nelder–Mead over {} value(s), {} laps ({} points rejected by a bound or constraint, {} run(s)) \
         in {:.1} s; {line}\n{:<28} {:>9} {:>9} {:>17}\n",
        base.params().name,
        track.name(),
        r.parameters.len(),
        r.laps,
        r.rejected,
        r.runs,
        started.elapsed().as_secs_f64(),
        "field",
        "before",
        "after",
        "bounds"
    );
    for (p, b) in r.parameters.iter().zip(&r.best) {
        out += &format!(
            "{:<28} {:>9.4} {:>9.4}   [{:.4}, {:.4}]{}\n",
            p.path,
            p.start,
            b,
            p.lo,
            p.hi,
            if p.user_bound {
                ""
            } else {
                " (default ±25 %)"
            }
        );
    }
    out += &format!(
        "{:<28} {:>9} {:>9}   ({:+.3} s)\n",
        "lap",
        format_lap_time(r.start_lap_s),
        format_lap_time(r.best_lap_s),
        r.best_lap_s - r.start_lap_s
    );
    if r.best == r.parameters.iter().map(|p| p.start).collect::<Vec<_>>() {
        out += "no faster car found within the bounds and constraints: the file is the start's values\n";
    }
    say(&out);
    let header = format!(
        "# Optimised by `{}`\n# (Nelder–Mead, argmin; {line}).\n# Starting lap {} ({:.4} s), final lap {} ({:.4} s) on {}.\n\n",
        command_line(a),
        format_lap_time(r.start_lap_s),
        r.start_lap_s,
        format_lap_time(r.best_lap_s),
        r.best_lap_s,
        track.name()
    );
    let stem = a
        .car
        .file_stem()
        .map_or_else(|| "car".into(), |s| s.to_string_lossy().into_owned());
    let file: PathBuf = a.out.join(format!("{stem}_optimised.toml"));
    let body = edited_text(&text, &r.parameters, &r.best, &header)?;
    write_atomic(&file, |w| w.write_all(body.as_bytes()))?;
    say(&format!("  wrote {}\n", file.display()));
    Ok(r)
}
